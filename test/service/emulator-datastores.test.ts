// Conformance of the local service's data store and import-job operations, driven over HTTP by
// the real @aws-sdk/client-medical-imaging: create/get/list/delete, idempotent clientToken,
// pagination and status filters, validation errors that name the member, 404s and 409s, the
// data store quota, and the import job records and output the seed run left behind.

import {
  CreateDatastoreCommand,
  DeleteDatastoreCommand,
  GetDatastoreCommand,
  GetDICOMImportJobCommand,
  ListDatastoresCommand,
  type ListDatastoresCommandInput,
  ListDICOMImportJobsCommand,
  type MedicalImagingClient,
  StartDICOMImportJobCommand,
} from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROFILES } from "../../emulator/limits";
import { SEED_ROLE_ARN } from "../../emulator/seed";
import { eventually, sdkClient, startTestEmulator } from "../support/emulator";
import { SAMPLE_BUCKET, type Seeded, startSeeded } from "../support/seeded";
import { expectError, UNKNOWN_ID } from "../support/serviceErrors";

describe("emulator conformance: data stores and import jobs", function () {
  this.timeout(20_000);
  let s: Seeded;
  let client: MedicalImagingClient;

  before(async () => {
    // data stores take 150 ms to become ACTIVE / DELETED so that CREATING and DELETING are observable;
    // this file creates more than the default quota of 10 (the quota has its own test below)
    s = await startSeeded({ profile: { ...PROFILES.fast, quotas: { ...PROFILES.fast.quotas, maxDatastores: 100 } }, timings: { datastoreMs: 150 } });
    client = s.client;
  });
  after(async () => s?.stop());

  async function createActive(name: string): Promise<string> {
    const { datastoreId } = await client.send(new CreateDatastoreCommand({ datastoreName: name }));
    await eventually(async () =>
      (await client.send(new GetDatastoreCommand({ datastoreId }))).datastoreProperties?.datastoreStatus === "ACTIVE" ? true : undefined,
    );
    return datastoreId!;
  }

  async function listAll(input: ListDatastoresCommandInput = {}): Promise<string[]> {
    const ids: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new ListDatastoresCommand({ ...input, nextToken }));
      ids.push(...(page.datastoreSummaries ?? []).map((d) => d.datastoreId!));
      nextToken = page.nextToken;
    } while (nextToken);
    return ids;
  }

  describe("CreateDatastore / GetDatastore", () => {
    it("creates a data store that is CREATING at first and ACTIVE shortly after, with the documented properties", async () => {
      const before = Date.now();
      const created = await client.send(
        new CreateDatastoreCommand({ datastoreName: "conformance-a", losslessStorageFormat: "JPEG_2000_LOSSLESS", tags: { team: "imaging" } }),
      );
      assert.match(created.datastoreId!, /^[0-9a-z]{32}$/);
      assert.equal(created.datastoreStatus, "CREATING");
      const creating = await client.send(new GetDatastoreCommand({ datastoreId: created.datastoreId }));
      assert.equal(creating.datastoreProperties?.datastoreStatus, "CREATING");

      const props = await eventually(async () => {
        const p = (await client.send(new GetDatastoreCommand({ datastoreId: created.datastoreId }))).datastoreProperties;
        return p?.datastoreStatus === "ACTIVE" ? p : undefined;
      });
      assert.equal(props.datastoreId, created.datastoreId);
      assert.equal(props.datastoreName, "conformance-a");
      assert.equal(props.losslessStorageFormat, "JPEG_2000_LOSSLESS");
      assert.equal(props.datastoreArn, `arn:aws:medical-imaging:us-east-1:000000000000:datastore/${created.datastoreId}`);
      // timestamps travel as epoch seconds and the SDK turns them into Dates
      assert.ok(props.createdAt instanceof Date);
      assert.ok(props.createdAt.getTime() >= before - 1000 && props.createdAt.getTime() <= Date.now() + 1000);
      assert.ok(props.updatedAt! >= props.createdAt);
    });

    it("defaults losslessStorageFormat to HTJ2K, as GetDatastore shows on AWS", async () => {
      const id = await createActive("conformance-default-format");
      const { datastoreProperties } = await client.send(new GetDatastoreCommand({ datastoreId: id }));
      assert.equal(datastoreProperties?.losslessStorageFormat, "HTJ2K");
    });

    it("is idempotent per clientToken: the same token returns the same data store and creates nothing", async () => {
      const token = `conformance-token-${Date.now()}`;
      const first = await client.send(new CreateDatastoreCommand({ datastoreName: "idempotent", clientToken: token }));
      const countBefore = (await listAll()).length;
      const second = await client.send(new CreateDatastoreCommand({ datastoreName: "idempotent", clientToken: token }));
      assert.equal(second.datastoreId, first.datastoreId);
      assert.equal((await listAll()).length, countBefore);
      const other = await client.send(new CreateDatastoreCommand({ datastoreName: "idempotent" }));
      assert.notEqual(other.datastoreId, first.datastoreId, "the SDK fills a fresh clientToken per call");
    });

    it("rejects invalid members with a ValidationException that names the member", async () => {
      await expectError(
        client.send(new CreateDatastoreCommand({ datastoreName: "x".repeat(257) })),
        "ValidationException",
        400,
        /datastoreName.*length between 1 and 256/,
      );
      await expectError(client.send(new CreateDatastoreCommand({ datastoreName: "not allowed!" })), "ValidationException", 400, /datastoreName.*pattern/);
      await expectError(
        client.send(new CreateDatastoreCommand({ clientToken: "t".repeat(65) })),
        "ValidationException",
        400,
        /clientToken.*length between 1 and 64/,
      );
      await expectError(client.send(new CreateDatastoreCommand({ clientToken: "has space" })), "ValidationException", 400, /clientToken/);
      await expectError(
        client.send(new CreateDatastoreCommand({ losslessStorageFormat: "PNG" as never })),
        "ValidationException",
        400,
        /losslessStorageFormat.*enum/,
      );
      await expectError(client.send(new CreateDatastoreCommand({ kmsKeyArn: "k".repeat(513) })), "ValidationException", 400, /kmsKeyArn/);
      await expectError(
        client.send(new CreateDatastoreCommand({ lambdaAuthorizerArn: "arn:aws:iam::123456789012:role/x" })),
        "ValidationException",
        400,
        /lambdaAuthorizerArn/,
      );
      await expectError(client.send(new CreateDatastoreCommand({ tags: { "aws:reserved": "x" } })), "ValidationException", 400, /tags/);
    });

    it("validates the data store id in the path and answers 404 for unknown ids", async () => {
      await expectError(client.send(new GetDatastoreCommand({ datastoreId: "ABCDEF" })), "ValidationException", 400, /'datastoreId'.*pattern/);
      await expectError(client.send(new GetDatastoreCommand({ datastoreId: `${UNKNOWN_ID}0` })), "ValidationException", 400, /datastoreId/);
      await expectError(client.send(new GetDatastoreCommand({ datastoreId: UNKNOWN_ID })), "ResourceNotFoundException", 404, new RegExp(UNKNOWN_ID));
      await expectError(client.send(new DeleteDatastoreCommand({ datastoreId: UNKNOWN_ID })), "ResourceNotFoundException", 404);
    });
  });

  describe("ListDatastores", () => {
    it("pages with maxResults + nextToken and returns every data store exactly once", async () => {
      await createActive("page-1");
      await createActive("page-2");
      const all = await listAll();
      assert.ok(all.length >= 3, `expected at least 3 data stores, got ${all.length}`);
      assert.equal(new Set(all).size, all.length);
      const pages: string[][] = [];
      let nextToken: string | undefined;
      do {
        const page = await client.send(new ListDatastoresCommand({ maxResults: 2, nextToken }));
        pages.push(page.datastoreSummaries!.map((d) => d.datastoreId!));
        nextToken = page.nextToken;
      } while (nextToken);
      assert.ok(pages.every((p) => p.length <= 2));
      assert.equal(pages.length, Math.ceil(all.length / 2));
      assert.deepEqual(pages.flat(), all);
      const summary = (await client.send(new ListDatastoresCommand({}))).datastoreSummaries!.find((d) => d.datastoreId === s.datastoreId)!;
      assert.equal(summary.datastoreStatus, "ACTIVE");
      assert.match(summary.datastoreArn!, new RegExp(`:datastore/${s.datastoreId}$`));
    });

    it("filters by datastoreStatus", async () => {
      const { datastoreId: creating } = await client.send(new CreateDatastoreCommand({ datastoreName: "filtered" }));
      assert.ok((await listAll({ datastoreStatus: "CREATING" })).includes(creating!));
      assert.ok(!(await listAll({ datastoreStatus: "ACTIVE" })).includes(creating!));
      const active = await listAll({ datastoreStatus: "ACTIVE" });
      assert.ok(active.includes(s.datastoreId));
      for (const id of active) {
        assert.equal((await client.send(new GetDatastoreCommand({ datastoreId: id }))).datastoreProperties?.datastoreStatus, "ACTIVE");
      }
    });

    it("rejects bad maxResults, nextToken and status values", async () => {
      await expectError(client.send(new ListDatastoresCommand({ maxResults: 0 })), "ValidationException", 400, /maxResults/);
      await expectError(client.send(new ListDatastoresCommand({ maxResults: 51 })), "ValidationException", 400, /maxResults/);
      await expectError(client.send(new ListDatastoresCommand({ nextToken: "not-a-token-of-this-listing" })), "ValidationException", 400, /nextToken/);
      await expectError(client.send(new ListDatastoresCommand({ datastoreStatus: "READY" as never })), "ValidationException", 400, /datastoreStatus/);
      // a token is bound to its listing: one from the ACTIVE listing is not valid for another filter
      await createActive("token-scope");
      const page = await client.send(new ListDatastoresCommand({ maxResults: 1, datastoreStatus: "ACTIVE" }));
      assert.ok(page.nextToken);
      await expectError(
        client.send(new ListDatastoresCommand({ maxResults: 1, datastoreStatus: "DELETED", nextToken: page.nextToken })),
        "ValidationException",
        400,
        /nextToken/,
      );
    });
  });

  describe("DeleteDatastore", () => {
    it("refuses to delete a data store that still has image sets (409) and changes nothing", async () => {
      await expectError(client.send(new DeleteDatastoreCommand({ datastoreId: s.datastoreId })), "ConflictException", 409, /image sets/);
      assert.equal((await client.send(new GetDatastoreCommand({ datastoreId: s.datastoreId }))).datastoreProperties?.datastoreStatus, "ACTIVE");
    });

    it("refuses to delete a data store that is still CREATING (409)", async () => {
      const { datastoreId } = await client.send(new CreateDatastoreCommand({ datastoreName: "young" }));
      await expectError(client.send(new DeleteDatastoreCommand({ datastoreId })), "ConflictException", 409, /CREATING/);
    });

    it("deletes an empty data store: DELETING, then DELETED (gone from Get, listed only under DELETED)", async () => {
      const id = await createActive("to-delete");
      const out = await client.send(new DeleteDatastoreCommand({ datastoreId: id }));
      assert.equal(out.datastoreId, id);
      assert.equal(out.datastoreStatus, "DELETING");
      assert.ok((await listAll({ datastoreStatus: "DELETING" })).includes(id));
      await expectError(client.send(new DeleteDatastoreCommand({ datastoreId: id })), "ConflictException", 409, /DELETING/);
      await eventually(async () => ((await listAll({ datastoreStatus: "DELETED" })).includes(id) ? true : undefined));
      await expectError(client.send(new GetDatastoreCommand({ datastoreId: id })), "ResourceNotFoundException", 404);
      assert.ok(!(await listAll()).includes(id), "the default listing leaves deleted data stores out");
      await expectError(client.send(new DeleteDatastoreCommand({ datastoreId: id })), "ResourceNotFoundException", 404);
    });
  });

  describe("quota", () => {
    it("answers ServiceQuotaExceededException (402) past the data store quota; an idempotent retry still works", async () => {
      const emu = await startTestEmulator({ profile: { ...PROFILES.fast, quotas: { ...PROFILES.fast.quotas, maxDatastores: 2 } } });
      try {
        const c = sdkClient(emu);
        const first = await c.send(new CreateDatastoreCommand({ clientToken: "first" }));
        await c.send(new CreateDatastoreCommand({ clientToken: "second" }));
        await expectError(c.send(new CreateDatastoreCommand({ clientToken: "third" })), "ServiceQuotaExceededException", 402, /quota is 2/);
        assert.equal((await c.send(new ListDatastoresCommand({}))).datastoreSummaries!.length, 2);
        assert.equal((await c.send(new CreateDatastoreCommand({ clientToken: "first" }))).datastoreId, first.datastoreId);
      } finally {
        await emu.stop();
      }
    });
  });

  describe("import jobs", () => {
    it("GetDICOMImportJob shows the completed seed job with the job-specific output prefix", async () => {
      const { jobProperties: job } = await client.send(new GetDICOMImportJobCommand({ datastoreId: s.datastoreId, jobId: s.seed.jobId }));
      assert.equal(job?.jobStatus, "COMPLETED");
      assert.equal(job?.jobName, "seed");
      assert.equal(job?.datastoreId, s.datastoreId);
      assert.equal(job?.dataAccessRoleArn, SEED_ROLE_ARN);
      assert.equal(job?.inputS3Uri, `s3://${SAMPLE_BUCKET}/dicomdirtests/`);
      assert.equal(job?.outputS3Uri, `s3://output/seed/${s.datastoreId}-DicomImport-${s.seed.jobId}/`);
      assert.ok(job?.submittedAt instanceof Date && job.endedAt instanceof Date && job.endedAt >= job.submittedAt);

      // the job output manifest is where the real service writes it (under the S3 root)
      const manifestFile = path.join(
        s.emu.service.options.s3Root!,
        "output",
        "seed",
        `${s.datastoreId}-DicomImport-${s.seed.jobId}`,
        "job-output-manifest.json",
      );
      const { jobSummary } = JSON.parse(fs.readFileSync(manifestFile, "utf8"));
      assert.equal(jobSummary.jobId, s.seed.jobId);
      assert.equal(jobSummary.numberOfGeneratedImageSets, s.seed.imageSets.length);
      assert.deepEqual(jobSummary.imageSetsSummary.map((x: { imageSetId: string }) => x.imageSetId).sort(), s.seed.imageSets.map((x) => x.imageSetId).sort());
    });

    it("ListDICOMImportJobs filters by jobStatus and validates it", async () => {
      const completed = await client.send(new ListDICOMImportJobsCommand({ datastoreId: s.datastoreId, jobStatus: "COMPLETED" }));
      assert.deepEqual(
        completed.jobSummaries!.map((j) => j.jobId),
        [s.seed.jobId],
      );
      assert.equal(completed.jobSummaries![0].jobStatus, "COMPLETED");
      const failed = await client.send(new ListDICOMImportJobsCommand({ datastoreId: s.datastoreId, jobStatus: "FAILED" }));
      assert.deepEqual(failed.jobSummaries, []);
      await expectError(
        client.send(new ListDICOMImportJobsCommand({ datastoreId: s.datastoreId, jobStatus: "DONE" as never })),
        "ValidationException",
        400,
        /jobStatus/,
      );
      await expectError(client.send(new ListDICOMImportJobsCommand({ datastoreId: UNKNOWN_ID })), "ResourceNotFoundException", 404);
    });

    it("StartDICOMImportJob validates its members, needs an ACTIVE data store, and is idempotent per clientToken", async () => {
      const base = { datastoreId: s.datastoreId, dataAccessRoleArn: SEED_ROLE_ARN, inputS3Uri: "s3://samples/nothing-here/", outputS3Uri: "s3://output/x/" };
      await expectError(
        client.send(new StartDICOMImportJobCommand({ ...base, dataAccessRoleArn: "arn:aws:iam::1:role/x" })),
        "ValidationException",
        400,
        /dataAccessRoleArn/,
      );
      await expectError(client.send(new StartDICOMImportJobCommand({ ...base, inputS3Uri: "https://bucket/x" })), "ValidationException", 400, /inputS3Uri/);
      await expectError(client.send(new StartDICOMImportJobCommand({ ...base, outputS3Uri: "s3://B/x" })), "ValidationException", 400, /outputS3Uri/);
      await expectError(client.send(new StartDICOMImportJobCommand({ ...base, jobName: "j".repeat(65) })), "ValidationException", 400, /jobName/);
      await expectError(client.send(new StartDICOMImportJobCommand({ ...base, datastoreId: UNKNOWN_ID })), "ResourceNotFoundException", 404);
      const { datastoreId: creating } = await client.send(new CreateDatastoreCommand({ datastoreName: "not-yet" }));
      await expectError(client.send(new StartDICOMImportJobCommand({ ...base, datastoreId: creating })), "ConflictException", 409, /ACTIVE/);

      const first = await client.send(new StartDICOMImportJobCommand({ ...base, clientToken: "import-once" }));
      assert.equal(first.datastoreId, s.datastoreId);
      assert.equal(first.jobStatus, "SUBMITTED");
      assert.ok(first.submittedAt instanceof Date);
      const again = await client.send(new StartDICOMImportJobCommand({ ...base, clientToken: "import-once" }));
      assert.equal(again.jobId, first.jobId);
      // the input prefix does not exist: the job itself fails (not the call), with a message
      const job = await eventually(async () => {
        const p = (await client.send(new GetDICOMImportJobCommand({ datastoreId: s.datastoreId, jobId: first.jobId }))).jobProperties;
        return p?.jobStatus === "FAILED" ? p : undefined;
      });
      assert.match(job.message!, /nothing-here/);
      const failed = await client.send(new ListDICOMImportJobsCommand({ datastoreId: s.datastoreId, jobStatus: "FAILED" }));
      assert.deepEqual(
        failed.jobSummaries!.map((j) => j.jobId),
        [first.jobId],
      );
    });

    it("GetDICOMImportJob answers 404 for an unknown job and 400 for a malformed job id", async () => {
      await expectError(client.send(new GetDICOMImportJobCommand({ datastoreId: s.datastoreId, jobId: "abc123" })), "ResourceNotFoundException", 404);
      await expectError(client.send(new GetDICOMImportJobCommand({ datastoreId: s.datastoreId, jobId: "NOT_A_JOB" })), "ValidationException", 400, /jobId/);
    });
  });
});
