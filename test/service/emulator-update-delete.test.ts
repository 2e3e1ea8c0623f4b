// Conformance of UpdateImageSetMetadata and DeleteImageSet, driven over HTTP by the real
// @aws-sdk/client-medical-imaging against image sets imported from the pydicom samples:
// updatable/removable attribute documents (bytes the SDK base64s), revert, union and quota
// checks, rule violations that end as UPDATE_FAILED versions, UID changes with force, the
// delete lifecycle, and deleting the data store once its image sets are gone.

import {
  CopyImageSetCommand,
  DeleteDatastoreCommand,
  DeleteImageSetCommand,
  GetDatastoreCommand,
  GetImageSetCommand,
  GetImageSetMetadataCommand,
  ListImageSetVersionsCommand,
  ListTagsForResourceCommand,
  type MedicalImagingClient,
  type MetadataUpdates,
  SearchImageSetsCommand,
  UpdateImageSetMetadataCommand,
} from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import { eventually, sdkClient } from "../support/emulator";
import { instancesIn, metadataOf, type Seeded, SERIES, startSeeded } from "../support/seeded";
import { expectError, UNKNOWN_ID } from "../support/serviceErrors";

/** An attribute document as the bytes SDK users pass (AWS's JS sample uses TextEncoder). */
const bytes = (doc: unknown) => new TextEncoder().encode(JSON.stringify(doc));

describe("emulator conformance: UpdateImageSetMetadata and DeleteImageSet", function () {
  this.timeout(20_000);
  let s: Seeded;
  let client: MedicalImagingClient;
  let ds: string;

  const getSet = (imageSetId: string, versionId?: string) => client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId, versionId }));
  const versions = async (imageSetId: string) => (await client.send(new ListImageSetVersionsCommand({ datastoreId: ds, imageSetId }))).imageSetPropertiesList!;
  const update = (imageSetId: string, latestVersionId: string, updates: MetadataUpdates, force?: boolean, c = client) =>
    c.send(new UpdateImageSetMetadataCommand({ datastoreId: ds, imageSetId, latestVersionId, force, updateImageSetMetadataUpdates: updates }));
  const settled = (imageSetId: string) =>
    eventually(async () => {
      const out = await getSet(imageSetId);
      return out.imageSetState !== "LOCKED" ? out : undefined;
    });
  const doc = (imageSetId: string, versionId?: string) => metadataOf(client, ds, imageSetId, versionId);
  /** A non-primary copy of a seeded series' image set (force may change UIDs only on non-primary sets). */
  async function copyOf(series: string, destination?: { imageSetId: string; latestVersionId: string }): Promise<string> {
    const source = s.imageSetOfSeries(series);
    const latestVersionId = (await settled(source)).versionId!;
    const out = await client.send(
      new CopyImageSetCommand({
        datastoreId: ds,
        sourceImageSetId: source,
        force: destination !== undefined,
        copyImageSetInformation: { sourceImageSet: { latestVersionId }, destinationImageSet: destination },
      }),
    );
    const id = out.destinationImageSetProperties!.imageSetId!;
    await settled(id);
    await settled(source);
    return id;
  }

  /** A non-primary set holding the Brain-MRA study's three series (merged with force), at version 3. */
  async function mraStudyCopy(): Promise<string> {
    const id = await copyOf(SERIES.mra700);
    await copyOf(SERIES.mra2, { imageSetId: id, latestVersionId: "1" });
    await copyOf(SERIES.mra1, { imageSetId: id, latestVersionId: "2" });
    assert.equal(Object.keys((await doc(id)).Study.Series).length, 3);
    return id;
  }

  before(async () => {
    // updates and deletes take 150 ms so that LOCKED/UPDATING and LOCKED/DELETING are observable
    s = await startSeeded({ timings: { updateMs: 150, deleteMs: 150, copyMsBase: 30 } });
    client = s.client;
    ds = s.datastoreId;
  });
  after(async () => s?.stop());

  describe("UpdateImageSetMetadata", () => {
    it("updates a Study attribute: LOCKED/UPDATING at once, UPDATED as version 2 later; the SDK sends the bytes base64", async () => {
      const id = await copyOf(SERIES.ctHead);
      const bodies: string[] = [];
      const spy = sdkClient(s.emu);
      spy.middlewareStack.add(
        (next) => async (args) => {
          bodies.push(String((args.request as { body: unknown }).body));
          return next(args);
        },
        { step: "finalizeRequest", name: "recordBody" },
      );
      const attributes = { SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "CT CHEST" } } };
      const out = await update(id, "1", { DICOMUpdates: { updatableAttributes: bytes(attributes) } }, undefined, spy);
      const wire = JSON.parse(bodies[0]);
      assert.equal(Buffer.from(wire.DICOMUpdates.updatableAttributes, "base64").toString("utf8"), JSON.stringify(attributes));
      assert.equal(out.datastoreId, ds);
      assert.equal(out.imageSetId, id);
      assert.equal(out.latestVersionId, "2");
      assert.equal(out.imageSetState, "LOCKED");
      assert.equal(out.imageSetWorkflowStatus, "UPDATING");
      assert.ok(out.createdAt instanceof Date && out.updatedAt instanceof Date);

      const during = await getSet(id);
      assert.deepEqual([during.imageSetState, during.imageSetWorkflowStatus, during.versionId], ["LOCKED", "UPDATING", "2"]);
      await expectError(client.send(new GetImageSetMetadataCommand({ datastoreId: ds, imageSetId: id })), "ConflictException", 409, /UPDATING/);

      const done = await settled(id);
      assert.deepEqual([done.imageSetState, done.imageSetWorkflowStatus, done.versionId], ["ACTIVE", "UPDATED", "2"]);
      assert.equal((await doc(id)).Study.DICOM.StudyDescription, "CT CHEST");
      assert.notEqual((await doc(id, "1")).Study.DICOM.StudyDescription, "CT CHEST");
      assert.deepEqual(
        (await versions(id)).map((v) => [v.versionId, v.ImageSetWorkflowStatus]),
        [
          ["2", "UPDATED"],
          ["1", "COPIED"],
        ],
      );

      // a string is accepted for the blob too (the SDK base64s it as well)
      await update(id, "2", {
        DICOMUpdates: { updatableAttributes: JSON.stringify({ SchemaVersion: "1.1", Patient: { DICOM: { PatientSex: "O" } } }) as never },
      });
      await settled(id);
      assert.equal((await doc(id)).Patient.DICOM.PatientSex, "O");
    });

    it("removableAttributes removes an attribute, an instance and a whole series", async () => {
      const id = await mraStudyCopy();
      const original = await doc(id);
      const series = instancesIn(original);
      const [one, three] = [Object.keys(series).find((k) => series[k].length === 1)!, Object.keys(series).find((k) => series[k].length === 3)!];
      assert.ok(one && three);
      assert.ok("StudyDate" in original.Study.DICOM);

      await update(id, "3", {
        DICOMUpdates: {
          removableAttributes: bytes({
            SchemaVersion: 1.1,
            Study: { DICOM: { StudyDate: original.Study.DICOM.StudyDate }, Series: { [three]: { Instances: { [series[three][0]]: {} } } } },
          }),
        },
      });
      assert.equal((await settled(id)).imageSetWorkflowStatus, "UPDATED");
      const v2 = await doc(id);
      assert.ok(!("StudyDate" in v2.Study.DICOM));
      assert.deepEqual(instancesIn(v2), { ...series, [three]: series[three].slice(1) });

      await update(id, "4", { DICOMUpdates: { removableAttributes: bytes({ SchemaVersion: 1.1, Study: { Series: { [one]: {} } } }) } });
      assert.equal((await settled(id)).imageSetWorkflowStatus, "UPDATED");
      const expected: Record<string, string[]> = { ...series, [three]: series[three].slice(1) };
      delete expected[one];
      assert.deepEqual(instancesIn(await doc(id)), expected);
      // the search summary follows the latest version
      const summary = (await client.send(new SearchImageSetsCommand({ datastoreId: ds }))).imageSetsMetadataSummaries!.find((x) => x.imageSetId === id)!;
      assert.equal(summary.DICOMTags?.DICOMNumberOfStudyRelatedSeries, Object.keys(expected).length);
      assert.equal(summary.version, 5);
    });

    it("revertToVersionId makes a new version with the old content: 3 -> 4 with the content of 1", async () => {
      const id = await copyOf(SERIES.ct5);
      const v1 = await doc(id);
      await update(id, "1", { DICOMUpdates: { updatableAttributes: bytes({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "TWO" } } }) } });
      await settled(id);
      await update(id, "2", { DICOMUpdates: { updatableAttributes: bytes({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "THREE" } } }) } });
      await settled(id);
      await expectError(update(id, "3", { revertToVersionId: "9" }), "ValidationException", 400, /revertToVersionId 9/);
      await expectError(update(id, "3", { revertToVersionId: "3" }), "ValidationException", 400, /already the latest/);
      const out = await update(id, "3", { revertToVersionId: "1" });
      assert.equal(out.latestVersionId, "4");
      assert.equal((await settled(id)).imageSetWorkflowStatus, "UPDATED");
      assert.deepEqual(await doc(id), v1);
      assert.deepEqual(
        (await versions(id)).map((v) => v.versionId),
        ["4", "3", "2", "1"],
      );
      assert.equal((await doc(id, "3")).Study.DICOM.StudyDescription, "THREE");
    });

    it("rejects both union members, neither, malformed documents and bad parameters synchronously (400) without a new version", async () => {
      const id = s.imageSetOfSeries(SERIES.cr1);
      const good = bytes({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "X" } } });
      await expectError(
        update(id, "1", { DICOMUpdates: { updatableAttributes: good }, revertToVersionId: "1" } as unknown as MetadataUpdates),
        "ValidationException",
        400,
        /exactly one of DICOMUpdates or revertToVersionId/,
      );
      await expectError(update(id, "1", { DICOMUpdates: {} }), "ValidationException", 400, /updatableAttributes or removableAttributes/);
      await expectError(update(id, "1", {} as MetadataUpdates), "ValidationException", 400, /exactly one/);
      await expectError(
        update(id, "1", { DICOMUpdates: { updatableAttributes: new TextEncoder().encode("{not json") } }),
        "ValidationException",
        400,
        /updatableAttributes is not valid JSON/,
      );
      await expectError(
        update(id, "1", { DICOMUpdates: { updatableAttributes: bytes({ Study: { DICOM: { StudyDescription: "X" } } }) } }),
        "ValidationException",
        400,
        /SchemaVersion/,
      );
      await expectError(
        update(id, "1", { DICOMUpdates: { updatableAttributes: bytes({ SchemaVersion: 1.1, Studies: {} }) } }),
        "ValidationException",
        400,
        /unexpected top-level key Studies/,
      );
      await expectError(
        update(id, "1", {
          DICOMUpdates: { updatableAttributes: bytes({ SchemaVersion: 1.1, Study: { Series: { "1.2.3": { DICOM: { SeriesDescription: "X" } } } } }) },
        }),
        "ValidationException",
        400,
        /series 1\.2\.3 is not in the image set/,
      );
      await expectError(update(id, "one", { DICOMUpdates: { updatableAttributes: good } }), "ValidationException", 400, /latestVersionId/);
      await expectError(update(id, "1", { revertToVersionId: "v1" }), "ValidationException", 400, /revertToVersionId/);
      await expectError(
        update(id, "1", { DICOMUpdates: { updatableAttributes: new Uint8Array(30001).fill(32) } }),
        "ValidationException",
        400,
        /between 1 and 30000/,
      );
      await expectError(update(id, "2", { DICOMUpdates: { updatableAttributes: good } }), "ConflictException", 409, /latest is 1/);
      await expectError(update(UNKNOWN_ID, "1", { DICOMUpdates: { updatableAttributes: good } }), "ResourceNotFoundException", 404);
      const out = await getSet(id);
      assert.deepEqual([out.versionId, out.imageSetState], ["1", "ACTIVE"]);
    });

    it("a payload over 10 KB is a 402 ServiceQuotaExceededException that changes nothing", async () => {
      const id = s.imageSetOfSeries(SERIES.cr1);
      const big = bytes({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "A".repeat(11_000) } } });
      assert.ok(big.length > 10 * 1024 && big.length <= 30000);
      await expectError(update(id, "1", { DICOMUpdates: { updatableAttributes: big } }), "ServiceQuotaExceededException", 402, /quota is 10240 bytes/);
      const split = {
        updatableAttributes: bytes({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "A".repeat(6000) } } }),
        removableAttributes: bytes({ SchemaVersion: 1.1, Study: { DICOM: { StudyComments: "B".repeat(6000) } } }),
      };
      await expectError(update(id, "1", { DICOMUpdates: split }), "ServiceQuotaExceededException", 402, /quota/);
      assert.deepEqual(
        (await versions(id)).map((v) => v.versionId),
        ["1"],
      );
    });

    it("rule violations return 200 and end as an UPDATE_FAILED version with a message; the number is consumed", async () => {
      const id = await copyOf(SERIES.cr1);
      const before = await doc(id);
      const [seriesUid, uids] = Object.entries(instancesIn(before))[0];
      // a UID change needs force
      const out = await update(id, "1", {
        DICOMUpdates: {
          updatableAttributes: bytes({
            SchemaVersion: 1.1,
            Study: { Series: { [seriesUid]: { Instances: { [uids[0]]: { DICOM: { SOPInstanceUID: "1.2.826.0.1.3680043.2.1125.1" } } } } } },
          }),
        },
      });
      assert.equal(out.imageSetWorkflowStatus, "UPDATING");
      const failed = await settled(id);
      assert.deepEqual([failed.imageSetState, failed.imageSetWorkflowStatus, failed.versionId], ["ACTIVE", "UPDATE_FAILED", "2"]);
      assert.match(failed.message!, /^INVALID_REQUEST: {2}SOPInstanceUID can only be updated with force/);
      assert.equal((await versions(id))[0].message, failed.message);
      assert.deepEqual(await doc(id), before);
      // a Patient attribute placed at Study level
      await update(id, "2", { DICOMUpdates: { updatableAttributes: bytes({ SchemaVersion: 1.1, Study: { DICOM: { PatientName: "X" } } }) } });
      const wrongLevel = await settled(id);
      assert.equal(wrongLevel.imageSetWorkflowStatus, "UPDATE_FAILED");
      assert.match(wrongLevel.message!, /PatientName is a Patient level attribute/);
      // service-generated attributes are never updatable
      await update(id, "3", { DICOMUpdates: { updatableAttributes: bytes({ SchemaVersion: 1.1, Study: { DICOM: { ImageSetID: UNKNOWN_ID } } }) } }, true);
      assert.match((await settled(id)).message!, /ImageSetID is generated by the service/);
      assert.deepEqual(
        (await versions(id)).map((v) => [v.versionId, v.ImageSetWorkflowStatus]),
        [
          ["4", "UPDATE_FAILED"],
          ["3", "UPDATE_FAILED"],
          ["2", "UPDATE_FAILED"],
          ["1", "COPIED"],
        ],
      );
      assert.deepEqual(await doc(id), before);
    });

    it("on a primary image set, force cannot change UIDs (UPDATE_FAILED)", async () => {
      const id = s.imageSetOfSeries(SERIES.ct5);
      await update(
        id,
        "1",
        { DICOMUpdates: { updatableAttributes: bytes({ SchemaVersion: 1.1, Study: { DICOM: { StudyInstanceUID: "1.2.826.0.1.3680043.2.1125.9" } } }) } },
        true,
      );
      const done = await settled(id);
      assert.equal(done.imageSetWorkflowStatus, "UPDATE_FAILED");
      assert.match(done.message!, /StudyInstanceUID cannot be updated on a primary image set/);
      assert.deepEqual(done.overrides, { forced: true });
    });

    it("with force, UID changes on a non-primary set re-key the document and follow into search and primary checks", async () => {
      const id = await copyOf(SERIES.ctHead);
      const before = await doc(id);
      const [seriesUid, uids] = Object.entries(instancesIn(before))[0];
      const newSop = "1.2.826.0.1.3680043.2.1125.101";
      const newSeries = "1.2.826.0.1.3680043.2.1125.102";
      const newStudy = "1.2.826.0.1.3680043.2.1125.103";

      await update(
        id,
        "1",
        {
          DICOMUpdates: {
            updatableAttributes: bytes({
              SchemaVersion: 1.1,
              Study: { Series: { [seriesUid]: { Instances: { [uids[0]]: { DICOM: { SOPInstanceUID: newSop } } } } } },
            }),
          },
        },
        true,
      );
      const v2 = await settled(id);
      assert.deepEqual([v2.imageSetWorkflowStatus, v2.overrides], ["UPDATED", { forced: true }]);
      const d2 = await doc(id);
      assert.deepEqual(
        Object.keys(d2.Study.Series[seriesUid].Instances).sort(),
        [...uids.slice(1), newSop].sort(),
        "the instance is keyed by its new SOPInstanceUID",
      );
      assert.equal(d2.Study.Series[seriesUid].Instances[newSop].DICOM.SOPInstanceUID, newSop);

      await update(
        id,
        "2",
        {
          DICOMUpdates: { updatableAttributes: bytes({ SchemaVersion: 1.1, Study: { Series: { [seriesUid]: { DICOM: { SeriesInstanceUID: newSeries } } } } }) },
        },
        true,
      );
      assert.equal((await settled(id)).imageSetWorkflowStatus, "UPDATED");
      const d3 = await doc(id);
      assert.deepEqual(Object.keys(d3.Study.Series), [newSeries], "the series is keyed by its new SeriesInstanceUID");
      assert.equal(d3.Study.Series[newSeries].DICOM.SeriesInstanceUID, newSeries);
      const bySeries = await client.send(
        new SearchImageSetsCommand({ datastoreId: ds, searchCriteria: { filters: [{ operator: "EQUAL", values: [{ DICOMSeriesInstanceUID: newSeries }] }] } }),
      );
      assert.deepEqual(
        bySeries.imageSetsMetadataSummaries!.map((x) => x.imageSetId),
        [id],
      );

      await update(id, "3", { DICOMUpdates: { updatableAttributes: bytes({ SchemaVersion: 1.1, Study: { DICOM: { StudyInstanceUID: newStudy } } }) } }, true);
      assert.equal((await settled(id)).imageSetWorkflowStatus, "UPDATED");
      const byStudy = await client.send(
        new SearchImageSetsCommand({ datastoreId: ds, searchCriteria: { filters: [{ operator: "EQUAL", values: [{ DICOMStudyInstanceUID: newStudy }] }] } }),
      );
      assert.deepEqual(
        byStudy.imageSetsMetadataSummaries!.map((x) => x.imageSetId),
        [id],
      );
      // its series now has no primary image set, so promoting it is allowed although the CT head series has one
      const promoted = await client.send(
        new CopyImageSetCommand({
          datastoreId: ds,
          sourceImageSetId: id,
          promoteToPrimary: true,
          copyImageSetInformation: { sourceImageSet: { latestVersionId: "4" } },
        }),
      );
      const p = await settled(promoted.destinationImageSetProperties!.imageSetId!);
      assert.equal(p.isPrimary, true);
      assert.equal((await doc(p.imageSetId!)).Study.DICOM.StudyInstanceUID, newStudy);
      await settled(id);
    });

    it("a UID change that collides with an existing instance or series fails (UPDATE_FAILED)", async () => {
      const id = await mraStudyCopy();
      const before = await doc(id);
      const series = instancesIn(before);
      const [a, b] = Object.keys(series);
      await update(
        id,
        "3",
        { DICOMUpdates: { updatableAttributes: bytes({ SchemaVersion: 1.1, Study: { Series: { [a]: { DICOM: { SeriesInstanceUID: b } } } } }) } },
        true,
      );
      const one = await settled(id);
      assert.equal(one.imageSetWorkflowStatus, "UPDATE_FAILED");
      assert.match(one.message!, /already/);
      const big = Object.keys(series).find((k) => series[k].length > 1)!;
      await update(
        id,
        "4",
        {
          DICOMUpdates: {
            updatableAttributes: bytes({
              SchemaVersion: 1.1,
              Study: { Series: { [big]: { Instances: { [series[big][0]]: { DICOM: { SOPInstanceUID: series[big][1] } } } } } },
            }),
          },
        },
        true,
      );
      const two = await settled(id);
      assert.equal(two.imageSetWorkflowStatus, "UPDATE_FAILED");
      assert.match(two.message!, /already/);
      assert.deepEqual(await doc(id), before);
    });
  });

  describe("DeleteImageSet", () => {
    it("LOCKED/DELETING at once, DELETED/DELETED with deletedAt later; a second delete is 409; the set is gone from reads and search", async () => {
      const id = await copyOf(SERIES.ctHead);
      const arn = `arn:aws:medical-imaging:us-east-1:000000000000:datastore/${ds}/imageset/${id}`;
      const out = await client.send(new DeleteImageSetCommand({ datastoreId: ds, imageSetId: id }));
      assert.deepEqual([out.datastoreId, out.imageSetId, out.imageSetState, out.imageSetWorkflowStatus], [ds, id, "LOCKED", "DELETING"]);
      const during = await getSet(id);
      assert.deepEqual([during.imageSetState, during.imageSetWorkflowStatus], ["LOCKED", "DELETING"]);
      await expectError(client.send(new DeleteImageSetCommand({ datastoreId: ds, imageSetId: id })), "ConflictException", 409, /DELETING/);

      const done = await settled(id);
      assert.deepEqual([done.imageSetState, done.imageSetWorkflowStatus], ["DELETED", "DELETED"]);
      assert.ok(done.deletedAt instanceof Date && done.deletedAt >= done.createdAt!);
      assert.equal(done.isPrimary, false);
      await expectError(client.send(new DeleteImageSetCommand({ datastoreId: ds, imageSetId: id })), "ConflictException", 409, /DELETED/);
      const v = await versions(id);
      assert.ok(v.every((x) => x.imageSetState === "DELETED" && x.deletedAt instanceof Date));
      await expectError(client.send(new GetImageSetMetadataCommand({ datastoreId: ds, imageSetId: id })), "ResourceNotFoundException", 404);
      await expectError(
        update(id, "1", { DICOMUpdates: { updatableAttributes: bytes({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "X" } } }) } }),
        "ResourceNotFoundException",
        404,
      );
      await expectError(
        client.send(new CopyImageSetCommand({ datastoreId: ds, sourceImageSetId: id, copyImageSetInformation: { sourceImageSet: { latestVersionId: "1" } } })),
        "ResourceNotFoundException",
        404,
      );
      await expectError(client.send(new ListTagsForResourceCommand({ resourceArn: arn })), "ResourceNotFoundException", 404);
      const all = (await client.send(new SearchImageSetsCommand({ datastoreId: ds }))).imageSetsMetadataSummaries!;
      assert.ok(!all.some((x) => x.imageSetId === id));
      await expectError(client.send(new DeleteImageSetCommand({ datastoreId: ds, imageSetId: UNKNOWN_ID })), "ResourceNotFoundException", 404);
    });

    it("the data store can be deleted only once every image set is deleted", async () => {
      const live = async () =>
        (await client.send(new SearchImageSetsCommand({ datastoreId: ds, maxResults: 50 }))).imageSetsMetadataSummaries!.map((x) => x.imageSetId!);
      const ids = await live();
      assert.ok(ids.length > 1);
      for (const id of ids) await settled(id);
      const [last, ...rest] = ids;
      await Promise.all(rest.map((id) => client.send(new DeleteImageSetCommand({ datastoreId: ds, imageSetId: id }))));
      await expectError(client.send(new DeleteDatastoreCommand({ datastoreId: ds })), "ConflictException", 409, /still has image sets/);
      await Promise.all(rest.map(settled));
      await client.send(new DeleteImageSetCommand({ datastoreId: ds, imageSetId: last }));
      await expectError(client.send(new DeleteDatastoreCommand({ datastoreId: ds })), "ConflictException", 409);
      await settled(last);
      assert.deepEqual(await live(), []);
      const out = await client.send(new DeleteDatastoreCommand({ datastoreId: ds }));
      assert.equal(out.datastoreStatus, "DELETING");
      await eventually(async () => {
        try {
          await client.send(new GetDatastoreCommand({ datastoreId: ds }));
          return undefined;
        } catch (e) {
          return (e as Error).name === "ResourceNotFoundException" ? true : undefined;
        }
      });
    });
  });
});
