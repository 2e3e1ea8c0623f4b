// The AWS CLI against the local service: AWS's documented `aws medical-imaging` examples
// (copy-image-set without and with destination, subset copy with --force, get-image-set,
// list-image-set-versions, update-image-set-metadata (also with --include-study-image-sets, which
// botocore models and the JS SDK 3.958.0 does not), search-image-sets, get-image-set-metadata,
// get-image-frame, delete-image-set) replayed with --endpoint-url, and start-dicom-import-job with
// the model's newest member (--import-configuration). The CLI is AWS CLI v1 from
// PyPI (`awscli`), installed by scripts/install-aws-cli.sh into a cache virtualenv; it is a second,
// independent client (botocore) of the same wire protocol as the JS SDK.

import { CopyImageSetCommand, GetImageSetCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as zlib from "node:zlib";
import { SEED_ROLE_ARN } from "../../emulator/seed";
import { awsCli, type AwsCliResult, awsCliVersion, installAwsCli } from "../support/awsCli";
import { eventually } from "../support/emulator";
import { instancesIn, metadataOf, type Seeded, SERIES, STUDIES, startSeeded } from "../support/seeded";

describe("emulator conformance: AWS CLI examples", function () {
  this.timeout(30_000);
  let aws: string;
  let s: Seeded;
  let ds: string;
  let work: string;
  let mra: string;
  let big: string;
  let bigUids: string[];

  const cli = (...args: string[]) => awsCli(aws, s.emu, ["medical-imaging", ...args], { cwd: work });
  /** A successful CLI call's JSON output. */
  async function ok(...args: string[]) {
    const out = await cli(...args);
    assert.equal(out.code, 0, `aws ${args.join(" ")} failed (${out.code}): ${out.stderr}`);
    return out.json;
  }
  const settled = (imageSetId: string) =>
    eventually(async () => {
      const out = await s.client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId }));
      return out.imageSetState !== "LOCKED" ? out : undefined;
    });
  /** a destination holding some instances of the MRA's big series, made with the SDK */
  async function subsetCopy(uids: string[]): Promise<string> {
    const copiableAttributes = JSON.stringify({
      SchemaVersion: "1.1",
      Study: { Series: { [big]: { Instances: Object.fromEntries(uids.map((u) => [u, {}])) } } },
    });
    const out = await s.client.send(
      new CopyImageSetCommand({
        datastoreId: ds,
        sourceImageSetId: mra,
        copyImageSetInformation: { sourceImageSet: { latestVersionId: "1", DICOMCopies: { copiableAttributes } } },
      }),
    );
    const id = out.destinationImageSetProperties!.imageSetId!;
    await settled(id);
    await settled(mra);
    return id;
  }

  before(async function () {
    this.timeout(600_000); // the first run creates the virtualenv and pip-installs awscli
    aws = installAwsCli();
    s = await startSeeded();
    ds = s.datastoreId;
    mra = s.imageSetOfSeries(SERIES.mra700);
    const series = instancesIn(await metadataOf(s.client, ds, mra));
    big = Object.keys(series).find((k) => series[k].length === 7)!;
    bigUids = series[big];
    work = fs.mkdtempSync(path.join(os.tmpdir(), "healthimaging-awscli-"));
  });
  after(async () => {
    await s?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("the installed CLI is v1 with the medical-imaging commands, and reads the local data store", async () => {
    assert.match(awsCliVersion(aws), /^aws-cli\/1\.\d+\.\d+ /);
    const got = await ok("get-datastore", "--datastore-id", ds);
    assert.equal(got.datastoreProperties.datastoreId, ds);
    assert.equal(got.datastoreProperties.datastoreStatus, "ACTIVE");
    const list = await ok("list-datastores");
    assert.ok(list.datastoreSummaries.some((d: { datastoreId: string }) => d.datastoreId === ds));
  });

  it("copy-image-set Example 1: copy without a destination, then get-image-set and list-image-set-versions", async () => {
    const source = s.imageSetOfSeries(SERIES.ctHead);
    const out = await ok(
      "copy-image-set",
      "--datastore-id",
      ds,
      "--source-image-set-id",
      source,
      "--copy-image-set-information",
      '{"sourceImageSet": {"latestVersionId": "1" } }',
    );
    assert.equal(out.datastoreId, ds);
    assert.deepEqual(
      [
        out.sourceImageSetProperties.imageSetId,
        out.sourceImageSetProperties.latestVersionId,
        out.sourceImageSetProperties.imageSetState,
        out.sourceImageSetProperties.imageSetWorkflowStatus,
      ],
      [source, "1", "LOCKED", "COPYING_WITH_READ_ONLY_ACCESS"],
    );
    const dest = out.destinationImageSetProperties;
    assert.deepEqual([dest.latestVersionId, dest.imageSetState, dest.imageSetWorkflowStatus], ["1", "LOCKED", "COPYING"]);
    assert.equal(typeof dest.createdAt, "number", "timestamps are epoch seconds on the wire");
    await settled(dest.imageSetId);
    await settled(source);

    const got = await ok("get-image-set", "--datastore-id", ds, "--image-set-id", dest.imageSetId, "--version-id", "1");
    assert.deepEqual([got.versionId, got.imageSetState, got.imageSetWorkflowStatus, got.isPrimary], ["1", "ACTIVE", "COPIED", false]);
    const versions = await ok("list-image-set-versions", "--datastore-id", ds, "--image-set-id", dest.imageSetId);
    assert.equal(versions.imageSetPropertiesList.length, 1);
    assert.equal(versions.imageSetPropertiesList[0].ImageSetWorkflowStatus, "COPIED");
  });

  it("copy-image-set Example 2: copy into an existing destination (consistent, no force) -> destination version 2", async () => {
    const dest = await subsetCopy(bigUids.slice(0, 1));
    const source = await subsetCopy(bigUids.slice(1, 3));
    const info = JSON.stringify({ sourceImageSet: { latestVersionId: "1" }, destinationImageSet: { imageSetId: dest, latestVersionId: "1" } });
    const out = await ok("copy-image-set", "--datastore-id", ds, "--source-image-set-id", source, "--copy-image-set-information", info);
    assert.deepEqual(
      [
        out.destinationImageSetProperties.imageSetId,
        out.destinationImageSetProperties.latestVersionId,
        out.destinationImageSetProperties.imageSetWorkflowStatus,
      ],
      [dest, "2", "COPYING"],
    );
    assert.equal((await settled(dest)).imageSetWorkflowStatus, "COPIED");
    await settled(source);
    assert.deepEqual(instancesIn(await metadataOf(s.client, ds, dest)), { [big]: bigUids.slice(0, 3) });
    const versions = await ok("list-image-set-versions", "--datastore-id", ds, "--image-set-id", dest);
    assert.deepEqual(
      versions.imageSetPropertiesList.map((v: { versionId: string; ImageSetWorkflowStatus: string }) => [v.versionId, v.ImageSetWorkflowStatus]),
      [
        ["2", "COPIED"],
        ["1", "COPIED"],
      ],
    );
  });

  it("copy-image-set Example 3: a subset into another study's image set with --force (copiableAttributes as a JSON string)", async () => {
    const dest = (
      await s.client.send(
        new CopyImageSetCommand({
          datastoreId: ds,
          sourceImageSetId: s.imageSetOfSeries(SERIES.ct5),
          copyImageSetInformation: { sourceImageSet: { latestVersionId: "1" } },
        }),
      )
    ).destinationImageSetProperties!.imageSetId!;
    await settled(dest);
    await settled(s.imageSetOfSeries(SERIES.ct5));
    const before = await metadataOf(s.client, ds, dest);
    const copiable = `{"SchemaVersion":"1.1","Study":{"Series":{"${big}":{"Instances":{"${bigUids[3]}":{}}}}}}`;
    const info = `{"sourceImageSet": {"latestVersionId": "1", "DICOMCopies": {"copiableAttributes": ${JSON.stringify(copiable)}}},"destinationImageSet": {"imageSetId": "${dest}","latestVersionId": "1"}}`;
    const out = await ok("copy-image-set", "--datastore-id", ds, "--source-image-set-id", mra, "--copy-image-set-information", info, "--force");
    assert.equal(out.destinationImageSetProperties.latestVersionId, "2");
    const done = await settled(dest);
    assert.deepEqual([done.imageSetWorkflowStatus, done.overrides], ["COPIED", { forced: true }]);
    await settled(mra);
    const after = await metadataOf(s.client, ds, dest);
    assert.deepEqual(after.Patient, before.Patient);
    assert.deepEqual(after.Study.DICOM, before.Study.DICOM);
    assert.deepEqual(instancesIn(after), { ...instancesIn(before), [big]: [bigUids[3]] });
    const got = await ok("get-image-set", "--datastore-id", ds, "--image-set-id", dest);
    assert.deepEqual(got.overrides, { forced: true });

    // without --force the same request is accepted and ends as a COPY_FAILED version
    await ok(
      "copy-image-set",
      "--datastore-id",
      ds,
      "--source-image-set-id",
      mra,
      "--copy-image-set-information",
      info.replace('"latestVersionId": "1"}}', '"latestVersionId": "2"}}').replace(bigUids[3], bigUids[4]),
    );
    const failed = await settled(dest);
    assert.equal(failed.imageSetWorkflowStatus, "COPY_FAILED");
    await settled(mra);
    const versions = await ok("list-image-set-versions", "--datastore-id", ds, "--image-set-id", dest);
    assert.equal(versions.imageSetPropertiesList[0].ImageSetWorkflowStatus, "COPY_FAILED");
    assert.match(versions.imageSetPropertiesList[0].message, /^INVALID_REQUEST: {2}/);
  });

  it("update-image-set-metadata Example 1 (file:// input); v1 base64s raw blob text itself and has no --cli-binary-format", async () => {
    const id = await subsetCopy(bigUids.slice(4, 5));
    fs.writeFileSync(
      path.join(work, "metadata-updates.json"),
      JSON.stringify({ DICOMUpdates: { updatableAttributes: '{"SchemaVersion":1.1,"Patient":{"DICOM":{"PatientName":"MX^MX"}}}' } }),
    );
    const common = [
      "update-image-set-metadata",
      "--datastore-id",
      ds,
      "--image-set-id",
      id,
      "--latest-version-id",
      "1",
      "--update-image-set-metadata-updates",
      "file://metadata-updates.json",
    ];
    let out: AwsCliResult;
    if (/^aws-cli\/1\./.test(awsCliVersion(aws))) {
      // the docs' `--cli-binary-format raw-in-base64-out` is a CLI v2 option; v1 rejects it and
      // already does what it asks for (raw text in, base64 on the wire)
      const v2Flag = await cli(...common, "--cli-binary-format", "raw-in-base64-out");
      assert.notEqual(v2Flag.code, 0);
      assert.match(v2Flag.stderr, /Unknown options: --cli-binary-format/);
      out = await cli(...common);
    } else {
      out = await cli(...common, "--cli-binary-format", "raw-in-base64-out");
    }
    assert.equal(out.code, 0, out.stderr);
    assert.deepEqual([out.json.latestVersionId, out.json.imageSetState, out.json.imageSetWorkflowStatus], ["2", "LOCKED", "UPDATING"]);
    assert.equal((await settled(id)).imageSetWorkflowStatus, "UPDATED");
    assert.equal((await metadataOf(s.client, ds, id)).Patient.DICOM.PatientName, "MX^MX");

    // Example 4: revert to version 1
    const revert = await ok(
      "update-image-set-metadata",
      "--datastore-id",
      ds,
      "--image-set-id",
      id,
      "--latest-version-id",
      "2",
      "--update-image-set-metadata-updates",
      '{"revertToVersionId": "1"}',
    );
    assert.equal(revert.latestVersionId, "3");
    await settled(id);
    assert.deepEqual(await metadataOf(s.client, ds, id), await metadataOf(s.client, ds, id, "1"));
  });

  it("update-image-set-metadata --include-study-image-sets: every primary image set of the study follows (UPDATING_FOR_STUDY_CONSISTENCY, then UPDATED)", async () => {
    // the C-spine study: three series, so three primary image sets
    const study = [SERIES.cr1, SERIES.cr2, SERIES.cr3].map((uid) => s.imageSetOfSeries(uid));
    const [target, ...others] = study;
    const timings = s.emu.service.profile.timings;
    const updateMs = timings.updateMs;
    timings.updateMs = 4000; // long enough to see the study's other image sets follow through the CLI
    try {
      const updates = JSON.stringify({ DICOMUpdates: { updatableAttributes: '{"SchemaVersion":1.1,"Study":{"DICOM":{"StudyDescription":"C SPINE"}}}' } });
      const out = await ok(
        "update-image-set-metadata",
        "--datastore-id",
        ds,
        "--image-set-id",
        target,
        "--latest-version-id",
        "1",
        "--include-study-image-sets",
        "--update-image-set-metadata-updates",
        updates,
      );
      assert.deepEqual([out.latestVersionId, out.imageSetState, out.imageSetWorkflowStatus], ["2", "LOCKED", "UPDATING"]);
      const following = await ok("get-image-set", "--datastore-id", ds, "--image-set-id", others[0]);
      assert.deepEqual([following.versionId, following.imageSetState, following.imageSetWorkflowStatus], ["2", "LOCKED", "UPDATING_FOR_STUDY_CONSISTENCY"]);
    } finally {
      timings.updateMs = updateMs;
    }
    for (const id of study) {
      const done = await eventually(
        async () => {
          const got = await s.client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: id }));
          return got.imageSetState === "ACTIVE" ? got : undefined;
        },
        10_000,
        50,
      );
      assert.deepEqual([done.versionId, done.imageSetWorkflowStatus, done.isPrimary], ["2", "UPDATED", true]);
      assert.equal((await metadataOf(s.client, ds, id)).Study.DICOM.StudyDescription, "C SPINE");
    }
    const versions = await ok("list-image-set-versions", "--datastore-id", ds, "--image-set-id", others[1]);
    assert.deepEqual(
      versions.imageSetPropertiesList.map((v: { versionId: string; ImageSetWorkflowStatus: string }) => [v.versionId, v.ImageSetWorkflowStatus]),
      [
        ["2", "UPDATED"],
        ["1", "IMPORTED"],
      ],
    );
  });

  it("search-image-sets examples: EQUAL DICOMPatientId, BETWEEN DICOMStudyDateAndTime, BETWEEN updatedAt + EQUAL series with sort", async () => {
    const doc = await metadataOf(s.client, ds, mra);
    const patientId = String(doc.Patient.DICOM.PatientID).trim();
    fs.writeFileSync(path.join(work, "search-criteria.json"), JSON.stringify({ filters: [{ values: [{ DICOMPatientId: patientId }], operator: "EQUAL" }] }));
    const byPatient = await ok("search-image-sets", "--datastore-id", ds, "--search-criteria", "file://search-criteria.json");
    assert.ok(byPatient.imageSetsMetadataSummaries.length > 0);
    assert.ok(byPatient.imageSetsMetadataSummaries.every((x: { DICOMTags: { DICOMPatientId: string } }) => x.DICOMTags.DICOMPatientId === patientId));
    assert.ok(byPatient.imageSetsMetadataSummaries.some((x: { imageSetId: string; version: number }) => x.imageSetId === mra && x.version === 1));

    const date = String(doc.Study.DICOM.StudyDate).trim();
    const range = {
      filters: [
        {
          values: [
            { DICOMStudyDateAndTime: { DICOMStudyDate: date, DICOMStudyTime: "000000" } },
            { DICOMStudyDateAndTime: { DICOMStudyDate: date, DICOMStudyTime: "235959" } },
          ],
          operator: "BETWEEN",
        },
      ],
    };
    const byDate = await ok("search-image-sets", "--datastore-id", ds, "--search-criteria", JSON.stringify(range));
    assert.ok(byDate.imageSetsMetadataSummaries.some((x: { imageSetId: string }) => x.imageSetId === mra));
    assert.ok(byDate.imageSetsMetadataSummaries.every((x: { DICOMTags: { DICOMStudyDate: string } }) => x.DICOMTags.DICOMStudyDate === date));

    // botocore sends the ISO timestamps of the docs' example as epoch seconds
    const from = new Date(Date.now() - 3_600_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const criteria = {
      filters: [
        { values: [{ updatedAt: from }, { updatedAt: to }], operator: "BETWEEN" },
        { values: [{ DICOMSeriesInstanceUID: big }], operator: "EQUAL" },
      ],
      sort: { sortField: "updatedAt", sortOrder: "ASC" },
    };
    const bySeries = await ok("search-image-sets", "--datastore-id", ds, "--search-criteria", JSON.stringify(criteria));
    assert.deepEqual(bySeries.sort, { sortField: "updatedAt", sortOrder: "ASC" });
    const ids = bySeries.imageSetsMetadataSummaries.map((x: { imageSetId: string }) => x.imageSetId);
    assert.ok(ids.includes(mra) && ids.length > 1, "the MRA and the copies holding its series");
    const updated = bySeries.imageSetsMetadataSummaries.map((x: { updatedAt: number }) => x.updatedAt);
    assert.deepEqual(
      updated,
      [...updated].sort((a: number, b: number) => a - b),
    );
  });

  it("get-image-set-metadata and get-image-frame write the gzip document and the frame bytes to files", async () => {
    const head = s.imageSetOfSeries(SERIES.ctHead);
    const meta = await ok("get-image-set-metadata", "--datastore-id", ds, "--image-set-id", head, "studymetadata.json.gz");
    assert.equal(meta.contentType, "application/json");
    assert.equal(meta.contentEncoding, "gzip");
    const doc = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(work, "studymetadata.json.gz"))).toString("utf8"));
    assert.equal(doc.ImageSetID, head);
    const frame = Object.values(
      Object.values(doc.Study.Series as Record<string, { Instances: Record<string, { ImageFrames: { ID: string; FrameSizeInBytes: number }[] }> }>)[0]
        .Instances,
    )[0].ImageFrames[0];
    const got = await ok(
      "get-image-frame",
      "--datastore-id",
      ds,
      "--image-set-id",
      head,
      "--image-frame-information",
      `imageFrameId=${frame.ID}`,
      "imageframe.bin",
    );
    assert.equal(got.contentType, "application/octet-stream");
    const bytes = fs.readFileSync(path.join(work, "imageframe.bin"));
    assert.equal(bytes.length, frame.FrameSizeInBytes);
    assert.deepEqual(bytes, s.emu.service.store.readFrame(frame.ID));
  });

  it("start-dicom-import-job --import-configuration (newest model member): get-dicom-import-job returns it; a bad UID is refused naming the member", async () => {
    fs.mkdirSync(path.join(s.emu.service.options.s3Root!, "awscli", "empty"), { recursive: true });
    const importConfiguration = {
      dicomJsonMetadataImportConfiguration: { dicomMetadataMappings: [{ studyInstanceUID: STUDIES.ctHead, metadataFilePath: "metadata/ct.json" }] },
    };
    const start = (config: unknown, token: string) =>
      cli(
        "start-dicom-import-job",
        "--datastore-id",
        ds,
        "--data-access-role-arn",
        SEED_ROLE_ARN,
        "--client-token",
        token,
        "--input-s3-uri",
        "s3://awscli/empty/",
        "--output-s3-uri",
        "s3://awscli/out/",
        "--import-configuration",
        JSON.stringify(config),
      );
    const started = await start(importConfiguration, "awscli-import");
    assert.equal(started.code, 0, started.stderr);
    const job = await ok("get-dicom-import-job", "--datastore-id", ds, "--job-id", started.json.jobId);
    assert.deepEqual(job.jobProperties.importConfiguration, importConfiguration);
    // botocore checks required members and lengths client-side but not patterns: the service does
    const bad = { dicomJsonMetadataImportConfiguration: { dicomMetadataMappings: [{ studyInstanceUID: "1.2.x", metadataFilePath: "metadata/ct.json" }] } };
    const refused = await start(bad, "awscli-import-bad");
    assert.notEqual(refused.code, 0);
    assert.match(
      refused.stderr,
      /\(ValidationException\) when calling the StartDICOMImportJob operation.*'importConfiguration\.dicomJsonMetadataImportConfiguration\.dicomMetadataMappings\[0\]\.studyInstanceUID'/,
    );
  });

  it("delete-image-set: LOCKED/DELETING, then DELETED; service errors reach the CLI with their type", async () => {
    const id = await subsetCopy(bigUids.slice(6, 7));
    const out = await ok("delete-image-set", "--datastore-id", ds, "--image-set-id", id);
    assert.deepEqual([out.imageSetId, out.imageSetState, out.imageSetWorkflowStatus], [id, "LOCKED", "DELETING"]);
    assert.equal((await settled(id)).imageSetState, "DELETED");
    const again = await cli("delete-image-set", "--datastore-id", ds, "--image-set-id", id);
    assert.notEqual(again.code, 0);
    // botocore adds "(reached max retries: 0)" since the test environment allows one attempt only
    assert.match(
      again.stderr,
      /An error occurred \(ConflictException\) when calling the DeleteImageSet operation(?: \(reached max retries: \d+\))?: Image set [0-9a-z]{32} is already DELETED/,
    );
    const missing = await cli("get-image-set", "--datastore-id", ds, "--image-set-id", "0123456789abcdef0123456789abcdef");
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /\(ResourceNotFoundException\) when calling the GetImageSet operation/);
    const invalid = await cli("get-image-set", "--datastore-id", ds, "--image-set-id", "NOT-AN-ID");
    assert.match(invalid.stderr, /\(ValidationException\) when calling the GetImageSet operation(?: \(reached max retries: \d+\))?: .*imageSetId/);
  });
});
