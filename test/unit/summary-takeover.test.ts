// The PR summary of a hi.Dataset switched from layout "perSeries" to "perCohort" (summary/takeover.ts):
// each CohortImageSets member being created whose per-series DerivedImageSet is deleted in the same
// plan takes its image set over at `up` (no copy, no delete), unless what the proof compares differs.
// Real previews first: test/fixtures/preview-upgrade.json is the switch of the dataset-curation example's
// stack made by 0.2.0 itself (22 series in 6 cohorts, two of them merges into a study's image set), and
// preview-upgrade-new-series.json the same with a series added to angio-views, both captured by
// test/e2e/dataset-per-cohort.test.ts (UPGRADE_PREVIEW_JSON_OUT=<dir>), which runs their `up` too. The
// cases after them are built in the shape `pulumi preview --json` gives.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { changesOf, summarize } from "../../provider/summary/summarize";
import { UNKNOWN } from "../../provider/resource/types";

const STACK = "dataset/test";
const PREFIX = "urn:pulumi:test::dataset::healthimaging:index:Dataset$pulumi-nodejs:dynamic/healthimaging";
const DS = "2ead2f3cdd8c762e59b47b8db0f375db";
const src = (n: number) => `${String(n).padStart(2, "0")}${"a".repeat(30)}`;
const made = (n: number) => `${String(n).padStart(2, "0")}${"b".repeat(30)}`;
const uid = (n: number) => `1.2.840.1.${n}`;

interface Series {
  cohort: string;
  n: number;
  instances?: string[];
  /** the series (n) of the base it merges into */
  mergeInto?: number;
}

/** The per-series DerivedImageSet's delete step, as 0.2.0's hi.Dataset left it in state. */
function perSeriesDelete(s: Series) {
  const name = `curated/${s.cohort}/${uid(s.n)}`;
  const inputs: Record<string, unknown> = {
    datastoreId: DS,
    ownerTag: `${STACK}/${name}`,
    sourceImageSetId: src(s.n),
    subset: { series: { [uid(s.n)]: s.instances ?? "all" } },
    ...(s.mergeInto !== undefined ? { destination: { imageSetId: made(s.mergeInto), versionId: "2" }, force: true } : {}),
  };
  const imageSetId = s.mergeInto !== undefined ? made(s.mergeInto) : made(s.n);
  return {
    op: "delete",
    urn: `${PREFIX}:DerivedImageSet::${name}`,
    oldState: {
      type: "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet",
      inputs,
      outputs: { ...inputs, imageSetId, versionId: s.mergeInto !== undefined ? "2" : "1", workflowStatus: "COPIED", imageSetState: "ACTIVE" } as Record<
        string,
        unknown
      >,
    },
  };
}

/** The cohort's CohortImageSets create step. */
function cohortCreate(cohort: string, series: Series[], members?: unknown) {
  const name = `curated/${cohort}`;
  return {
    op: "create",
    urn: `${PREFIX}:CohortImageSets::${name}`,
    newState: {
      type: "pulumi-nodejs:dynamic/healthimaging:CohortImageSets",
      inputs: {
        datastoreId: DS,
        ownerTag: `${STACK}/${name}`,
        members:
          members ??
          Object.fromEntries(
            series.map((s) => [
              uid(s.n),
              {
                sourceImageSetId: src(s.n),
                ...(s.instances ? { instances: s.instances } : {}),
                ...(s.mergeInto !== undefined ? { mergeInto: uid(s.mergeInto) } : {}),
              },
            ]),
          ),
      },
    },
  };
}

/** The switch: train (two series of their own) and brain-mra (a study: series 4 merged into series 3). */
const TRAIN: Series[] = [
  { cohort: "train", n: 1 },
  { cohort: "train", n: 2, instances: ["1.2.840.9.1", "1.2.840.9.2"] },
];
const BRAIN: Series[] = [
  { cohort: "brain-mra", n: 3 },
  { cohort: "brain-mra", n: 4, mergeInto: 3 },
];
const upgrade = (train = TRAIN, brain = BRAIN, before = [...TRAIN, ...BRAIN]) => ({
  steps: [
    { op: "update", urn: "urn:pulumi:test::dataset::healthimaging:index:Dataset::curated", newState: { type: "healthimaging:index:Dataset" } },
    cohortCreate("train", train),
    cohortCreate("brain-mra", brain),
    ...before.map(perSeriesDelete),
  ],
});
const writes = (text: string) => /Write calls: (\d+) CopyImageSet, (\d+) UpdateImageSetMetadata, (\d+) DeleteImageSet/.exec(text)?.slice(1).map(Number);

const FIXTURES = path.resolve(__dirname, "..", "fixtures");
interface FixtureStep {
  op: string;
  urn: string;
  newState: { inputs: { members: Record<string, { instances?: string[] }> } };
}
const fixture = (name: string) => JSON.parse(fs.readFileSync(path.join(FIXTURES, name), "utf8")) as { steps: FixtureStep[] };
const MRA700 = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118";
const MRA2 = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.17";

describe("summary: the switch of a real 0.2.0 stack to layout perCohort (captured previews)", () => {
  it("the switch: 22 series taken over, 0 CopyImageSet, 0 DeleteImageSet, no time (it was: 22 copies, 2 updates, 20 deletes, about 84 s)", () => {
    const p = fixture("preview-upgrade.json");
    const changes = changesOf(p);
    assert.equal(changes.length, 22);
    assert.ok(
      changes.every((c) => c.op === "takeover" && c.takeover?.certain && c.takeover.from === c.name),
      JSON.stringify(changes, null, 1),
    );
    assert.deepEqual(
      changes.filter((c) => c.merge).map((c) => c.name.split("/").slice(0, 2).join("/")),
      ["curated/brain-mra", "curated/brain-mra"],
    );
    const text = summarize(p);
    assert.deepEqual(writes(text), [0, 0, 0]);
    assert.match(text, /Write calls: 0 CopyImageSet, 0 UpdateImageSetMetadata, 0 DeleteImageSet; nothing waits\.$/m);
    assert.match(
      text,
      /^- `curated\/brain-mra`: 3 series taken over from the per-series resources: no copy, no delete, recorded in state only \(2 merges stay in the study's image set\)$/m,
    );
    assert.match(text, /^- `curated\/angio-views`: 1 series taken over from the per-series resource: no copy, no delete, recorded in state only$/m);
    assert.doesNotMatch(text, /\| (create|delete|take over \(may copy\)) \||about \d+ s/);
  });

  it("the switch and a series added: only the new series' copy is counted", () => {
    const text = summarize(fixture("preview-upgrade-new-series.json"));
    assert.deepEqual(writes(text), [1, 0, 0]);
    assert.ok(text.includes(`| \`curated/angio-views/${MRA2}\` | create | 1 whole series | none | new in the program |`), text);
    assert.match(text, /^\| `curated\/angio-views` \| 1 \| 0 \| 0 \| 0 \| 1 \| 1 whole series \| none \|$/m);
    assert.ok(text.includes("<summary>22 series taken over</summary>"), text);
  });

  it("the switch with one series' instances edited: that series is copied anew and its old image set deleted, the rest taken over", () => {
    const p = fixture("preview-upgrade.json");
    const angio = p.steps.find((s) => s.op === "create" && s.urn.endsWith("::curated/angio-views"))!;
    angio.newState.inputs.members[MRA700].instances = [
      "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.119",
      "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.121",
    ];
    const text = summarize(p);
    assert.deepEqual(writes(text), [1, 0, 1]);
    assert.match(
      text,
      /\| create \| 2 instances \| none \| new in the program; not taken over from the per-series resource `curated\/angio-views\/[0-9.]+` \(other instances \(1 added, 1 removed\)\): copied anew \|/,
    );
    assert.ok(text.includes("<summary>21 series taken over</summary>"), text);
  });
});

describe("summary: the switch of a hi.Dataset to layout perCohort (takeover of the per-series image sets)", () => {
  it("the switch as it is: every series taken over, 0 writes, 0 time, no row of create or delete", () => {
    const changes = changesOf(upgrade());
    assert.deepEqual(
      changes.map((c) => [c.name, c.op, c.takeover?.from, c.takeover?.certain, c.merge ?? false]),
      [
        [`curated/brain-mra/${uid(3)}`, "takeover", `curated/brain-mra/${uid(3)}`, true, false],
        [`curated/brain-mra/${uid(4)}`, "takeover", `curated/brain-mra/${uid(4)}`, true, true],
        [`curated/train/${uid(1)}`, "takeover", `curated/train/${uid(1)}`, true, false],
        [`curated/train/${uid(2)}`, "takeover", `curated/train/${uid(2)}`, true, false],
      ],
    );
    for (const c of changes) assert.deepEqual(c.calls, { CopyImageSet: 0, UpdateImageSetMetadata: 0, DeleteImageSet: 0 });
    const text = summarize(upgrade());
    assert.deepEqual(writes(text), [0, 0, 0]);
    assert.match(text, /Write calls: 0 CopyImageSet, 0 UpdateImageSetMetadata, 0 DeleteImageSet; nothing waits\./);
    assert.doesNotMatch(text, /about \d+ s|plus the copies' own time|\| (create|delete) \|/);
    assert.match(
      text,
      /\| cohort \| series added \| series removed \| series updated \| series replaced \| series taken over \| instances added \| instances removed \|/,
    );
    assert.match(text, /^\| `curated\/train` \| 0 \| 0 \| 0 \| 0 \| 2 \| none \| none \|$/m);
    assert.match(text, /^\| `curated\/brain-mra` \| 0 \| 0 \| 0 \| 0 \| 2 \| none \| none \|$/m);
    assert.match(text, /^No derived image set is copied, changed or deleted\.$/m);
    assert.match(
      text,
      /^- `curated\/brain-mra`: 2 series taken over from the per-series resources: no copy, no delete, recorded in state only \(1 merge stays in the study's image set\)$/m,
    );
    assert.match(text, /^- `curated\/train`: 2 series taken over from the per-series resources: no copy, no delete, recorded in state only$/m);
    assert.ok(text.includes(`- \`curated/train/${uid(1)}\`\n`), text);
    assert.ok(text.includes(`- \`curated/brain-mra/${uid(4)}\` (a merge)\n`), text);
    assert.match(text, /a series whose source image set has a newer version than the one its per-series resource copied may be copied anew instead/);
  });

  it("one series taken over alone says it in the singular", () => {
    const one = [TRAIN[0]];
    const text = summarize(upgrade(one, [], one));
    assert.match(text, /^- `curated\/train`: 1 series taken over from the per-series resource: no copy, no delete, recorded in state only$/m);
  });

  it("the switch and a genuinely new series: the new one's copy is counted, the others are taken over", () => {
    const train = [...TRAIN, { cohort: "train", n: 5 }];
    const text = summarize(upgrade(train));
    assert.deepEqual(writes(text), [1, 0, 0]);
    assert.match(text, /^\| `curated\/train` \| 1 \| 0 \| 0 \| 0 \| 2 \| 1 whole series \| none \|$/m);
    assert.ok(text.includes(`| \`curated/train/${uid(5)}\` | create | 1 whole series | none | new in the program |`), text);
    assert.match(text, /plus the copies' own time\./);
  });

  it("a series declared with other instances: not taken over, copied anew and its old image set deleted, both rows say why", () => {
    const train = [TRAIN[0], { ...TRAIN[1], instances: ["1.2.840.9.1", "1.2.840.9.3"] }];
    const text = summarize(upgrade(train));
    assert.deepEqual(writes(text), [1, 0, 1]);
    const name = `curated/train/${uid(2)}`;
    assert.ok(
      text.includes(
        `| \`${name}\` | create | 2 instances | none | new in the program; not taken over from the per-series resource \`${name}\` (other instances (1 added, 1 removed)): copied anew |`,
      ),
      text,
    );
    assert.ok(text.includes(`| \`${name}\` | delete | none | 2 instances | removed from the program; not taken over by its series' member`), text);
    assert.match(text, /^- `curated\/train`: 1 series taken over from the per-series resource: no copy/m);
  });

  it("a merge whose first series is copied anew is merged anew too (into the new copy); the old merge is undone", () => {
    const before = [...TRAIN, { ...BRAIN[0], instances: ["1.2.840.9.6"] }, BRAIN[1]];
    const brain = [{ ...BRAIN[0], instances: ["1.2.840.9.7"] }, BRAIN[1]];
    const changes = changesOf(upgrade(TRAIN, brain, before));
    const ops = changes.filter((c) => c.cohort === "curated/brain-mra").map((c) => [c.op, c.calls]);
    assert.deepEqual(ops, [
      ["create", { CopyImageSet: 1, UpdateImageSetMetadata: 0, DeleteImageSet: 0 }],
      ["delete", { CopyImageSet: 0, UpdateImageSetMetadata: 0, DeleteImageSet: 1 }],
      ["create", { CopyImageSet: 1, UpdateImageSetMetadata: 0, DeleteImageSet: 0 }],
      ["delete", { CopyImageSet: 0, UpdateImageSetMetadata: 1, DeleteImageSet: 0 }],
    ]);
    assert.match(changes[2].reasons.join(), /the image set it merges into is copied anew/);
    assert.deepEqual(writes(summarize(upgrade(TRAIN, brain, before))), [2, 1, 1]);
  });

  it("what the preview cannot tell (the whole series now a list; a value unknown until up): 'may copy', counted, and said to be an upper bound", () => {
    const train = [{ ...TRAIN[0], instances: ["1.2.840.9.1"] }, TRAIN[1]];
    const text = summarize(upgrade(train));
    assert.deepEqual(writes(text), [1, 0, 1]);
    const name = `curated/train/${uid(1)}`;
    assert.ok(
      text.includes(
        `| \`${name}\` | take over (may copy) | none | 1 whole series | may copy: \`up\` takes over the image set of the per-series resource \`${name}\``,
      ),
      text,
    );
    assert.match(text, /the instances are declared another way \(the whole series, now a list\)/);
    assert.match(text, /^\| `curated\/train` \| 0 \| 0 \| 0 \| 0 \| 2 \(1 may copy\) \|/m);
    assert.match(text, /^Of these, up to 1 CopyImageSet, 1 DeleteImageSet may not happen: 1 series may be taken over from its per-series resource instead/m);

    const unknown = upgrade();
    const batch = unknown.steps[1] as ReturnType<typeof cohortCreate>;
    (batch.newState.inputs.members as Record<string, { sourceImageSetId: string }>)[uid(1)].sourceImageSetId = UNKNOWN;
    const c = changesOf(unknown).find((x) => x.name === `curated/train/${uid(1)}`)!;
    assert.equal(c.takeover?.certain, false);
    assert.match(c.reasons.join(), /`sourceImageSetId` is not known until `up`/);
    // a merge into a base that may be copied anew may be merged anew
    const brain = [{ ...BRAIN[0], instances: ["1.2.840.9.1"] }, BRAIN[1]];
    const merge = changesOf(upgrade(TRAIN, brain)).find((x) => x.name === `curated/brain-mra/${uid(4)}`)!;
    assert.equal(merge.takeover?.certain, false);
    assert.deepEqual(merge.calls, { CopyImageSet: 1, UpdateImageSetMetadata: 1, DeleteImageSet: 0 });
  });

  it("a cohort whose members are not known until up: its per-series deletes may not happen, and say so", () => {
    const p = upgrade();
    p.steps[1] = cohortCreate("train", TRAIN, UNKNOWN);
    const text = summarize(p);
    assert.deepEqual(writes(text), [0, 0, 2]);
    assert.match(
      text,
      /\| delete \| none \| 1 whole series \| removed from the program; may not delete: .*the members of `curated\/train` are not known until `up`/,
    );
    assert.match(text, /^Of these, up to 2 DeleteImageSet may not happen/m);
  });

  it("a per-series resource of another stack or name is no takeover: a plain create and delete", () => {
    const p = upgrade();
    const del = p.steps[3] as ReturnType<typeof perSeriesDelete>;
    del.oldState.inputs = { ...del.oldState.inputs, ownerTag: `other/stack/curated/train/${uid(1)}` };
    del.oldState.outputs = { ...del.oldState.outputs, ownerTag: `other/stack/curated/train/${uid(1)}` };
    assert.deepEqual(writes(summarize(p)), [1, 0, 1]);
  });

  it("a per-series resource whose copy was never proven holds no image set: its member copies, its delete calls nothing", () => {
    const p = upgrade();
    const del = p.steps[3] as ReturnType<typeof perSeriesDelete>;
    del.oldState.outputs = { ...del.oldState.outputs, imageSetId: "", workflowStatus: "UNKNOWN" };
    const text = summarize(p);
    assert.deepEqual(writes(text), [1, 0, 0]);
    const name = `curated/train/${uid(1)}`;
    assert.ok(
      text.includes(
        `| \`${name}\` | create | 1 whole series | none | new in the program; not taken over from the per-series resource \`${name}\` (the per-series resource holds no image set (its copy was never proven)): copied anew |`,
      ),
      text,
    );
    assert.ok(
      text.includes(
        `| \`${name}\` | delete | none | 1 whole series | removed from the program; it holds no image set (its copy was never proven): nothing to delete; its series' member copies anew |`,
      ),
      text,
    );
  });

  it("a switch whose up stopped before the deletes: the members in state took the image sets over, the deletes keep them", () => {
    const p = upgrade();
    const batch = p.steps[1] as ReturnType<typeof cohortCreate> & { oldState?: unknown };
    // train is in state with both members (taken over); brain-mra is still to make
    batch.op = "same";
    batch.oldState = {
      type: batch.newState.type,
      outputs: {
        datastoreId: DS,
        ownerTag: batch.newState.inputs.ownerTag,
        members: {
          [uid(1)]: { sourceImageSetId: src(1), imageSetId: made(1), versionId: "1" },
          [uid(2)]: { sourceImageSetId: src(2), instances: TRAIN[1].instances, imageSetId: made(2), versionId: "1" },
        },
      },
    };
    const text = summarize(p);
    assert.deepEqual(writes(text), [0, 0, 0]);
    assert.match(text, /^- `curated\/train`: 2 series taken over from the per-series resources: no copy, no delete, recorded in state only$/m);
    // a member in state holding another image set than the per-series resource's: that delete is real
    (batch.oldState as { outputs: { members: Record<string, { imageSetId: string }> } }).outputs.members[uid(1)].imageSetId = made(9);
    assert.deepEqual(writes(summarize(p)), [0, 0, 1]);
  });
});
