// Figure 7: hi.Dataset at scale, at 1,000 and 10,000 series (BENCH_DATASET_SIZES). N synthetic series
// (N/10 patients × 2 studies × 5 series of one instance, modalities CT/CT/MR/MR/CR) imported into one
// data store through StartDICOMImportJob, a dataset manifest whose cohorts select all N by criteria
// (a seeded patient split of the CT and MR series, a CR cohort by date, a 10-series QA cohort by
// UID), and the real Pulumi CLI on it: preview of the new stack, up at the default copy quota, state
// size, a no-change preview, a preview of a one-series edit of the QA cohort; then, on a second
// stack, an up at a raised quota, and on a third an up killed after 40 % of the copies and resumed
// with the README's recovery steps (each series copied once). Time is scaled as the fleet's is
// (rate limits ×SCALE, durations ÷SCALE): BENCH_DATASET_SCALE (default 50: the default quota's
// 0.25 TPS becomes 12.5, an up of 10,000 ~14 minutes) and BENCH_DATASET_RAISED_SCALE for the raised
// quota (default 5: AWS's 0.25 raised to BENCH_DATASET_RAISED_TPS, default 5, becomes 25 TPS).
// Layout perCohort (one CohortImageSets per cohort); BENCH_DATASET_LAYOUT=perSeries measures 0.2.0's.
// BENCH_DATASET_CPU_PROF=<dir> writes CPU profiles of the reads-off preview's processes.

import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { PROFILES, type OperationName, type RateLimit } from "../emulator/limits";
import { seed } from "../emulator/seed";
import type { RunningEmulator } from "../emulator/server";
import { byOperation, type Call, startProxy } from "../test/support/countingProxy";
import { sdkClient, startTestEmulator } from "../test/support/emulator";
import { createProject, descendants, killCliAndWait, type PulumiProject } from "../test/support/pulumiCli";
import { sampleProviderMemory } from "./fleet";
import { generate, type SyntheticStudy } from "./service";

export const DATASET_SCALE = Number(process.env.BENCH_DATASET_SCALE ?? 50);
/** series in the data store and derived image sets in the dataset (multiples of 10), one run each */
export const DATASET_SIZES = (process.env.BENCH_DATASET_N ?? process.env.BENCH_DATASET_SIZES ?? "1000,10000").split(",").map(Number);
export const DATASET_LAYOUT = (process.env.BENCH_DATASET_LAYOUT ?? "perCohort") as "perCohort" | "perSeries";
const REALISTIC = PROFILES.realistic.timings;
export const DATASET_COPY_TPS = PROFILES.realistic.rateLimits.CopyImageSet!.rate * DATASET_SCALE;
/** a raised CopyImageSet quota (real TPS; 0 skips that up) and the time scale of its run */
export const RAISED_TPS = Number(process.env.BENCH_DATASET_RAISED_TPS ?? 5);
export const RAISED_SCALE = Number(process.env.BENCH_DATASET_RAISED_SCALE ?? 5);
/** fraction of the copies after which the CLI of the interrupted up is killed (0 skips it) */
export const KILL_AT = Number(process.env.BENCH_DATASET_KILL_AT ?? 0.4);
const MODALITIES = ["CT", "CT", "MR", "MR", "CR"];
const SERIES_PER_STUDY = MODALITIES.length;
/** series in the cohort the edit changes */
const QA_MAX = 10;
/** `--target` for the edit: every resource of the edited cohort (`*` spans no ":", `**` anything); perCohort: the cohort's one resource */
export const EDIT_TARGET = DATASET_LAYOUT === "perCohort" ? "urn:pulumi:*::*::**::curated/qa" : "urn:pulumi:*::*::**::curated/qa/*";
const WRITES = ["CopyImageSet", "UpdateImageSetMetadata", "DeleteImageSet", "TagResource", "UntagResource", "StartDICOMImportJob"];

export interface DatasetStep {
  ms: number;
  exitCode: number | null;
  calls: Record<string, number>;
  writes: number;
  /** the CLI's summary of the plan ("+ 1,002 to create", ...) */
  plan: string;
  programPeakKb: number;
  providerPeakKb: number;
  /** processes sampled as the program / the provider */
  processes: [number, number];
  /** the bench process's event-loop delay during the step (it runs the service and the proxy) */
  benchLoopDelayMs?: { p99: number; max: number };
  /** where the time went (ms from the CLI's start), from the program's trace lines and the provider hook */
  trace?: StepTrace;
}

export interface StepTrace {
  /** the program's node process started (the language host's `@pulumi/pulumi/cmd/run`) */
  programProcess: number;
  /** the program's first line ran (the SDK and the program loaded, transpiled) */
  programStart: number;
  /** the first derived image set constructed: the dataset resolved (its read calls done) */
  firstChild?: number;
  /** the last one constructed: every resource declared */
  lastChild?: number;
  /** the program exited: every registration answered by the engine */
  programExit: number;
  programCpuMs: number;
  /** the dynamic-provider process started (the engine's first check of a derived image set) */
  providerProcess?: number;
  providerCpuMs?: number;
  /** calls reaching the dynamic provider */
  check: number;
  diff: number;
}

export type UpRow = DatasetStep & {
  /** the CopyImageSet quota (scaled TPS) the bound is computed from */
  tps: number;
  lowerBoundMs: number;
  ratio: number;
  serviceSpanMs: number;
  created: number;
  throttled: Record<string, number>;
};

/** An up killed after part of the copies, then `cancel`, `refresh --clear-pending-creates` and `up` (README, "An interrupted `pulumi up`"). */
export interface InterruptedUp {
  tps: number;
  /** CopyImageSet calls accepted before the CLI was killed, and in all (each series once: all = N) */
  copiesBeforeKill: number;
  copiesInAll: number;
  /** processes the killed CLI started still running 60 s later */
  leftAfterKill: number;
  /** the resuming up */
  resume: DatasetStep;
  /** image sets the resumed dataset's manifest lists (N) and distinct ones (N: none twice) */
  manifestEntries: number;
  distinctImageSets: number;
}

export interface DatasetResult {
  /** series in the data store, every one of them in the dataset (each up's bound counts them) */
  n: number;
  layout?: string;
  scale: number;
  copyTps: number;
  patients: number;
  studies: number;
  cohorts: Record<string, number>;
  generateMs: number;
  importMs: number;
  /** preview of the new stack (check reads the service: lifecycle/preflight.ts) */
  preview: DatasetStep;
  /** the same preview with the reads off (PULUMI_HEALTHIMAGING_CHECK_WITH_SERVICE=false): what they cost */
  previewOffline?: DatasetStep;
  up: UpRow;
  /** the same up on a second stack with PULUMI_SKIP_CHECKPOINTS=true (the CLI writes state once, at the end) */
  upSkipCheckpoints?: UpRow;
  /** the same dataset on another stack at a raised CopyImageSet quota (time scaled RAISED_SCALE×) */
  upRaised?: UpRow & { realTps: number; scale: number };
  interrupted?: InterruptedUp;
  state: {
    bytes: number;
    /** the same as compact JSON, as the file backend stores it */
    compactBytes?: number;
    derivedImageSets: number;
    bytesPerDerivedImageSet: number;
    outputBytes: number;
    manifestEntries: number;
    cohortResources?: number;
    members?: number;
    bytesPerMember?: number;
    split?: { batchInputs: number; batchOutputs: number; stackOutputs: number };
  };
  noChange: DatasetStep;
  edit: DatasetStep & { description: string };
  /** the same edit previewed with `--target` <a glob of the edited cohort's URNs> */
  editTargeted?: DatasetStep & { target: string };
  /** the no-change preview with PULUMI_DEBUG_PROMISE_LEAKS=true: the SDK's promise stack traces kept */
  noChangeStacks?: DatasetStep;
  /** processes of the project still running after the last CLI run */
  leftover: number;
}

const day = (i: number) => {
  const d = new Date(Date.UTC(2015, 0, 1) + i * 5 * 86_400_000);
  return d.toISOString().slice(0, 10).replace(/-/g, "");
};

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as hi from "pulumi-healthimaging";

const config = new pulumi.Config();
const dataset = new hi.Dataset("curated", {
  datastoreId: config.require("datastoreId"),
  dataset: "dataset.yaml",
  layout: config.get("layout") as "perSeries" | "perCohort" | undefined,
});
export const manifest = dataset.manifest;
`;

/**
 * The bench's own lines before the README program: when BENCH_DATASET_TRACE names a file, the times
 * the program started, declared its first and last derived image set (a stack transformation sees
 * each constructor) and exited (every registration answered), with its CPU time and peak RSS.
 */
const TRACE = `// bench/dataset.ts: trace lines (BENCH_DATASET_TRACE), then the README program
const traceFile = process.env.BENCH_DATASET_TRACE;
if (traceFile) {
  const fs = require("node:fs") as typeof import("node:fs");
  const { runtime } = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
  const line = (what: string, at = Date.now()) => {
    const c = process.cpuUsage();
    fs.appendFileSync(traceFile, JSON.stringify({ what, at, cpuMs: Math.round((c.user + c.system) / 1000), rssKb: process.resourceUsage().maxRSS }) + "\\n");
  };
  let children = 0;
  let lastChild = 0;
  line("program", Date.now() - Math.round(process.uptime() * 1000));
  line("start");
  runtime.registerStackTransformation((a) => {
    if (a.type.endsWith(":DerivedImageSet") || a.type.endsWith(":CohortImageSets")) {
      if (children++ === 0) line("first");
      lastChild = Date.now();
    }
    return undefined;
  });
  process.on("exit", () => {
    line("last", lastChild);
    line("exit");
  });
}
`;

/**
 * Loaded with NODE_OPTIONS=--require by the node processes of a traced run; in the dynamic-provider
 * process it counts the check and diff calls reaching the provider, and writes them with the
 * process's start, CPU time and peak RSS when the engine stops it.
 */
const PROVIDER_HOOK = `const fs = require("node:fs");
const file = process.env.BENCH_DATASET_TRACE;
if (file && process.argv.join(" ").includes("dynamic-provider")) {
  const s = { what: "provider", born: Date.now() - Math.round(process.uptime() * 1000), calls: {} };
  const m = require(require.resolve("pulumi-healthimaging/dist/provider", { paths: [process.cwd()] }));
  for (const p of [m.derivedImageSetProvider, m.cohortImageSetsProvider].filter(Boolean))
    for (const k of ["check", "diff"]) {
      const f = p[k];
      p[k] = (...a) => {
        s.calls[k] = (s.calls[k] || 0) + 1;
        return f.apply(p, a);
      };
    }
  let done = false;
  const dump = () => {
    if (done) return;
    done = true;
    const c = process.cpuUsage();
    fs.appendFileSync(file, JSON.stringify({ ...s, at: Date.now(), cpuMs: Math.round((c.user + c.system) / 1000), rssKb: process.resourceUsage().maxRSS }) + "\\n");
  };
  process.on("exit", dump);
  for (const sig of ["SIGINT", "SIGTERM"]) process.on(sig, () => { dump(); process.exit(0); });
}
`;

function manifestYaml(crUntil: string, qa: string[], lastDay: string): string {
  return `# bench/dataset.ts: every synthetic series of the data store, by criteria
seed: "bench"
cohorts:
  train: { description: 80 % of the patients' CT and MR series }
  validation: {}
  test: {}
  cr:
    select: { modality: [CR], studyDate: { from: "20150101", to: "${crUntil}" } }
  qa:
    select:
      series:
${qa.map((u) => `        "${u}": all`).join("\n")}
splits:
  by-patient:
    select: { modality: [CT, MR], studyDate: { from: "20150101", to: "${lastDay}" } }
    ratios: { train: 0.8, validation: 0.1, test: 0.1 }
disjoint: [train, validation, test]
`;
}

/** VmHWM of the program (the language host's node process) and of the dynamic provider, sampled every 100 ms. */
async function timed(
  project: PulumiProject,
  proxyCalls: (from: number, to: number) => Call[],
  args: string[],
): Promise<DatasetStep & { stdout: string; t0: number; t1: number }> {
  const program = new Map<number, number>();
  const provider = new Map<number, number>();
  let sampler: NodeJS.Timeout | undefined;
  const traceFile = path.join(project.dir, `trace-${Date.now()}.jsonl`);
  project.env.BENCH_DATASET_TRACE = traceFile;
  // the bench process serves the local service and the proxy too: its own event-loop delay is
  // jitter the service's rate limiter sees (a /proc scan per sample, so one scan per 250 ms)
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const t0 = Date.now();
  const r = await project.run(args, {
    onStart: (child) =>
      (sampler = setInterval(() => {
        const pids = descendants(child.pid!);
        sampleProviderMemory(child.pid!, program, "pulumi/cmd/run", pids);
        sampleProviderMemory(child.pid!, provider, "dynamic-provider", pids);
      }, 250)),
  });
  const t1 = Date.now();
  clearInterval(sampler);
  loop.disable();
  const benchLoopDelayMs = { p99: Math.round(loop.percentile(99) / 1e6), max: Math.round(loop.max / 1e6) };
  delete project.env.BENCH_DATASET_TRACE;
  const trace = readTrace(traceFile, t0);
  const calls = byOperation(proxyCalls(t0, t1 + 1));
  const out = r.stdout + r.stderr;
  const plan = out
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => /^([+~-]|\+-)\s*[\d,]+ (to create|to update|to delete|to replace|created|updated|deleted|replaced)$|^[\d,]+ unchanged$/.test(l))
    .join(", ");
  if (r.code !== 0) {
    // the error lines wherever they are (a long run's last lines are progress), then the end
    const lines = out.split("\n");
    const errors = lines.filter((l) => /error|failed|Exception/i.test(l) && !/adopting image set/.test(l)).slice(0, 40);
    process.stderr.write(`${[...errors, "...", ...lines.slice(-40)].join("\n")}\n`);
  }
  return {
    ms: t1 - t0,
    exitCode: r.code,
    calls,
    writes: WRITES.reduce((a, op) => a + (calls[op] ?? 0), 0),
    plan,
    programPeakKb: Math.max(0, ...program.values()),
    providerPeakKb: Math.max(0, ...provider.values()),
    processes: [program.size, provider.size],
    benchLoopDelayMs,
    trace,
    stdout: r.stdout,
    t0,
    t1,
  };
}

function readTrace(file: string, t0: number): StepTrace | undefined {
  if (!fs.existsSync(file)) return undefined;
  const lines = fs
    .readFileSync(file, "utf8")
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { what: string; at: number; cpuMs: number; calls?: Record<string, number>; born?: number });
  fs.rmSync(file);
  const at = (what: string) => {
    const l = lines.find((x) => x.what === what);
    return l && l.at > 0 ? l.at - t0 : undefined;
  };
  const provider = lines.find((x) => x.what === "provider");
  const exit = lines.find((x) => x.what === "exit");
  if (!exit) return undefined;
  return {
    programProcess: at("program")!,
    programStart: at("start")!,
    firstChild: at("first"),
    lastChild: at("last"),
    programExit: exit.at - t0,
    programCpuMs: exit.cpuMs,
    providerProcess: provider?.born ? provider.born - t0 : undefined,
    providerCpuMs: provider?.cpuMs,
    check: provider?.calls?.check ?? 0,
    diff: provider?.calls?.diff ?? 0,
  };
}

const strip = <T extends { stdout: string; t0: number; t1: number }>({ stdout: _o, t0: _a, t1: _b, ...rest }: T) => rest;

/** The service's realistic timings ÷scale and rate limits ×scale; CopyImageSet at copyTps (already scaled) when given. */
function scaleService(emu: RunningEmulator, scale: number, copyTps?: number): void {
  const tm = emu.service.profile.timings;
  for (const k of Object.keys(REALISTIC) as (keyof typeof REALISTIC)[]) tm[k] = REALISTIC[k] / scale;
  const limits: Partial<Record<OperationName, RateLimit>> = {};
  for (const [op, l] of Object.entries(PROFILES.realistic.rateLimits)) limits[op as OperationName] = { rate: l!.rate * scale, burst: l!.burst };
  if (copyTps !== undefined) limits.CopyImageSet = { ...limits.CopyImageSet!, rate: copyTps };
  emu.limiter.setLimits(limits);
}

export async function runDataset(log: (m: string) => void, n: number): Promise<DatasetResult> {
  if (n % (2 * SERIES_PER_STUDY) !== 0 || n < 2 * SERIES_PER_STUDY * 2)
    throw new Error(`BENCH_DATASET_SIZES: each must be a multiple of 10, at least 20 (got ${n})`);
  process.env.PULUMI_NODEJS_TRANSPILE_ONLY = "true";
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-dataset-"));
  const bucket = path.join(tmp, "s3", "bench");
  fs.mkdirSync(bucket, { recursive: true });
  let emu: RunningEmulator | undefined;
  let proxy: Awaited<ReturnType<typeof startProxy>> | undefined;
  let project: PulumiProject | undefined;
  const others: PulumiProject[] = [];
  try {
    // 1. synthetic data: n/10 patients × 2 studies × 5 series of 1 instance
    const patients = n / (2 * SERIES_PER_STUDY);
    const studies: SyntheticStudy[] = [];
    for (let p = 0; p < patients; p++)
      for (let k = 0; k < 2; k++)
        studies.push({
          series: SERIES_PER_STUDY,
          perSeries: 1,
          patientId: `BENCH-${String(p + 1).padStart(4, "0")}`,
          studyDate: day(studies.length),
          modalities: MODALITIES,
        });
    let t = Date.now();
    const gen = generate(bucket, studies);
    const generateMs = Date.now() - t;
    emu = await startTestEmulator({ s3Root: path.join(tmp, "s3"), profile: "fast" });
    // retries: a 10,000-file import completes in one long step, and a kept-alive socket may be reset meanwhile
    const client = sdkClient(emu, { maxAttempts: 5 });
    t = Date.now();
    const seeded = await seed(client, { inputS3Uri: "s3://bench/", outputS3Uri: "s3://output/bench/", timeoutMs: 600_000 });
    const importMs = Date.now() - t;
    client.destroy();
    const primaries = seeded.imageSets.filter((s) => s.isPrimary).length;
    if (primaries !== n) throw new Error(`the import made ${primaries} primary image sets, expected ${n}`);
    log(
      `  dataset: ${n} series (${patients} patients, ${studies.length} studies) generated in ${(generateMs / 1000).toFixed(1)} s, imported in ${(importMs / 1000).toFixed(1)} s`,
    );

    // realistic timings and limits, ×SCALE faster
    scaleService(emu, DATASET_SCALE);
    proxy = await startProxy(emu.endpoint);
    const between = proxy.between;

    // 2. the manifest: CR of the last 10 studies go to "qa" by UID, the other CR by date
    const QA = Math.min(QA_MAX, studies.length / 4);
    const crStudies = studies.length - QA;
    const crUid = (j: number) => gen.series[j][SERIES_PER_STUDY - 1];
    const qa = Array.from({ length: QA }, (_, i) => crUid(crStudies + i));
    const yaml = manifestYaml(day(crStudies - 1), qa, day(studies.length));
    project = await createProject("dataset-bench", { "index.ts": TRACE + PROGRAM, "bench-trace.js": PROVIDER_HOOK, "dataset.yaml": yaml }, {
      ...emu,
      endpoint: proxy.url,
    } as RunningEmulator);
    project.env.NODE_OPTIONS = `--require ${path.join(project.dir, "bench-trace.js")}`;
    // what an AWS endpoint gets by default: the documented write rate known from the start
    project.env.PULUMI_HEALTHIMAGING_WRITE_TPS = String(DATASET_COPY_TPS);
    await project.ok(["config", "set", "datastoreId", seeded.datastoreId]);
    // perCohort: one CohortImageSets per cohort; perSeries: one DerivedImageSet per series (0.2.0's)
    await project.ok(["config", "set", "layout", DATASET_LAYOUT]);
    /** another stack of the same dataset in the same data store */
    const stack = async (name: string, env: Record<string, string>): Promise<PulumiProject> => {
      const p = await createProject(name, { "index.ts": PROGRAM, "dataset.yaml": yaml }, { ...emu!, endpoint: proxy!.url } as RunningEmulator);
      others.push(p);
      Object.assign(p.env, env);
      await p.ok(["config", "set", "datastoreId", seeded.datastoreId]);
      await p.ok(["config", "set", "layout", DATASET_LAYOUT]);
      return p;
    };

    // 3. preview of the new stack
    const preview = await timed(project, between, ["preview"]);
    log(
      `  dataset: preview (new stack): exit ${preview.exitCode}, ${(preview.ms / 1000).toFixed(1)} s, ${preview.plan}, calls ${JSON.stringify(preview.calls)}, program peak ${preview.programPeakKb} kB`,
    );
    if (preview.exitCode !== 0) throw new Error("the preview failed");
    project.env.PULUMI_HEALTHIMAGING_CHECK_WITH_SERVICE = "false";
    // BENCH_DATASET_CPU_PROF=<dir>: a V8 CPU profile of each process of this preview (the program's
    // is where a preview's time goes), for the profiles bench/NOTES.md cites
    const traceOptions = project.env.NODE_OPTIONS;
    const profileDir = process.env.BENCH_DATASET_CPU_PROF;
    if (profileDir) project.env.NODE_OPTIONS = `${traceOptions} --cpu-prof --cpu-prof-dir=${path.resolve(profileDir, String(n))}`;
    const previewOffline = await timed(project, between, ["preview"]);
    project.env.NODE_OPTIONS = traceOptions;
    delete project.env.PULUMI_HEALTHIMAGING_CHECK_WITH_SERVICE;
    log(
      `  dataset: preview (new stack, reads off): exit ${previewOffline.exitCode}, ${(previewOffline.ms / 1000).toFixed(1)} s, calls ${JSON.stringify(previewOffline.calls)}`,
    );

    // 4. up
    const measureUp = async (p: PulumiProject, tps = DATASET_COPY_TPS): Promise<UpRow> => {
      const throttledBefore = { ...emu!.limiter.throttled };
      const up = await timed(p, between, ["up", "--yes", "--skip-preview", "--parallel", "16"]);
      const made = Object.values(emu!.service.state.imageSets).filter((x) => x.createdAt >= up.t0 && x.createdAt <= up.t1);
      const firstCopy = between(up.t0, up.t1 + 1).find((c) => c.op === "CopyImageSet" && c.status === 200);
      const lastDone = Math.max(...made.map((x) => x.versions[0].updatedAt));
      const throttled: Record<string, number> = {};
      for (const [op, c] of Object.entries(emu!.limiter.throttled)) {
        const d = c! - (throttledBefore[op as OperationName] ?? 0);
        if (d) throttled[op] = d;
      }
      const lowerBoundMs = (n / tps) * 1000;
      const row = {
        ...strip(up),
        tps,
        lowerBoundMs,
        ratio: up.ms / lowerBoundMs,
        serviceSpanMs: firstCopy ? lastDone - firstCopy.at : Number.NaN,
        created: made.length,
        throttled,
      };
      log(
        `  dataset: up${p.env.PULUMI_SKIP_CHECKPOINTS ? " (PULUMI_SKIP_CHECKPOINTS)" : ""}: exit ${up.exitCode}, ${(up.ms / 1000).toFixed(1)} s (${row.ratio.toFixed(3)} of the ${(lowerBoundMs / 1000).toFixed(0)} s bound; service span ${(row.serviceSpanMs / 1000).toFixed(1)} s), created ${made.length}, throttles ${JSON.stringify(throttled)}, bench event-loop delay p99 ${up.benchLoopDelayMs?.p99} ms max ${up.benchLoopDelayMs?.max} ms, calls ${JSON.stringify(up.calls)}, program peak ${up.programPeakKb} kB, provider peak ${up.providerPeakKb} kB`,
      );
      if (up.exitCode !== 0) throw new Error("the up failed");
      return row;
    };
    const upRow = await measureUp(project);

    // 5. state size
    const exported = (await project.ok(["stack", "export"])).stdout;
    const resources = (JSON.parse(exported).deployment.resources as { type: string }[]).filter((x) => x.type.includes("DerivedImageSet"));
    const output = (await project.ok(["stack", "output", "manifest", "--json"])).stdout;
    const manifestEntries = Object.values(JSON.parse(output).cohorts as Record<string, unknown[]>).reduce((a, l) => a + l.length, 0);
    const cohorts = Object.fromEntries(Object.entries(JSON.parse(output).cohorts as Record<string, unknown[]>).map(([k, l]) => [k, l.length]));
    // the bounds count n: the manifest must select every generated series (its date ranges once left 3,324 of 10,000 out)
    if (manifestEntries !== n) throw new Error(`the bench's dataset selected ${manifestEntries} of the ${n} series: its criteria miss some`);
    const all = JSON.parse(exported).deployment.resources as { type: string; inputs?: object; outputs?: { members?: object } }[];
    const batches = all.filter((x) => x.type.includes("CohortImageSets"));
    const members = batches.reduce((a, b) => a + Object.keys(b.outputs?.members ?? {}).length, 0);
    const bytes = (xs: unknown[]) => xs.reduce((a: number, x) => a + Buffer.byteLength(JSON.stringify(x ?? null)), 0);
    const state = {
      bytes: Buffer.byteLength(exported),
      // the file backend stores the checkpoint as compact JSON (pkg/backend/diy/state.go,
      // compactJSONMarshaler); `pulumi stack export` indents it
      compactBytes: Buffer.byteLength(JSON.stringify(JSON.parse(exported))),
      ...(batches.length
        ? {
            cohortResources: batches.length,
            members,
            bytesPerMember: Math.round(Buffer.byteLength(exported) / members),
            // where the bytes are: the batches' inputs and outputs (compact JSON), the stack's outputs (the exported manifest)
            split: {
              batchInputs: bytes(batches.map((b) => b.inputs)),
              batchOutputs: bytes(batches.map((b) => b.outputs)),
              stackOutputs: bytes(all.filter((x) => x.type === "pulumi:pulumi:Stack").map((x) => x.outputs)),
            },
          }
        : {}),
      derivedImageSets: resources.length,
      bytesPerDerivedImageSet: Math.round(resources.reduce((a, x) => a + Buffer.byteLength(JSON.stringify(x)), 0) / resources.length),
      outputBytes: Buffer.byteLength(JSON.stringify(JSON.parse(output))),
      manifestEntries,
    };
    log(`  dataset: state ${JSON.stringify(state)}, cohorts ${JSON.stringify(cohorts)}`);

    // 6. no-change preview, then a one-series edit of the 10-series cohort
    const noChange = await timed(project, between, ["preview", "--expect-no-changes"]);
    log(`  dataset: no-change preview: exit ${noChange.exitCode}, ${(noChange.ms / 1000).toFixed(1)} s, calls ${JSON.stringify(noChange.calls)}`);
    project.writeFile("dataset.yaml", manifestYaml(day(crStudies - 1), [...qa, gen.series[0][0]], day(studies.length)));
    const edit = await timed(project, between, ["preview"]);
    log(`  dataset: edit preview: exit ${edit.exitCode}, ${(edit.ms / 1000).toFixed(1)} s, ${edit.plan}, calls ${JSON.stringify(edit.calls)}`);
    // the same edit, the engine told which resources may change: a glob of the edited cohort's URNs
    const editTargeted = await timed(project, between, ["preview", "--target", EDIT_TARGET]);
    log(
      `  dataset: edit preview --target: exit ${editTargeted.exitCode}, ${(editTargeted.ms / 1000).toFixed(1)} s, ${editTargeted.plan}, trace ${JSON.stringify(editTargeted.trace)}`,
    );
    // the no-change preview again with the SDK's promise stack traces kept (hi.Dataset skips them otherwise)
    project.writeFile("dataset.yaml", yaml);
    project.env.PULUMI_DEBUG_PROMISE_LEAKS = "true";
    const noChangeStacks = await timed(project, between, ["preview", "--expect-no-changes"]);
    delete project.env.PULUMI_DEBUG_PROMISE_LEAKS;
    log(`  dataset: no-change preview, PULUMI_DEBUG_PROMISE_LEAKS: exit ${noChangeStacks.exitCode}, ${(noChangeStacks.ms / 1000).toFixed(1)} s`);

    // opt-in (BENCH_DATASET_SKIP_CHECKPOINTS=1, ~5 min more): the same up on a second stack, the CLI
    // writing state once at the end instead of after every step
    let upSkipCheckpoints: UpRow | undefined;
    if (process.env.BENCH_DATASET_SKIP_CHECKPOINTS === "1") {
      upSkipCheckpoints = await measureUp(
        await stack("dataset-bench-once", { PULUMI_HEALTHIMAGING_WRITE_TPS: String(DATASET_COPY_TPS), PULUMI_SKIP_CHECKPOINTS: "true" }),
      );
    }

    // 8. a raised CopyImageSet quota, stated by the user as the provider's docs say: another stack
    // of the same dataset, the service at RAISED_TPS (its clock RAISED_SCALE× faster)
    let upRaised: DatasetResult["upRaised"];
    let interrupted: InterruptedUp | undefined;
    const raisedTps = RAISED_TPS * RAISED_SCALE;
    if (RAISED_TPS > 0) scaleService(emu, RAISED_SCALE, raisedTps);
    // BENCH_DATASET_RAISED_UP=0: the raised quota for the interrupted up only (a shorter run)
    if (RAISED_TPS > 0 && process.env.BENCH_DATASET_RAISED_UP !== "0") {
      const raised = await stack("dataset-bench-raised", { PULUMI_HEALTHIMAGING_COPY_TPS: String(raisedTps) });
      upRaised = { ...(await measureUp(raised, raisedTps)), realTps: RAISED_TPS, scale: RAISED_SCALE };
    }

    // 9. an up killed after KILL_AT of the copies, resumed with the README's recovery steps
    if (KILL_AT > 0) {
      const tps = RAISED_TPS > 0 ? raisedTps : DATASET_COPY_TPS;
      const p = await stack("dataset-bench-killed", { PULUMI_HEALTHIMAGING_COPY_TPS: String(tps) });
      interrupted = await killAndResume(p, n, tps, between, log);
    }

    // 7. the temporary project goes (its image sets go with the in-process service); nothing may still run
    if (process.env.BENCH_DATASET_DESTROY) {
      const d = await timed(project, between, ["destroy", "--yes", "--skip-preview", "--parallel", "16"]);
      log(`  dataset: destroy: exit ${d.exitCode}, ${(d.ms / 1000).toFixed(1)} s, calls ${JSON.stringify(d.calls)}`);
    }
    await new Promise((r) => setTimeout(r, 1000));
    const leftover = [project, ...others].flatMap((p) => processesIn(p.dir));
    if (leftover.length) log(`  dataset: still running after the last CLI run: ${leftover.join("; ")}`);
    return {
      n,
      layout: DATASET_LAYOUT,
      scale: DATASET_SCALE,
      copyTps: DATASET_COPY_TPS,
      patients,
      studies: studies.length,
      cohorts,
      generateMs,
      importMs,
      preview: strip(preview),
      previewOffline: strip(previewOffline),
      up: upRow,
      upSkipCheckpoints,
      state,
      noChange: strip(noChange),
      edit: { ...strip(edit), description: `one series added to the ${QA}-series cohort "qa"` },
      editTargeted: { ...strip(editTargeted), target: EDIT_TARGET },
      noChangeStacks: strip(noChangeStacks),
      upRaised,
      interrupted,
      leftover: leftover.length,
    };
  } finally {
    project?.remove();
    for (const p of others) p.remove();
    await proxy?.stop();
    await emu?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * `pulumi up` killed (SIGKILL, as a closed CI runner does) once `killAt` of the n copies were
 * accepted; then the README's recovery steps: `pulumi cancel`, `pulumi refresh
 * --clear-pending-creates`, `pulumi up`. Counts the copies: each series must be copied once.
 */
async function killAndResume(
  p: PulumiProject,
  n: number,
  tps: number,
  between: (from: number, to?: number) => Call[],
  log: (m: string) => void,
): Promise<InterruptedUp> {
  const from = Date.now();
  const copies = () => between(from, Date.now() + 1).filter((c) => c.op === "CopyImageSet" && c.status === 200).length;
  let child: ChildProcess | undefined;
  const run = p.run(["up", "--yes", "--skip-preview", "--parallel", "16"], { onStart: (c) => (child = c) });
  while (copies() < KILL_AT * n && child?.exitCode === null) await new Promise((r) => setTimeout(r, 50));
  // what the killed CLI started exits on its own (provider/settings/engineWatch.ts)
  const left = await killCliAndWait(child!, run);
  const copiesBeforeKill = copies();
  log(
    `  dataset: up killed after ${copiesBeforeKill} of ${n} copies; ${left.length} of its processes still running 60 s later${left.length ? `: ${left.map((x) => `${x.pid} ${x.command.slice(0, 100)}`).join("; ")}` : ""}`,
  );
  await p.run(["cancel", "--yes"]);
  await p.ok(["refresh", "--clear-pending-creates", "--yes", "--skip-preview"]);
  const resume = await timed(p, between, ["up", "--yes", "--skip-preview", "--parallel", "16"]);
  // a failed resume is a figure too (no manifest then), not the end of the bench
  const got = await p.run(["stack", "output", "manifest", "--json"]);
  const output = (got.code === 0 ? JSON.parse(got.stdout) : { cohorts: {} }) as { cohorts: Record<string, { imageSetId: string }[]> };
  const entries = Object.values(output.cohorts).flat();
  const result: InterruptedUp = {
    tps,
    copiesBeforeKill,
    copiesInAll: copies(),
    leftAfterKill: left.length,
    resume: strip(resume),
    manifestEntries: entries.length,
    distinctImageSets: new Set(entries.map((e) => e.imageSetId)).size,
  };
  log(
    `  dataset: resumed up: exit ${resume.exitCode}, ${(resume.ms / 1000).toFixed(1)} s, ${result.copiesInAll} copies in all for ${n} series, manifest ${result.manifestEntries} entries (${result.distinctImageSets} distinct image sets)`,
  );
  return result;
}

/** Processes whose command line or working folder is in dir. */
function processesIn(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0").join(" ").trim();
      const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
      if (cmd && (cmd.includes(dir) || cwd.startsWith(dir))) out.push(`${entry} ${cmd.slice(0, 120)}`);
    } catch {
      // gone, or not ours
    }
  }
  return out;
}
