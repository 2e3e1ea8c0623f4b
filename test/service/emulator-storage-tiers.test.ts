// Storage tiers in the local service (emulator/model/tiers.ts): image sets start in Frequent
// Access, are in Archive Instant Access after 30 days without a touch, and a touch (a metadata or
// frame read, an update, a copy into them) brings them back; GetImageSet and SearchImageSets are
// no touches, and a copy does not touch its source. Aged with the service's clock (the
// /_emulator/clock control) and with a shorter archive delay (archiveAfterMs).

import assert from "node:assert/strict";
import { CopyImageSetCommand, GetImageSetCommand, SearchImageSetsCommand, UpdateImageSetMetadataCommand } from "@aws-sdk/client-medical-imaging";
import { eventually, sleep } from "../support/emulator";
import { metadataOf, type Seeded, SERIES, STUDIES, startSeeded } from "../support/seeded";

const DAY = 24 * 3600 * 1000;

describe("local service: storage tiers", function () {
  this.timeout(120_000);
  let s: Seeded;

  before(async () => {
    s = await startSeeded({ profile: "fast", controlApi: true });
  });
  after(async () => {
    await s?.stop();
  });

  const get = (imageSetId: string) => s.client.send(new GetImageSetCommand({ datastoreId: s.datastoreId, imageSetId }));
  const tier = async (imageSetId: string) => (await get(imageSetId)).storageTier;
  const advanceDays = async (days: number) => {
    const res = await fetch(`${s.emu.endpoint}/_emulator/clock`, { method: "POST", body: JSON.stringify({ advanceDays: days }) });
    assert.equal(res.status, 200, await res.text());
  };
  const settled = (imageSetId: string) =>
    eventually(async () => {
      const out = await get(imageSetId);
      return out.imageSetState === "ACTIVE" ? out : undefined;
    });

  it("30 days without a touch move an image set to the archive tier; GetImageSet and search do not touch it", async () => {
    const ct = s.imageSetOfSeries(SERIES.ctHead);
    const before = await get(ct);
    assert.equal(before.storageTier, "FREQUENT_ACCESS");
    await advanceDays(29.9);
    assert.equal(await tier(ct), "FREQUENT_ACCESS", "29.9 days: still Frequent Access");
    await advanceDays(0.2);
    const aged = await get(ct);
    assert.equal(aged.storageTier, "ARCHIVE_INSTANT_ACCESS", "30 days without a touch");
    assert.deepEqual(aged.lastAccessedAt, before.lastAccessedAt, "GetImageSet is no touch");
    const search = await s.client.send(
      new SearchImageSetsCommand({
        datastoreId: s.datastoreId,
        searchCriteria: { filters: [{ operator: "EQUAL", values: [{ DICOMStudyInstanceUID: STUDIES.ctHead }] }] },
      }),
    );
    const summary = search.imageSetsMetadataSummaries!.find((x) => x.imageSetId === ct)!;
    assert.equal(summary.storageTier, "ARCHIVE_INSTANT_ACCESS");
    assert.equal(await tier(ct), "ARCHIVE_INSTANT_ACCESS", "a search is no touch");
    // every seeded image set aged with it
    for (const set of s.seed.imageSets) assert.equal(await tier(set.imageSetId), "ARCHIVE_INSTANT_ACCESS");
  });

  it("a metadata read brings it back to Frequent Access, saved at once", async () => {
    const ct = s.imageSetOfSeries(SERIES.ctHead);
    await metadataOf(s.client, s.datastoreId, ct);
    const read = await get(ct);
    assert.equal(read.storageTier, "FREQUENT_ACCESS");
    assert.ok(read.lastAccessedAt!.getTime() > Date.now() + 29 * DAY, "lastAccessedAt is the service's (advanced) time of the read");
    assert.equal(s.emu.service.store.state.imageSets[ct].lastAccessedAt, read.lastAccessedAt!.getTime());
  });

  it("a copy touches the image set it makes (or merges into), not its source", async () => {
    const mra = s.imageSetOfSeries(SERIES.mra700);
    assert.equal(await tier(mra), "ARCHIVE_INSTANT_ACCESS");
    const latestVersionId = (await get(mra)).versionId!;
    const out = await s.client.send(
      new CopyImageSetCommand({ datastoreId: s.datastoreId, sourceImageSetId: mra, copyImageSetInformation: { sourceImageSet: { latestVersionId } } }),
    );
    const copy = out.destinationImageSetProperties!.imageSetId!;
    await settled(copy);
    await settled(mra);
    assert.equal(await tier(copy), "FREQUENT_ACCESS", "a new image set starts in Frequent Access");
    assert.equal(await tier(mra), "ARCHIVE_INSTANT_ACCESS", "the copy's source stays in the archive tier");
    // a merge into an archived destination touches the destination
    await advanceDays(31);
    assert.equal(await tier(copy), "ARCHIVE_INSTANT_ACCESS");
    const mra2 = s.imageSetOfSeries(SERIES.mra2);
    await s.client.send(
      new CopyImageSetCommand({
        datastoreId: s.datastoreId,
        sourceImageSetId: mra2,
        force: true,
        copyImageSetInformation: {
          sourceImageSet: { latestVersionId: (await get(mra2)).versionId! },
          destinationImageSet: { imageSetId: copy, latestVersionId: (await get(copy)).versionId! },
        },
      }),
    );
    await settled(copy);
    await settled(mra2);
    assert.equal(await tier(copy), "FREQUENT_ACCESS", "the merge's destination is touched");
    assert.equal(await tier(mra2), "ARCHIVE_INSTANT_ACCESS", "the merge's source is not");
  });

  it("an update touches the image set", async () => {
    const cr = s.seed.imageSets.find(
      (x) => x.isPrimary && x.imageSetId !== s.imageSetOfSeries(SERIES.ctHead) && x.imageSetId !== s.imageSetOfSeries(SERIES.mra700),
    )!;
    assert.equal(await tier(cr.imageSetId), "ARCHIVE_INSTANT_ACCESS");
    const updatable = JSON.stringify({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "tiers test" } } });
    await s.client.send(
      new UpdateImageSetMetadataCommand({
        datastoreId: s.datastoreId,
        imageSetId: cr.imageSetId,
        latestVersionId: (await get(cr.imageSetId)).versionId!,
        updateImageSetMetadataUpdates: { DICOMUpdates: { updatableAttributes: new TextEncoder().encode(updatable) } },
      }),
    );
    await settled(cr.imageSetId);
    assert.equal(await tier(cr.imageSetId), "FREQUENT_ACCESS");
  });

  it("archiveAfterMs shortens the delay (a time scale for tests of the real clock)", async () => {
    const quick = await startSeeded({ profile: "fast", archiveAfterMs: 400 });
    try {
      const id = quick.imageSetOfSeries(SERIES.ctHead);
      const tierOf = async () => (await quick.client.send(new GetImageSetCommand({ datastoreId: quick.datastoreId, imageSetId: id }))).storageTier;
      await metadataOf(quick.client, quick.datastoreId, id);
      assert.equal(await tierOf(), "FREQUENT_ACCESS");
      await sleep(500);
      assert.equal(await tierOf(), "ARCHIVE_INSTANT_ACCESS");
    } finally {
      await quick.stop();
    }
  });
});
