// Every kind of write the local service takes is saved: after copies (new and merge), a Study
// update that its primary siblings follow, a revert, a delete, tags, a read's touch and the
// asynchronous completions, the state a restart would load (snapshot + journal,
// emulator/model/store.ts) equals the state being served. A write whose commit forgot a record
// it changed fails here.

import {
  CopyImageSetCommand,
  CreateDatastoreCommand,
  DeleteImageSetCommand,
  GetImageSetCommand,
  GetImageSetMetadataCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateImageSetMetadataCommand,
} from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import { readStoredState } from "../../emulator/model/store";
import { eventually, sdkClient, withIncludeStudyImageSets } from "../support/emulator";
import { type Seeded, SERIES, startSeeded } from "../support/seeded";

describe("emulator journal: the stored state is the served state after every kind of write", function () {
  this.timeout(60_000);
  let s: Seeded;
  const served = () => JSON.parse(JSON.stringify(s.emu.service.state));
  const stored = () => readStoredState(s.emu.dataDir);
  const settled = (imageSetId: string) =>
    eventually(async () => {
      const out = await s.client.send(new GetImageSetCommand({ datastoreId: s.datastoreId, imageSetId }));
      return out.imageSetState !== "LOCKED" ? out : undefined;
    });
  const copy = async (source: string, destination?: { imageSetId: string; latestVersionId: string }) => {
    const latestVersionId = (await settled(source)).versionId!;
    const out = await s.client.send(
      new CopyImageSetCommand({
        datastoreId: s.datastoreId,
        sourceImageSetId: source,
        force: destination !== undefined,
        copyImageSetInformation: { sourceImageSet: { latestVersionId }, destinationImageSet: destination },
      }),
    );
    return out.destinationImageSetProperties!.imageSetId!;
  };

  before(async () => {
    s = await startSeeded({ timings: { updateMs: 50, deleteMs: 50, copyMsBase: 30 } });
  });
  after(async () => s?.stop());

  it("after imports, copies, updates, a revert, a delete, tags, a touch and their completions", async () => {
    assert.deepEqual(stored(), served(), "after the seed's import");
    const mra = s.imageSetOfSeries(SERIES.mra700);
    const a = await copy(mra);
    assert.deepEqual(stored(), served(), "a copy in flight: source and destination LOCKED, pending work");
    await settled(a);
    const b = await copy(s.imageSetOfSeries(SERIES.mra2), { imageSetId: a, latestVersionId: "1" });
    assert.equal(b, a);
    await settled(a);
    assert.deepEqual(stored(), served(), "a merge completed");
    // a Study attribute on a primary set: the study's other primary sets follow (UPDATING_FOR_STUDY_CONSISTENCY)
    await withIncludeStudyImageSets(sdkClient(s.emu)).send(
      new UpdateImageSetMetadataCommand({
        datastoreId: s.datastoreId,
        imageSetId: mra,
        latestVersionId: (await settled(mra)).versionId!,
        updateImageSetMetadataUpdates: {
          DICOMUpdates: {
            updatableAttributes: new TextEncoder().encode(JSON.stringify({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "JOURNAL" } } })),
          },
        },
      }),
    );
    const followers = Object.values(s.emu.service.state.imageSets).filter((x) => x.workflowStatus === "UPDATING_FOR_STUDY_CONSISTENCY");
    assert.ok(followers.length > 0, "the study's other primary sets follow the update");
    assert.deepEqual(stored(), served(), "an update and its followers in flight");
    await settled(mra);
    for (const f of followers) await settled(f.imageSetId);
    await s.client.send(
      new UpdateImageSetMetadataCommand({
        datastoreId: s.datastoreId,
        imageSetId: a,
        latestVersionId: "2",
        updateImageSetMetadataUpdates: { revertToVersionId: "1" },
      }),
    );
    await settled(a);
    const arn = s.emu.service.state.imageSets[a].imageSetArn;
    await s.client.send(new TagResourceCommand({ resourceArn: arn, tags: { owner: "journal", other: "x" } }));
    await s.client.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ["other"] }));
    const c = await copy(s.imageSetOfSeries(SERIES.ctHead));
    await settled(c);
    await s.client.send(new DeleteImageSetCommand({ datastoreId: s.datastoreId, imageSetId: c }));
    await eventually(async () => (s.emu.service.state.imageSets[c].state === "DELETED" ? true : undefined));
    await s.client.send(new CreateDatastoreCommand({ datastoreName: "journal", clientToken: "journal-test" }));
    assert.deepEqual(stored(), served(), "after writes of every kind");
    // a read's touch is saved with the next commit, not on its own
    const touched = s.imageSetOfSeries(SERIES.ctHead);
    await s.client.send(new GetImageSetMetadataCommand({ datastoreId: s.datastoreId, imageSetId: touched }));
    await s.client.send(new TagResourceCommand({ resourceArn: arn, tags: { next: "commit" } }));
    assert.equal(stored().imageSets[touched].lastAccessedAt, s.emu.service.state.imageSets[touched].lastAccessedAt, "the touch went out with the next commit");
    assert.deepEqual(stored(), served(), "in the end");
  });
});
