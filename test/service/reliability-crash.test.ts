// Reliability: crash faults. The local service runs as a separate process (the built CLI,
// `serve --profile fast --copy-ms-base 300 --control-api`) on one seeded data folder reused
// across rounds. Each round starts provider operations (creates of new image sets and merges,
// in-place subset updates, deletes) through the real dynamic-provider host, kills the service
// with SIGKILL at a random moment, restarts it on the same data folder and port, and then:
//   - once the restarted service has finished the work in flight, every image set is ACTIVE or
//     DELETED, its versions are 1..n contiguous and no version is left in a running state;
//   - rerunning what failed (the engine's way: create again when no id came back, update with the
//     partial outputs when one did, delete again) converges;
//   - the live image sets are exactly the seeded ones plus the ones the recorded state holds (no
//     leaked or duplicated copy), and each new image set holds exactly what its resource copied.

import { type ChildProcess, spawn } from "node:child_process";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { serializedProvider } from "../../provider/resource/serializedProvider";
import { ensureBuilt } from "../support/build";
import { type DynamicHost, PartialFailureError, type Props, dynamicUrn, serializeProvider, startDynamicHost } from "../support/dynamicHost";
import { instancesIn, metadataOf, multiSeriesCopy, sampleS3Root, startSeeded, SERIES } from "../support/seeded";
import { freePort, sdkClient, sleep } from "../support/emulator";
import type { ImageSetRecord } from "../../emulator/model/records";

type ServiceState = { imageSets: Record<string, ImageSetRecord> };
import type { RunningEmulator } from "../../emulator/server";
import { readStoredState } from "../../emulator/model/store";

const ROUNDS = Number(process.env.RELIABILITY_CRASH_ROUNDS ?? 20);
const SEED = Number(process.env.RELIABILITY_SEED ?? Date.now() % 100000);
const ROOT = path.resolve(__dirname, "..", "..");

export const CRASH_FIGURES = {
  rounds: 0,
  operations: 0,
  inFlightAtKill: 0,
  failedThenRerun: 0,
  partialFailures: 0,
  kills: 0,
  leaked: 0,
  duplicated: 0,
  lockedLeft: 0,
  brokenHistories: 0,
};

/** mulberry32: a small seeded PRNG so a failing run can be replayed with RELIABILITY_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface ServiceProcess {
  child: ChildProcess;
  endpoint: string;
  stderr: () => string;
}

function startService(dataDir: string, s3Root: string, port: number): Promise<ServiceProcess> {
  const args = [
    "emulator/dist/cli.js",
    "serve",
    "--port",
    String(port),
    "--profile",
    "fast",
    "--copy-ms-base",
    "300",
    "--data",
    dataDir,
    "--s3-root",
    s3Root,
    "--control-api",
  ];
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr!.on("data", (d) => (err += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start: ${err}`)), 20_000);
    child.stdout!.on("data", (d) => {
      out += d;
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line && out.includes("\n")) {
        clearTimeout(timer);
        resolve({ child, endpoint: JSON.parse(line).endpoint, stderr: () => err });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited ${code}: ${err}`));
    });
  });
}

async function killService(p: ServiceProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  const exited = new Promise((r) => p.child.once("exit", r));
  p.child.kill("SIGKILL");
  await exited;
}

type Rec = { name: string; inputs: Props; id: string; outs: Props };

describe("reliability: kill -9 of the service during copies, updates and deletes", function () {
  this.timeout(240_000);
  const rand = prng(SEED);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  let dataDir: string;
  let s3Root: string;
  let port: number;
  let svc: ServiceProcess | undefined;
  let host: DynamicHost;
  let journalDir: string;
  let datastoreId: string;
  let seededIds: string[];
  let sources: { id: string; series: Record<string, string[]> }[];
  const client = () =>
    sdkClient({ endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: "test", secretAccessKey: "test", region: "us-east-1" } } as RunningEmulator, {
      maxAttempts: 5,
    });
  const urn = (name: string) => dynamicUrn(name, { type: "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet" });
  const readState = (): ServiceState => readStoredState(dataDir);

  before(async function () {
    this.timeout(120_000);
    ensureBuilt();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hi-crash-data-"));
    s3Root = sampleS3Root();
    const seeded = await startSeeded({ dataDir, s3Root });
    datastoreId = seeded.datastoreId;
    // the merges below need a source of several series: the C-spine study's three series merged
    // into one non-primary set (an import makes one image set per series)
    const spine = await multiSeriesCopy(seeded, [SERIES.cr1, SERIES.cr2, SERIES.cr3]);
    seededIds = [...seeded.seed.imageSets.map((s) => s.imageSetId), spine].sort();
    sources = [];
    for (const id of [...[SERIES.ctHead, SERIES.mra700, SERIES.ct5].map((uid) => seeded.imageSetOfSeries(uid)), spine]) {
      sources.push({ id, series: instancesIn(await metadataOf(seeded.client, datastoreId, id)) });
    }
    await seeded.stop();
    port = await freePort();
    journalDir = fs.mkdtempSync(path.join(os.tmpdir(), "hi-crash-journal-"));
    host = await startDynamicHost({
      callTimeoutMs: 120_000,
      provider: await serializeProvider(serializedProvider),
      env: {
        AWS_ACCESS_KEY_ID: "test",
        AWS_SECRET_ACCESS_KEY: "test",
        AWS_REGION: "us-east-1",
        AWS_ENDPOINT_URL_MEDICAL_IMAGING: `http://127.0.0.1:${port}`,
        PULUMI_HEALTHIMAGING_JOURNAL: journalDir,
        // fewer SDK retries than the default 8, so a kill surfaces as a failed operation more
        // often instead of being absorbed by retries across the restart
        PULUMI_HEALTHIMAGING_MAX_ATTEMPTS: "2",
      },
    });
  });
  after(async () => {
    await host?.stop();
    if (svc) await killService(svc);
    for (const d of [dataDir, journalDir, s3Root]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it(`${ROUNDS} randomized rounds: consistent histories, reruns converge, nothing leaked or duplicated`, async () => {
    const state = new Map<string, Rec>();
    let serial = 0;
    const timeouts = { create: "20s", update: "20s", delete: "20s" };
    const randomSubset = (src: { series: Record<string, string[]> }) => {
      const series = Object.keys(src.series);
      if (rand() < 0.3) return undefined;
      const s = pick(series);
      const uids = src.series[s];
      return { series: { [s]: rand() < 0.5 || uids.length < 2 ? "all" : uids.slice(0, 1 + Math.floor(rand() * (uids.length - 1))) } };
    };

    type Op = { kind: "create" | "update" | "delete"; name: string; inputs?: Props; run: () => Promise<unknown> };
    const createOp = (name: string, inputs: Props): Op => ({
      kind: "create",
      name,
      inputs,
      run: async () => {
        const checked = await host.check(urn(name), {}, inputs);
        assert.deepEqual(checked.failures, []);
        return host.create(urn(name), checked.inputs);
      },
    });
    const updateOp = (rec: Rec, inputs: Props): Op => ({
      kind: "update",
      name: rec.name,
      inputs,
      run: async () => {
        const checked = await host.check(urn(rec.name), {}, inputs);
        assert.deepEqual(checked.failures, []);
        return host.update(urn(rec.name), rec.id, rec.outs, checked.inputs);
      },
    });
    const deleteOp = (rec: Rec): Op => ({ kind: "delete", name: rec.name, run: () => host.delete(urn(rec.name), rec.id, rec.outs) });

    /** Record an outcome the way the engine does; returns the op to rerun, if any. */
    const settle = (op: Op, r: PromiseSettledResult<unknown>): Op | undefined => {
      if (r.status === "fulfilled") {
        if (op.kind === "delete") state.delete(op.name);
        else if (op.kind === "create") {
          const v = r.value as { id: string; outs: Props };
          state.set(op.name, { name: op.name, inputs: op.inputs!, id: v.id, outs: v.outs });
        } else state.set(op.name, { ...state.get(op.name)!, inputs: op.inputs!, outs: (r.value as { outs: Props }).outs });
        return undefined;
      }
      CRASH_FIGURES.failedThenRerun++;
      const e = r.reason;
      if (e instanceof PartialFailureError) {
        CRASH_FIGURES.partialFailures++;
        const rec: Rec = { name: op.name, inputs: op.inputs ?? state.get(op.name)!.inputs, id: e.id, outs: e.properties };
        state.set(op.name, rec);
        // the engine resumes a resource with init errors through update
        return updateOp(rec, rec.inputs);
      }
      if (op.kind === "create") return createOp(op.name, op.inputs!);
      if (op.kind === "update") return updateOp(state.get(op.name)!, op.inputs!);
      return deleteOp(state.get(op.name)!);
    };

    svc = await startService(dataDir, s3Root, port);
    for (let round = 0; round < ROUNDS; round++) {
      // ---- choose this round's operations ----
      const ops: Op[] = [];
      const creates = 1 + Math.floor(rand() * 2);
      for (let i = 0; i < creates; i++) {
        const src = pick(sources);
        const name = `r${round}c${serial++}`;
        ops.push(createOp(name, { ownerTag: `crash/dev/${name}`, datastoreId, sourceImageSetId: src.id, subset: randomSubset(src), timeouts }));
      }
      const newSets = [...state.values()].filter((r) => !r.inputs.destination && !ops.some((o) => o.name === r.name));
      const hasMerge = (r: Rec) => [...state.values()].some((m) => (m.inputs.destination as { imageSetId?: string } | undefined)?.imageSetId === r.id);
      // a merge of a disjoint series into an existing full-study... keep it simple: a copy of the
      // crSpine study's other series into a crSpine subset resource
      const spine = sources[3];
      const spineSubsets = newSets.filter(
        (r) =>
          r.inputs.sourceImageSetId === spine.id && r.inputs.subset && Object.keys((r.inputs.subset as { series: object }).series).length === 1 && !hasMerge(r),
      );
      let mergeTarget: string | undefined;
      if (spineSubsets.length && rand() < 0.5) {
        const target = pick(spineSubsets);
        const have = Object.keys((target.inputs.subset as { series: object }).series)[0];
        const other = Object.keys(spine.series).find((s) => s !== have)!;
        const name = `r${round}m${serial++}`;
        ops.push(
          createOp(name, {
            ownerTag: `crash/dev/${name}`,
            datastoreId,
            sourceImageSetId: spine.id,
            subset: { series: { [other]: "all" } },
            destination: { imageSetId: target.id, versionId: String(target.outs.latestVersionId ?? target.outs.versionId) },
            force: true,
            timeouts,
          }),
        );
        mergeTarget = target.name;
      }
      const idle = newSets.filter((r) => !hasMerge(r) && r.name !== mergeTarget);
      const updatable = idle.filter(
        (r) => r.inputs.subset && Object.values((r.inputs.subset as { series: Record<string, unknown> }).series).some((v) => Array.isArray(v) && v.length > 1),
      );
      let updated: string | undefined;
      if (updatable.length && rand() < 0.6) {
        const rec = pick(updatable);
        updated = rec.name;
        const [s, uids] = Object.entries((rec.inputs.subset as { series: Record<string, string[]> }).series)[0];
        ops.push(updateOp(rec, { ...rec.inputs, subset: { series: { [s]: uids.slice(0, uids.length - 1) } } }));
      }
      const deletable = [...state.values()].filter((r) => r.name !== updated && r.name !== mergeTarget && !hasMerge(r));
      if (deletable.length > 3 || (deletable.length && rand() < 0.5)) ops.push(deleteOp(pick(deletable)));
      CRASH_FIGURES.operations += ops.length;

      // ---- run them and kill the service at a random moment ----
      let unsettled = ops.length;
      const running = Promise.allSettled(ops.map((o) => o.run().finally(() => unsettled--)));
      await sleep(20 + Math.floor(rand() * 900));
      CRASH_FIGURES.inFlightAtKill += unsettled;
      await killService(svc);
      CRASH_FIGURES.kills++;
      await sleep(Math.floor(rand() * 1500));
      svc = await startService(dataDir, s3Root, port);
      if (process.env.RELIABILITY_DEBUG)
        console.log(
          "round",
          round,
          ops.map((o) => `${o.kind} ${o.name}`),
          (await running).map((r) => (r.status === "rejected" ? String(r.reason).slice(0, 300) : "ok")),
        );
      let rerun = (await running).map((r, i) => settle(ops[i], r)).filter((o): o is Op => !!o);

      // ---- the restarted service finishes the work in flight: nothing LOCKED, histories contiguous ----
      const deadline = Date.now() + 30_000;
      while (((await (await fetch(`http://127.0.0.1:${port}/_emulator/health`)).json()) as { pending: number }).pending > 0) {
        assert.ok(Date.now() < deadline, "the restarted service finishes pending work");
        await sleep(50);
      }
      checkHistories(readState());

      // ---- rerun what failed until it converges ----
      for (let attempt = 0; rerun.length; attempt++) {
        assert.ok(attempt < 3, `reruns converge (still failing: ${rerun.map((o) => `${o.kind} ${o.name}`).join(", ")})`);
        const results = await Promise.allSettled(rerun.map((o) => o.run()));
        if (process.env.RELIABILITY_DEBUG)
          console.log(
            round,
            rerun.map((o) => `${o.kind} ${o.name}`),
            results.map((r) => r.status),
          );
        const errors = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
        assert.deepEqual(errors, [], "a rerun without faults succeeds");
        rerun = results.map((r, i) => settle(rerun[i], r)).filter((o): o is Op => !!o);
      }
      checkHistories(readState());
      await checkNoLeaks(state);
      CRASH_FIGURES.rounds++;
    }
    console.log(`      crash figures (seed ${SEED}): ${JSON.stringify(CRASH_FIGURES)}`);
    assert.equal(CRASH_FIGURES.rounds, ROUNDS);
    assert.ok(CRASH_FIGURES.inFlightAtKill >= ROUNDS / 2, `the kills hit operations in flight (${CRASH_FIGURES.inFlightAtKill})`);
  });

  function checkHistories(s: ServiceState): void {
    for (const set of Object.values(s.imageSets)) {
      if (set.datastoreId !== datastoreId) continue;
      if (set.state === "LOCKED") CRASH_FIGURES.lockedLeft++;
      assert.ok(set.state === "ACTIVE" || set.state === "DELETED", `image set ${set.imageSetId} is ${set.state}/${set.workflowStatus}`);
      const ids = set.versions.map((v) => Number(v.versionId));
      const contiguous = ids.every((v, i) => v === i + 1) && set.latestVersionId === String(ids.length);
      if (!contiguous) CRASH_FIGURES.brokenHistories++;
      assert.ok(contiguous, `image set ${set.imageSetId} versions ${ids.join(",")} latest ${set.latestVersionId}`);
      for (const v of set.versions)
        assert.ok(
          !["COPYING", "COPYING_WITH_READ_ONLY_ACCESS", "UPDATING", "DELETING", "IMPORTING"].includes(v.workflowStatus),
          `version ${v.versionId} of ${set.imageSetId} left ${v.workflowStatus}`,
        );
    }
  }

  async function checkNoLeaks(state: Map<string, Rec>): Promise<void> {
    const s = readState();
    const live = Object.values(s.imageSets)
      .filter((x) => x.datastoreId === datastoreId && x.state !== "DELETED")
      .map((x) => x.imageSetId)
      .sort();
    const recorded = new Set<string>(seededIds);
    for (const r of state.values()) recorded.add(String(r.outs.imageSetId));
    const leaked = live.filter((id) => !recorded.has(id));
    const missing = [...recorded].filter((id) => !live.includes(id));
    CRASH_FIGURES.leaked += leaked.length;
    assert.deepEqual(leaked, [], "no image set outside the recorded state");
    assert.deepEqual(missing, [], "every recorded image set exists");
    // new image sets without merges hold exactly what their resource copied (no duplicate copy inside)
    const c = client();
    for (const r of state.values()) {
      if (r.inputs.destination) continue;
      const merges = [...state.values()].filter((m) => (m.inputs.destination as { imageSetId?: string } | undefined)?.imageSetId === r.id);
      // what state says each resource copied: its recorded subset, resolved against its source (state no longer lists instances)
      const declared = async (inputs: Props): Promise<Record<string, string[]>> => {
        // at the source version it copied: a source made by this test may have been merged into since
        const version = inputs.sourceVersionId ? String(inputs.sourceVersionId) : undefined;
        const source = instancesIn(await metadataOf(c, datastoreId, String(inputs.sourceImageSetId), version));
        const subset = inputs.subset as { series: Record<string, "all" | string[]> } | undefined;
        return subset ? Object.fromEntries(Object.entries(subset.series).map(([k, sel]) => [k, sel === "all" ? source[k] : sel])) : source;
      };
      const expected: Record<string, string[]> = await declared(r.outs);
      for (const m of merges) for (const [k, v] of Object.entries(await declared(m.outs))) expected[k] = [...(expected[k] ?? []), ...v];
      for (const k of Object.keys(expected)) expected[k] = [...expected[k]].sort();
      const actual = instancesIn(await metadataOf(c, datastoreId, r.id));
      if (!isDeepStrictEqual(actual, expected)) CRASH_FIGURES.duplicated++;
      assert.deepEqual(
        actual,
        expected,
        `image set ${r.id} of ${r.name} holds what state says (RELIABILITY_SEED=${SEED}); versions ${JSON.stringify(s.imageSets[r.id].versions.map((v) => [v.versionId, v.workflowStatus, v.docVersionId, v.message]))}, tags ${JSON.stringify(s.imageSets[r.id].tags)}, outs.versionId ${r.outs.versionId}`,
      );
    }
  }
});
