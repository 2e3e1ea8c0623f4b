// Conformance of CopyImageSet, driven over HTTP by the real @aws-sdk/client-medical-imaging
// against image sets imported from the pydicom samples: the asynchronous lifecycle (LOCKED at
// once, ACTIVE/COPIED later), full and subset copies, merges into an existing destination with
// and without force, the failures that are reported as COPY_FAILED versions (not HTTP errors),
// optimistic concurrency, locks, the copiableAttributes mistakes of AWS's own samples, the
// frames-per-copy quota, primary image sets and injected asynchronous failures.

import {
  CopyImageSetCommand,
  type CopyImageSetCommandInput,
  DeleteImageSetCommand,
  GetImageFrameCommand,
  GetImageSetCommand,
  GetImageSetMetadataCommand,
  ListImageSetVersionsCommand,
  type MedicalImagingClient,
  SearchImageSetsCommand,
  UpdateImageSetMetadataCommand,
} from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import type { ImageSetDocument } from "../../emulator/model/document";
import { PROFILES } from "../../emulator/limits";
import { eventually } from "../support/emulator";
import { instancesIn, metadataOf, type Seeded, SERIES, startSeeded, STUDIES } from "../support/seeded";
import { expectError, UNKNOWN_ID } from "../support/serviceErrors";

/** copiableAttributes text for series -> SOP instance UIDs, in the CLI docs' form */
const copiable = (series: Record<string, string[]>) =>
  JSON.stringify({
    SchemaVersion: "1.1",
    Study: { Series: Object.fromEntries(Object.entries(series).map(([s, uids]) => [s, { Instances: Object.fromEntries(uids.map((u) => [u, {}])) }])) },
  });

/** Helpers bound to one seeded service. */
function helpers(s: Seeded) {
  const client: MedicalImagingClient = s.client;
  const ds = s.datastoreId;
  const getSet = (imageSetId: string, versionId?: string) => client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId, versionId }));
  const versions = async (imageSetId: string) => (await client.send(new ListImageSetVersionsCommand({ datastoreId: ds, imageSetId }))).imageSetPropertiesList!;
  const copy = (
    sourceImageSetId: string,
    opts: { version?: string; series?: Record<string, string[]>; dest?: { id: string; version: string }; force?: boolean; promote?: boolean } = {},
  ) =>
    client.send(
      new CopyImageSetCommand({
        datastoreId: ds,
        sourceImageSetId,
        force: opts.force,
        promoteToPrimary: opts.promote,
        copyImageSetInformation: {
          sourceImageSet: { latestVersionId: opts.version ?? "1", ...(opts.series && { DICOMCopies: { copiableAttributes: copiable(opts.series) } }) },
          ...(opts.dest && { destinationImageSet: { imageSetId: opts.dest.id, latestVersionId: opts.dest.version } }),
        },
      }),
    );
  /** Poll GetImageSet until the set is no longer LOCKED. */
  const settled = (imageSetId: string) =>
    eventually(async () => {
      const out = await getSet(imageSetId);
      return out.imageSetState !== "LOCKED" ? out : undefined;
    });
  const contents = async (imageSetId: string, versionId?: string) => instancesIn(await metadataOf(client, ds, imageSetId, versionId));
  return { client, ds, getSet, versions, copy, settled, contents };
}

describe("emulator conformance: CopyImageSet", function () {
  this.timeout(20_000);
  let s: Seeded;
  let h: ReturnType<typeof helpers>;
  let head: string;
  /** the MRA study's 7-instance series' image set (one image set per series) */
  let mra: string;
  let mraDoc: ImageSetDocument;
  /** the same study's 3-instance series' image set */
  let mraSmall: string;
  let smallDoc: ImageSetDocument;
  /** the MRA study's 7-instance and 3-instance series */
  const big = SERIES.mra700;
  const small = SERIES.mra2;
  let ctTwo: string;

  before(async () => {
    // copies take ~250 ms so that the LOCKED states are observable
    s = await startSeeded({ timings: { copyMsBase: 250 } });
    h = helpers(s);
    head = s.imageSetOfSeries(SERIES.ctHead);
    mra = s.imageSetOfSeries(big);
    mraSmall = s.imageSetOfSeries(small);
    ctTwo = s.imageSetOfSeries(SERIES.ct5);
    mraDoc = await metadataOf(h.client, h.ds, mra);
    smallDoc = await metadataOf(h.client, h.ds, mraSmall);
    assert.equal(instancesIn(mraDoc)[big].length, 7);
    assert.equal(instancesIn(smallDoc)[small].length, 3);
  });
  after(async () => s?.stop());

  const uids = (series: string) => Object.keys((series === small ? smallDoc : mraDoc).Study.Series[series].Instances).sort();

  describe("lifecycle", () => {
    it("returns at once with both sets LOCKED, then settles to ACTIVE/COPIED; the new set is version 1", async () => {
      const out = await h.copy(head);
      assert.equal(out.datastoreId, h.ds);
      const src = out.sourceImageSetProperties!;
      const dst = out.destinationImageSetProperties!;
      assert.equal(src.imageSetId, head);
      assert.equal(src.latestVersionId, "1", "the source gets no new version");
      assert.equal(src.imageSetState, "LOCKED");
      assert.equal(src.imageSetWorkflowStatus, "COPYING_WITH_READ_ONLY_ACCESS");
      assert.match(dst.imageSetId!, /^[0-9a-z]{32}$/);
      assert.notEqual(dst.imageSetId, head);
      assert.equal(dst.latestVersionId, "1");
      assert.equal(dst.imageSetState, "LOCKED");
      assert.equal(dst.imageSetWorkflowStatus, "COPYING");
      assert.equal(dst.imageSetArn, `arn:aws:medical-imaging:us-east-1:000000000000:datastore/${h.ds}/imageset/${dst.imageSetId}`);
      assert.ok(dst.createdAt instanceof Date && dst.updatedAt instanceof Date);

      // while the copy runs: the source is readable, the destination is locked
      const during = await h.getSet(head);
      assert.equal(during.imageSetState, "LOCKED");
      assert.equal(during.imageSetWorkflowStatus, "COPYING_WITH_READ_ONLY_ACCESS");
      assert.equal((await h.getSet(dst.imageSetId!)).imageSetWorkflowStatus, "COPYING");
      assert.deepEqual(await h.contents(head), instancesIn(await metadataOf(h.client, h.ds, head)));
      await expectError(h.client.send(new GetImageSetMetadataCommand({ datastoreId: h.ds, imageSetId: dst.imageSetId })), "ConflictException", 409, /COPYING/);

      const done = await h.settled(dst.imageSetId!);
      assert.equal(done.imageSetState, "ACTIVE");
      assert.equal(done.imageSetWorkflowStatus, "COPIED");
      assert.equal(done.versionId, "1");
      assert.equal(done.isPrimary, false, "a plain copy of a primary image set is not primary");
      const source = await h.settled(head);
      assert.equal(source.imageSetState, "ACTIVE");
      assert.equal(source.versionId, "1");
      assert.equal(source.imageSetWorkflowStatus, "COPIED");
      assert.equal((await h.versions(head)).length, 1);
      const v = await h.versions(dst.imageSetId!);
      assert.deepEqual(
        v.map((x) => [x.versionId, x.ImageSetWorkflowStatus, x.imageSetState]),
        [["1", "COPIED", "ACTIVE"]],
      );
    });

    it("a full copy holds every instance and frame of the source under its own ImageSetID", async () => {
      const out = await h.copy(ctTwo);
      const dest = out.destinationImageSetProperties!.imageSetId!;
      await h.settled(dest);
      await h.settled(ctTwo);
      const doc = await metadataOf(h.client, h.ds, dest);
      const src = await metadataOf(h.client, h.ds, ctTwo);
      assert.equal(doc.ImageSetID, dest);
      assert.equal(doc.DatastoreID, h.ds);
      assert.deepEqual(instancesIn(doc), instancesIn(src));
      assert.deepEqual(doc.Patient, src.Patient);
      assert.deepEqual(doc.Study.DICOM, src.Study.DICOM);
      const frame = Object.values(Object.values(doc.Study.Series)[0].Instances)[0].ImageFrames[0];
      const read = async (imageSetId: string) =>
        Buffer.from(
          await (
            await h.client.send(new GetImageFrameCommand({ datastoreId: h.ds, imageSetId, imageFrameInformation: { imageFrameId: frame.ID } }))
          ).imageFrameBlob!.transformToByteArray(),
        );
      assert.deepEqual(await read(dest), await read(ctTwo));
      const found = await h.client.send(
        new SearchImageSetsCommand({
          datastoreId: h.ds,
          searchCriteria: { filters: [{ operator: "EQUAL", values: [{ DICOMStudyInstanceUID: STUDIES.ctTwoSeries }] }] },
        }),
      );
      assert.deepEqual(
        found.imageSetsMetadataSummaries!.map((x) => x.imageSetId).sort(),
        [ctTwo, s.imageSetOfSeries(SERIES.ct4), dest].sort(),
        "the study's two series and the copy",
      );
    });

    it("a subset copy holds exactly the instances named in copiableAttributes (UIDs read from the metadata)", async () => {
      const selection = { [big]: uids(big).slice(0, 3) };
      const out = await h.copy(mra, { series: selection });
      const dest = out.destinationImageSetProperties!.imageSetId!;
      assert.equal((await h.settled(dest)).imageSetWorkflowStatus, "COPIED");
      await h.settled(mra);
      const doc = await metadataOf(h.client, h.ds, dest);
      assert.deepEqual(instancesIn(doc), selection);
      assert.deepEqual(doc.Patient, mraDoc.Patient);
      assert.deepEqual(doc.Study.DICOM, mraDoc.Study.DICOM);
      assert.deepEqual(doc.Study.Series[big].DICOM, mraDoc.Study.Series[big].DICOM);
      assert.deepEqual(doc.Study.Series[big].Instances[selection[big][0]], mraDoc.Study.Series[big].Instances[selection[big][0]]);
    });
  });

  describe("merging into an existing destination", () => {
    /** a destination holding the first two instances of the MRA's big series */
    async function base(): Promise<string> {
      const out = await h.copy(mra, { series: { [big]: uids(big).slice(0, 2) } });
      const id = out.destinationImageSetProperties!.imageSetId!;
      await h.settled(id);
      await h.settled(mra);
      return id;
    }

    it("merges more instances of the same series without force: destination version 2, COPIED", async () => {
      const dest = await base();
      const out = await h.copy(mra, { series: { [big]: uids(big).slice(2, 4) }, dest: { id: dest, version: "1" } });
      assert.equal(out.destinationImageSetProperties!.imageSetId, dest);
      assert.equal(out.destinationImageSetProperties!.latestVersionId, "2");
      assert.equal(out.destinationImageSetProperties!.imageSetState, "LOCKED");
      assert.equal(out.destinationImageSetProperties!.imageSetWorkflowStatus, "COPYING");
      const done = await h.settled(dest);
      assert.deepEqual([done.versionId, done.imageSetWorkflowStatus, done.overrides], ["2", "COPIED", undefined]);
      assert.deepEqual(await h.contents(dest), { [big]: uids(big).slice(0, 4) });
      assert.deepEqual(await h.contents(dest, "1"), { [big]: uids(big).slice(0, 2) });
    });

    it("an inconsistent merge without force returns 200 and ends as a COPY_FAILED version with a message; content unchanged, version consumed", async () => {
      const dest = await base();
      const before = await metadataOf(h.client, h.ds, dest);
      const out = await h.copy(ctTwo, { dest: { id: dest, version: "1" } });
      assert.equal(out.destinationImageSetProperties!.latestVersionId, "2");
      const done = await h.settled(dest);
      assert.equal(done.imageSetState, "ACTIVE");
      assert.equal(done.imageSetWorkflowStatus, "COPY_FAILED");
      assert.equal(done.versionId, "2");
      assert.match(done.message!, /^INVALID_REQUEST: {2}(Patient|Study|Series) of SourceImageSet and DestinationImageSet don't match/);
      const v = await h.versions(dest);
      assert.deepEqual(
        v.map((x) => [x.versionId, x.ImageSetWorkflowStatus]),
        [
          ["2", "COPY_FAILED"],
          ["1", "COPIED"],
        ],
      );
      assert.equal(v[0].message, done.message);
      assert.deepEqual(await metadataOf(h.client, h.ds, dest), before, "the failed version keeps the previous content");
      await h.settled(ctTwo);
      // the failed version number is consumed: the next write must name version 2
      await expectError(h.copy(mra, { series: { [big]: uids(big).slice(2, 3) }, dest: { id: dest, version: "1" } }), "ConflictException", 409, /latest is 2/);
      const next = await h.copy(mra, { series: { [big]: uids(big).slice(2, 3) }, dest: { id: dest, version: "2" } });
      assert.equal(next.destinationImageSetProperties!.latestVersionId, "3");
      assert.equal((await h.settled(dest)).imageSetWorkflowStatus, "COPIED");
      await h.settled(mra);
    });

    it("another series of the same study does not match without force (the documented message)", async () => {
      const dest = await base();
      await h.copy(mraSmall, { series: { [small]: uids(small) }, dest: { id: dest, version: "1" } });
      const done = await h.settled(dest);
      assert.equal(done.imageSetWorkflowStatus, "COPY_FAILED");
      assert.match(done.message!, /^INVALID_REQUEST: {2}Series of SourceImageSet and DestinationImageSet don't match/);
      assert.deepEqual(await h.contents(dest), { [big]: uids(big).slice(0, 2) });
      await h.settled(mraSmall);
    });

    it("with force another series of the same study joins a non-primary set, which then holds two series", async () => {
      const dest = await base();
      await h.copy(mraSmall, { series: { [small]: uids(small).slice(0, 1) }, dest: { id: dest, version: "1" }, force: true });
      const done = await h.settled(dest);
      assert.deepEqual([done.imageSetWorkflowStatus, done.isPrimary, done.overrides], ["COPIED", false, { forced: true }]);
      assert.deepEqual(await h.contents(dest), { [big]: uids(big).slice(0, 2), [small]: uids(small).slice(0, 1) });
      await h.settled(mraSmall);
    });

    it("a primary image set holds one series: adding another fails even with force", async () => {
      const primary = s.imageSetOfSeries(SERIES.mra1);
      const before = await h.contents(primary);
      await h.copy(mraSmall, { series: { [small]: uids(small).slice(0, 1) }, dest: { id: primary, version: "1" }, force: true });
      const done = await h.settled(primary);
      assert.equal(done.imageSetWorkflowStatus, "COPY_FAILED");
      assert.match(done.message!, /^INVALID_REQUEST: {2}A primary image set holds one series/);
      assert.deepEqual(await h.contents(primary), before);
      await h.settled(mraSmall);
    });

    it("with force the merge succeeds, is marked forced, and keeps the destination's Patient and Study", async () => {
      const dest = await base();
      const before = await metadataOf(h.client, h.ds, dest);
      const other = await metadataOf(h.client, h.ds, ctTwo);
      assert.notDeepEqual(other.Study.DICOM, before.Study.DICOM);
      await h.copy(ctTwo, { dest: { id: dest, version: "1" }, force: true });
      const done = await h.settled(dest);
      assert.equal(done.imageSetWorkflowStatus, "COPIED");
      assert.equal(done.versionId, "2");
      assert.deepEqual(done.overrides, { forced: true });
      assert.deepEqual((await h.versions(dest))[0].overrides, { forced: true });
      const after = await metadataOf(h.client, h.ds, dest);
      assert.deepEqual(after.Patient, before.Patient);
      assert.deepEqual(after.Study.DICOM, before.Study.DICOM);
      assert.equal(after.ImageSetID, dest);
      assert.deepEqual(instancesIn(after), { ...instancesIn(before), ...instancesIn(other) });
      await h.settled(ctTwo);
    });

    it("copying a SOP instance the destination already has ends COPY_FAILED, even with force", async () => {
      const dest = await base();
      await h.copy(mra, { series: { [big]: uids(big).slice(1, 3) }, dest: { id: dest, version: "1" } });
      const done = await h.settled(dest);
      assert.equal(done.imageSetWorkflowStatus, "COPY_FAILED");
      assert.match(done.message!, /SOP Instance UID .* already exists/);
      await h.settled(mra);
      await h.copy(mra, { series: { [big]: uids(big).slice(0, 1) }, dest: { id: dest, version: "2" }, force: true });
      const forced = await h.settled(dest);
      assert.equal(forced.imageSetWorkflowStatus, "COPY_FAILED");
      assert.equal(forced.versionId, "3");
      assert.deepEqual(await h.contents(dest), { [big]: uids(big).slice(0, 2) });
      await h.settled(mra);
    });
  });

  describe("synchronous errors", () => {
    it("a stale source or destination latestVersionId is a 409 ConflictException that changes nothing", async () => {
      const target = s.imageSetOfSeries(SERIES.cr1);
      await expectError(h.copy(ctTwo, { version: "2" }), "ConflictException", 409, /sourceImageSet.latestVersionId 2/);
      await expectError(h.copy(ctTwo, { dest: { id: target, version: "7" }, force: true }), "ConflictException", 409, /destinationImageSet.latestVersionId 7/);
      for (const id of [ctTwo, target]) assert.equal((await h.getSet(id)).imageSetState, "ACTIVE");
      assert.equal((await h.versions(target)).length, 1);
    });

    it("copy, update and delete on a LOCKED set are 409; a second copy from a source being copied is 409", async () => {
      const lockedSource = s.imageSetOfSeries(SERIES.cr2);
      const out = await h.copy(lockedSource);
      const lockedDest = out.destinationImageSetProperties!.imageSetId!;
      await expectError(h.copy(lockedSource), "ConflictException", 409, /locked \(COPYING_WITH_READ_ONLY_ACCESS\)/);
      await expectError(h.copy(lockedDest), "ConflictException", 409, /locked \(COPYING\)/);
      await expectError(h.copy(head, { dest: { id: lockedDest, version: "1" }, force: true }), "ConflictException", 409, /locked/);
      const update = (imageSetId: string) =>
        h.client.send(
          new UpdateImageSetMetadataCommand({
            datastoreId: h.ds,
            imageSetId,
            latestVersionId: "1",
            updateImageSetMetadataUpdates: {
              DICOMUpdates: {
                updatableAttributes: new TextEncoder().encode(JSON.stringify({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "X" } } })),
              },
            },
          }),
        );
      await expectError(update(lockedSource), "ConflictException", 409, /locked/);
      await expectError(update(lockedDest), "ConflictException", 409, /locked/);
      await expectError(h.client.send(new DeleteImageSetCommand({ datastoreId: h.ds, imageSetId: lockedSource })), "ConflictException", 409, /locked/);
      await expectError(h.client.send(new DeleteImageSetCommand({ datastoreId: h.ds, imageSetId: lockedDest })), "ConflictException", 409, /locked/);
      assert.equal((await h.settled(lockedDest)).imageSetWorkflowStatus, "COPIED");
      assert.equal((await h.settled(lockedSource)).imageSetState, "ACTIVE");
      assert.equal((await h.versions(lockedSource)).length, 1, "none of the refused writes made a version");
      assert.equal((await h.versions(lockedDest)).length, 1);
    });

    it("source == destination is a 400 ValidationException", async () => {
      await expectError(h.copy(ctTwo, { dest: { id: ctTwo, version: "1" } }), "ValidationException", 400, /source and destination/);
    });

    it("unknown or malformed ids and missing members are 404 / 400", async () => {
      await expectError(h.copy(UNKNOWN_ID), "ResourceNotFoundException", 404);
      await expectError(h.copy(ctTwo, { dest: { id: UNKNOWN_ID, version: "1" } }), "ResourceNotFoundException", 404);
      await expectError(h.copy("XYZ"), "ValidationException", 400, /sourceImageSetId/);
      await expectError(h.copy(ctTwo, { version: "one" }), "ValidationException", 400, /sourceImageSet.latestVersionId/);
      await expectError(h.copy(ctTwo, { dest: { id: "dest", version: "1" } }), "ValidationException", 400, /destinationImageSet.imageSetId/);
      const noVersion = { datastoreId: h.ds, sourceImageSetId: ctTwo, copyImageSetInformation: { sourceImageSet: {} } } as unknown as CopyImageSetCommandInput;
      await expectError(h.client.send(new CopyImageSetCommand(noVersion)), "ValidationException", 400, /latestVersionId.*must not be null/);
      await expectError(
        h.copy(ctTwo, { dest: { id: s.imageSetOfSeries(SERIES.cr1), version: "1" }, promote: true }),
        "ValidationException",
        400,
        /promoteToPrimary/,
      );
      assert.equal((await h.getSet(ctTwo)).imageSetState, "ACTIVE");
    });

    it("rejects the copiableAttributes mistakes of AWS's samples with a ValidationException naming the problem", async () => {
      const instance = uids(big)[0];
      const send = (copiableAttributes: string) =>
        h.client.send(
          new CopyImageSetCommand({
            datastoreId: h.ds,
            sourceImageSetId: mra,
            copyImageSetInformation: { sourceImageSet: { latestVersionId: "1", DICOMCopies: { copiableAttributes } } },
          }),
        );
      // Java sample: the Series key is the source image set id
      await expectError(
        send(JSON.stringify({ SchemaVersion: 1.1, Study: { Series: { [mra]: { Instances: { [instance]: {} } } } } })),
        "ValidationException",
        400,
        new RegExp(`copiableAttributes: series ${mra} is not in the source image set.*SeriesInstanceUID`),
      );
      // Python / JavaScript samples: the literal "imageSetId" as Series key
      await expectError(
        send(JSON.stringify({ SchemaVersion: "1.1", Study: { Series: { imageSetId: { Instances: { [instance]: {} } } } } })),
        "ValidationException",
        400,
        /copiableAttributes: series imageSetId is not in the source/,
      );
      await expectError(send("{not json"), "ValidationException", 400, /copiableAttributes is not valid JSON/);
      await expectError(send(JSON.stringify({ Study: { Series: { [big]: { Instances: { [instance]: {} } } } } })), "ValidationException", 400, /SchemaVersion/);
      await expectError(
        send(JSON.stringify({ SchemaVersion: "1.1", Study: { Series: { [big]: { Instances: {} } } } })),
        "ValidationException",
        400,
        /at least one instance/,
      );
      await expectError(
        send(JSON.stringify({ SchemaVersion: "1.1", Study: { Series: { [big]: { Instances: { "1.2.3": {} } } } } })),
        "ValidationException",
        400,
        /instance 1\.2\.3 is not in series/,
      );
      await expectError(
        send(JSON.stringify({ SchemaVersion: "1.1", Study: { Series: { [small]: { Instances: { [instance]: {} } } } } })),
        "ValidationException",
        400,
        new RegExp(`series ${small} is not in the source image set`),
      );
      await expectError(send(""), "ValidationException", 400, /copiableAttributes/);
      assert.equal((await h.getSet(mra)).imageSetState, "ACTIVE", "nothing was locked");
    });

    it("the JavaScript sample's misplaced `dicomCopies` is dropped by the SDK, so the whole image set is copied", async () => {
      const input = {
        datastoreId: h.ds,
        sourceImageSetId: mra,
        copyImageSetInformation: { sourceImageSet: { latestVersionId: "1" }, dicomCopies: { imageSetId: { Instances: { [uids(big)[0]]: {} } } } },
      } as unknown as CopyImageSetCommandInput;
      const out = await h.client.send(new CopyImageSetCommand(input));
      const dest = out.destinationImageSetProperties!.imageSetId!;
      await h.settled(dest);
      await h.settled(mra);
      assert.deepEqual(await h.contents(dest), instancesIn(mraDoc));
    });
  });

  describe("primary image sets", () => {
    it("promoteToPrimary makes a new primary set; refused (409) while another primary exists for the series", async () => {
      const primary = s.imageSetOfSeries(SERIES.cr1);
      await h.settled(primary);
      const latest = (await h.getSet(primary)).versionId!;
      const copied = (await h.copy(primary, { version: latest })).destinationImageSetProperties!.imageSetId!;
      assert.equal((await h.settled(copied)).isPrimary, false);
      await h.settled(primary);
      await expectError(h.copy(copied, { promote: true }), "ConflictException", 409, new RegExp(`primary image set \\(${primary}\\) already exists`));
      assert.equal((await h.getSet(copied)).imageSetState, "ACTIVE");

      await h.client.send(new DeleteImageSetCommand({ datastoreId: h.ds, imageSetId: primary }));
      await h.settled(primary);
      const out = await h.copy(copied, { promote: true });
      const promoted = out.destinationImageSetProperties!.imageSetId!;
      assert.notEqual(promoted, copied, "promotion returns a new image set id");
      const done = await h.settled(promoted);
      assert.equal(done.isPrimary, true);
      assert.equal(done.imageSetWorkflowStatus, "COPIED");
      assert.equal((await h.getSet(copied)).isPrimary, false);
      const primaries = await h.client.send(
        new SearchImageSetsCommand({
          datastoreId: h.ds,
          searchCriteria: {
            filters: [
              { operator: "EQUAL", values: [{ DICOMSeriesInstanceUID: SERIES.cr1 }] },
              { operator: "EQUAL", values: [{ isPrimary: true }] },
            ],
          },
        }),
      );
      assert.deepEqual(
        primaries.imageSetsMetadataSummaries!.map((x) => x.imageSetId),
        [promoted],
      );
      // the study's other series keep their own primary sets
      assert.equal((await h.getSet(s.imageSetOfSeries(SERIES.cr2))).isPrimary, true);

      // a plain copy of the (new) primary set is not primary
      const plain = (await h.copy(promoted)).destinationImageSetProperties!.imageSetId!;
      assert.equal((await h.settled(plain)).isPrimary, false);
      await h.settled(promoted);
    });

    it("promoteToPrimary of an image set holding two series is a 400 ValidationException (a primary set holds one series)", async () => {
      const dest = (await h.copy(mra, { series: { [big]: uids(big).slice(0, 1) } })).destinationImageSetProperties!.imageSetId!;
      await h.settled(dest);
      await h.settled(mra);
      await h.copy(mraSmall, { series: { [small]: uids(small).slice(0, 1) }, dest: { id: dest, version: "1" }, force: true });
      await h.settled(dest);
      await h.settled(mraSmall);
      await expectError(h.copy(dest, { version: "2", promote: true }), "ValidationException", 400, /exactly one series/);
      assert.equal((await h.getSet(dest)).imageSetState, "ACTIVE");
    });
  });

  describe("injected asynchronous failure", () => {
    it("faults.failNextCopies makes the next accepted copy end COPY_FAILED with the message; the following one succeeds", async () => {
      s.emu.service.faults.failNextCopies(1, "INTERNAL_ERROR:  Injected copy failure.");
      const out = await h.copy(ctTwo);
      assert.equal(out.destinationImageSetProperties!.imageSetWorkflowStatus, "COPYING", "the failure is not visible in the response");
      const failed = await h.settled(out.destinationImageSetProperties!.imageSetId!);
      assert.equal(failed.imageSetState, "ACTIVE");
      assert.equal(failed.imageSetWorkflowStatus, "COPY_FAILED");
      assert.equal(failed.message, "INTERNAL_ERROR:  Injected copy failure.");
      assert.equal((await h.settled(ctTwo)).imageSetState, "ACTIVE");
      const ok = await h.copy(ctTwo);
      assert.equal((await h.settled(ok.destinationImageSetProperties!.imageSetId!)).imageSetWorkflowStatus, "COPIED");
      await h.settled(ctTwo);
    });
  });

  describe("with lockSourceDuringCopy: false", () => {
    let s2: Seeded;
    before(async () => {
      s2 = await startSeeded({ lockSourceDuringCopy: false, timings: { copyMsBase: 250 } });
    });
    after(async () => s2?.stop());

    it("allows a second copy from a source that is being copied; the source unlocks when both are done", async () => {
      const h2 = helpers(s2);
      const source = s2.imageSetOfSeries(SERIES.ctHead);
      const first = await h2.copy(source);
      const second = await h2.copy(source);
      assert.equal(second.sourceImageSetProperties!.imageSetWorkflowStatus, "COPYING_WITH_READ_ONLY_ACCESS");
      assert.notEqual(first.destinationImageSetProperties!.imageSetId, second.destinationImageSetProperties!.imageSetId);
      // other writes to the source are still refused while it is read-only
      await expectError(h2.client.send(new DeleteImageSetCommand({ datastoreId: h2.ds, imageSetId: source })), "ConflictException", 409);
      for (const out of [first, second]) assert.equal((await h2.settled(out.destinationImageSetProperties!.imageSetId!)).imageSetWorkflowStatus, "COPIED");
      const src = await h2.settled(source);
      assert.deepEqual([src.imageSetState, src.versionId], ["ACTIVE", "1"]);
    });
  });

  describe("quotas", () => {
    let s3: Seeded;
    before(async () => {
      s3 = await startSeeded({
        profile: { ...PROFILES.fast, quotas: { ...PROFILES.fast.quotas, maxFramesPerCopy: 3, maxConcurrentPerDatastore: 1 } },
        timings: { copyMsBase: 250 },
      });
    });
    after(async () => s3?.stop());

    it("more image frames than the per-copy quota is a 402 ServiceQuotaExceededException; a smaller subset copies", async () => {
      const h3 = helpers(s3);
      const source = s3.imageSetOfSeries(SERIES.ctHead);
      const doc = await metadataOf(h3.client, h3.ds, source);
      const [seriesUid, instances] = Object.entries(instancesIn(doc))[0];
      assert.equal(instances.length, 4);
      await expectError(h3.copy(source), "ServiceQuotaExceededException", 402, /4 image frames; the quota is 3/);
      assert.equal((await h3.getSet(source)).imageSetState, "ACTIVE", "a refused copy locks nothing");
      const out = await h3.copy(source, { series: { [seriesUid]: instances.slice(0, 3) } });
      // the concurrency quota (1 here) refuses another operation in the data store while this one runs
      await expectError(h3.copy(s3.imageSetOfSeries(SERIES.cr1)), "ServiceQuotaExceededException", 402, /concurrent/);
      assert.equal((await h3.settled(out.destinationImageSetProperties!.imageSetId!)).imageSetWorkflowStatus, "COPIED");
      await h3.settled(source);
    });
  });
});
