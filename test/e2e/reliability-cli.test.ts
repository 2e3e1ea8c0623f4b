// Reliability with the real Pulumi CLI (file backend, offline) against a seeded in-process
// local service:
//   - throttling storm: 100 DerivedImageSets in one `pulumi up` under a CopyImageSet limit of
//     5 TPS with a burst of 1; the service throttles many calls, no failure reaches the user;
//   - concurrency: several resources merging into the same destination image set in one
//     `pulumi up`; every declared instance ends up there exactly once and each merge was applied
//     on the then-current version;
//   - neither the CLI output nor the exported state carries patient-level DICOM values.

import { GetImageSetCommand, ListImageSetVersionsCommand, ListTagsForResourceCommand, SearchImageSetsCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { decodeRanges, madeTagKey } from "../../provider/recovery/records";

/** the stack's own key (project "merges", stack "test") */
const MADE_TAG = madeTagKey("merges/test/dest");
import { ensureBuilt } from "../support/build";
import { createProject, type PulumiProject } from "../support/pulumiCli";
import { instancesIn, metadataOf, patientValues, type Seeded, SERIES, startSeeded } from "../support/seeded";

export const CLI_FIGURES: Record<string, string | number> = {};

type Resource = { name: string; args: Record<string, unknown>; destinationFrom?: string };
type StateResource = { urn: string; type: string; id?: string; outputs?: Record<string, unknown> };

describe("reliability: the real Pulumi CLI under a throttling storm and concurrent merges", function () {
  this.timeout(420_000);
  let seeded: Seeded;
  let project: PulumiProject;
  let values: string[];
  const program = fs.readFileSync(path.join(__dirname, "..", "fixtures", "specProgram.ts"), "utf8");
  const live = async () => {
    const ids: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await seeded.client.send(new SearchImageSetsCommand({ datastoreId: seeded.datastoreId, maxResults: 50, nextToken }));
      ids.push(...page.imageSetsMetadataSummaries!.map((s) => s.imageSetId!));
      nextToken = page.nextToken;
    } while (nextToken);
    return ids.sort();
  };
  const exported = async (p: PulumiProject) => {
    const text = (await p.ok(["stack", "export"])).stdout;
    return { text, resources: (JSON.parse(text).deployment.resources as StateResource[]).filter((r) => r.type.includes("DerivedImageSet")) };
  };
  const noPatientValues = (where: string, text: string) => {
    for (const v of values) assert.ok(!text.includes(v), `${where} contains a patient-level value (${v.length} chars)`);
  };

  before(async function () {
    this.timeout(20 * 60_000);
    ensureBuilt();
    seeded = await startSeeded({ rateLimits: { CopyImageSet: { rate: 5, burst: 1 } } });
    values = await patientValues(seeded);
    assert.ok(values.length >= 3, "the sample data has patient values to look for");
  });
  after(async () => {
    project?.remove();
    await seeded?.stop();
  });

  it("100 resources in one up under a 5 TPS / burst 1 copy limit: up exits 0 with 100 image sets, many calls throttled", async () => {
    const before = await live();
    const series = [SERIES.ctHead, SERIES.mra700, SERIES.ct5, SERIES.cr1];
    const resources: Resource[] = Array.from({ length: 100 }, (_, i) => ({
      name: `storm${String(i).padStart(3, "0")}`,
      args: { sourceImageSetId: seeded.imageSetOfSeries(series[i % series.length]) },
    }));
    project = await createProject("storm", { "index.ts": program, "spec.json": JSON.stringify({ datastoreId: seeded.datastoreId, resources }) }, seeded.emu);
    const throttledBefore = seeded.emu.limiter.throttled.CopyImageSet ?? 0;
    const started = Date.now();
    const up = await project.run(["up", "--yes", "--skip-preview"]);
    const seconds = (Date.now() - started) / 1000;
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    const throttled = (seeded.emu.limiter.throttled.CopyImageSet ?? 0) - throttledBefore;
    const added = (await live()).filter((id) => !before.includes(id));
    assert.equal(added.length, 100, "exactly one image set per resource");
    const { text, resources: state } = await exported(project);
    assert.equal(state.length, 100);
    assert.deepEqual(state.map((r) => r.id).sort(), added.sort(), "state records exactly the image sets made");
    assert.ok(state.every((r) => r.outputs?.imageSetState === "ACTIVE"));
    assert.ok(throttled > 0, "the service throttled");
    noPatientValues("the CLI output of up", up.stdout + up.stderr);
    noPatientValues("the exported state", text);
    CLI_FIGURES.stormResources = 100;
    CLI_FIGURES.stormThrottled = throttled;
    CLI_FIGURES.stormSeconds = Math.round(seconds);
    CLI_FIGURES.stormImageSets = added.length;
    console.log(`      storm: 100 resources, ${throttled} CopyImageSet calls throttled, up took ${Math.round(seconds)} s`);
    // tear down in one destroy (also throttled-free: only deletes) and check nothing is left
    await project.ok(["destroy", "--yes", "--skip-preview"]);
    assert.deepEqual(await live(), before, "destroy removed all 100");
    project.remove();
  });

  it("several resources merging into one destination in one up: each instance exactly once, each merge on the then-current version", async () => {
    seeded.emu.limiter.setLimits({});
    // one image set per series: the MRA study's three series come from three sources
    const [big, mid, small] = [SERIES.mra700, SERIES.mra2, SERIES.mra1];
    const [mra, mraMid, mraSmall] = [big, mid, small].map((uid) => seeded.imageSetOfSeries(uid));
    const series: Record<string, string[]> = {};
    for (const id of [mra, mraMid, mraSmall]) Object.assign(series, instancesIn(await metadataOf(seeded.client, seeded.datastoreId, id)));
    const resources: Resource[] = [
      { name: "dest", args: { sourceImageSetId: mra, subset: { series: { [big]: series[big].slice(0, 2) } } } },
      ...series[big]
        .slice(2)
        .map((uid, i) => ({ name: `part${i}`, args: { sourceImageSetId: mra, subset: { series: { [big]: [uid] } }, force: true }, destinationFrom: "dest" })),
      { name: `mid`, args: { sourceImageSetId: mraMid, subset: { series: { [mid]: "all" } }, force: true }, destinationFrom: "dest" },
      { name: `small`, args: { sourceImageSetId: mraSmall, subset: { series: { [small]: "all" } }, force: true }, destinationFrom: "dest" },
    ];
    const merges = resources.length - 1;
    project = await createProject("merges", { "index.ts": program, "spec.json": JSON.stringify({ datastoreId: seeded.datastoreId, resources }) }, seeded.emu);
    const up = await project.run(["up", "--yes", "--skip-preview", "--parallel", "16"]);
    assert.equal(up.code, 0, `${up.stdout}\n${up.stderr}`);
    const { resources: state } = await exported(project);
    const byName = new Map(state.map((r) => [r.urn.split("::").pop()!, r.outputs!]));
    const destId = String(byName.get("dest")!.imageSetId);
    // every declared instance present, exactly once (also across series)
    const now = instancesIn(await metadataOf(seeded.client, seeded.datastoreId, destId));
    assert.deepEqual(now, { [big]: series[big], [mid]: series[mid], [small]: series[small] });
    const all = Object.values(now).flat();
    assert.equal(new Set(all).size, all.length);
    // versions 1..merges+1, each made by exactly one merge, applied on the version just before it
    const versions = (await seeded.client.send(new ListImageSetVersionsCommand({ datastoreId: seeded.datastoreId, imageSetId: destId })))
      .imageSetPropertiesList!;
    assert.deepEqual(
      versions.map((v) => Number(v.versionId)).sort((a, b) => a - b),
      Array.from({ length: merges + 1 }, (_, i) => i + 1),
    );
    const arn = (await seeded.client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: destId }))).imageSetArn!;
    const tags = (await seeded.client.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? {};
    const made = new Set<string>();
    for (const r of resources.slice(1)) {
      const outs = byName.get(r.name)!;
      const v = Number(outs.versionId);
      assert.equal(outs.imageSetId, destId);
      assert.equal(Number(outs.destinationVersionBefore), v - 1, `${r.name} was applied on the then-current version`);
      assert.ok(!made.has(String(v)), `version ${v} claimed twice`);
      made.add(String(v));
      assert.deepEqual(outs.versionsMade, [String(v)], `version ${v} is ${r.name}'s, by its state`);
      assert.ok(decodeRanges(tags[MADE_TAG]).includes(v), `version ${v} is listed as made by the stack`);
      // version v = version v-1 + exactly this merge's instances
      const prev = instancesIn(await metadataOf(seeded.client, seeded.datastoreId, destId, String(v - 1)));
      const cur = instancesIn(await metadataOf(seeded.client, seeded.datastoreId, destId, String(v)));
      const expected = structuredClone(prev);
      const declared = (r.args.subset as { series: Record<string, "all" | string[]> }).series;
      for (const [s, sel] of Object.entries(declared)) expected[s] = [...(expected[s] ?? []), ...(sel === "all" ? series[s] : sel)].sort();
      assert.deepEqual(cur, expected, `version ${v} = version ${v - 1} + ${r.name}'s instances`);
    }
    await project.ok(["preview", "--expect-no-changes"]);
    CLI_FIGURES.mergeResources = merges;
    CLI_FIGURES.mergeVersions = versions.length;
    await project.ok(["destroy", "--yes", "--skip-preview"]);
  });
});
