// Adopting an image set a script made (adoptImageSetId) through the real dynamic-provider host, and
// the read-only lookups programs call (getImageSet, findImageSets), against the local service.

import { CopyImageSetCommand, GetImageSetCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import { findImageSets, getImageSet } from "../../provider/resource/lookups";
import { byOperation } from "../support/countingProxy";
import { eventually } from "../support/emulator";
import { type ProviderFixture, startProviderFixture } from "../support/providerFixture";
import { instancesIn, metadataOf, patientValues } from "../support/seeded";

describe("provider: adopting an image set made by a script, and lookups", function () {
  this.timeout(120_000);
  let fx: ProviderFixture;
  let source: string;
  let target: { datastoreId: string; region: string; endpoint: string };
  before(async () => {
    fx = await startProviderFixture({ countCalls: true, emulator: { profile: "fast" } });
    source = fx.seeded.seed.imageSets.find((s) => s.isPrimary)!.imageSetId;
    target = { datastoreId: fx.datastoreId, region: fx.seeded.emu.credentials.region, endpoint: fx.seeded.emu.endpoint };
    process.env.AWS_ACCESS_KEY_ID = fx.seeded.emu.credentials.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = fx.seeded.emu.credentials.secretAccessKey;
  });
  after(async () => fx?.stop());

  /** What a hand-written CopyImageSet script would do: a full copy, waited for. */
  const scriptCopy = async (): Promise<string> => {
    const out = await fx.seeded.client.send(
      new CopyImageSetCommand({
        datastoreId: fx.datastoreId,
        sourceImageSetId: source,
        copyImageSetInformation: { sourceImageSet: { latestVersionId: (await getImageSet({ ...target, imageSetId: source })).versionId } },
      }),
    );
    const id = out.destinationImageSetProperties!.imageSetId!;
    await eventually(async () =>
      (await fx.seeded.client.send(new GetImageSetCommand({ datastoreId: fx.datastoreId, imageSetId: id }))).imageSetState === "ACTIVE" ? true : undefined,
    );
    return id;
  };

  it("create with adoptImageSetId records the script's image set without copying; destroy deletes it", async () => {
    const made = await scriptCopy();
    const since = Date.now();
    const { id, outs } = await fx.create("adopted", { datastoreId: fx.datastoreId, sourceImageSetId: source, adoptImageSetId: made });
    assert.equal(id, made);
    assert.equal(outs.imageSetId, made);
    assert.equal(byOperation(fx.proxy!.between(since)).CopyImageSet ?? 0, 0, "no copy");
    assert.ok(Number(outs.instanceCount) > 0);
    await fx.host.delete(fx.urn("adopted"), id, outs);
    assert.equal((await getImageSet({ ...target, imageSetId: made }).catch((e: Error) => e)) instanceof Error, true, "deleted");
  });

  it("refuses an image set that lacks the declared instances, naming adoptImageSetId", async () => {
    const big = fx.seeded.seed.imageSets.find((s) => s.isPrimary && (s.instanceCount ?? 0) >= 2)!.imageSetId;
    const [[series, [first]]] = Object.entries(instancesIn(await metadataOf(fx.seeded.client, fx.datastoreId, big)));
    // the script copied one instance only
    const copiableAttributes = JSON.stringify({ SchemaVersion: "1.1", Study: { Series: { [series]: { Instances: { [first]: {} } } } } });
    const out = await fx.seeded.client.send(
      new CopyImageSetCommand({
        datastoreId: fx.datastoreId,
        sourceImageSetId: big,
        copyImageSetInformation: {
          sourceImageSet: { latestVersionId: (await getImageSet({ ...target, imageSetId: big })).versionId, DICOMCopies: { copiableAttributes } },
        },
      }),
    );
    const partial = out.destinationImageSetProperties!.imageSetId!;
    await eventually(async () => ((await getImageSet({ ...target, imageSetId: partial })).imageSetState === "ACTIVE" ? true : undefined));
    await assert.rejects(
      fx.create("wrong", { datastoreId: fx.datastoreId, sourceImageSetId: big, adoptImageSetId: partial }),
      /adoptImageSetId: image set \w+ lacks \d+ of the \d+ instances this resource declares .*not a copy of this subset/,
    );
  });

  it("check refuses adoptImageSetId with a destination at preview", async () => {
    const checked = await fx.host.check(
      fx.urn("bad"),
      {},
      { datastoreId: fx.datastoreId, sourceImageSetId: source, adoptImageSetId: source, ownerTag: "p/s/bad" },
    );
    assert.ok(checked.failures.some((f) => f.property === "adoptImageSetId" && /is the source image set itself/.test(f.reason)));
  });

  it("getImageSet and findImageSets return ids, UIDs and versions, never patient-level values", async () => {
    const info = await getImageSet({ ...target, imageSetId: source });
    assert.equal(info.imageSetId, source);
    assert.equal(info.imageSetState, "ACTIVE");
    const doc = await metadataOf(fx.seeded.client, fx.datastoreId, source);
    const studyUid = String(doc.Study.DICOM.StudyInstanceUID);
    const [seriesUid] = Object.keys(instancesIn(doc));
    const byStudy = await findImageSets({ ...target, studyInstanceUid: studyUid });
    assert.ok(byStudy.some((m) => m.imageSetId === source && m.studyInstanceUid === studyUid));
    const bySeries = await findImageSets({ ...target, seriesInstanceUid: seriesUid, primaryOnly: true });
    assert.ok(bySeries.every((m) => m.isPrimary));
    assert.ok(bySeries.some((m) => m.imageSetId === source));
    const text = JSON.stringify([info, byStudy, bySeries]);
    for (const value of await patientValues(fx.seeded)) assert.ok(!text.includes(value), "a patient-level value leaked");
    await assert.rejects(getImageSet({ ...target, imageSetId: "0".repeat(32) }), /getImageSet: image set 0{32} does not exist in data store/);
    await assert.rejects(findImageSets({ ...target }), /give studyInstanceUid, seriesInstanceUid, or both/);
  });
});
