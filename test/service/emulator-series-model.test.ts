// The local service's data model as HealthImaging documents it today, driven over HTTP by the real
// @aws-sdk/client-medical-imaging: an import makes one primary image set per DICOM series
// (https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-image-sets.html), an
// instance imported again overwrites its copy and increments the set's version, conflicting data
// goes to a non-primary set (https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-import-jobs.html),
// and UpdateImageSetMetadata with includeStudyImageSets reaches every primary image set of the study.
// Patient-level values are never written here: the edited copies get a generated Patient ID / name.

import {
  CopyImageSetCommand,
  CreateDatastoreCommand,
  GetDatastoreCommand,
  GetDICOMImportJobCommand,
  GetImageSetCommand,
  type ImageSetsMetadataSummary,
  type MedicalImagingClient,
  SearchImageSetsCommand,
  StartDICOMImportJobCommand,
  UpdateImageSetMetadataCommand,
} from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import dcmjs from "dcmjs";
import { listFilesRecursively } from "../../emulator/dicom/importFolder";
import { parseDicomFile } from "../../emulator/dicom/parse";
import { SEED_ROLE_ARN } from "../../emulator/seed";
import { eventually, sdkClient, withIncludeStudyImageSets } from "../support/emulator";
import { dicomdirTests } from "../support/sampleData";
import { instancesIn, metadataOf, SAMPLE_BUCKET, type Seeded, SERIES, startSeeded, STUDIES } from "../support/seeded";
import { expectError, jsonBytes } from "../support/serviceErrors";

const { DicomMessage } = dcmjs.data;

interface JobSummary {
  numberOfGeneratedImageSets: number;
  imageSetsSummary: { imageSetId: string; imageSetVersion: number; isPrimary: boolean; numberOfMatchedSOPInstances: number }[];
}

/** series UID -> { study, SOP instance UIDs } read from the sample files themselves. */
function seriesInFiles(dir: string): Map<string, { study: string; instances: Set<string> }> {
  const out = new Map<string, { study: string; instances: Set<string> }>();
  for (const file of listFilesRecursively(dir)) {
    let parsed: ReturnType<typeof parseDicomFile>;
    try {
      parsed = parseDicomFile(fs.readFileSync(file));
    } catch {
      continue; // DICOMDIRs and READMEs
    }
    const entry = out.get(parsed.seriesInstanceUID) ?? { study: parsed.studyInstanceUID, instances: new Set<string>() };
    entry.instances.add(parsed.sopInstanceUID);
    out.set(parsed.seriesInstanceUID, entry);
  }
  return out;
}

describe("emulator data model: one primary image set per series", function () {
  this.timeout(60_000);
  let s: Seeded;
  let client: MedicalImagingClient;
  let ds: string;
  const files = seriesInFiles(dicomdirTests());
  const s3Root = () => s.emu.service.options.s3Root!;

  async function allImageSets(datastoreId = ds): Promise<ImageSetsMetadataSummary[]> {
    const out: ImageSetsMetadataSummary[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new SearchImageSetsCommand({ datastoreId, nextToken }));
      out.push(...page.imageSetsMetadataSummaries!);
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
  }

  /** Runs an import job to its end and returns the job output manifest's summary and success lines. */
  async function importJob(inputS3Uri: string, datastoreId = ds): Promise<{ summary: JobSummary; success: JobSummary["imageSetsSummary"] }> {
    const { jobId } = await client.send(
      new StartDICOMImportJobCommand({ datastoreId, dataAccessRoleArn: SEED_ROLE_ARN, inputS3Uri, outputS3Uri: `s3://output/${crypto.randomUUID()}/` }),
    );
    const job = await eventually(async () => {
      const { jobProperties } = await client.send(new GetDICOMImportJobCommand({ datastoreId, jobId }));
      return jobProperties?.jobStatus === "COMPLETED" || jobProperties?.jobStatus === "FAILED" ? jobProperties : undefined;
    });
    assert.equal(job.jobStatus, "COMPLETED");
    const dir = path.join(s3Root(), job.outputS3Uri!.replace(/^s3:\/\//, ""));
    const { jobSummary } = JSON.parse(fs.readFileSync(path.join(dir, "job-output-manifest.json"), "utf8")) as { jobSummary: JobSummary };
    const success = fs
      .readFileSync(path.join(dir, "SUCCESS", "success.ndjson"), "utf8")
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
    return { summary: jobSummary, success };
  }

  /** An S3 prefix under the test's S3 root holding the given files. */
  function s3Folder(name: string, content: Record<string, Buffer>): string {
    const dir = path.join(s3Root(), SAMPLE_BUCKET, name);
    fs.mkdirSync(dir, { recursive: true });
    for (const [file, bytes] of Object.entries(content)) fs.writeFileSync(path.join(dir, file), bytes);
    return `s3://${SAMPLE_BUCKET}/${name}/`;
  }

  const settled = (imageSetId: string) =>
    eventually(async () => {
      const out = await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId }));
      return out.imageSetState === "ACTIVE" ? out : undefined;
    });

  before(async () => {
    s = await startSeeded();
    client = s.client;
    ds = s.datastoreId;
  });
  after(() => s?.stop());

  it("imports dicomdirtests (2 patients, 6 studies, 13 series, plus TINY_ALPHA) as one primary image set per series", async () => {
    const real = [...files.values()].filter((f) => !f.study.startsWith("1.2.826.0.1.3680043.8.498."));
    assert.equal(real.length, 13);
    assert.equal(new Set(real.map((f) => f.study)).size, 6);
    assert.equal(files.size, 14, "13 real series and TINY_ALPHA's one");

    const sets = await allImageSets();
    assert.equal(sets.length, files.size);
    assert.ok(sets.every((x) => x.isPrimary === true && x.version === 1));
    const bySeries = new Map<string, string>();
    for (const set of sets) {
      const doc = await metadataOf(client, ds, set.imageSetId!);
      const series = instancesIn(doc);
      assert.equal(Object.keys(series).length, 1, `image set ${set.imageSetId} holds one series`);
      const [uid, sops] = Object.entries(series)[0];
      assert.ok(!bySeries.has(uid), `series ${uid} has one primary image set`);
      bySeries.set(uid, set.imageSetId!);
      assert.deepEqual(sops, [...files.get(uid)!.instances].sort());
      assert.equal(doc.Study.DICOM.StudyInstanceUID, files.get(uid)!.study);
    }
    assert.deepEqual([...bySeries.keys()].sort(), [...files.keys()].sort());
    assert.equal(s.imageSetsOfStudy(STUDIES.brainMra).length, 3, "a study of 3 series is 3 image sets");
  });

  it("puts the instances of one series imported over two jobs into one primary image set", async () => {
    const datastoreId = (await client.send(new CreateDatastoreCommand({ datastoreName: "two-jobs" }))).datastoreId!;
    await eventually(async () =>
      (await client.send(new GetDatastoreCommand({ datastoreId }))).datastoreProperties?.datastoreStatus === "ACTIVE" ? true : undefined,
    );
    const folder = path.join(dicomdirTests(), "98892003", "MR700");
    const names = fs.readdirSync(folder).sort();
    assert.equal(names.length, files.get(SERIES.mra700)!.instances.size);
    const half = (part: string[]) => Object.fromEntries(part.map((n) => [n, fs.readFileSync(path.join(folder, n))]));
    const first = await importJob(s3Folder("mr700-a", half(names.slice(0, 3))), datastoreId);
    const second = await importJob(s3Folder("mr700-b", half(names.slice(3))), datastoreId);

    const sets = await allImageSets(datastoreId);
    assert.equal(sets.length, 1);
    const [only] = sets;
    assert.equal(only.isPrimary, true);
    assert.equal(only.version, 2, "the second job added a version");
    assert.deepEqual(
      first.summary.imageSetsSummary.map((x) => [x.imageSetId, x.imageSetVersion, x.isPrimary, x.numberOfMatchedSOPInstances]),
      [[only.imageSetId, 1, true, 3]],
    );
    assert.deepEqual(
      second.summary.imageSetsSummary.map((x) => [x.imageSetId, x.imageSetVersion, x.isPrimary, x.numberOfMatchedSOPInstances]),
      [[only.imageSetId, 2, true, names.length - 3]],
    );
    const doc = await metadataOf(client, datastoreId, only.imageSetId!);
    assert.deepEqual(instancesIn(doc), { [SERIES.mra700]: [...files.get(SERIES.mra700)!.instances].sort() });
  });

  it("overwrites instances imported again and increments every version, creating no image set", async () => {
    const before = new Map((await allImageSets()).map((x) => [x.imageSetId, x]));
    const headBefore = await metadataOf(client, ds, s.imageSetOfSeries(SERIES.ctHead));
    const { summary, success } = await importJob(`s3://${SAMPLE_BUCKET}/dicomdirtests/`);

    const after = await allImageSets();
    assert.deepEqual(after.map((x) => x.imageSetId).sort(), [...before.keys()].sort(), "no new image set");
    for (const set of after) {
      assert.equal(set.isPrimary, true);
      assert.equal(set.version, before.get(set.imageSetId)!.version! + 1, `image set ${set.imageSetId} got a new version`);
    }
    assert.equal(summary.imageSetsSummary.length, before.size);
    assert.ok(summary.imageSetsSummary.every((x) => x.isPrimary && x.imageSetVersion === before.get(x.imageSetId)!.version! + 1));
    assert.deepEqual(success, summary.imageSetsSummary);

    // the same instances, no duplicates, but the newer copy: its frames are the ones just imported
    const headAfter = await metadataOf(client, ds, s.imageSetOfSeries(SERIES.ctHead));
    assert.deepEqual(instancesIn(headAfter), instancesIn(headBefore));
    const frameIds = (d: typeof headAfter) =>
      Object.values(d.Study.Series).flatMap((x) => Object.values(x.Instances).flatMap((i) => i.ImageFrames.map((f) => f.ID)));
    assert.equal(frameIds(headAfter).length, frameIds(headBefore).length);
    assert.ok(
      frameIds(headAfter).every((id) => !frameIds(headBefore).includes(id)),
      "every instance was overwritten",
    );
  });

  it("an import into a primary image set that is locked (being copied) waits, then adds its version", async () => {
    const primary = s.imageSetOfSeries(SERIES.cr2);
    const timings = s.emu.service.profile.timings;
    const copyMsBase = timings.copyMsBase;
    timings.copyMsBase = 800;
    let copied: string;
    try {
      const latestVersionId = (await settled(primary)).versionId!;
      copied = (
        await client.send(
          new CopyImageSetCommand({ datastoreId: ds, sourceImageSetId: primary, copyImageSetInformation: { sourceImageSet: { latestVersionId } } }),
        )
      ).destinationImageSetProperties!.imageSetId!;
    } finally {
      timings.copyMsBase = copyMsBase;
    }
    assert.equal((await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: primary }))).imageSetState, "LOCKED");
    const before = (await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: primary }))).versionId!;
    const file = path.join(dicomdirTests(), "77654033", "CR2");
    const [name] = fs.readdirSync(file);
    const { summary } = await importJob(s3Folder("locked", { [name]: fs.readFileSync(path.join(file, name)) }));
    assert.deepEqual(
      summary.imageSetsSummary.map((x) => [x.imageSetId, x.imageSetVersion, x.isPrimary]),
      [[primary, Number(before) + 1, true]],
    );
    const after = await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: primary }));
    assert.deepEqual([after.imageSetState, after.versionId, after.imageSetWorkflowStatus], ["ACTIVE", String(Number(before) + 1), "IMPORTED"]);
    assert.equal((await settled(copied)).imageSetWorkflowStatus, "COPIED", "the copy finished first");
  });

  it("sends a copy of an instance with another Patient ID to a new non-primary image set (isPrimary false in the job output)", async () => {
    const source = path.join(dicomdirTests(), "77654033", "CT2", "17106"); // an instance of SERIES.ctHead
    assert.equal(parseDicomFile(fs.readFileSync(source)).seriesInstanceUID, SERIES.ctHead);
    const bytes = fs.readFileSync(source);
    const message = DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    message.dict["00100020"] = { vr: "LO", Value: [`GEN${crypto.randomInt(1e6)}`] };
    const conflicting = Buffer.from(message.write({ allowInvalidVRLength: true }));

    const primaryId = s.imageSetOfSeries(SERIES.ctHead);
    const primaryBefore = await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: primaryId }));
    const before = new Set((await allImageSets()).map((x) => x.imageSetId));
    const { summary, success } = await importJob(s3Folder("conflict", { "17106": conflicting }));

    const created = (await allImageSets()).filter((x) => !before.has(x.imageSetId));
    assert.equal(created.length, 1);
    assert.equal(created[0].isPrimary, false);
    assert.deepEqual(summary.imageSetsSummary, [{ imageSetId: created[0].imageSetId, imageSetVersion: 1, isPrimary: false, numberOfMatchedSOPInstances: 1 }]);
    assert.deepEqual(
      success.map((x) => [x.imageSetId, x.isPrimary]),
      [[created[0].imageSetId, false]],
    );
    assert.equal((await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: created[0].imageSetId }))).isPrimary, false);
    const doc = await metadataOf(client, ds, created[0].imageSetId!);
    assert.deepEqual(Object.keys(doc.Study.Series), [SERIES.ctHead]);
    const primaryAfter = await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: primaryId }));
    assert.equal(primaryAfter.versionId, primaryBefore.versionId, "the primary set is untouched");
  });

  it("an instance differing outside the grouping elements (PatientName) overwrites its copy in the primary set; the set keeps its values", async () => {
    const source = path.join(dicomdirTests(), "77654033", "CT2", "17136"); // another instance of SERIES.ctHead
    const bytes = fs.readFileSync(source);
    const message = DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
    message.dict["00100010"] = { vr: "PN", Value: [{ Alphabetic: `Generated^${crypto.randomInt(1e6)}` }] };
    const primaryId = s.imageSetOfSeries(SERIES.ctHead);
    const before = await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: primaryId }));
    const docBefore = await metadataOf(client, ds, primaryId);
    const { summary } = await importJob(s3Folder("renamed", { "17136": Buffer.from(message.write({ allowInvalidVRLength: true })) }));
    assert.deepEqual(
      summary.imageSetsSummary.map((x) => [x.imageSetId, x.imageSetVersion, x.isPrimary]),
      [[primaryId, Number(before.versionId) + 1, true]],
    );
    const docAfter = await metadataOf(client, ds, primaryId);
    assert.deepEqual(instancesIn(docAfter), instancesIn(docBefore));
    assert.deepEqual(docAfter.Patient, docBefore.Patient);
  });

  it("propagates a study-level update with includeStudyImageSets to every primary image set of the study", async () => {
    const study = s.imageSetsOfStudy(STUDIES.brainMra);
    const other = s.imageSetOfSeries(SERIES.ctHead);
    // a non-primary copy in the study: the flag updates the study's primary image sets only
    const copied = (
      await client.send(
        new CopyImageSetCommand({
          datastoreId: ds,
          sourceImageSetId: study[1],
          copyImageSetInformation: { sourceImageSet: { latestVersionId: (await settled(study[1])).versionId! } },
        }),
      )
    ).destinationImageSetProperties!.imageSetId!;
    await settled(copied);
    await settled(study[1]);
    const versionOf = async (id: string) => (await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: id }))).versionId!;
    const before = new Map(await Promise.all([...study, other].map(async (id) => [id, await versionOf(id)] as const)));
    const [target, ...siblings] = study;
    const slow = s.emu.service.profile.timings;
    const updateMs = slow.updateMs;
    slow.updateMs = 1500; // long enough to watch the siblings follow
    try {
      const flagged = withIncludeStudyImageSets(sdkClient(s.emu));
      const out = await flagged.send(
        new UpdateImageSetMetadataCommand({
          datastoreId: ds,
          imageSetId: target,
          latestVersionId: before.get(target)!,
          updateImageSetMetadataUpdates: {
            DICOMUpdates: { updatableAttributes: jsonBytes({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "SERIES MODEL" } } }) },
          },
        }),
      );
      assert.equal(out.imageSetWorkflowStatus, "UPDATING");
      for (const id of siblings) {
        const now = await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: id }));
        assert.equal(now.imageSetState, "LOCKED");
        assert.equal(now.imageSetWorkflowStatus, "UPDATING_FOR_STUDY_CONSISTENCY");
        assert.equal(now.versionId, String(Number(before.get(id)) + 1));
      }
      // a study's image set that is following cannot be written meanwhile
      await expectError(
        client.send(
          new UpdateImageSetMetadataCommand({
            datastoreId: ds,
            imageSetId: siblings[0],
            latestVersionId: String(Number(before.get(siblings[0])) + 1),
            updateImageSetMetadataUpdates: {
              DICOMUpdates: { updatableAttributes: jsonBytes({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "X" } } }) },
            },
          }),
        ),
        "ConflictException",
        409,
      );
    } finally {
      slow.updateMs = updateMs;
    }
    for (const id of study) {
      const done = await settled(id);
      assert.equal(done.versionId, String(Number(before.get(id)) + 1), `image set ${id} got one new version`);
      assert.equal(done.imageSetWorkflowStatus, "UPDATED");
      assert.equal((await metadataOf(client, ds, id)).Study.DICOM.StudyDescription, "SERIES MODEL");
    }
    assert.equal(await versionOf(other), before.get(other), "another study's image set is untouched");
    assert.notEqual((await metadataOf(client, ds, other)).Study.DICOM.StudyDescription, "SERIES MODEL");
    assert.equal(await versionOf(copied), "1", "a non-primary image set of the study is not updated");
    assert.notEqual((await metadataOf(client, ds, copied)).Study.DICOM.StudyDescription, "SERIES MODEL");
  });

  it("includeStudyImageSets is atomic (a change refused for primary sets changes none) and not supported with a revert", async () => {
    const [target, ...siblings] = s.imageSetsOfStudy(STUDIES.crSpine);
    const versionOf = async (id: string) => (await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: id }))).versionId!;
    const before = await Promise.all(siblings.map(versionOf));
    const flagged = withIncludeStudyImageSets(sdkClient(s.emu));
    const latest = await versionOf(target);
    // Patient-level elements of a primary image set cannot be updated: UPDATE_FAILED, nothing follows
    await flagged.send(
      new UpdateImageSetMetadataCommand({
        datastoreId: ds,
        imageSetId: target,
        latestVersionId: latest,
        updateImageSetMetadataUpdates: {
          DICOMUpdates: {
            updatableAttributes: jsonBytes({ SchemaVersion: 1.1, Patient: { DICOM: { PatientSex: "O" } }, Study: { DICOM: { StudyDescription: "ATOMIC" } } }),
          },
        },
      }),
    );
    const failed = await settled(target);
    assert.equal(failed.imageSetWorkflowStatus, "UPDATE_FAILED");
    assert.match(failed.message!, /Patient level attributes cannot be updated on a primary image set/);
    assert.deepEqual(await Promise.all(siblings.map(versionOf)), before);
    for (const id of [target, ...siblings]) assert.notEqual((await metadataOf(client, ds, id)).Study.DICOM.StudyDescription, "ATOMIC");
    await expectError(
      flagged.send(
        new UpdateImageSetMetadataCommand({
          datastoreId: ds,
          imageSetId: target,
          latestVersionId: failed.versionId!,
          updateImageSetMetadataUpdates: { revertToVersionId: latest },
        }),
      ),
      "ValidationException",
      400,
      /includeStudyImageSets is not supported with revertToVersionId/,
    );
  });

  it("updates only the requested image set without includeStudyImageSets", async () => {
    const [target, sibling] = s.imageSetsOfStudy(STUDIES.ctTwoSeries);
    const versionOf = async (id: string) => (await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: id }))).versionId!;
    const siblingVersion = await versionOf(sibling);
    await client.send(
      new UpdateImageSetMetadataCommand({
        datastoreId: ds,
        imageSetId: target,
        latestVersionId: await versionOf(target),
        updateImageSetMetadataUpdates: {
          DICOMUpdates: { updatableAttributes: jsonBytes({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "ONE SET" } } }) },
        },
      }),
    );
    await settled(target);
    assert.equal((await metadataOf(client, ds, target)).Study.DICOM.StudyDescription, "ONE SET");
    assert.equal(await versionOf(sibling), siblingVersion);
    assert.notEqual((await metadataOf(client, ds, sibling)).Study.DICOM.StudyDescription, "ONE SET");
  });
});
