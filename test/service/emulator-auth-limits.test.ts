// Conformance of the local service's front door, driven by the real
// @aws-sdk/client-medical-imaging (and plain fetch for unsigned or tampered requests):
// throttling (429), injected errors with their documented status codes, SigV4 rejections (403)
// that change nothing, the loopback-only default bind, and endpoint configuration through
// AWS_ENDPOINT_URL_MEDICAL_IMAGING (which still needs disableHostPrefix).

import {
  CopyImageSetCommand,
  DeleteImageSetCommand,
  GetDatastoreCommand,
  GetImageSetCommand,
  ListImageSetVersionsCommand,
  ListTagsForResourceCommand,
  MedicalImagingClient,
  SearchImageSetsCommand,
  StartDICOMImportJobCommand,
  TagResourceCommand,
  UpdateImageSetMetadataCommand,
} from "@aws-sdk/client-medical-imaging";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ERROR_STATUS, type ErrorName } from "../../emulator/errors";
import { PROFILES } from "../../emulator/limits";
import { SEED_ROLE_ARN } from "../../emulator/seed";
import { eventually, sdkClient } from "../support/emulator";
import { type Seeded, SERIES, startSeeded } from "../support/seeded";
import { expectError } from "../support/serviceErrors";

describe("emulator conformance: throttling, faults, authentication and endpoint", function () {
  this.timeout(20_000);
  let s: Seeded;
  let client: MedicalImagingClient;
  let ds: string;
  let head: string;
  let arn: string;

  const copy = (c: MedicalImagingClient, sourceImageSetId: string) =>
    c.send(new CopyImageSetCommand({ datastoreId: ds, sourceImageSetId, copyImageSetInformation: { sourceImageSet: { latestVersionId: "1" } } }));
  const imageSetCount = async () => (await client.send(new SearchImageSetsCommand({ datastoreId: ds }))).imageSetsMetadataSummaries!.length;
  const settled = (imageSetId: string) =>
    eventually(async () => {
      const out = await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId }));
      return out.imageSetState !== "LOCKED" ? out : undefined;
    });

  /** Everything a rejected write could have touched, to compare before/after. */
  async function snapshot() {
    return {
      count: await imageSetCount(),
      head: await client
        .send(new GetImageSetCommand({ datastoreId: ds, imageSetId: head }))
        .then((o) => [o.versionId, o.imageSetState, o.imageSetWorkflowStatus, o.updatedAt?.getTime()]),
      versions: (await client.send(new ListImageSetVersionsCommand({ datastoreId: ds, imageSetId: head }))).imageSetPropertiesList!.length,
      tags: (await client.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags,
    };
  }

  before(async () => {
    // the documented CopyImageSet limit (0.25 TPS, burst 1) on top of the fast profile
    s = await startSeeded({ rateLimits: { CopyImageSet: { rate: 0.25, burst: 1 } } });
    client = s.client;
    ds = s.datastoreId;
    head = s.imageSetOfSeries(SERIES.ctHead);
    arn = `arn:aws:medical-imaging:us-east-1:000000000000:datastore/${ds}/imageset/${head}`;
    await client.send(new TagResourceCommand({ resourceArn: arn, tags: { owner: "conformance" } }));
  });
  after(async () => s?.stop());

  describe("throttling", () => {
    it("a second immediate copy is a ThrottlingException (429) and changes nothing", async () => {
      const source = s.imageSetOfSeries(SERIES.cr1);
      const first = await copy(client, source);
      await settled(first.destinationImageSetProperties!.imageSetId!);
      await settled(source);
      const before = await imageSetCount();
      const throttledBefore = s.emu.limiter.throttled.CopyImageSet ?? 0;
      await expectError(copy(client, s.imageSetOfSeries(SERIES.ct5)), "ThrottlingException", 429, /Rate exceeded/);
      assert.equal(await imageSetCount(), before);
      assert.equal((await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: s.imageSetOfSeries(SERIES.ct5) }))).imageSetState, "ACTIVE");
      assert.equal(s.emu.limiter.throttled.CopyImageSet, throttledBefore + 1);
      // other operations have their own buckets (none in the fast profile)
      for (let i = 0; i < 20; i++) await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: head }));
    });

    it("the realistic profile follows the current table (Copy/Delete 0.25/1, Update 10/40, StartDICOMImportJob 40/80); at the older table's StartDICOMImportJob 0.25/1, invalid requests take no token, the first job starts, the next is a 429", async () => {
      const table = PROFILES.realistic.rateLimits;
      assert.deepEqual(
        [table.CopyImageSet, table.DeleteImageSet, table.UpdateImageSetMetadata, table.StartDICOMImportJob],
        [
          { rate: 0.25, burst: 1 },
          { rate: 0.25, burst: 1 },
          { rate: 10, burst: 40 },
          { rate: 40, burst: 80 },
        ],
      );
      s.emu.limiter.setLimits({ CopyImageSet: { rate: 0.25, burst: 1 }, StartDICOMImportJob: { rate: 0.25, burst: 1 } });
      try {
        fs.mkdirSync(path.join(s.emu.service.options.s3Root!, "limits", "empty"), { recursive: true });
        const start = (clientToken: string, jobName = "limits") =>
          client.send(
            new StartDICOMImportJobCommand({
              datastoreId: ds,
              dataAccessRoleArn: SEED_ROLE_ARN,
              clientToken,
              jobName,
              inputS3Uri: "s3://limits/empty/",
              outputS3Uri: "s3://limits/out/",
            }),
          );
        for (let i = 0; i < 3; i++) await expectError(start(`invalid-${i}`, "j".repeat(65)), "ValidationException", 400, /jobName/);
        assert.ok((await start("limits-1")).jobId);
        await expectError(start("limits-2"), "ThrottlingException", 429, /Rate exceeded/);
        assert.equal(s.emu.limiter.throttled.StartDICOMImportJob, 1);
      } finally {
        s.emu.limiter.setLimits({ CopyImageSet: { rate: 0.25, burst: 1 } });
      }
    });
  });

  describe("injected errors", () => {
    it("failNext answers each documented error with its status code and x-amzn-ErrorType, before touching state", async () => {
      const names = Object.keys(ERROR_STATUS) as ErrorName[];
      for (const name of names) {
        s.emu.service.faults.failNext("UpdateImageSetMetadata", 1, name, `Injected ${name} for the test`);
        const before = await snapshot();
        const e = await expectError(
          client.send(
            new UpdateImageSetMetadataCommand({
              datastoreId: ds,
              imageSetId: head,
              latestVersionId: "1",
              updateImageSetMetadataUpdates: {
                DICOMUpdates: { updatableAttributes: new TextEncoder().encode('{"SchemaVersion":1.1,"Study":{"DICOM":{"StudyDescription":"X"}}}') },
              },
            }),
          ),
          name,
          ERROR_STATUS[name],
          new RegExp(`Injected ${name} for the test`),
        );
        assert.equal(e.$metadata?.attempts, 1);
        assert.deepEqual(await snapshot(), before, `${name} changed state`);
      }
      assert.equal(ERROR_STATUS.ServiceQuotaExceededException, 402);
      assert.equal(ERROR_STATUS.InternalServerException, 500);
    });

    it("the SDK's standard retry absorbs one injected 500 or 429; the count is spent", async () => {
      const retrying = sdkClient(s.emu, { maxAttempts: 3 });
      s.emu.service.faults.failNext("GetImageSet", 1, "InternalServerException");
      const out = await retrying.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: head }));
      assert.equal(out.$metadata.attempts, 2);
      s.emu.service.faults.failNext("GetImageSet", 1, "ThrottlingException");
      assert.equal((await retrying.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: head }))).$metadata.attempts, 2);
      // a 402 is not retried
      s.emu.service.faults.failNext("GetImageSet", 1, "ServiceQuotaExceededException");
      const e = await expectError(retrying.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: head })), "ServiceQuotaExceededException", 402);
      assert.equal(e.$metadata?.attempts, 1);
      assert.equal((await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: head }))).imageSetState, "ACTIVE");
    });

    it("configure({ latencyMs }) delays every answer", async () => {
      s.emu.service.faults.configure({ latencyMs: 150 });
      try {
        const t = Date.now();
        await client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: head }));
        assert.ok(Date.now() - t >= 140, `answered after ${Date.now() - t} ms`);
      } finally {
        s.emu.service.faults.configure({ latencyMs: 0 });
      }
    });
  });

  describe("authentication (SigV4)", () => {
    const mutations = [
      (c: MedicalImagingClient) => copy(c, head),
      (c: MedicalImagingClient) => c.send(new DeleteImageSetCommand({ datastoreId: ds, imageSetId: head })),
      (c: MedicalImagingClient) => c.send(new TagResourceCommand({ resourceArn: arn, tags: { owner: "intruder" } })),
      (c: MedicalImagingClient) =>
        c.send(
          new UpdateImageSetMetadataCommand({
            datastoreId: ds,
            imageSetId: head,
            latestVersionId: "1",
            updateImageSetMetadataUpdates: {
              DICOMUpdates: { updatableAttributes: new TextEncoder().encode('{"SchemaVersion":1.1,"Study":{"DICOM":{"StudyDescription":"X"}}}') },
            },
          }),
        ),
    ];

    /**
     * Every write with a client from `make` is a 403 of `name`, and nothing changed afterwards. A
     * fresh client per call: after a 403 whose name is a clock-skew code (InvalidSignatureException,
     * AccessDeniedException) the SDK resets its clock offset from the response's Date header.
     */
    async function rejectedWrites(make: () => MedicalImagingClient, name: string, message: RegExp) {
      const before = await snapshot();
      for (const write of mutations) await expectError(write(make()), name, 403, message);
      await expectError(make().send(new GetDatastoreCommand({ datastoreId: ds })), name, 403, message);
      assert.deepEqual(await snapshot(), before);
    }

    it("an unsigned request (plain fetch) is a 403 AccessDeniedException with the error headers", async () => {
      const before = await snapshot();
      const res = await fetch(`${s.emu.endpoint}/datastore/${ds}/imageSet/${head}/deleteImageSet`, { method: "POST" });
      assert.equal(res.status, 403);
      assert.equal(res.headers.get("x-amzn-errortype"), "AccessDeniedException");
      assert.match(res.headers.get("x-amzn-requestid") ?? "", /^[0-9a-f-]{36}$/);
      assert.equal(res.headers.get("content-type"), "application/json");
      assert.deepEqual(await res.json(), { message: "Missing Authentication Token" });
      const list = await fetch(`${s.emu.endpoint}/datastore`);
      assert.equal(list.status, 403);
      assert.deepEqual(await snapshot(), before);
    });

    it("a wrong secret is a 403 InvalidSignatureException", async () => {
      await rejectedWrites(
        () => sdkClient(s.emu, { credentials: { accessKeyId: "test", secretAccessKey: "not-the-secret" } }),
        "InvalidSignatureException",
        /signature we calculated does not match/,
      );
    });

    it("an unknown access key (another account) is a 403 UnrecognizedClientException", async () => {
      await rejectedWrites(
        () => sdkClient(s.emu, { credentials: { accessKeyId: "AKIAOTHERACCOUNT0000", secretAccessKey: "test" } }),
        "UnrecognizedClientException",
        /security token included in the request is invalid/,
      );
    });

    it("a signature older than 15 minutes is a 403 InvalidSignatureException", async () => {
      // the SDK signs with its clock plus systemClockOffset: -20 minutes makes every signature stale
      await rejectedWrites(() => sdkClient(s.emu, { systemClockOffset: -20 * 60 * 1000 }), "InvalidSignatureException", /Signature expired/);
      await rejectedWrites(() => sdkClient(s.emu, { systemClockOffset: +20 * 60 * 1000 }), "InvalidSignatureException", /Signature expired/);
      // within the allowed skew a client works
      const ok = await sdkClient(s.emu, { systemClockOffset: -5 * 60 * 1000 }).send(new GetImageSetCommand({ datastoreId: ds, imageSetId: head }));
      assert.equal(ok.imageSetId, head);
    });

    it("the SDK corrects its clock from the 403's Date header, so only the first stale call fails (as on AWS)", async () => {
      const skewed = sdkClient(s.emu, { systemClockOffset: -20 * 60 * 1000 });
      await expectError(skewed.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: head })), "InvalidSignatureException", 403, /Signature expired/);
      assert.ok(Math.abs(skewed.config.systemClockOffset) < 5000, `offset is now ${skewed.config.systemClockOffset} ms`);
      assert.equal((await skewed.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: head }))).imageSetId, head);
    });

    it("a signature for another region is a 403 InvalidSignatureException", async () => {
      await rejectedWrites(() => sdkClient(s.emu, { region: "eu-west-1" }), "InvalidSignatureException", /scoped to a valid region, not 'eu-west-1'/);
    });

    it("a body changed after signing is a 403 (the signature covers the payload), with or without x-amz-content-sha256", async () => {
      const url = new URL(s.emu.endpoint);
      const body = JSON.stringify({ tags: { owner: "conformance" } });
      for (const applyChecksum of [true, false]) {
        // applyChecksum adds the payload hash as an x-amz-content-sha256 header (and signs it)
        const signer = new SignatureV4({
          credentials: { accessKeyId: "test", secretAccessKey: "test" },
          region: "us-east-1",
          service: "medical-imaging",
          sha256: Sha256,
          applyChecksum,
        });
        const signed = await signer.sign(
          new HttpRequest({
            method: "POST",
            protocol: "http:",
            hostname: url.hostname,
            port: Number(url.port),
            path: `/tags/${encodeURIComponent(arn)}`,
            headers: { host: url.host, "content-type": "application/json" },
            body,
          }),
        );
        assert.equal("x-amz-content-sha256" in signed.headers, applyChecksum);
        const send = (payload: string) =>
          fetch(`${s.emu.endpoint}${signed.path}`, { method: "POST", headers: signed.headers as Record<string, string>, body: payload });
        const before = await snapshot();
        const tampered = await send(JSON.stringify({ tags: { owner: "intruder" } }));
        assert.equal(tampered.status, 403, `applyChecksum: ${applyChecksum}`);
        assert.equal(tampered.headers.get("x-amzn-errortype"), "InvalidSignatureException");
        assert.deepEqual(await snapshot(), before);
        // the same signed request with the body it was signed for goes through
        assert.equal((await send(body)).status, 200);
      }
    });
  });

  describe("network and endpoint", () => {
    it("binds 127.0.0.1 by default (the listening socket is loopback only)", async () => {
      assert.match(s.emu.endpoint, /^http:\/\/127\.0\.0\.1:\d+$/);
      const portHex = s.emu.port.toString(16).toUpperCase().padStart(4, "0");
      const listening = (file: string) =>
        fs
          .readFileSync(file, "utf8")
          .split("\n")
          .slice(1)
          .map((line) => line.trim().split(/\s+/))
          .filter((cols) => cols.length > 3 && cols[3] === "0A" && cols[1].endsWith(`:${portHex}`))
          .map((cols) => cols[1].split(":")[0]);
      // /proc/net/tcp lists IPv4 addresses as little-endian hex: 0100007F is 127.0.0.1
      assert.deepEqual(listening("/proc/net/tcp"), ["0100007F"]);
      if (fs.existsSync("/proc/net/tcp6")) assert.deepEqual(listening("/proc/net/tcp6"), []);
    });

    it("AWS_ENDPOINT_URL_MEDICAL_IMAGING configures a client created without `endpoint`; runtime operations still need disableHostPrefix", async () => {
      const saved = process.env.AWS_ENDPOINT_URL_MEDICAL_IMAGING;
      process.env.AWS_ENDPOINT_URL_MEDICAL_IMAGING = s.emu.endpoint;
      try {
        const credentials = { accessKeyId: "test", secretAccessKey: "test" };
        const withPrefixOff = new MedicalImagingClient({ region: "us-east-1", credentials, disableHostPrefix: true, maxAttempts: 1 });
        assert.equal((await withPrefixOff.send(new GetDatastoreCommand({ datastoreId: ds }))).datastoreProperties?.datastoreId, ds);
        assert.equal((await withPrefixOff.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: head }))).imageSetId, head);

        // Without disableHostPrefix the control-plane operations work, but the eight runtime
        // operations (GetImageSet, CopyImageSet, ...) carry hostPrefix "runtime-": the SDK sends them
        // to http://runtime-127.0.0.1:PORT, which does not resolve. Record the host and stop the
        // request before it leaves (no DNS lookup).
        const hosts: string[] = [];
        const withPrefix = new MedicalImagingClient({ region: "us-east-1", credentials, maxAttempts: 1 });
        withPrefix.middlewareStack.add(
          (next) => async (args) => {
            const { hostname } = args.request as { hostname: string };
            hosts.push(hostname);
            if (hostname.startsWith("runtime-")) throw new Error(`would send to ${hostname}`);
            return next(args);
          },
          { step: "finalizeRequest", name: "recordHost" },
        );
        assert.equal((await withPrefix.send(new GetDatastoreCommand({ datastoreId: ds }))).datastoreProperties?.datastoreId, ds);
        await assert.rejects(withPrefix.send(new GetImageSetCommand({ datastoreId: ds, imageSetId: head })), /would send to runtime-127\.0\.0\.1/);
        assert.deepEqual(hosts, ["127.0.0.1", "runtime-127.0.0.1"]);
      } finally {
        if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_MEDICAL_IMAGING;
        else process.env.AWS_ENDPOINT_URL_MEDICAL_IMAGING = saved;
      }
    });
  });
});
