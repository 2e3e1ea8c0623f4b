// End to end with the real Pulumi CLI (file backend, offline), the real dynamic-provider plugin
// and a seeded local service: preview, up, no-change previews (with refresh), subset edits,
// version pins, refresh after out-of-band changes, a failing copy, an interrupted up (its orphaned
// processes exit on their own, the README's recovery adopts the copy and leaves nothing pending), destroy,
// and no patient data in the exported state.

import { DeleteImageSetCommand, GetImageSetCommand, SearchImageSetsCommand, UpdateImageSetMetadataCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureBuilt } from "../support/build";
import { eventually } from "../support/emulator";
import { type CliResult, createProject, descendants, type PulumiProject, snapshot, stillRunning } from "../support/pulumiCli";
import { instancesIn, metadataOf, patientValues, type Seeded, SERIES, startSeeded } from "../support/seeded";

/** The `pulumi ...` commands of the numbered steps in README.md's Troubleshooting entry "An interrupted `pulumi up`", as argument lists. */
function recoverySteps(): string[][] {
  const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
  const start = readme.indexOf("### An interrupted `pulumi up`");
  assert.ok(start >= 0, "the README has the section");
  const section = readme.slice(start, readme.indexOf("\n#", start + 1));
  return [...section.matchAll(/^\d+\. `pulumi ([^`]+)`/gm)].map((m) => m[1].trim().split(/\s+/));
}

type Resource = { name: string; args: Record<string, unknown>; destinationFrom?: string };

describe("e2e: the real Pulumi CLI against the local service", function () {
  this.timeout(300_000);
  let seeded: Seeded;
  let project: PulumiProject;
  let ct: string;
  /** the image sets (one per series) of the MRA study's 7-instance and 3-instance series */
  let mra: string;
  let mraSmall: string;
  let mraSeries: Record<string, string[]>;
  let big: string;
  let small: string;
  let seededSnapshot: Map<string, Record<string, string[]>>;

  const client = () => seeded.client;
  const liveImageSets = async () =>
    (await client().send(new SearchImageSetsCommand({ datastoreId: seeded.datastoreId }))).imageSetsMetadataSummaries!.map((s) => s.imageSetId!).sort();
  const contents = async (id: string) => instancesIn(await metadataOf(client(), seeded.datastoreId, id));
  const writeSpec = (resources: Resource[]) => project.writeFile("spec.json", JSON.stringify({ datastoreId: seeded.datastoreId, resources }, null, 2));
  const outputs = async () =>
    JSON.parse((await project.ok(["stack", "output", "--json"])).stdout).resources as Record<
      string,
      { imageSetId: string; versionId: string; instanceCount: number }
    >;
  const waitActive = (id: string) =>
    eventually(async () =>
      (await client().send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: id }))).imageSetState === "ACTIVE" ? true : undefined,
    );

  let baseSpec: Resource[];
  /** the data store before the interrupted up, and the image set that up's copy made */
  let interruptedBefore: string[] = [];
  let interruptedCopy: string | undefined;

  before(async function () {
    // the first run on a fresh machine builds the Pulumi CLI from Go modules (about 10 minutes on 2 cores)
    this.timeout(20 * 60_000);
    ensureBuilt();
    seeded = await startSeeded();
    ct = seeded.imageSetOfSeries(SERIES.ctHead);
    [big, small] = [SERIES.mra700, SERIES.mra2];
    mra = seeded.imageSetOfSeries(big);
    mraSmall = seeded.imageSetOfSeries(small);
    mraSeries = { ...(await contents(mra)), ...(await contents(mraSmall)) };
    seededSnapshot = new Map();
    for (const id of await liveImageSets()) seededSnapshot.set(id, await contents(id));
    project = await createProject("e2e", { "index.ts": fs.readFileSync(path.join(__dirname, "..", "fixtures", "specProgram.ts"), "utf8") }, seeded.emu);
    baseSpec = [
      { name: "full", args: { sourceImageSetId: ct } },
      { name: "angio", args: { sourceImageSetId: mra, subset: { series: { [big]: mraSeries[big].slice(0, 4) } } } },
      { name: "merged", args: { sourceImageSetId: mraSmall, subset: { series: { [small]: "all" } }, force: true }, destinationFrom: "angio" },
    ];
    writeSpec(baseSpec);
  });

  after(async () => {
    project?.remove();
    await seeded?.stop();
  });

  it("preview of a fresh stack shows the creates and changes nothing", async () => {
    const before = await liveImageSets();
    const r = await project.ok(["preview", "--json"]);
    const steps = JSON.parse(r.stdout).steps as { op: string; urn: string }[];
    const creates = steps
      .filter((s) => s.op === "create" && s.urn.includes("DerivedImageSet"))
      .map((s) => s.urn.split("::").pop())
      .sort();
    assert.deepEqual(creates, ["angio", "full", "merged"]);
    assert.deepEqual(await liveImageSets(), before);
  });

  it("up creates them; the image sets hold the declared instances; a second preview shows no changes", async () => {
    await project.ok(["up", "--yes", "--skip-preview"]);
    const out = await outputs();
    assert.deepEqual(await contents(out.full.imageSetId), seededSnapshot.get(ct));
    assert.equal(out.merged.imageSetId, out.angio.imageSetId);
    assert.deepEqual(await contents(out.angio.imageSetId), { [big]: mraSeries[big].slice(0, 4).sort(), [small]: mraSeries[small] });
    await project.ok(["preview", "--expect-no-changes"]);
    // the chaining trap: merged's destination version comes from angio, whose image set merged moved on
    await project.ok(["preview", "--refresh", "--expect-no-changes"]);
  });

  it("a subset edit shows as an update naming the property, and up applies it in place", async () => {
    const before = await outputs();
    const edited = structuredClone(baseSpec);
    edited[1].args.subset = { series: { [big]: [...mraSeries[big].slice(1, 4), mraSeries[big][6]] } };
    writeSpec(edited);
    const preview = await project.ok(["preview", "--diff"]);
    assert.match(preview.stdout, /~ pulumi-nodejs:dynamic\/healthimaging:DerivedImageSet: \(update\)[\s\S]*angio/);
    assert.match(preview.stdout, /subset/);
    assert.doesNotMatch(preview.stdout, /DerivedImageSet: \(replace\)/);
    await project.ok(["up", "--yes", "--skip-preview"]);
    const after = await outputs();
    assert.equal(after.angio.imageSetId, before.angio.imageSetId, "updated in place");
    const now = await contents(after.angio.imageSetId);
    assert.deepEqual(now[big], [...mraSeries[big].slice(1, 4), mraSeries[big][6]].sort());
    assert.deepEqual(now[small], mraSeries[small], "the merged series is untouched");
    baseSpec = edited;
    await project.ok(["preview", "--expect-no-changes"]);
  });

  it("pinning a newer source version shows a replacement, and up makes a new copy", async () => {
    const before = await outputs();
    await client().send(
      new UpdateImageSetMetadataCommand({
        datastoreId: seeded.datastoreId,
        imageSetId: ct,
        latestVersionId: "1",
        updateImageSetMetadataUpdates: {
          DICOMUpdates: {
            updatableAttributes: new TextEncoder().encode(JSON.stringify({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "REVIEWED" } } })),
          },
        },
      }),
    );
    await waitActive(ct);
    const pinned = structuredClone(baseSpec);
    pinned[0].args.sourceVersionId = "2";
    writeSpec(pinned);
    const preview = await project.ok(["preview", "--diff"]);
    assert.match(preview.stdout, /\+-pulumi-nodejs:dynamic\/healthimaging:DerivedImageSet: \(replace\)[\s\S]*full/);
    await project.ok(["up", "--yes", "--skip-preview"]);
    const after = await outputs();
    assert.notEqual(after.full.imageSetId, before.full.imageSetId);
    assert.ok(!(await liveImageSets()).includes(before.full.imageSetId), "the old copy was deleted");
    baseSpec = pinned;
  });

  it("refresh finds an out-of-band delete and drops it from state; up copies it again", async () => {
    const before = await outputs();
    await client().send(new DeleteImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: before.full.imageSetId }));
    const refresh = await project.ok(["refresh", "--yes", "--skip-preview"]);
    assert.match(refresh.stdout, /full.*deleted|deleted.*full|- +pulumi-nodejs:dynamic\/healthimaging:DerivedImageSet full/s);
    const state = JSON.parse((await project.ok(["stack", "export"])).stdout);
    const names = state.deployment.resources.map((r: { urn: string }) => r.urn.split("::").pop());
    assert.ok(!names.includes("full"), "refresh dropped the deleted image set from state");
    await project.ok(["up", "--yes", "--skip-preview"]);
    const after = await outputs();
    assert.deepEqual(await contents(after.full.imageSetId), seededSnapshot.get(ct));
    await project.ok(["preview", "--expect-no-changes"]);
  });

  it("a copy that fails fails up with the service's message and leaves no unrecorded image set; fixing it converges", async () => {
    const before = await liveImageSets();
    const failing = [...baseSpec, { name: "mismatch", args: { sourceImageSetId: ct }, destinationFrom: "full" } as Resource];
    writeSpec(failing);
    const r = await project.run(["up", "--yes", "--skip-preview"]);
    assert.notEqual(r.code, 0);
    assert.match(r.stdout + r.stderr, /CopyImageSet failed: INVALID_REQUEST: {2}SOP Instance UID [0-9.]+ already exists in DestinationImageSet/);
    assert.deepEqual(await liveImageSets(), before, "no image set created, none leaked");
    writeSpec(baseSpec);
    await project.ok(["up", "--yes", "--skip-preview"]);
    await project.ok(["preview", "--expect-no-changes"]);
  });

  it("an up killed while a copy is in flight: every process the CLI started exits within a minute", async () => {
    const timings = seeded.emu.service.options.profile.timings;
    const saved = timings.copyMsBase;
    timings.copyMsBase = 4000;
    try {
      interruptedBefore = await liveImageSets();
      const grown = [...baseSpec, { name: "late", args: { sourceImageSetId: mraSmall, subset: { series: { [small]: "all" } } } }];
      writeSpec(grown);
      let child: import("node:child_process").ChildProcess | undefined;
      const run = project.run(["up", "--yes", "--skip-preview"], { onStart: (c) => (child = c) });
      await eventually(async () => ((await liveImageSets()).length > interruptedBefore.length ? true : undefined), 60_000, 50);
      // Only the CLI is killed, as `kill -9 <pulumi>` or an OOM kill would: what it started
      // (language host, program, dynamic-provider host and its shell wrapper) is left orphaned.
      const started = snapshot(descendants(child!.pid!));
      assert.ok(
        started.some((p) => p.command.includes("dynamic-provider")),
        `the provider host is among ${JSON.stringify(started)}`,
      );
      process.kill(child!.pid!, "SIGKILL");
      await run;
      const deadline = Date.now() + 60_000;
      let left = stillRunning(started);
      while (left.length > 0 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        left = stillRunning(started);
      }
      for (const p of left) process.kill(p.pid, "SIGKILL"); // no leak into later tests, whatever the verdict
      assert.deepEqual(
        left.map((p) => p.command.slice(0, 160)),
        [],
        "processes the killed CLI started were still running 60 s later",
      );
      // the copy itself goes on in the service: exactly one new image set, not yet in state
      await eventually(async () => ((await liveImageSets()).length > interruptedBefore.length ? true : undefined), 60_000, 50);
      const leftover = (await liveImageSets()).filter((id) => !interruptedBefore.includes(id));
      assert.equal(leftover.length, 1, "the interrupted run made one image set");
      interruptedCopy = leftover[0];
      baseSpec = grown;
    } finally {
      timings.copyMsBase = saved;
    }
  });

  it("the README's recovery steps adopt the interrupted copy and leave no pending operation", async () => {
    assert.ok(interruptedCopy, "the previous test left an interrupted copy");
    // The steps of the README's "An interrupted `pulumi up`", read from it and run as written
    // (plus --yes where a step leaves the confirmation to the user: the CLI runs non-interactive here).
    const steps = recoverySteps();
    assert.ok(steps.length >= 2, `recovery steps found in the README: ${JSON.stringify(steps)}`);
    let rerun: CliResult | undefined;
    for (const step of steps) {
      const r = await project.ok(step.includes("--yes") ? step : [...step, "--yes"]);
      if (step[0] === "up") rerun = r;
    }
    assert.ok(rerun, "the steps end with an up");
    assert.match(rerun.stdout + rerun.stderr, /adopting image set/);
    const state = JSON.parse((await project.ok(["stack", "export"])).stdout);
    const pending = (state.deployment.pending_operations ?? []) as { type: string; resource: { urn: string } }[];
    assert.deepEqual(
      pending.map((p) => `${p.type} ${p.resource.urn}`),
      [],
      "no pending operation left in state",
    );
    const again = await project.ok(["up", "--yes", "--skip-preview"]);
    assert.doesNotMatch(again.stdout + again.stderr, /pending operations/i, "a further up warns about nothing pending");
    await project.ok(["preview", "--expect-no-changes"]);
    const live = await liveImageSets();
    assert.deepEqual(
      live.filter((id) => !interruptedBefore.includes(id)),
      [interruptedCopy],
      "exactly one copy: the interrupted run's, adopted, no duplicate and nothing untracked",
    );
    assert.equal((await outputs()).late.imageSetId, interruptedCopy);
  });

  it("the exported state holds no patient-level values", async () => {
    const state = (await project.ok(["stack", "export"])).stdout;
    const values = await patientValues(seeded);
    assert.ok(values.length >= 3, "the sample data has patient values to look for");
    for (const v of values) assert.ok(!state.includes(v), `state contains a patient-level value (${v.length} chars)`);
  });

  it("destroy leaves the data store exactly as before the stack", async () => {
    await project.ok(["destroy", "--yes", "--skip-preview"]);
    const live = await liveImageSets();
    assert.deepEqual(live, [...seededSnapshot.keys()].sort());
    for (const id of live) {
      const expected = seededSnapshot.get(id);
      assert.deepEqual(await contents(id), expected, `image set ${id}`);
    }
  });
});
