// CohortImageSets' member diff (batch/diff.ts) and its compact state (batch/members.ts): which
// members `up` touches, from state alone, by the single DerivedImageSet's own rules.

import assert from "node:assert/strict";
import { diffMembers } from "../../provider/batch/diff";
import { type BatchInputs, type BatchState, compactMember, memberCreateInputs, memberOutputs } from "../../provider/batch/members";
import { CohortImageSetsProvider } from "../../provider/batch/provider";
import { createDerivedImageSetOutputsForTest } from "./support-batch";

const DS = "a".repeat(32);
const SRC = "b".repeat(32);
const SET = (n: number) => String(n).padStart(32, "c");
const OWNER = "proj/dev/curated/train";

const state = (members: BatchState["members"], extra: Partial<BatchState> = {}): BatchState => ({ datastoreId: DS, ownerTag: OWNER, members, ...extra });
const inputs = (members: BatchInputs["members"], extra: Partial<BatchInputs> = {}): BatchInputs => ({ datastoreId: DS, ownerTag: OWNER, members, ...extra });

describe("CohortImageSets: the member diff", () => {
  const old = state({
    "1.1": { sourceImageSetId: SRC, imageSetId: SET(1), versionId: "1", instanceCount: 3 },
    "1.2": { sourceImageSetId: SRC, instances: ["9.1", "9.2"], imageSetId: SET(2), versionId: "1", instanceCount: 2 },
    "1.3": { sourceImageSetId: SRC, mergeInto: "1.1", id: `${SET(1)}/merge/2`, imageSetId: SET(1), versionId: "2", destinationVersionBefore: "1" },
  });
  const same = inputs({
    "1.1": { sourceImageSetId: SRC },
    "1.2": { sourceImageSetId: SRC, instances: ["9.2", "9.1"] },
    "1.3": { sourceImageSetId: SRC, mergeInto: "1.1" },
  });

  it("no change: no member, and instance order does not count", () => {
    assert.deepEqual(diffMembers(old, same), { members: {}, sharedChanged: false });
  });

  it("adding and removing a series touches exactly those members", () => {
    const news = inputs({ ...same.members, "1.4": { sourceImageSetId: SRC } });
    delete news.members["1.2"];
    assert.deepEqual(diffMembers(old, news).members, { "1.4": "add", "1.2": "delete" });
  });

  it("an edited instance list updates that member in place", () => {
    const news = inputs({ ...same.members, "1.2": { sourceImageSetId: SRC, instances: ["9.1", "9.3"] } });
    assert.deepEqual(diffMembers(old, news).members, { "1.2": "update" });
  });

  it("another source replaces the member; a replaced base replaces its merges", () => {
    const other = "d".repeat(32);
    assert.deepEqual(diffMembers(old, inputs({ ...same.members, "1.2": { sourceImageSetId: other } })).members, { "1.2": "replace" });
    assert.deepEqual(diffMembers(old, inputs({ ...same.members, "1.1": { sourceImageSetId: other } })).members, { "1.1": "replace", "1.3": "replace" });
  });

  it("a recorded shared setting (endpoint, timeouts) changes no member; a new data store replaces all", () => {
    const d = diffMembers(old, { ...same, endpoint: "http://127.0.0.1:1", timeouts: { create: "1h" } });
    assert.deepEqual(d, { members: {}, sharedChanged: true });
    assert.deepEqual(Object.values(diffMembers(old, { ...same, datastoreId: "e".repeat(32) }).members), ["replace", "replace", "replace"]);
  });

  it("drift found by refresh on one member updates that member only; an interrupted copy resumes", () => {
    const drifted = state({ ...old.members, "1.2": { ...old.members["1.2"], driftVersions: ["2"] } });
    assert.deepEqual(diffMembers(drifted, same).members, { "1.2": "update" });
    const locked = state({ ...old.members, "1.1": { ...old.members["1.1"], imageSetState: "LOCKED", workflowStatus: "COPYING" } });
    assert.deepEqual(diffMembers(locked, same).members, { "1.1": "update" });
  });

  it("an unresolved copy (UNKNOWN) is made again", () => {
    const unknown = state({ ...old.members, "1.2": { ...old.members["1.2"], imageSetId: "", versionId: "", workflowStatus: "UNKNOWN" } });
    assert.deepEqual(diffMembers(unknown, same).members, { "1.2": "replace" });
  });
});

describe("CohortImageSets: compact state", () => {
  it("a member round-trips through the single resource's outputs, keeping what delete and refresh read", () => {
    const base = () => ({ imageSetId: SET(1), versionId: "1" });
    const m = { sourceImageSetId: SRC, instances: ["9.1"], mergeInto: "1.1" };
    const single = memberCreateInputs({ datastoreId: DS, region: "us-east-1" }, OWNER, "1.3", m, base);
    assert.equal(single.ownerTag, `${OWNER}[1.3]`);
    assert.equal(single.formerOwnerTag, `${OWNER}/1.3`);
    assert.deepEqual(single.destination, { imageSetId: SET(1), versionId: "1" });
    assert.deepEqual(single.subset, { series: { "1.3": ["9.1"] } });
    const outs = createDerivedImageSetOutputsForTest(single, { imageSetId: SET(1), versionId: "3", destinationVersionBefore: "2", instanceCount: 1 });
    const s = compactMember("1.3", m, `${SET(1)}/merge/3`, outs);
    assert.deepEqual(s, {
      sourceImageSetId: SRC,
      instances: ["9.1"],
      mergeInto: "1.1",
      id: `${SET(1)}/merge/3`,
      imageSetId: SET(1),
      versionId: "3",
      sourceVersionId: "1",
      destinationVersionBefore: "2",
      instanceCount: 1,
    });
    const back = memberOutputs({ datastoreId: DS, region: "us-east-1" }, OWNER, "1.3", s, base);
    for (const k of [
      "datastoreId",
      "region",
      "sourceImageSetId",
      "subset",
      "ownerTag",
      "imageSetId",
      "versionId",
      "destinationVersionBefore",
      "versionsMade",
    ] as const)
      assert.deepEqual(back[k], { ...outs, versionsMade: ["3"] }[k], k);
    assert.deepEqual(back.destination, { imageSetId: SET(1), versionId: "1" });
    assert.ok(JSON.stringify(s).length < 300, `${JSON.stringify(s).length} bytes`);
  });
});

describe("CohortImageSets: check", () => {
  const provider = new CohortImageSetsProvider();
  it("names the member key and the field of each problem; shared problems once", async () => {
    const r = await provider.check(
      {},
      {
        datastoreId: "nope",
        checkWithService: false,
        members: { "1.1": { sourceImageSetId: SRC }, "1.2": { sourceImageSetId: "x", mergeInto: "1.9" }, "1.x": { sourceImageSetId: SRC, colour: 1 } },
      },
    );
    const props = (r.failures ?? []).map((f) => f.property).sort();
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    assert.deepEqual((await provider.check({}, { datastoreId: DS, checkWithService: false, members: unknown })).failures, [], "members known only at up");
    assert.equal((await provider.diff("id", state({}), { datastoreId: DS, members: unknown } as never)).changes, true);
    assert.deepEqual(props, [
      "datastoreId",
      'members["1.2"].mergeInto',
      'members["1.2"].sourceImageSetId',
      'members["1.x"].colour',
      'members["1.x"].instances',
    ]);
  });
});

describe("CohortImageSets: the PR summary reads its members", () => {
  it("an update of a batch shows as its members' creates, updates and deletes, by cohort", async () => {
    const { summarize } = await import("../../provider/summary/summarize");
    const urn = "urn:pulumi:dev::proj::healthimaging:index:Dataset$pulumi-nodejs:dynamic/healthimaging:CohortImageSets::curated/train";
    const olds = state({
      "1.1": { sourceImageSetId: SRC, imageSetId: SET(1), versionId: "1", instanceCount: 3 },
      "1.2": { sourceImageSetId: SRC, instances: ["9.1", "9.2"], imageSetId: SET(2), versionId: "1", instanceCount: 2 },
    });
    const news = inputs({ "1.2": { sourceImageSetId: SRC, instances: ["9.1", "9.3"] }, "1.4": { sourceImageSetId: SRC } });
    const type = "pulumi-nodejs:dynamic/healthimaging:CohortImageSets";
    const text = summarize({
      steps: [{ op: "update", urn, oldState: { type, inputs: {}, outputs: olds as never }, newState: { type, inputs: news as never } }],
    });
    assert.ok(text.includes("| `curated/train` | 1 | 1 | 1 | 0 | 1 instance and 1 whole series | 1 instance and 1 whole series |"), text);
    assert.ok(text.includes("| `curated/train/1.2` | update | 1 instance | 1 instance | edited `subset` |"), text);
    assert.ok(text.includes("| `curated/train/1.4` | create | 1 whole series | none | new in the program |"), text);
    assert.ok(text.includes("| `curated/train/1.1` | delete | none | 1 whole series | removed from the program |"), text);
    assert.ok(text.includes("Write calls: 2 CopyImageSet, 1 UpdateImageSetMetadata, 1 DeleteImageSet"), text);
  });
});

describe("CohortImageSets at 10,000 series", () => {
  it("state (the members in inputs and outputs) stays under 10 MB, and a no-change diff is quick", () => {
    const N = 10_000;
    const uid = (i: number) => `1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.${100000 + i}.${i}`;
    const members: BatchInputs["members"] = {};
    const states: BatchState["members"] = {};
    for (let i = 0; i < N; i++) {
      const key = uid(i);
      const m = { sourceImageSetId: SET(i + 1_000_000) };
      members[key] = m;
      const outs = createDerivedImageSetOutputsForTest(
        memberCreateInputs({ datastoreId: DS }, OWNER, key, m, () => undefined),
        {
          imageSetId: SET(i),
          versionId: "1",
          destinationVersionBefore: null,
          instanceCount: 120,
        },
      );
      states[key] = compactMember(key, m, SET(i), outs);
    }
    const bytes = JSON.stringify(members).length + JSON.stringify(states).length;
    assert.ok(bytes < 10_000_000, `${bytes} bytes`);
    assert.ok(bytes / N < 400, `${Math.round(bytes / N)} bytes per member`);
    const t = Date.now();
    assert.deepEqual(diffMembers(state(states), inputs(members)).members, {});
    assert.ok(Date.now() - t < 5_000, `${Date.now() - t} ms for the diff`);
  });
});
