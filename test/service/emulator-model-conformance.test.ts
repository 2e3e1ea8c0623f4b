// Conformance to AWS's service model, driven by the model file itself (emulator/model/service-2.json):
//   - for every operation, every constraint reachable in its input (required member, string and
//     blob length, pattern, enum, integer range, list and map size, union, query value types) is
//     broken alone in an otherwise valid request, sent as raw signed HTTP: 400 ValidationException,
//     "1 validation error", naming the member by its path, and no change to the service state;
//   - every operation has a valid call here (a new operation in the model fails until it has one),
//     and its response carries every member the model marks required and conforms to the output
//     shapes (enums, lengths, patterns).
// Valid values come from the shapes (enums, bounds) and, for the patterned string shapes, from
// SAMPLES below: a new patterned shape fails until it has a sample.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { GetImageSetCommand } from "@aws-sdk/client-medical-imaging";
import { SEED_ROLE_ARN } from "../../emulator/seed";
import { OPERATION_NAMES, SERVICE_MODEL, type Shape, operation, shape } from "../../emulator/serviceModel";
import { shapeProblems, validateInput } from "../../emulator/validate";
import { eventually } from "../support/emulator";
import { type Seeded, SAMPLE_BUCKET, SERIES, STUDIES, metadataOf, startSeeded } from "../support/seeded";
import { type RawRequest, type RawResponse, signedRequest } from "../support/signedHttp";

type Input = Record<string, unknown>;
type Seg = string | number;

const KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/12345678-90ab-cdef-1234-567890abcdef";
const LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function:authorizer";

/** A valid value for every patterned string shape of the model (by shape name). */
function samples(s: Seeded): Record<string, string> {
  const head = s.imageSetOfSeries(SERIES.ctHead);
  return {
    DatastoreId: s.datastoreId,
    ImageSetId: head,
    ImageFrameId: "0123456789abcdef0123456789abcdef",
    ImageSetExternalVersionId: "1",
    JobId: "0123456789abcdef",
    JobName: "conformance",
    DatastoreName: "conformance",
    ClientToken: "conformance-token",
    RoleArn: SEED_ROLE_ARN,
    S3Uri: `s3://${SAMPLE_BUCKET}/dicomdirtests/`,
    AwsAccountId: "000000000000",
    KmsKeyArn: KMS_KEY,
    LambdaArn: LAMBDA,
    Arn: `arn:aws:medical-imaging:us-east-1:000000000000:datastore/${s.datastoreId}`,
    TagKey: "project",
    NextToken: "bm90LWEtdG9rZW4",
    DICOMStudyInstanceUID: STUDIES.ctHead,
    DICOMSeriesInstanceUID: "1.2.3.4",
    MetadataFilePath: "metadata/study.json",
    Message: "a message",
  };
}

const clone = <T>(v: T): T => structuredClone(v);
const display = (segs: Seg[]) => segs.map((s, i) => (typeof s === "number" ? `[${s}]` : i === 0 ? s : `.${s}`)).join("");

function getAt(root: Input, segs: Seg[]): unknown {
  return segs.reduce<unknown>((v, k) => (v as Record<Seg, unknown> | undefined)?.[k], root);
}
function setAt(root: Input, segs: Seg[], value: unknown): void {
  const parent = getAt(root, segs.slice(0, -1)) as Record<Seg, unknown>;
  parent[segs[segs.length - 1]] = value;
}
function deleteAt(root: Input, segs: Seg[]): void {
  const parent = getAt(root, segs.slice(0, -1)) as Record<Seg, unknown>;
  delete parent[segs[segs.length - 1]];
}

/** A model-valid value of a shape: every member set (a union's first), one item per list and map. */
function generate(shapeName: string, sample: Record<string, string>, depth = 0): unknown {
  assert.ok(depth < 12, `shape ${shapeName} nests too deep`);
  const s = shape(shapeName);
  switch (s.type) {
    case "structure": {
      const members = Object.entries(s.members ?? {});
      const chosen = s.union ? members.slice(0, 1) : members;
      return Object.fromEntries(chosen.map(([name, ref]) => [name, generate(ref.shape, sample, depth + 1)]));
    }
    case "list":
      return Array.from({ length: Math.max(1, s.min ?? 0) }, () => generate(s.member!.shape, sample, depth + 1));
    case "map":
      return { [generate(s.key!.shape, sample, depth + 1) as string]: generate(s.value!.shape, sample, depth + 1) };
    case "string":
      if (s.enum) return s.enum[0];
      if (s.pattern !== undefined) {
        assert.ok(sample[shapeName] !== undefined, `no valid sample for the patterned string shape ${shapeName} (pattern ${s.pattern}): add one to SAMPLES`);
        return sample[shapeName];
      }
      return "x".repeat(Math.max(1, s.min ?? 0));
    case "integer":
    case "long":
      return s.min ?? 1;
    case "boolean":
      return false;
    case "timestamp":
      return 1_700_000_000;
    case "blob":
      return Buffer.from(JSON.stringify({ SchemaVersion: "1.1" }).padEnd(Math.max(1, s.min ?? 0))).toString("base64");
    default:
      assert.fail(`shape ${shapeName} has type ${s.type}, which this test does not know`);
  }
}

/** A string that breaks `pattern` but keeps the length bounds, so only the pattern is broken. */
function breakPattern(s: Shape, valid: string): string {
  const re = new RegExp(`^(?:${s.pattern})$`, "u");
  const n = Math.max(1, s.min ?? 0);
  const candidates = [`${valid}!`, `!${valid.slice(1)}`, "é".repeat(n), " ".repeat(n), "!".repeat(n), "A".repeat(n), "-".repeat(n)];
  const found = candidates.find((c) => c.length >= (s.min ?? 0) && c.length <= (s.max ?? Infinity) && !re.test(c));
  assert.ok(found !== undefined, `no value breaks the pattern ${s.pattern} within the length bounds`);
  return found;
}

interface Case {
  op: string;
  /** the member the error must name */
  path: string;
  constraint: string;
  expect: RegExp;
  input: Input;
}

/** Every single-constraint violation reachable in an operation's input. */
function casesOf(op: string, base: Input, sample: Record<string, string>): Case[] {
  const out: Case[] = [];
  const add = (named: Seg[], prepare: (root: Input) => void, constraint: string, expect: RegExp, change: (root: Input) => void) => {
    const input = clone(base);
    prepare(input);
    change(input);
    out.push({ op, path: display(named), constraint, expect, input });
  };

  /**
   * The constraints of a scalar value: `place` puts a replacement where the value is, `named` is
   * the member the error must name, `label` says the value is a path label.
   */
  function scalar(s: Shape, valid: unknown, prepare: (root: Input) => void, named: Seg[], place: (root: Input, v: unknown) => void, label = false) {
    const set = (v: unknown) => (root: Input) => place(root, v);
    const length = /Member must have length/;
    if (s.type === "string") {
      const v = String(valid);
      // an empty path label is a missing one (the "required" case), so a label's length starts at 1
      if ((s.min ?? 0) > (label ? 1 : 0)) add(named, prepare, `length < ${s.min}`, length, set(v.slice(0, s.min! - 1)));
      if (s.max !== undefined) add(named, prepare, `length > ${s.max}`, length, set(v.padEnd(s.max + 1, v[v.length - 1] ?? "x")));
      if (s.enum) add(named, prepare, "enum", /Member must satisfy enum value set/, set("NOT_IN_THE_ENUM"));
      if (s.pattern !== undefined) add(named, prepare, "pattern", /Member must satisfy regular expression pattern/, set(breakPattern(s, v)));
    } else if (s.type === "integer" || s.type === "long") {
      if (s.min !== undefined) add(named, prepare, `value < ${s.min}`, /Member must have value/, set(s.min - 1));
      if (s.max !== undefined) add(named, prepare, `value > ${s.max}`, /Member must have value/, set(s.max + 1));
    } else if (s.type === "blob") {
      if ((s.min ?? 0) > 0) add(named, prepare, `length < ${s.min}`, length, set(Buffer.alloc(s.min! - 1, 32).toString("base64")));
      if (s.max !== undefined) add(named, prepare, `length > ${s.max}`, length, set(Buffer.alloc(s.max + 1, 32).toString("base64")));
    }
  }

  function walk(shapeName: string, segs: Seg[], prepare: (root: Input) => void, valid: unknown) {
    const s = shape(shapeName);
    if (s.type === "structure") {
      const members = s.members ?? {};
      for (const name of s.required ?? []) {
        const ref = members[name];
        // an empty path label is how a missing one reaches the service
        const drop = segs.length === 0 && ref.location === "uri" ? (root: Input) => setAt(root, [name], "") : (root: Input) => deleteAt(root, [...segs, name]);
        add([...segs, name], prepare, "required", /Member must not be null/, drop);
      }
      if (s.union) {
        const names = Object.keys(members);
        add(segs, prepare, "union: no member set", /Member must have exactly one of/, (root) => setAt(root, segs, {}));
        if (names.length > 1) {
          add(segs, prepare, "union: two members set", /Member must have exactly one of/, (root) =>
            setAt(root, segs, { [names[0]]: generate(members[names[0]].shape, sample), [names[1]]: generate(members[names[1]].shape, sample) }),
          );
        }
      }
      for (const [name, ref] of Object.entries(members)) {
        const memberSegs = [...segs, name];
        let memberPrepare = prepare;
        let memberValid = (valid as Input | undefined)?.[name];
        if (s.union) {
          // a member of a union is reached with only that member set
          const v = memberValid ?? generate(ref.shape, sample);
          memberPrepare = (root) => {
            prepare(root);
            setAt(root, segs, { [name]: clone(v) });
          };
          memberValid = v;
        }
        if (segs.length === 0 && ref.location === "querystring") {
          const t = shape(ref.shape).type;
          if (t === "integer" || t === "boolean")
            add(memberSegs, memberPrepare, `${t} type`, new RegExp(`Member must be an? ${t}`), (root) => setAt(root, memberSegs, "not-a-value"));
        }
        walk(ref.shape, memberSegs, memberPrepare, memberValid);
      }
    } else if (s.type === "list") {
      const item = (valid as unknown[])[0];
      if ((s.min ?? 0) > 0) add(segs, prepare, `fewer than ${s.min} items`, /Member must have length/, (root) => setAt(root, segs, []));
      if (s.max !== undefined)
        add(segs, prepare, `more than ${s.max} items`, /Member must have length/, (root) =>
          setAt(
            root,
            segs,
            Array.from({ length: s.max! + 1 }, () => clone(item)),
          ),
        );
      walk(s.member!.shape, [...segs, 0], prepare, item);
    } else if (s.type === "map") {
      const [key, value] = Object.entries(valid as Input)[0];
      if ((s.min ?? 0) > 0) add(segs, prepare, `fewer than ${s.min} entries`, /Member must have length/, (root) => setAt(root, segs, {}));
      // a map's key and scalar value errors name the map, as AWS words them ("Map keys must ...")
      const keyCases = out.length;
      scalar(shape(s.key!.shape), key, prepare, segs, (root, badKey) => setAt(root, segs, { [badKey as string]: value }));
      for (const c of out.slice(keyCases)) Object.assign(c, { constraint: `key ${c.constraint}`, expect: /Map keys must satisfy constraint/ });
      const valueShape = shape(s.value!.shape);
      if (valueShape.type === "structure" || valueShape.type === "list" || valueShape.type === "map") walk(s.value!.shape, [...segs, key], prepare, value);
      else {
        const valueCases = out.length;
        scalar(valueShape, value, prepare, segs, (root, v) => setAt(root, [...segs, key], v));
        for (const c of out.slice(valueCases)) c.expect = /Map value must satisfy constraint/;
      }
    } else {
      const label = segs.length === 1 && shape(operation(op).input!.shape).members![segs[0]]?.location === "uri";
      scalar(s, valid, prepare, segs, (root, v) => setAt(root, segs, v), label);
    }
  }

  walk(operation(op).input!.shape, [], () => {}, base);
  return out;
}

/** The operation's input as restJson1 HTTP, by the model's bindings (path labels, query, payload or body). */
function toHttp(op: string, input: Input): RawRequest {
  const o = operation(op);
  const s = shape(o.input!.shape);
  const members = Object.entries(s.members ?? {});
  const byLabel = Object.fromEntries(members.filter(([, r]) => r.location === "uri").map(([n, r]) => [r.locationName ?? n, n]));
  const path = o.http.requestUri.replace(/\{(\w+)\+?\}/g, (_, label: string) => encodeURIComponent(String(input[byLabel[label]] ?? "")));
  const query: Record<string, string | string[]> = {};
  for (const [n, r] of members) {
    if (r.location !== "querystring" || input[n] === undefined) continue;
    query[r.locationName ?? n] = Array.isArray(input[n]) ? (input[n] as unknown[]).map(String) : String(input[n]);
  }
  let body: string | undefined;
  if (s.payload) body = input[s.payload] === undefined ? undefined : JSON.stringify(input[s.payload]);
  else {
    const inBody = members.filter(([n, r]) => !r.location && input[n] !== undefined);
    if (members.some(([, r]) => !r.location)) body = JSON.stringify(Object.fromEntries(inBody.map(([n]) => [n, input[n]])));
  }
  return { method: o.http.method, path, query, body };
}

/** Every output problem: missing required members and values outside the output shapes. */
function outputProblems(op: string, res: RawResponse): string[] {
  const s = shape(operation(op).output!.shape);
  if (s.payload && shape(s.members![s.payload].shape).type === "blob") {
    return res.body.length > 0 ? [] : [`${op}: the ${s.payload} payload is empty`];
  }
  const problems: string[] = [];
  shapeProblems(operation(op).output!.shape, JSON.parse(res.text), "", problems);
  return problems.map((p) => `${op}: ${p}`);
}

describe("emulator conformance to the service model (emulator/model/service-2.json)", function () {
  this.timeout(60_000);
  let s: Seeded;
  let sample: Record<string, string>;

  before(async () => {
    s = await startSeeded();
    sample = samples(s);
  });
  after(async () => s?.stop());

  const send = (op: string, input: Input) => signedRequest(s.emu, toHttp(op, input));

  it("breaking any one constraint of any operation's input is a 400 ValidationException naming the member, and changes nothing", async () => {
    const started = Date.now();
    const problems: string[] = [];
    let count = 0;
    const perOperation: Record<string, number> = {};
    for (const op of OPERATION_NAMES) {
      const base = generate(operation(op).input!.shape, sample) as Input;
      assert.doesNotThrow(() => validateInput(op, base), `the generated base input of ${op} is valid for the model`);
      const cases = casesOf(op, base, sample);
      perOperation[op] = cases.length;
      for (const c of cases) {
        count++;
        const before = JSON.stringify(s.emu.service.state);
        const res = await send(op, c.input);
        const what = `${op} ${c.path} (${c.constraint})`;
        const message = res.errorType ? (JSON.parse(res.text).message as string) : res.text.slice(0, 120);
        if (res.status !== 400 || res.errorType !== "ValidationException") problems.push(`${what}: ${res.status} ${res.errorType} ${message}`);
        else if (!message.startsWith("1 validation error detected: ")) problems.push(`${what}: not exactly one error: ${message}`);
        else if (!message.includes(` at '${c.path}' `)) problems.push(`${what}: does not name '${c.path}': ${message}`);
        else if (!c.expect.test(message)) problems.push(`${what}: does not say ${c.expect}: ${message}`);
        if (JSON.stringify(s.emu.service.state) !== before) problems.push(`${what}: changed the service state`);
      }
    }
    assert.deepEqual(problems, []);
    // every operation with an input has constraints, and the deep ones are reached
    for (const op of OPERATION_NAMES) assert.ok(perOperation[op] > 0, `${op} has cases`);
    const mapping = "importConfiguration.dicomJsonMetadataImportConfiguration.dicomMetadataMappings";
    for (const [op, expected] of Object.entries({
      StartDICOMImportJob: [
        "importConfiguration (union: no member set)",
        `${mapping} (fewer than 1 items)`,
        `${mapping} (more than 1000 items)`,
        `${mapping}[0].studyInstanceUID (required)`,
        `${mapping}[0].studyInstanceUID (length > 512)`,
        `${mapping}[0].studyInstanceUID (pattern)`,
        `${mapping}[0].seriesInstanceUID (pattern)`,
        `${mapping}[0].metadataFilePath (required)`,
        `${mapping}[0].metadataFilePath (length > 1024)`,
        `${mapping}[0].metadataFilePath (pattern)`,
      ],
      CreateDatastore: ["kmsKeyArn (pattern)", "tags (key pattern)", "tags (length > 256)"],
      UntagResource: ["tagKeys (more than 200 items)", "tagKeys[0] (pattern)"],
      SearchImageSets: [
        "searchCriteria.filters[0].values[0].DICOMStudyDateAndTime.DICOMStudyDate (required)",
        "searchCriteria.filters[0].values[0] (union: two members set)",
        "maxResults (value > 50)",
      ],
      UpdateImageSetMetadata: [
        "updateImageSetMetadataUpdates.DICOMUpdates.updatableAttributes (length > 30000)",
        "updateImageSetMetadataUpdates (union: two members set)",
      ],
    })) {
      const made = casesOf(op, generate(operation(op).input!.shape, sample) as Input, sample).map((c) => `${c.path} (${c.constraint})`);
      for (const e of expected) assert.ok(made.includes(e), `${op}: a case breaks ${e}; cases: ${made.join(", ")}`);
    }
    console.log(`      ${count} constraint violations over ${OPERATION_NAMES.length} operations in ${Date.now() - started} ms`);
  });

  it("every operation of the model has a valid call here, and its response has every required member and fits the output shapes", async () => {
    const ds = s.datastoreId;
    const head = s.imageSetOfSeries(SERIES.ctHead);
    const importConfiguration = {
      dicomJsonMetadataImportConfiguration: {
        dicomMetadataMappings: [
          { studyInstanceUID: STUDIES.ctHead, seriesInstanceUID: "1.2.3.4", metadataFilePath: "metadata/ct head.json" },
          { studyInstanceUID: STUDIES.brainMra, metadataFilePath: "metadata/mra.json" },
        ],
      },
    };
    fs.mkdirSync(path.join(s.emu.service.options.s3Root!, "conformance", "empty"), { recursive: true });
    const w: Record<string, string> = {};
    const arn = () => `arn:aws:medical-imaging:us-east-1:000000000000:datastore/${w.ds}`;
    const settled = (datastoreId: string, imageSetId: string) =>
      eventually(async () => {
        const out = await s.client.send(new GetImageSetCommand({ datastoreId, imageSetId }));
        return out.imageSetState === "ACTIVE" ? out : undefined;
      });
    // in call order; `then` keeps what later calls need
    const calls: [string, () => Input | Promise<Input>, ((out: Record<string, any>) => void | Promise<void>)?][] = [
      [
        "CreateDatastore",
        () => ({
          clientToken: "conformance",
          datastoreName: "conformance",
          tags: { purpose: "conformance" },
          kmsKeyArn: KMS_KEY,
          lambdaAuthorizerArn: LAMBDA,
          losslessStorageFormat: "HTJ2K",
        }),
        (o) => void (w.ds = o.datastoreId),
      ],
      [
        "GetDatastore",
        async () => {
          await eventually(async () => ((await send("GetDatastore", { datastoreId: w.ds })).text.includes('"ACTIVE"') ? true : undefined));
          return { datastoreId: w.ds };
        },
      ],
      ["ListDatastores", () => ({ maxResults: 50 })],
      ["TagResource", () => ({ resourceArn: arn(), tags: { project: "conformance" } })],
      ["ListTagsForResource", () => ({ resourceArn: arn() }), (o) => assert.deepEqual(o.tags, { purpose: "conformance", project: "conformance" })],
      ["UntagResource", () => ({ resourceArn: arn(), tagKeys: ["project", "purpose"] })],
      [
        "StartDICOMImportJob",
        () => ({
          datastoreId: w.ds,
          jobName: "conformance",
          dataAccessRoleArn: SEED_ROLE_ARN,
          clientToken: "conformance",
          inputS3Uri: "s3://conformance/empty/",
          outputS3Uri: "s3://conformance/output/",
          inputOwnerAccountId: "000000000000",
          importConfiguration,
        }),
        (o) => void (w.job = o.jobId),
      ],
      [
        "GetDICOMImportJob",
        async () => {
          await eventually(async () =>
            /"(COMPLETED|FAILED)"/.test((await send("GetDICOMImportJob", { datastoreId: w.ds, jobId: w.job })).text) ? true : undefined,
          );
          return { datastoreId: w.ds, jobId: w.job };
        },
        (o) => assert.deepEqual(o.jobProperties.importConfiguration, importConfiguration, "the import configuration is returned as sent"),
      ],
      ["ListDICOMImportJobs", () => ({ datastoreId: w.ds, maxResults: 10 })],
      [
        "SearchImageSets",
        () => ({
          datastoreId: ds,
          maxResults: 10,
          searchCriteria: {
            filters: [{ operator: "EQUAL", values: [{ DICOMStudyInstanceUID: STUDIES.ctHead }] }],
            sort: { sortField: "createdAt", sortOrder: "ASC" },
          },
        }),
      ],
      ["GetImageSet", () => ({ datastoreId: ds, imageSetId: head })],
      ["GetImageSetMetadata", () => ({ datastoreId: ds, imageSetId: head })],
      [
        "GetImageFrame",
        async () => {
          const doc = await metadataOf(s.client, ds, head);
          const frame = Object.values(doc.Study.Series)[0].Instances;
          return { datastoreId: ds, imageSetId: head, imageFrameInformation: { imageFrameId: Object.values(frame)[0].ImageFrames[0].ID } };
        },
      ],
      ["ListImageSetVersions", () => ({ datastoreId: ds, imageSetId: head })],
      [
        "CopyImageSet",
        async () => ({
          datastoreId: ds,
          sourceImageSetId: head,
          copyImageSetInformation: { sourceImageSet: { latestVersionId: (await settled(ds, head)).versionId } },
        }),
        async (o) => {
          w.copy = o.destinationImageSetProperties.imageSetId;
          await settled(ds, w.copy);
        },
      ],
      [
        "UpdateImageSetMetadata",
        () => ({
          datastoreId: ds,
          imageSetId: w.copy,
          latestVersionId: "1",
          updateImageSetMetadataUpdates: {
            DICOMUpdates: {
              updatableAttributes: Buffer.from(JSON.stringify({ SchemaVersion: "1.1", Study: { DICOM: { StudyDescription: "conformance" } } })).toString(
                "base64",
              ),
            },
          },
        }),
        async () => void (await settled(ds, w.copy)),
      ],
      ["DeleteImageSet", () => ({ datastoreId: ds, imageSetId: w.copy })],
      ["DeleteDatastore", () => ({ datastoreId: w.ds })],
    ];
    const covered = calls.map(([op]) => op).sort();
    assert.deepEqual(covered, [...OPERATION_NAMES].sort(), "every operation of the model has a valid call in this test (a new operation needs one)");
    const problems: string[] = [];
    for (const [op, input, then] of calls) {
      const i = await input();
      assert.doesNotThrow(() => validateInput(op, i), `the valid call of ${op} is valid for the model`);
      const res = await send(op, i);
      assert.equal(res.status, operation(op).http.responseCode ?? 200, `${op}: ${res.status} ${res.text.slice(0, 300)}`);
      problems.push(...outputProblems(op, res));
      if (then) await then(JSON.parse(res.text));
    }
    assert.deepEqual(problems, []);
    assert.ok(Object.keys(SERVICE_MODEL.shapes).length > 50);
  });

  it("GetImageSet and the search summaries carry storageTier and lastAccessedAt; a read of the data moves lastAccessedAt", async () => {
    const ds = s.datastoreId;
    const mra = s.imageSetOfSeries(SERIES.mra700);
    const get = async () => JSON.parse((await send("GetImageSet", { datastoreId: ds, imageSetId: mra })).text);
    const first = await get();
    assert.equal(first.storageTier, "FREQUENT_ACCESS");
    assert.equal(first.lastAccessedAt, first.createdAt, "never read: last accessed when created");
    const search = JSON.parse(
      (
        await send("SearchImageSets", {
          datastoreId: ds,
          searchCriteria: { filters: [{ operator: "EQUAL", values: [{ DICOMStudyInstanceUID: STUDIES.brainMra }] }] },
        })
      ).text,
    );
    const summary = search.imageSetsMetadataSummaries.find((x: { imageSetId: string }) => x.imageSetId === mra);
    assert.equal(summary.storageTier, "FREQUENT_ACCESS");
    assert.equal(summary.lastAccessedAt, first.lastAccessedAt);
    assert.equal((await get()).lastAccessedAt, first.lastAccessedAt, "GetImageSet itself is not a read of the data");
    const readAt = Date.now() / 1000;
    await metadataOf(s.client, ds, mra);
    const after = await get();
    assert.ok(
      after.lastAccessedAt >= readAt - 0.001 && after.lastAccessedAt > first.lastAccessedAt,
      `lastAccessedAt moved to the read (${after.lastAccessedAt} >= ${readAt})`,
    );
  });
});
