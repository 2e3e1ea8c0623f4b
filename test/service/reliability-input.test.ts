// Reliability: bad input. Property-based (fast-check):
//   - thousands of malformed DerivedImageSet inputs through validateInputs, and a few hundred
//     through the real dynamic-provider host's `check`: every one fails with a failure naming
//     the broken property, never a throw;
//   - malformed HealthImaging API requests (raw, correctly SigV4-signed HTTP with random paths,
//     query values and bodies) to the local service: a 4xx with x-amzn-ErrorType and a message
//     naming the member, never a 5xx or a crash, and no change to the service state;
//   - the broken pydicom sample files through StartDICOMImportJob: reported in the job output,
//     the job COMPLETED, the service still fine.

import { GetDICOMImportJobCommand, SearchImageSetsCommand, StartDICOMImportJobCommand } from "@aws-sdk/client-medical-imaging";
import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import fc from "fast-check";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { validateInputs } from "../../provider/lifecycle/check";
import { serializedProvider } from "../../provider/resource/serializedProvider";
import { SEED_ROLE_ARN } from "../../emulator/seed";
import { ensureBuilt } from "../support/build";
import { type DynamicHost, dynamicUrn, serializeProvider, startDynamicHost } from "../support/dynamicHost";
import { eventually } from "../support/emulator";
import { pydicomTestFiles } from "../support/sampleData";
import { type Seeded, SERIES as SEEDED_SERIES, startSeeded } from "../support/seeded";

export const INPUT_FIGURES: Record<string, { tried: number; lost: number }> = {};

const ID = "0123456789abcdef0123456789abcdef";
const ID2 = "fedcba9876543210fedcba9876543210";
const SERIES = "1.2.840.113619.2.1.1.322987881.621.736170080.681";
const VALID = { datastoreId: ID, sourceImageSetId: ID2, subset: { series: { [SERIES]: "all" } }, timeouts: { create: "10m" } };
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const notId = fc
  .oneof(
    fc.string(),
    fc.stringMatching(/^[0-9A-Za-z_-]{1,40}$/),
    fc.integer(),
    fc.boolean(),
    fc.array(fc.string(), { maxLength: 2 }),
    fc.object({ maxDepth: 1 }),
  )
  .filter((v) => !(typeof v === "string" && /^[0-9a-z]{32}$/.test(v)) && v !== UNKNOWN);
const notVersion = fc.oneof(
  fc.string().filter((s) => !/^[1-9]\d*$/.test(s) && s !== UNKNOWN),
  fc.integer({ max: 0 }),
  fc.double().filter((d) => !Number.isSafeInteger(d)),
  fc.boolean(),
  fc.object({ maxDepth: 1 }),
);
const notBoolean = fc.oneof(
  fc.string().filter((s) => s !== UNKNOWN),
  fc.integer(),
  fc.array(fc.boolean(), { maxLength: 2 }),
  fc.object({ maxDepth: 1 }),
);
const badUid = fc.oneof(
  fc.stringMatching(/^[0-9.]{0,20}$/).filter((s) => !/^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/.test(s)),
  fc.string({ minLength: 1 }).filter((s) => /[^0-9.]/.test(s) && s !== UNKNOWN),
  fc.constant(`1.${"2".repeat(70)}`),
  fc.constant("1.02.3"),
);

/** [property the failure must name, mutation of a valid input] */
const mutations: fc.Arbitrary<[string, Record<string, unknown>]>[] = [
  notId.map((v) => ["datastoreId", { ...VALID, datastoreId: v }]),
  notId.map((v) => ["sourceImageSetId", { ...VALID, sourceImageSetId: v }]),
  fc.constantFrom("datastoreId", "sourceImageSetId").map((k) => {
    const o: Record<string, unknown> = { ...VALID };
    delete o[k];
    return [k, o];
  }),
  notVersion.map((v) => ["sourceVersionId", { ...VALID, sourceVersionId: v }]),
  notBoolean.map((v) => ["force", { ...VALID, force: v }]),
  notBoolean.map((v) => ["promoteToPrimary", { ...VALID, promoteToPrimary: v }]),
  fc
    .oneof(
      fc.string().filter((s) => !/^[a-z]{2,4}(-[a-z]+){1,2}-\d{1,2}$/.test(s) && s !== UNKNOWN),
      fc.integer(),
    )
    .map((v) => ["region", { ...VALID, region: v }]),
  fc
    .oneof(
      fc.integer(),
      fc.string().filter((s) => s !== UNKNOWN),
      fc.array(fc.string(), { maxLength: 2 }),
    )
    .map((v) => ["timeouts", { ...VALID, timeouts: v }]),
  fc
    .oneof(fc.integer(), fc.constant("-5m"), fc.constant("0s"), fc.constant("25h"), fc.stringMatching(/^[a-z]{1,6}$/))
    .map((v) => ["timeouts.create", { ...VALID, timeouts: { create: v } }]),
  fc
    .oneof(
      fc.integer(),
      fc.string().filter((s) => s !== UNKNOWN),
      fc.constant({}),
      fc.constant({ series: {} }),
      fc.constant({ series: [] }),
    )
    .map((v) => ["subset", { ...VALID, subset: v }]),
  badUid.map((k) => ["subset.series", { ...VALID, subset: { series: { [k]: "all" } } }]),
  fc
    .oneof(
      fc.constant([]),
      fc.constant("some"),
      fc.integer(),
      badUid.map((u) => [u]),
    )
    .map((v) => ["subset.series", { ...VALID, subset: { series: { [SERIES]: v } } }]),
  fc
    .oneof(
      fc.integer(),
      fc.constant({}),
      notId.map((v) => ({ imageSetId: v, versionId: "1" })),
      notVersion.map((v) => ({ imageSetId: ID, versionId: v })),
    )
    .map((v) => ["destination", { ...VALID, destination: v }]),
  fc
    .stringMatching(/^[a-zA-Z][a-zA-Z0-9]{0,15}$/)
    .filter(
      (k) =>
        ![
          "datastoreId",
          "sourceImageSetId",
          "sourceVersionId",
          "subset",
          "destination",
          "force",
          "promoteToPrimary",
          "timeouts",
          "region",
          "endpoint",
          "ownerTag",
          "__proto__",
          "constructor",
        ].includes(k),
    )
    .map((k) => [k, { ...VALID, [k]: 1 }]),
  fc.oneof(fc.constant(""), fc.constant("x".repeat(257)), fc.integer()).map((v) => ["ownerTag", { ...VALID, ownerTag: v }]),
];
const malformed = fc.oneof(...mutations);

function namesProperty(failures: { property: string; reason: string }[], property: string): boolean {
  return failures.some(
    (f) =>
      (f.property === property || f.property.startsWith(`${property}.`) || f.property.startsWith(`${property}[`)) &&
      typeof f.reason === "string" &&
      f.reason.length > 5,
  );
}

describe("reliability: malformed resource inputs", function () {
  this.timeout(120_000);

  it("validateInputs: 5,000 malformed inputs each fail naming the property; 2,000 arbitrary values never throw", () => {
    let tried = 0;
    fc.assert(
      fc.property(malformed, ([property, inputs]) => {
        tried++;
        const { failures } = validateInputs(inputs);
        return failures.length > 0 && namesProperty(failures, property);
      }),
      { numRuns: 5000, seed: 42 },
    );
    fc.assert(
      fc.property(fc.anything(), (value) => {
        tried++;
        const { failures } = validateInputs(value);
        // anything that is not a full valid input lacks at least the required ids
        return Array.isArray(failures) && failures.length > 0 && failures.every((f) => typeof f.property === "string" && f.reason.length > 0);
      }),
      { numRuns: 2000, seed: 7 },
    );
    assert.ok(validateInputs(VALID).failures.length === 0, "the base input is valid, so the mutation is what fails");
    INPUT_FIGURES["malformed inputs (validateInputs)"] = { tried, lost: 0 };
  });

  describe("through the dynamic-provider host", () => {
    let host: DynamicHost;
    before(async () => {
      ensureBuilt();
      host = await startDynamicHost({
        provider: await serializeProvider(serializedProvider),
        env: { AWS_REGION: "us-east-1", PULUMI_HEALTHIMAGING_CHECK_WITH_SERVICE: "false" },
        callTimeoutMs: 60_000,
      });
    });
    after(async () => host?.stop());

    it("300 malformed inputs through check: each a failure naming the property, the host stays up", async () => {
      const samples = fc.sample(malformed, { numRuns: 300, seed: 3 });
      const urn = dynamicUrn("bad", { type: "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet" });
      const missed: string[] = [];
      for (let i = 0; i < samples.length; i += 50) {
        const batch = samples.slice(i, i + 50);
        const results = await Promise.all(batch.map(([, inputs]) => host.check(urn, {}, inputs)));
        results.forEach((r, j) => {
          if (!namesProperty(r.failures, batch[j][0]))
            missed.push(`${batch[j][0]}: ${JSON.stringify(batch[j][1]).slice(0, 200)} -> ${JSON.stringify(r.failures)}`);
        });
      }
      assert.deepEqual(missed, []);
      assert.equal(host.exited, false);
      assert.deepEqual((await host.check(urn, {}, VALID)).failures, []);
      INPUT_FIGURES["malformed inputs (host check)"] = { tried: samples.length, lost: 0 };
    });
  });
});

describe("reliability: malformed API requests and broken DICOM files", function () {
  this.timeout(120_000);
  let seeded: Seeded;
  let ds: string;
  let head: string;
  const signer = new SignatureV4({
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    region: "us-east-1",
    service: "medical-imaging",
    sha256: Sha256,
  });

  before(async () => {
    seeded = await startSeeded();
    ds = seeded.datastoreId;
    head = seeded.imageSetOfSeries(SEEDED_SERIES.ctHead);
  });
  after(async () => seeded?.stop());

  async function signedFetch(method: string, pathname: string, query: Record<string, string>, body: string | undefined) {
    const url = new URL(seeded.emu.endpoint);
    const req = new HttpRequest({
      method,
      protocol: "http:",
      hostname: url.hostname,
      port: Number(url.port),
      path: pathname,
      query,
      headers: { host: url.host, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      body,
    });
    const signed = await signer.sign(req);
    const qs = new URLSearchParams(query).toString();
    const res = await fetch(`${seeded.emu.endpoint}${pathname}${qs ? `?${qs}` : ""}`, { method, headers: signed.headers as Record<string, string>, body });
    return { status: res.status, type: res.headers.get("x-amzn-errortype"), text: await res.text() };
  }

  it("2,000 random signed requests with malformed paths, queries and bodies: 4xx naming the member, no 5xx, no state change", async () => {
    const segment = fc.oneof(
      fc.constant(ID),
      fc.stringMatching(/^[0-9a-z]{31,33}$/),
      fc.string({ minLength: 1, maxLength: 40 }),
      fc.constant("../../etc"),
      fc.constant("%00"),
    );
    const jsonBody = fc.oneof(
      fc.json(),
      fc.string(),
      fc.constant("{"),
      fc.constant("[]"),
      fc.constant("null"),
      fc
        .dictionary(
          fc.constantFrom(
            "copyImageSetInformation",
            "sourceImageSet",
            "latestVersionId",
            "updateImageSetMetadataUpdates",
            "searchCriteria",
            "tags",
            "clientToken",
            "datastoreName",
            "inputS3Uri",
            "dataAccessRoleArn",
            "maxResults",
            "filters",
          ),
          fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({})),
        )
        .map((o) => JSON.stringify(o)),
    );
    const badQuery = fc.dictionary(
      fc.constantFrom("maxResults", "nextToken", "latestVersion", "version", "force", "datastoreStatus", "jobStatus", "promoteToPrimary", "tagKeys"),
      fc.oneof(fc.string(), fc.constantFrom("0", "-1", "1001", "abc", "1e3", "")),
      { minKeys: 1, maxKeys: 3 },
    );
    // [method, path] of every operation, with ids replaced by generated segments; operations that
    // could legitimately succeed with a well-formed body are only sent malformed bodies or paths.
    const request = fc.oneof(
      fc.tuple(
        fc.constant("POST"),
        segment.map((d) => `/datastore/${encodeURIComponent(d)}/imageSet/${head}/copyImageSet`),
        fc.constant({}),
        jsonBody,
      ),
      fc.tuple(fc.constant("POST"), fc.constant(`/datastore/__DS__/imageSet/${head}/copyImageSet`), fc.constant({}), jsonBody),
      fc.tuple(fc.constant("POST"), fc.constant(`/datastore/__DS__/imageSet/${head}/updateImageSetMetadata`), badQuery, jsonBody),
      fc.tuple(
        fc.constant("POST"),
        segment.map((s) => `/datastore/__DS__/imageSet/${encodeURIComponent(s)}/deleteImageSet`),
        fc.constant({}),
        fc.constant(undefined),
      ),
      fc.tuple(
        fc.constant("POST"),
        segment.map((s) => `/datastore/__DS__/imageSet/${encodeURIComponent(s)}/getImageSet`),
        badQuery,
        fc.constant(undefined),
      ),
      fc.tuple(fc.constant("POST"), fc.constant(`/datastore/__DS__/imageSet/${head}/getImageFrame`), fc.constant({}), jsonBody),
      fc.tuple(
        fc.constant("POST"),
        segment.map((s) => `/datastore/${encodeURIComponent(s)}/searchImageSets`),
        badQuery,
        jsonBody,
      ),
      fc.tuple(
        fc.constant("POST"),
        fc.constant("/datastore"),
        fc.constant({}),
        fc.oneof(
          fc.constant("{"),
          fc.constant("[]"),
          fc.constant("3"),
          fc
            .record({ datastoreName: fc.oneof(fc.integer(), fc.constant(""), fc.string({ minLength: 257, maxLength: 300 })), clientToken: fc.string() })
            .map((o) => JSON.stringify(o)),
        ),
      ),
      fc.tuple(
        fc.constant("GET"),
        fc.constant("/datastore"),
        badQuery.filter((q) => q.maxResults !== undefined || q.nextToken !== undefined || q.datastoreStatus !== undefined),
        fc.constant(undefined),
      ),
      fc.tuple(
        fc.constant("DELETE"),
        segment.map((s) => `/datastore/${encodeURIComponent(s)}`),
        fc.constant({}),
        fc.constant(undefined),
      ),
      fc.tuple(
        fc.constant("POST"),
        segment.map((s) => `/startDICOMImportJob/datastore/${encodeURIComponent(s)}`),
        fc.constant({}),
        jsonBody,
      ),
      fc.tuple(
        fc.constant("POST"),
        segment.map((s) => `/tags/${encodeURIComponent(`arn:aws:medical-imaging:us-east-1:000000000000:datastore/${s}`)}`),
        fc.constant({}),
        jsonBody,
      ),
      fc.tuple(
        fc.constant("DELETE"),
        segment.map((s) => `/tags/${encodeURIComponent(s)}`),
        badQuery,
        fc.constant(undefined),
      ),
      fc.tuple(
        fc.constantFrom("PUT", "PATCH", "GET", "POST"),
        fc.string({ maxLength: 30 }).map((s) => `/${encodeURIComponent(s)}/nowhere`),
        fc.constant({}),
        fc.constant(undefined),
      ),
    );
    const samples = fc.sample(request, { numRuns: 2000, seed: 11 });
    const before = JSON.stringify(seeded.emu.service.state);
    const problems: string[] = [];
    const statuses: Record<number, number> = {};
    for (let i = 0; i < samples.length; i += 25) {
      const results = await Promise.all(
        samples.slice(i, i + 25).map(async ([method, p, query, body]) => {
          const pathname = p.replace("__DS__", ds);
          const r = await signedFetch(method, pathname, query as Record<string, string>, body);
          return { method, pathname, query, body, ...r };
        }),
      );
      for (const r of results) {
        statuses[r.status] = (statuses[r.status] ?? 0) + 1;
        const where = `${r.method} ${r.pathname} ${JSON.stringify(r.query)} ${String(r.body).slice(0, 80)}`;
        if (r.status < 400 || r.status >= 500) {
          problems.push(`${r.status} for ${where}: ${r.text.slice(0, 200)}`);
          continue;
        }
        let message = "";
        try {
          message = JSON.parse(r.text).message;
        } catch {
          problems.push(`non-JSON error body for ${where}`);
        }
        if (!r.type || typeof message !== "string" || message.length < 5) problems.push(`no error type or message for ${where}`);
        // a validation error names what is wrong: a member ('x' / x), the body, the token or the route
        if (
          r.type === "ValidationException" &&
          !/ at '[^']+'|'[A-Za-z0-9.]+'|\b(body|JSON|nextToken|updateImageSetMetadataUpdates|DICOMUpdates|No operation matches|[a-z]+[A-Z][A-Za-z]+)\b/.test(
            message,
          )
        )
          problems.push(`validation message names no field for ${where}: ${message}`);
      }
    }
    assert.deepEqual(problems.slice(0, 20), [], `${problems.length} problems`);
    assert.equal(JSON.stringify(seeded.emu.service.state), before, "no request changed the service state");
    const ok = await seeded.client.send(new SearchImageSetsCommand({ datastoreId: ds }));
    assert.ok(ok.imageSetsMetadataSummaries!.length > 0, "the service still answers");
    INPUT_FIGURES["malformed signed API requests"] = { tried: samples.length, lost: 0 };
    console.log(`      API fuzz statuses: ${JSON.stringify(statuses)}`);
  });

  it("the broken pydicom sample files through StartDICOMImportJob: reported in the output, job COMPLETED, service fine", async () => {
    const broken = [
      "ExplVR_BigEndNoMeta.dcm",
      "meta_missing_tsyntax.dcm",
      "no_meta_group_length.dcm",
      "MR_truncated.dcm",
      "rtplan_truncated.dcm",
      "SC_rgb_jpeg.dcm",
      "badVR.dcm",
      "UN_sequence.dcm",
      "nested_priv_SQ.dcm",
      "priv_SQ.dcm",
      "empty_charset_LEI.dcm",
    ];
    const s3Root = seeded.emu.service.options.s3Root!;
    const dir = path.join(s3Root, "broken", "files");
    fs.mkdirSync(dir, { recursive: true });
    for (const f of [...broken, "CT_small.dcm"]) fs.copyFileSync(path.join(pydicomTestFiles(), f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, "not-dicom.txt"), "hello");
    const imageSetsBefore = Object.keys(seeded.emu.service.state.imageSets).length;
    const { jobId } = await seeded.client.send(
      new StartDICOMImportJobCommand({
        datastoreId: ds,
        dataAccessRoleArn: SEED_ROLE_ARN,
        clientToken: "broken-import",
        inputS3Uri: "s3://broken/files/",
        outputS3Uri: "s3://broken-out/job/",
      }),
    );
    const job = await eventually(
      async () => {
        const j = (await seeded.client.send(new GetDICOMImportJobCommand({ datastoreId: ds, jobId: jobId! }))).jobProperties!;
        return j.jobStatus === "COMPLETED" || j.jobStatus === "FAILED" ? j : undefined;
      },
      60_000,
      50,
    );
    assert.equal(job.jobStatus, "COMPLETED");
    const outDir = path.join(s3Root, "broken-out");
    const files = fs
      .readdirSync(outDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => path.join(e.parentPath, e.name));
    const failureText = files
      .filter((f) => f.includes(`${path.sep}FAILURE${path.sep}`) || f.endsWith("job-output-manifest.json"))
      .map((f) => fs.readFileSync(f, "utf8"))
      .join("\n");
    for (const f of [...broken, "not-dicom.txt"]) assert.ok(failureText.includes(f), `${f} is reported in the job output`);
    assert.ok(Object.keys(seeded.emu.service.state.imageSets).length > imageSetsBefore, "the good file was imported");
    const ok = await seeded.client.send(new SearchImageSetsCommand({ datastoreId: ds }));
    assert.ok(ok.imageSetsMetadataSummaries!.length > 0, "the service still answers");
    INPUT_FIGURES["broken DICOM files imported"] = { tried: broken.length + 1, lost: 0 };
    fs.rmSync(path.join(s3Root, "broken"), { recursive: true, force: true });
    void os;
  });
});
