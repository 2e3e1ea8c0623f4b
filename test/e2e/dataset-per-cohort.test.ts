// hi.Dataset with layout "perCohort" (one CohortImageSets resource per cohort, batch/provider.ts)
// end to end with the real Pulumi CLI against the local service, through a counting proxy:
//   - a stack made by 0.2.0 itself (the package built from git history at its commit,
//     scripts/build-old-provider.sh, and its own example program: perSeries, its only layout),
//     upgraded to this version with layout perCohort in place: no CopyImageSet, no DeleteImageSet,
//     every image set still there at the same version, the manifest identical; the PR summary of
//     its preview says so (every series taken over, 0 writes), and of the switch with a new series
//     added, counts that series' copy only (UPGRADE_PREVIEW_JSON_OUT=<dir> writes both previews:
//     test/fixtures/preview-upgrade*.json);
//   - state bytes per member against per DerivedImageSet;
//   - a no-change preview that calls nothing of the provider's; an edit of one cohort adding and
//     removing a series touches only those members (counted writes) and the PR summary names them;
//   - refresh finds drift on one member only; destroy deletes every image set;
//   - an `up` failing after part of the copies resumes without copying any member twice.

import assert from "node:assert/strict";
import { type ChildProcess, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { UpdateImageSetMetadataCommand } from "@aws-sdk/client-medical-imaging";
import type { DatasetManifest } from "../../provider/dataset/dataset";
import { ensureBuilt } from "../support/build";
import { ANGIO_BEFORE, EXAMPLE, edited, ORIGINAL } from "../support/datasetExample";
import { byOperation, type CountingProxy, startProxy } from "../support/countingProxy";
import { awsEnv } from "../support/emulator";
import { fileAt, installProviderTarball, oldProviderTarball, providerIn, RELEASES, traceProviderLoads, useCurrentProvider } from "../support/oldProvider";
import { createProject, killCliAndWait, type PulumiProject } from "../support/pulumiCli";
import { type Seeded, SERIES, startSeeded } from "../support/seeded";

const ROOT = path.resolve(__dirname, "..", "..");
/** angio-views: a second series added, the first declared as before (the switch plus a new series) */
const withNewSeries = () => edited(`${ANGIO_BEFORE}        "${SERIES.mra2}": all\n`);
/** the example's program with the layout from config */
const PROGRAM = fs
  .readFileSync(path.join(EXAMPLE, "index.ts"), "utf8")
  .replace(
    `  region: new pulumi.Config("aws").get("region"),\n`,
    `  region: new pulumi.Config("aws").get("region"),\n  layout: config.get("layout") as "perSeries" | "perCohort" | undefined,\n  onForeignVersions: config.get("onForeignVersions") as "stop" | "delete" | "leave" | undefined,\n`,
  );
const WRITES = ["CopyImageSet", "UpdateImageSetMetadata", "DeleteImageSet"];
/** the provider's own reads (the dataset's planning reads are SearchImageSets and GetImageSetMetadata) */
const PROVIDER_READS = ["GetImageSet", "ListImageSetVersions", "ListTagsForResource"];

/** `pulumi-healthimaging summarize` of a preview (the CLI a pull request runs); the preview is kept, without its serialized provider code, when asked */
function summarizeCli(dir: string, preview: string, keepAs: string): string {
  const file = path.join(dir, keepAs);
  fs.writeFileSync(file, preview);
  if (process.env.UPGRADE_PREVIEW_JSON_OUT) {
    const lean = JSON.stringify(JSON.parse(preview), (k, v) => (k === "__provider" ? undefined : v), 1);
    fs.writeFileSync(path.join(process.env.UPGRADE_PREVIEW_JSON_OUT, keepAs), `${lean}\n`);
  }
  const cli = spawnSync(process.execPath, [path.join(ROOT, "provider", "bin", "pulumi-healthimaging.js"), "summarize", file], { encoding: "utf8" });
  assert.equal(cli.status, 0, cli.stderr);
  return cli.stdout;
}
const TAKEN_OVER = /^- `curated\/[^`]+`: \d+ series taken over from the per-series resources?: no copy, no delete, recorded in state only/gm;

interface StackResource {
  type: string;
  urn: string;
  outputs?: { members?: Record<string, unknown> };
}

describe("e2e: hi.Dataset layout perCohort (CohortImageSets), with the real CLI", function () {
  this.timeout(900_000);
  let seeded: Seeded;
  let proxy: CountingProxy;
  let project: PulumiProject;
  const live = (id: string) => ![undefined, "DELETED"].includes(seeded.emu.service.state.imageSets[id]?.state);
  const counted = async (args: string[]) => {
    const from = Date.now();
    const r = await project.ok(args);
    return { r, calls: byOperation(proxy.between(from)) };
  };
  const writes = (calls: Record<string, number>) => Object.fromEntries(WRITES.map((op) => [op, calls[op] ?? 0]));
  const manifest = async () => JSON.parse((await project.ok(["stack", "output", "manifest", "--json"])).stdout) as DatasetManifest;
  const resources = async () =>
    (JSON.parse((await project.ok(["stack", "export"])).stdout) as { deployment: { resources: StackResource[] } }).deployment.resources;
  const bytesOf = (r: StackResource) => JSON.stringify(r).length;
  let perSeriesManifest: DatasetManifest;
  let perSeriesBytes: number;
  /** image set id -> the newest version 0.2.0 made of it */
  let made020: Record<string, string>;

  before(async function () {
    this.timeout(20 * 60_000);
    ensureBuilt();
    seeded = await startSeeded({ profile: "fast" });
    proxy = await startProxy(seeded.emu.endpoint);
    // the stack starts as 0.2.0 made it: that package and that version's example program
    project = await createProject(
      "dataset-cohort",
      { "index.ts": fileAt(RELEASES["0.2.0"], "examples/dataset-curation/index.ts"), "cohorts.yaml": ORIGINAL },
      seeded.emu,
    );
    const installed = installProviderTarball(project, oldProviderTarball(RELEASES["0.2.0"]));
    assert.equal(installed.version, "0.2.0");
    Object.assign(project.env, awsEnv(seeded.emu, proxy.url));
    await project.ok(["config", "set", "datastoreId", seeded.datastoreId]);
  });

  after(async () => {
    project?.remove();
    await proxy?.stop();
    await seeded?.stop();
  });

  it("a stack made by 0.2.0 (its package and example: perSeries, the only layout it has)", async () => {
    // the example's cohorts were the same in 0.2.0
    assert.equal(fileAt(RELEASES["0.2.0"], "examples/dataset-curation/cohorts.yaml"), ORIGINAL);
    const used = providerIn(project);
    assert.ok(used.dir.startsWith(project.dir), `the program and provider load the installed 0.2.0 package, not ${used.dir}`);
    assert.ok(!fs.existsSync(path.join(used.dir, "dist", "batch")), "0.2.0 has no CohortImageSets");
    const loads = traceProviderLoads(project);
    await project.ok(["up", "--yes", "--skip-preview"]);
    // the provider's code ran from the installed 0.2.0 package, in the dynamic-provider host too
    const loaded = loads();
    assert.ok(
      loaded.some((l) => /dynamic-provider/.test(l.main)),
      `the dynamic-provider host loaded the provider: ${JSON.stringify(loaded)}`,
    );
    for (const l of loaded) assert.ok(l.file.startsWith(`${fs.realpathSync(used.dir)}${path.sep}`), `${l.main} loaded ${l.file}`);
    perSeriesManifest = await manifest();
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(project.dir, "dataset-manifest.json"), "utf8")), perSeriesManifest);
    const sets = (await resources()).filter((r) => /DerivedImageSet$/.test(r.type));
    assert.equal(sets.length, 22);
    perSeriesBytes = sets.reduce((n, r) => n + bytesOf(r), 0) / sets.length;
    // merges share their destination (each its own version): an image set's version is the newest made
    made020 = {};
    for (const r of sets) {
      const { imageSetId, versionId } = r.outputs as { imageSetId: string; versionId: string };
      if (!(imageSetId in made020) || Number(versionId) > Number(made020[imageSetId])) made020[imageSetId] = versionId;
    }
    assert.deepEqual(
      Object.fromEntries(
        Object.values(perSeriesManifest.cohorts)
          .flat()
          .map((e) => [e.imageSetId, e.versionId]),
      ),
      made020,
      "the manifest names the image sets in state, at their newest version",
    );
  });

  it("upgraded to this version with layout perCohort in place: no copy, no delete, every image set kept, the manifest identical", async () => {
    useCurrentProvider(project);
    assert.equal(providerIn(project).dir, path.join(ROOT, "provider"), "the project now loads the repository's provider");
    project.writeFile("index.ts", PROGRAM);
    await project.ok(["config", "set", "layout", "perCohort"]);
    // the switch with a series added: the PR summary counts that series' copy, and only it
    project.writeFile("cohorts.yaml", withNewSeries());
    const mixed = await counted(["preview", "--json"]);
    assert.deepEqual(writes(mixed.calls), { CopyImageSet: 0, UpdateImageSetMetadata: 0, DeleteImageSet: 0 });
    const mixedSummary = summarizeCli(project.dir, mixed.r.stdout, "preview-upgrade-new-series.json");
    assert.ok(mixedSummary.includes("Write calls: 1 CopyImageSet, 0 UpdateImageSetMetadata, 0 DeleteImageSet"), mixedSummary);
    assert.ok(mixedSummary.includes(`| \`curated/angio-views/${SERIES.mra2}\` | create | 1 whole series | none | new in the program |`), mixedSummary);
    assert.ok(mixedSummary.includes("<summary>22 series taken over</summary>"), mixedSummary);
    assert.equal(mixedSummary.match(TAKEN_OVER)?.length, 6, mixedSummary);
    assert.doesNotMatch(mixedSummary, /\| delete \||may copy|may not delete/);
    project.writeFile("cohorts.yaml", ORIGINAL);
    // the preview writes nothing; its steps move the resources (per-series out, per-cohort in), no image set is replaced
    const previewed = await counted(["preview", "--json"]);
    assert.deepEqual(writes(previewed.calls), { CopyImageSet: 0, UpdateImageSetMetadata: 0, DeleteImageSet: 0 });
    const pre = JSON.parse(previewed.r.stdout) as { steps: { op: string; urn: string }[] };
    const ops = byOperation(pre.steps.filter((s) => s.op !== "same").map((s) => ({ at: 0, status: 0, op: `${s.op} ${s.urn.split("::")[2]}` })));
    assert.deepEqual(ops, {
      "update healthimaging:index:Dataset": 1,
      "create healthimaging:index:Dataset$pulumi-nodejs:dynamic/healthimaging:CohortImageSets": 6,
      "delete healthimaging:index:Dataset$pulumi-nodejs:dynamic/healthimaging:DerivedImageSet": 22,
    });
    // its PR summary tells the truth: every series taken over, nothing copied or deleted, no time
    const summary = summarizeCli(project.dir, previewed.r.stdout, "preview-upgrade.json");
    assert.ok(summary.includes("Write calls: 0 CopyImageSet, 0 UpdateImageSetMetadata, 0 DeleteImageSet; nothing waits."), summary);
    assert.ok(summary.includes("No derived image set is copied, changed or deleted."), summary);
    assert.ok(summary.includes("<summary>22 series taken over</summary>"), summary);
    assert.equal(summary.match(TAKEN_OVER)?.length, 6, summary);
    assert.match(
      summary,
      /^- `curated\/brain-mra`: 3 series taken over from the per-series resources: no copy, no delete, recorded in state only \(2 merges stay in the study's image set\)$/m,
    );
    assert.doesNotMatch(summary, /\| (create|delete) \||may copy|may not delete|about \d+ s/);
    const { r, calls } = await counted(["up", "--yes", "--skip-preview"]);
    assert.deepEqual(writes(calls), { CopyImageSet: 0, UpdateImageSetMetadata: 0, DeleteImageSet: 0 }, r.stdout + r.stderr);
    // each image set 0.2.0 made is taken over by its member (its tags prove it), each old resource's delete leaves it
    const said = r.stdout + r.stderr;
    const takenOver = new Set([...said.matchAll(/taking over image set ([0-9a-f]+)/g)].map((m) => m[1]));
    assert.deepEqual([...takenOver].sort(), Object.keys(made020).sort(), said);
    const left = new Set(
      [...said.matchAll(/\[pulumi-healthimaging\] (\S+): (?:image set [0-9a-f]+|the merge \(version \d+ of image set [0-9a-f]+\)) now belongs to/g)].map(
        (m) => m[1],
      ),
    );
    assert.equal(left.size, 22, said);
    const after = await manifest();
    assert.deepEqual(after, perSeriesManifest);
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(project.dir, "dataset-manifest.json"), "utf8")), perSeriesManifest);
    for (const e of Object.values(after.cohorts).flat()) assert.ok(live(e.imageSetId), `${e.seriesInstanceUID}: image set ${e.imageSetId} is still there`);
    // every image set 0.2.0 made: still there, at the newest version it made (no version since)
    for (const [id, versionId] of Object.entries(made020)) {
      assert.ok(live(id), `image set ${id} made by 0.2.0 is still there`);
      assert.equal(seeded.emu.service.state.imageSets[id].latestVersionId, versionId, `image set ${id}: latest version`);
    }
    const all = await resources();
    assert.equal(all.filter((x) => /DerivedImageSet$/.test(x.type)).length, 0, "the per-series resources left state");
    const batches = all.filter((x) => /CohortImageSets$/.test(x.type));
    assert.equal(batches.length, 6);
    const members = batches.reduce((n, b) => n + Object.keys(b.outputs?.members ?? {}).length, 0);
    // a member's bytes: its entries in the batch's inputs and outputs; the rest is once per cohort
    const fixed = (b: StackResource) =>
      bytesOf({ ...b, inputs: { ...(b as { inputs?: object }).inputs, members: {} }, outputs: { ...b.outputs, members: {} } } as StackResource);
    const perMember = batches.reduce((n, b) => n + bytesOf(b) - fixed(b), 0) / members;
    const perCohort = batches.reduce((n, b) => n + fixed(b), 0) / batches.length;
    const line = `state bytes (compact JSON): ${Math.round(perSeriesBytes)} per DerivedImageSet (perSeries); perCohort: ${Math.round(perMember)} per member + ${Math.round(perCohort)} per cohort resource (${members} members in ${batches.length} cohorts)`;
    console.log(`      ${line}`);
    if (process.env.STATE_BYTES_OUT) fs.writeFileSync(process.env.STATE_BYTES_OUT, `${line}\n${JSON.stringify(batches[0], null, 1)}\n`);
    assert.ok(perMember <= 1024, line);
  });

  it("a no-change preview calls nothing of the provider's", async () => {
    const { calls } = await counted(["preview", "--expect-no-changes"]);
    for (const op of [...WRITES, ...PROVIDER_READS]) assert.equal(calls[op] ?? 0, 0, `${op}: ${JSON.stringify(calls)}`);
  });

  it("an edit of one cohort touches only those members; the PR summary names them", async () => {
    project.writeFile("cohorts.yaml", edited());
    const r = await project.ok(["preview", "--json"]);
    const preview = JSON.parse(r.stdout) as { steps: { op: string; urn: string }[] };
    assert.deepEqual(
      preview.steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.urn.split("::").pop()}`),
      ["update curated/angio-views"],
    );
    // the dynamic-provider host forwards no detailedDiff: the provider's log names the members instead
    const said = ((JSON.parse(r.stdout) as { diagnostics?: { message: string }[] }).diagnostics ?? []).map((d) => d.message).join("\n");
    assert.ok(said.includes(`members: 1 to update (members["${SERIES.mra700}"]), 1 to add (members["${SERIES.mra2}"])`), said);
    const file = path.join(project.dir, "preview.json");
    fs.writeFileSync(file, r.stdout);
    if (process.env.E2E_PREVIEW_JSON_OUT) fs.writeFileSync(process.env.E2E_PREVIEW_JSON_OUT, r.stdout);
    const cli = spawnSync(process.execPath, [path.join(ROOT, "provider", "bin", "pulumi-healthimaging.js"), "summarize", file], { encoding: "utf8" });
    assert.equal(cli.status, 0, cli.stderr);
    assert.ok(cli.stdout.includes("| `curated/angio-views` | 1 | 0 | 1 | 0 | 1 instance and 1 whole series | 1 instance |"), cli.stdout);
    assert.ok(cli.stdout.includes(`| \`curated/angio-views/${SERIES.mra700}\` | update | 1 instance | 1 instance | edited \`subset\` |`), cli.stdout);
    assert.ok(cli.stdout.includes(`| \`curated/angio-views/${SERIES.mra2}\` | create | 1 whole series | none | new in the program |`), cli.stdout);
    assert.ok(cli.stdout.includes("Write calls: 2 CopyImageSet, 1 UpdateImageSetMetadata, 0 DeleteImageSet"), cli.stdout);

    const up = await counted(["up", "--yes", "--skip-preview"]);
    assert.deepEqual(writes(up.calls), { CopyImageSet: 2, UpdateImageSetMetadata: 1, DeleteImageSet: 0 });
    const m = await manifest();
    assert.deepEqual(
      m.cohorts["angio-views"].map((e) => [e.seriesInstanceUID, e.instanceCount]),
      [
        [SERIES.mra700, 2],
        [SERIES.mra2, 3],
      ],
    );
    for (const c of Object.keys(m.cohorts).filter((c) => c !== "angio-views")) assert.deepEqual(m.cohorts[c], perSeriesManifest.cohorts[c], c);

    // back: the added series is removed (its image set deleted), the instance swapped back
    const added = m.cohorts["angio-views"].find((e) => e.seriesInstanceUID === SERIES.mra2)!.imageSetId;
    project.writeFile("cohorts.yaml", ORIGINAL);
    const back = await counted(["up", "--yes", "--skip-preview"]);
    assert.deepEqual(writes(back.calls), { CopyImageSet: 1, UpdateImageSetMetadata: 1, DeleteImageSet: 1 });
    assert.ok(!live(added), "the removed series' image set is deleted");
    await project.ok(["preview", "--expect-no-changes"]);
  });

  it("refresh finds drift on one member only; up keeps it as the new baseline (no write)", async () => {
    const target = (await manifest()).cohorts["head-ct"][0];
    await seeded.client.send(
      new UpdateImageSetMetadataCommand({
        datastoreId: seeded.datastoreId,
        imageSetId: target.imageSetId,
        latestVersionId: target.versionId,
        updateImageSetMetadataUpdates: {
          DICOMUpdates: {
            updatableAttributes: new TextEncoder().encode(JSON.stringify({ SchemaVersion: "1.1", Study: { DICOM: { StudyDescription: "edited" } } })),
          },
        },
      }),
    );
    await project.ok(["refresh", "--yes", "--skip-preview"]);
    const drifted = (await resources())
      .filter((x) => /CohortImageSets$/.test(x.type))
      .flatMap((b) => Object.entries((b.outputs?.members ?? {}) as Record<string, { driftVersions?: string[] }>))
      .filter(([, s]) => s.driftVersions?.length);
    assert.deepEqual(
      drifted.map(([k, s]) => [k, s.driftVersions]),
      [[target.seriesInstanceUID, [String(Number(target.versionId) + 1)]]],
    );
    const pre = await project.ok(["preview", "--diff"]);
    assert.match(pre.stdout + pre.stderr, /members: 1 to update/);
    const up = await counted(["up", "--yes", "--skip-preview"]);
    assert.deepEqual(writes(up.calls), { CopyImageSet: 0, UpdateImageSetMetadata: 0, DeleteImageSet: 0 });
    await project.ok(["preview", "--expect-no-changes"]);
    // the edit is not the stack's: destroy stops on it unless told (recorded, no call)
    await project.ok(["config", "set", "onForeignVersions", "delete"]);
    const recorded = await counted(["up", "--yes", "--skip-preview"]);
    assert.deepEqual(writes(recorded.calls), { CopyImageSet: 0, UpdateImageSetMetadata: 0, DeleteImageSet: 0 });
  });

  it("destroy deletes every image set the dataset made", async () => {
    const made = Object.values((await manifest()).cohorts).flat();
    await project.ok(["destroy", "--yes", "--skip-preview"]);
    for (const e of made) assert.ok(!live(e.imageSetId), e.seriesInstanceUID);
  });

  it("an up failing after part of the copies resumes without copying any member twice", async () => {
    await project.ok(["config", "set", "layout", "perCohort"]);
    const from = Date.now();
    const copiesDone = () => proxy.between(from).filter((c) => c.op === "CopyImageSet" && c.status === 200).length;
    const run = project.run(["up", "--yes", "--skip-preview"]);
    // after a few copies were accepted, the service refuses every further copy
    const deadline = Date.now() + 120_000;
    while (copiesDone() < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    seeded.emu.service.faults.failNext("CopyImageSet", 1000, "ValidationException", "Injected refusal");
    const failed = await run;
    assert.notEqual(failed.code, 0, "the up fails");
    assert.match(failed.stdout + failed.stderr, /members failed; every image set made is recorded in state/);
    const firstRun = copiesDone();
    assert.ok(firstRun >= 5 && firstRun < 22, `${firstRun} copies in the first run`);
    const inState = (await resources()).filter((x) => /CohortImageSets$/.test(x.type)).reduce((n, b) => n + Object.keys(b.outputs?.members ?? {}).length, 0);
    assert.equal(inState, firstRun, "every copy made is in state");
    const membersInState = async () =>
      (await resources()).filter((x) => /CohortImageSets$/.test(x.type)).reduce((n, b) => n + Object.keys(b.outputs?.members ?? {}).length, 0);
    // the next up (an update of the cohorts in state, a create of the others) fails again on 3 copies
    seeded.emu.service.faults.reset();
    seeded.emu.service.faults.failNext("CopyImageSet", 3, "ValidationException", "Injected refusal");
    const second = await project.run(["up", "--yes", "--skip-preview"]);
    assert.notEqual(second.code, 0, "the second up fails too");
    const secondRun = copiesDone();
    assert.ok(secondRun > firstRun && secondRun < 22, `${secondRun} copies after the second run`);
    assert.equal(await membersInState(), secondRun, "every copy made is in state after a failed update");
    seeded.emu.service.faults.reset();
    await project.ok(["up", "--yes", "--skip-preview"]);
    assert.equal(copiesDone(), 22, "each member copied once");
    const m = await manifest();
    assert.deepEqual(
      Object.fromEntries(Object.entries(m.cohorts).map(([k, v]) => [k, v.length])),
      Object.fromEntries(Object.entries(perSeriesManifest.cohorts).map(([k, v]) => [k, v.length])),
    );
    await project.ok(["preview", "--expect-no-changes"]);
    await project.ok(["destroy", "--yes", "--skip-preview"]);
    for (const e of Object.values(m.cohorts).flat()) assert.ok(!live(e.imageSetId), e.seriesInstanceUID);
  });

  it("an up killed after part of the copies: the README's recovery steps adopt them, no member copied twice", async () => {
    await project.ok(["config", "set", "layout", "perCohort"]);
    const timings = seeded.emu.service.options.profile.timings;
    const saved = timings.copyMsBase;
    timings.copyMsBase = 1500;
    const from = Date.now();
    const copiesDone = () => proxy.between(from).filter((c) => c.op === "CopyImageSet" && c.status === 200).length;
    // copies paced at 0.4/s: the kill lands with most of them still to send
    project.env.PULUMI_HEALTHIMAGING_WRITE_TPS = "0.4";
    try {
      let child: ChildProcess | undefined;
      const run = project.run(["up", "--yes", "--skip-preview"], { onStart: (c) => (child = c) });
      const deadline = Date.now() + 120_000;
      while (copiesDone() < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // what the CLI started exits on its own (settings/engineWatch.ts); nothing may copy meanwhile
      const left = await killCliAndWait(child!, run);
      assert.deepEqual(
        left.map((p) => p.command.slice(0, 120)),
        [],
        "processes the killed CLI started were still running 60 s later",
      );
    } finally {
      timings.copyMsBase = saved;
      delete project.env.PULUMI_HEALTHIMAGING_WRITE_TPS;
    }
    const firstRun = copiesDone();
    assert.ok(firstRun >= 3 && firstRun < 22, `${firstRun} copies before the provider exited`);
    await project.ok(["cancel", "--yes"]).catch(() => undefined);
    await project.ok(["refresh", "--clear-pending-creates", "--yes"]);
    const rerun = await project.ok(["up", "--yes", "--skip-preview"]);
    assert.match(rerun.stdout + rerun.stderr, /adopting image set/);
    assert.equal(copiesDone(), 22, `each member copied once (${firstRun} before the kill)`);
    const m = await manifest();
    const ids = Object.values(m.cohorts)
      .flat()
      .map((e) => e.imageSetId);
    assert.equal(ids.length, 22);
    const madeSince = Object.values(seeded.emu.service.state.imageSets).filter((x) => x.createdAt >= from && x.state !== "DELETED");
    assert.deepEqual(madeSince.map((x) => x.imageSetId).sort(), [...new Set(ids)].sort(), "no image set made outside state");
    await project.ok(["preview", "--expect-no-changes"]);
    await project.ok(["destroy", "--yes", "--skip-preview"]);
  });
});
