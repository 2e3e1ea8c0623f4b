// `npm run bench`: every figure of BENCHMARKS.md in one run against the local service. Not part of
// `npm test`. The tracked report (BENCHMARKS.md, bench/last-run.json) is rewritten only with --write;
// otherwise the report goes to stdout and the raw figures to a temporary file.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { installPulumi } from "../scripts/local";
import { ensureBuilt } from "../test/support/build";
import { DATASET_LAYOUT, DATASET_SCALE, DATASET_SIZES, type DatasetResult, type DatasetStep, KILL_AT, RAISED_SCALE, RAISED_TPS, runDataset } from "./dataset";
import { renderDatasetGoals } from "./datasetGoals";
import { COPY_TPS, type FleetResult, runFleet, SCALE } from "./fleet";
import { runService, type ServiceResult } from "./service";
import { runStateSize, type StateSizeRow } from "./stateSize";
import { runWaitOverhead, type WaitRow } from "./waitOverhead";

const ROOT = path.resolve(__dirname, "..");

type Part = "wait" | "fleet" | "service" | "state" | "dataset";
interface Results {
  machine: ReturnType<typeof machine>;
  wait?: WaitRow[];
  fleet?: FleetResult;
  service?: ServiceResult;
  state?: StateSizeRow[];
  /** figure 7 of an earlier layout (one size); superseded by datasets */
  dataset?: DatasetResult;
  /** figure 7, one run per size (BENCH_DATASET_SIZES) */
  datasets?: DatasetResult[];
  totalS?: number;
  quick: boolean;
  /** when (and at which commit) each part was last measured: a partial run keeps the others */
  measured?: Partial<Record<Part, { date: string; commit: string; node?: string }>>;
}
const USAGE = `usage: npm run bench -- [options]

  (no options)       every part (~30 minutes on 2 cores); prints the report, writes no tracked file
  --only <parts>     some parts: wait,fleet,service,state,dataset (comma-separated; --parts is the same)
                       wait     figure 1, wait overhead of one copy (~4 min)
                       fleet    figures 2-4, N derived image sets in one pulumi up (~6 min)
                       service  figure 5, the local service itself (~1 min)
                       state    figure 6, state size per resource (seconds)
                       dataset  figure 7, hi.Dataset of ${DATASET_SIZES.map((n) => n.toLocaleString("en-US")).join(" and ")} series (${DATASET_LAYOUT}): preview, up,
                                state, no-change and one-edit previews, the edit with --target, an up at a raised
                                quota, an up killed at ${KILL_AT * 100} % and resumed (~40 min; BENCH_DATASET_SIZES,
                                BENCH_DATASET_LAYOUT, BENCH_DATASET_SCALE=${DATASET_SCALE}, BENCH_DATASET_RAISED_TPS=${RAISED_TPS} (0: none),
                                BENCH_DATASET_RAISED_SCALE=${RAISED_SCALE}, BENCH_DATASET_KILL_AT=${KILL_AT} (0: none),
                                BENCH_DATASET_SKIP_CHECKPOINTS=1 adds an up with PULUMI_SKIP_CHECKPOINTS)
  --quick            2 s and 10 s copies only, fleets of 20 and 50 (a smoke run)
  --write            rewrite BENCHMARKS.md and bench/last-run.json (a partial run keeps the other
                     parts' figures from bench/last-run.json)
  --render-only      rewrite BENCHMARKS.md from bench/last-run.json and bench/NOTES.md, measure nothing
  -h, --help         this text
`;
const PARTS: Part[] = ["wait", "fleet", "service", "state", "dataset"];
function parseOptions() {
  try {
    const { values } = parseArgs({
      options: {
        only: { type: "string" },
        parts: { type: "string" },
        quick: { type: "boolean", default: false },
        write: { type: "boolean", default: false },
        "render-only": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
    });
    if (values.only !== undefined && values.parts !== undefined) throw new Error("--only and --parts are the same option: give one");
    values.only ??= values.parts;
    const only = values.only?.split(",").map((p) => p.trim()) ?? PARTS;
    const unknown = only.filter((p) => !PARTS.includes(p as Part));
    if (unknown.length > 0) throw new Error(`--only: unknown part ${unknown.join(", ")} (parts: ${PARTS.join(", ")})`);
    return { ...values, only: new Set(only), partial: values.only !== undefined };
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
}
const options = parseOptions();
const quick = options.quick;
const only = options.only;
const started = Date.now();
const log = (m: string) => process.stderr.write(`[bench +${Math.round((Date.now() - started) / 1000)}s] ${m.trimStart()}\n`);

function machine() {
  let pulumi = "?";
  try {
    pulumi = execFileSync(path.join(installPulumi(), "pulumi"), ["version"], { encoding: "utf8" }).trim();
  } catch {
    // reported as "?"
  }
  let commit = "?";
  try {
    commit = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    // not a checkout
  }
  return {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model ?? "?",
    memoryGiB: +(os.totalmem() / 2 ** 30).toFixed(1),
    node: process.version,
    os: `${os.type()} ${os.release()}`,
    pulumi,
    commit,
    date: new Date().toISOString(),
  };
}

async function main() {
  if (options.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (options["render-only"]) {
    // re-render BENCHMARKS.md from bench/last-run.json (e.g. after editing bench/NOTES.md)
    fs.writeFileSync(path.join(ROOT, "BENCHMARKS.md"), render(JSON.parse(fs.readFileSync(path.join(__dirname, "last-run.json"), "utf8"))));
    return;
  }
  ensureBuilt();
  const results: Results = { machine: machine(), quick, measured: {} };
  for (const part of only) results.measured![part as Part] = { date: results.machine.date, commit: results.machine.commit, node: results.machine.node };
  log(`machine ${JSON.stringify(results.machine)}`);
  if (only.has("state")) {
    log("figure 6: state size per resource");
    results.state = await runStateSize(log);
  }
  if (only.has("service")) {
    log("figure 5: the service");
    results.service = await runService(log);
  }
  if (only.has("wait")) {
    log("figure 1: wait overhead");
    results.wait = await runWaitOverhead(quick ? [2.3, 11.2] : [2.3, 11.2, 61.7], log);
  }
  if (only.has("fleet")) {
    log("figures 2-4: fleet, preview, footprint");
    results.fleet = await runFleet(
      quick ? [20, 50] : [50, 200],
      [
        { label: "limit learned" },
        // what AWS endpoints get by default: the documented rate known from the start
        { label: "limit given", env: { PULUMI_HEALTHIMAGING_WRITE_TPS: String(COPY_TPS) } },
      ],
      log,
    );
  }
  if (only.has("dataset")) {
    log("figure 7: hi.Dataset at scale");
    results.datasets = [];
    for (const n of DATASET_SIZES) {
      results.datasets.push(await runDataset(log, n));
      // each size's figures kept at once: a failure in a later size loses only that one
      const partial = path.join(os.tmpdir(), `hi-bench-dataset-${n}.json`);
      fs.writeFileSync(partial, `${JSON.stringify(results.datasets.at(-1), null, 2)}\n`);
      log(`dataset ${n}: figures in ${partial}`);
    }
  }
  results.totalS = Math.round((Date.now() - started) / 1000);
  // A partial run (--only) keeps the other parts' figures from the previous run.
  const last = path.join(__dirname, "last-run.json");
  if (options.partial && fs.existsSync(last)) {
    const previous = JSON.parse(fs.readFileSync(last, "utf8")) as typeof results;
    results.wait ??= previous.wait;
    results.fleet ??= previous.fleet;
    results.service ??= previous.service;
    results.state ??= previous.state;
    results.datasets ??= previous.datasets;
    if (!results.datasets) results.dataset ??= previous.dataset;
    for (const part of PARTS) {
      if (!results[part]) continue; // never measured
      results.measured![part] ??= { date: previous.machine.date, commit: previous.machine.commit, node: previous.machine.node, ...previous.measured?.[part] };
    }
  }
  if (options.write) {
    fs.writeFileSync(last, `${JSON.stringify(results, null, 2)}\n`);
    fs.writeFileSync(path.join(ROOT, "BENCHMARKS.md"), render(results));
    log(`done in ${results.totalS} s; wrote BENCHMARKS.md and bench/last-run.json`);
  } else {
    const raw = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "hi-bench-")), "run.json");
    fs.writeFileSync(raw, `${JSON.stringify(results, null, 2)}\n`);
    process.stdout.write(render(results));
    log(`done in ${results.totalS} s; raw figures in ${raw} (tracked files untouched; --write rewrites BENCHMARKS.md)`);
  }
}

const s = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
const yes = (b: boolean) => (b ? "**met**" : "**missed**");

function render(r: Results): string {
  const m = r.machine;
  const out: string[] = [];
  out.push("# Benchmarks", "");
  out.push("Generated by `npm run bench -- --write` (bench/index.ts); the raw figures are in `bench/last-run.json`. Everything runs against the");
  out.push("local HealthImaging service started in-process (figures 1-4) or as its own process (figure 5), so the figures are about the");
  out.push("provider's and the service's behaviour, not AWS's network.", "");
  out.push(
    `Machine: ${m.nproc} CPUs (\`nproc\`; ${m.cpu}), ${m.memoryGiB} GiB memory, Node ${m.node}, ${m.os}, ${m.pulumi.split("\n")[0] ? `Pulumi CLI ${m.pulumi.split("\n")[0]}` : ""}, commit ${m.commit} plus the working tree, ${m.date}. Whole run: ${r.totalS ?? "?"} s${r.quick ? " (`--quick`)" : ""}.`,
    "",
  );
  const measured = Object.entries(r.measured ?? {});
  if (new Set(measured.map(([, w]) => w.date)).size > 1) {
    out.push(
      `Parts measured separately (\`--only\`): ${measured.map(([part, w]) => `${part} at ${w.date} (commit ${w.commit}${w.node ? `, Node ${w.node}` : ""})`).join(", ")}.`,
      "",
    );
  }
  out.push(
    "Reproduce: `npm ci && bash scripts/install-pulumi.sh && npm run bench -- --write` (parts: `npm run bench -- --write --only wait,fleet,service,state,dataset`; `npm run bench -- --help`).",
    "",
  );
  if (r.wait) out.push(...renderWait(r.wait));
  if (r.fleet) out.push(...renderFleet(r.fleet));
  if (r.service) out.push(...renderService(r.service));
  if (r.state) out.push(...renderState(r.state));
  if (r.datasets?.length) {
    out.push(...renderDatasetGoals(r.datasets));
    for (const d of r.datasets) out.push(...renderDataset(d));
  } else if (r.dataset) out.push("## 7. hi.Dataset at scale", "", ...renderDataset(r.dataset));
  out.push(...NOTES);
  return `${out.join("\n")}\n`;
}

function renderState(rows: StateSizeRow[]): string[] {
  const out = ["## 6. State size per resource", ""];
  out.push("One DerivedImageSet's entry in state (inputs and outputs as JSON, the ~2.4 KB `__provider` included), built by the provider's");
  out.push('own check and output code (bench/stateSize.ts). A whole-series subset (`"all"`) stays the same size whatever the instance');
  out.push("count; a subset that lists instances keeps the user's own list (an input) and nothing more. 0.1.0 also kept every copied");
  out.push("instance in outputs (`copiedInstances`). Goal: ≤ 16 KB per resource whatever the instance count.", "");
  out.push("| instances | subset | bytes now | bytes in 0.1.0 | ≤ 16 KB |");
  out.push("|---:|---|---:|---:|---|");
  for (const r of rows)
    out.push(
      `| ${r.instances.toLocaleString("en-US")} | ${r.subset} | ${r.bytes.toLocaleString("en-US")} | ${r.bytes010.toLocaleString("en-US")} | ${yes(r.bytes <= 16 * 1024)} |`,
    );
  out.push("");
  return out;
}

function renderDataset(d: DatasetResult): string[] {
  const n = d.n.toLocaleString("en-US");
  const calls = (c: Record<string, number>) =>
    Object.entries(c)
      .map(([op, k]) => `${op} ${k.toLocaleString("en-US")}`)
      .join(", ") || "none";
  const mb = (kb: number) => (kb / 1024).toFixed(0);
  const out = [`### 7.${n}. hi.Dataset of ${n} series${d.layout ? `, layout ${d.layout}` : ""}`, ""];
  out.push(`${n} synthetic series (${d.patients} synthetic patients × 2 studies × 5 series of one instance, modalities CT, CT, MR, MR, CR; the TINY_ALPHA`);
  out.push(
    `file cloned with new UIDs as in figure 5, generated in ${s(d.generateMs)} s) imported into one data store through StartDICOMImportJob (${s(d.importMs)} s), and a dataset`,
  );
  out.push("manifest (bench/dataset.ts) whose cohorts select all of them by criteria: a seeded patient split of the CT and MR series");
  out.push("(`select: { modality: [CT, MR], studyDate: {...} }`, ratios train 0.8, validation 0.1, test 0.1), a CR cohort by modality and study date, and a");
  out.push(
    `10-series cohort \`qa\` listing series UIDs — ${n} derived image sets (${Object.entries(d.cohorts)
      .map(([c, k]) => `${c} ${k}`)
      .join(", ")}). The real CLI runs the program of the README (\`new hi.Dataset("curated", {...})\`, transpile-only) after the bench's trace lines.`,
  );
  out.push(
    `**Time is scaled ${d.scale}×** (\`BENCH_DATASET_SCALE\`), like figure 2's ${SCALE}×: CopyImageSet ${d.copyTps} TPS with a burst of 1, SearchImageSets ${25 * d.scale} TPS, every duration ÷${d.scale}`,
  );
  out.push(
    `(a copy takes ${2000 / d.scale} ms + ${20 / d.scale} ms per instance); \`PULUMI_HEALTHIMAGING_WRITE_TPS=${d.copyTps}\` (the limit given, as an AWS endpoint gets it). Lower bound of the up = N ÷ TPS.`,
  );
  out.push("API calls are counted by the proxy in front of the service; peak memory is the VmHWM of the program's node process (the language");
  out.push("host's `@pulumi/pulumi/cmd/run`) and of the dynamic-provider process, sampled every 100 ms.", "");
  out.push("| step | exit | wall (s) | plan | API calls | writes | program peak RSS (MB) | provider peak RSS (MB) |");
  out.push("|---|---:|---:|---|---|---:|---:|---:|");
  const row = (label: string, x: DatasetResult["preview"]) =>
    out.push(
      `| ${label} | ${x.exitCode} | ${s(x.ms)} | ${x.plan || "?"} | ${calls(x.calls)} | ${x.writes} | ${mb(x.programPeakKb)} | ${x.providerPeakKb ? mb(x.providerPeakKb) : "–"} |`,
    );
  row("`pulumi preview` of the new stack", d.preview);
  if (d.previewOffline) row("the same preview, reads off (`PULUMI_HEALTHIMAGING_CHECK_WITH_SERVICE=false`)", d.previewOffline);
  row("`pulumi up --yes --skip-preview --parallel 16`", d.up);
  if (d.upSkipCheckpoints) row("the same `up` on a second stack, `PULUMI_SKIP_CHECKPOINTS=true`", d.upSkipCheckpoints);
  if (d.upRaised)
    row(`\`pulumi up\` of the same dataset on a second stack, CopyImageSet raised to ${d.upRaised.realTps} TPS (${d.upRaised.tps} scaled)`, d.upRaised);
  if (d.interrupted) row(`a third stack's \`up\`, killed after ${d.interrupted.copiesBeforeKill} copies: the resuming \`up\``, d.interrupted.resume);
  row("`pulumi preview --expect-no-changes`", d.noChange);
  row(`\`pulumi preview\` of an edit: ${d.edit.description}`, d.edit);
  if (d.editTargeted) row(`the same edit, \`pulumi preview --target '${d.editTargeted.target}'\``, d.editTargeted);
  if (d.noChangeStacks) row("`pulumi preview --expect-no-changes`, `PULUMI_DEBUG_PROMISE_LEAKS=true`", d.noChangeStacks);
  out.push("");
  const traced: [string, DatasetStep][] = [
    ["new stack", d.preview],
    ["no change", d.noChange],
    ["edit", d.edit],
    ...(d.editTargeted ? ([["edit, `--target`", d.editTargeted]] as [string, DatasetStep][]) : []),
    ...(d.noChangeStacks ? ([["no change, promise stacks kept", d.noChangeStacks]] as [string, DatasetStep][]) : []),
  ];
  if (traced.some(([, x]) => x.trace)) {
    out.push(
      "Where a preview's time goes (seconds from the CLI's start; the program's own trace lines, `BENCH_DATASET_TRACE`, and a hook in the dynamic-provider",
      "process counting the check and diff calls that reach it): the program's node process starts, its first line runs (SDK loaded, TypeScript",
      "transpiled; pulumi-healthimaging is loaded after it), the dataset is resolved (its first derived image set constructed), every resource is declared (the last one), and the program exits",
      "once the engine has answered every registration (the engine checks and diffs each resource through the dynamic provider meanwhile).",
      "",
      "| preview | wall | node starts | program starts | dataset resolved | all declared | all registered | program CPU (s) | check / diff calls | provider starts | provider CPU (s) |",
      "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    );
    for (const [label, x] of traced) {
      const t = x.trace;
      if (!t) continue;
      const o = (ms: number | undefined) => (ms === undefined ? "–" : s(ms));
      out.push(
        `| ${label} | ${s(x.ms)} | ${o(t.programProcess)} | ${o(t.programStart)} | ${o(t.firstChild)} | ${o(t.lastChild)} | ${o(t.programExit)} | ${o(t.programCpuMs)} | ${t.check.toLocaleString("en-US")} / ${t.diff.toLocaleString("en-US")} | ${o(t.providerProcess)} | ${o(t.providerCpuMs)} |`,
      );
    }
    out.push("");
  }
  const u = d.up;
  const thr = calls(u.throttled);
  out.push(
    `- **Preview of the new stack:** ${d.preview.writes} write calls — goal 0: ${yes(d.preview.writes === 0)}; the criteria are resolved with ${(d.preview.calls.SearchImageSets ?? 0).toLocaleString("en-US")} SearchImageSets pages (50 summaries a page, one search per distinct criterion, memoised).`,
  );
  if (d.previewOffline)
    out.push(
      `- **What the preview's reads cost:** check reads each new resource's source and destination (GetImageSet, GetImageSetMetadata; at most 8 in flight, each read shared by the resources that name it): ${s(d.preview.ms)} s with them, ${s(d.previewOffline.ms)} s without (${(d.preview.ms / d.previewOffline.ms).toFixed(2)}×); ${calls(d.preview.calls)} against ${calls(d.previewOffline.calls)}.`,
    );
  out.push(
    `- **Up:** ${s(u.ms)} s against a lower bound of ${s(u.lowerBoundMs)} s (${n} ÷ ${d.copyTps} TPS): **${u.ratio.toFixed(3)}×** — goal ≤ 1.15: ${yes(u.ratio <= 1.15)}. The service saw the copies from the first accepted CopyImageSet to the end of the last copy over ${s(u.serviceSpanMs)} s (${(u.serviceSpanMs / u.lowerBoundMs).toFixed(3)}× the bound); ${u.created.toLocaleString("en-US")} image sets made; throttles returned: ${thr}.`,
  );
  const k = d.upSkipCheckpoints;
  if (k)
    out.push(
      `- **Up with \`PULUMI_SKIP_CHECKPOINTS=true\`** (a second stack of the same ${n}, run after the first in the same data store, so its leftover searches also list the first stack's copies — not a clean comparison; the file backend then writes the state once at the end instead of after every step): ${s(k.ms)} s, **${k.ratio.toFixed(3)}×** the bound (${yes(k.ratio <= 1.15)}), service span ${s(k.serviceSpanMs)} s (${(k.serviceSpanMs / k.lowerBoundMs).toFixed(3)}×), ${k.created.toLocaleString("en-US")} made, throttles returned: ${calls(k.throttled)}.`,
    );
  const r = d.upRaised;
  if (r)
    out.push(
      `- **Up at a raised quota** (CopyImageSet ${r.realTps} TPS, time ×${r.scale}: ${r.tps} TPS; \`PULUMI_HEALTHIMAGING_COPY_TPS=${r.tps}\`, the rate stated as the README says): ${s(r.ms)} s against ${s(r.lowerBoundMs)} s, **${r.ratio.toFixed(3)}×** — goal ≤ 1.15: ${yes(r.ratio <= 1.15)}; service span ${s(r.serviceSpanMs)} s; throttles returned: ${calls(r.throttled)}.`,
    );
  const ki = d.interrupted;
  if (ki)
    out.push(
      `- **An up killed part-way** (SIGKILL of the CLI after ${ki.copiesBeforeKill.toLocaleString("en-US")} of ${n} copies, at ${ki.tps} TPS), then the README's recovery (\`pulumi cancel\`, \`pulumi refresh --clear-pending-creates\`, \`pulumi up\`): ${ki.leftAfterKill} processes of the killed CLI still running 60 s later; the resuming up ${s(ki.resume.ms)} s, exit ${ki.resume.exitCode}; **${ki.copiesInAll.toLocaleString("en-US")} CopyImageSet calls in all** for ${n} series, the manifest ${ki.manifestEntries.toLocaleString("en-US")} entries, ${ki.distinctImageSets.toLocaleString("en-US")} distinct image sets — each series copied once: ${yes(ki.copiesInAll === d.n && ki.distinctImageSets === d.n)}.`,
    );
  const sizes = d.state;
  if (sizes.members && sizes.split)
    out.push(
      `- **State:** \`pulumi stack export\` ${sizes.bytes.toLocaleString("en-US")} bytes for ${sizes.cohortResources} CohortImageSets holding ${sizes.members.toLocaleString("en-US")} members: ${sizes.bytesPerMember?.toLocaleString("en-US")} bytes per member in all — the cohorts' inputs ${sizes.split.batchInputs.toLocaleString("en-US")} bytes, their outputs ${sizes.split.batchOutputs.toLocaleString("en-US")}, the stack output \`manifest\` the program exports ${sizes.split.stackOutputs.toLocaleString("en-US")} (${d.state.manifestEntries.toLocaleString("en-US")} entries, ${Math.round(d.state.outputBytes / Math.max(1, d.state.manifestEntries))} bytes an entry as compact JSON).`,
    );
  else
    out.push(
      `- **State:** \`pulumi stack export\` ${d.state.bytes.toLocaleString("en-US")} bytes for ${d.state.derivedImageSets.toLocaleString("en-US")} derived image sets, ${d.state.bytesPerDerivedImageSet.toLocaleString("en-US")} bytes per derived image set (its whole resource entry); the stack output \`manifest\` (the dataset manifest, ${d.state.manifestEntries.toLocaleString("en-US")} entries) ${d.state.outputBytes.toLocaleString("en-US")} bytes as compact JSON, ${Math.round(d.state.outputBytes / Math.max(1, d.state.manifestEntries))} bytes an entry.`,
    );
  const ratio = d.edit.ms / d.noChange.ms;
  out.push(
    `- **An edit vs. no change:** the one-series edit previews in ${s(d.edit.ms)} s, the no-change preview of the same stack in ${s(d.noChange.ms)} s (${ratio.toFixed(2)}×), each with ${(d.edit.calls.SearchImageSets ?? 0).toLocaleString("en-US")} and ${(d.noChange.calls.SearchImageSets ?? 0).toLocaleString("en-US")} SearchImageSets reads. Goal "preview cost proportional to the edit, not the dataset": ${yes(ratio < 0.5)} — the program re-resolves every cohort's criteria on each run and declares all ${n} resources, and the engine checks and diffs each, so an edit of one series costs a whole preview (see the notes).`,
  );
  const tg = d.editTargeted;
  if (tg) {
    const calls = tg.trace
      ? `${tg.trace.check} check and ${tg.trace.diff} diff calls reach the provider (${d.edit.trace?.check ?? "?"} and ${d.edit.trace?.diff ?? "?"} untargeted)`
      : "";
    out.push(
      `- **The edit with \`--target\`** (a URN glob of the edited cohort): ${s(tg.ms)} s, ${(tg.ms / d.edit.ms).toFixed(2)}× the untargeted edit and ${(tg.ms / d.noChange.ms).toFixed(2)}× the no-change preview, plan ${tg.plan || "?"}; ${calls}. The engine skips check and diff for the resources outside the target, but the program still resolves the dataset and declares and registers all ${n}: ${yes(tg.ms / d.noChange.ms < 0.5)} for the goal above.`,
    );
  }
  const st = d.noChangeStacks;
  if (st)
    out.push(
      `- **Promise stack traces:** with \`PULUMI_DEBUG_PROMISE_LEAKS=true\` (hi.Dataset then lets the Node SDK capture and source-map a stack trace for each of the four promises it makes per property of each child, as for any other resource) the no-change preview takes ${s(st.ms)} s (${(st.ms / d.noChange.ms).toFixed(2)}×), the program ${st.trace ? s(st.trace.programCpuMs) : "?"} s of CPU against ${d.noChange.trace ? s(d.noChange.trace.programCpuMs) : "?"} s, peak RSS ${mb(st.programPeakKb)} MB against ${mb(d.noChange.programPeakKb)} MB.`,
    );
  out.push(`- Processes of the project still running after the last CLI run: ${d.leftover}.`, "");
  return out;
}

function renderWait(rows: WaitRow[]): string[] {
  const out = ["## 1. Wait overhead", ""];
  out.push("One image set (the 4-instance CT study) copied with the service's copy time set to about 2 s, 10 s and 60 s (2.3, 11.2 and 61.7 s:");
  out.push("off the 5 s grid, so a 5 s poller is not flattered by a copy that ends just before one of its polls). The provider runs in");
  out.push("Pulumi's real dynamic-provider host, with a fresh provider home folder per duration (nothing is learned across durations), in");
  out.push("two runs (two processes, like two `pulumi up`s): the first copy ever (nothing learned), a later copy in the same run (the");
  out.push("duration model has seen one copy), and the first copy of the next run (it starts from the durations the first run saved).");
  out.push("The baselines run in the bench process with");
  out.push("the same SDK: CopyImageSet, then GetImageSet on a fixed 5 s loop, or on a terraform-style schedule (first poll after 5 s,");
  out.push("then waits of 3 s doubling to a 10 s cap). *Time* is from the call (create(), or CopyImageSet for the baselines) to the");
  out.push("moment the caller knows the copy is done; *service* is the copy's own duration as the service recorded it (version");
  out.push("createdAt → updatedAt). GetImageSet calls are counted by a proxy in front of the service: all of them during the call, and");
  out.push("those on the new image set (the polls; the provider's others are the source lock check and the tag lookup).", "");
  out.push("| copy | strategy | time (s) | service (s) | time ÷ service | overhead (s) | GetImageSet (polls on the copy) | overhead ≤ max(5 %, 0.5 s) |");
  out.push("|---|---|---:|---:|---:|---:|---:|---|");
  for (const w of rows)
    out.push(
      `| ${w.durationS} s | ${w.strategy} | ${s(w.totalMs)} | ${s(w.serviceMs)} | ${w.ratio.toFixed(3)} | ${s(w.overheadMs)} | ${w.getImageSet} (${w.getImageSetOnCopy}) | ${yes(w.meetsOverhead)} |`,
    );
  out.push("");
  const at60 = rows.filter((w) => w.durationS === Math.max(...rows.map((x) => x.durationS)));
  const tf = at60.find((w) => w.strategy.startsWith("terraform"));
  const provider = at60.filter((w) => w.strategy.startsWith("provider"));
  if (tf && provider.length) {
    out.push(
      `Calls at ${tf.durationS} s: terraform-style ${tf.getImageSetOnCopy} polls, fixed 5 s ${at60.find((w) => w.strategy.startsWith("fixed"))?.getImageSetOnCopy}. Target "no more calls than the terraform-style waiter": ${provider.map((p) => `${p.strategy.replace("provider, ", "")} ${p.getImageSetOnCopy} polls, ${yes(p.getImageSetOnCopy <= tf.getImageSetOnCopy)}`).join("; ")}.`,
      "",
    );
  }
  return out;
}

function renderFleet(f: FleetResult): string[] {
  const out = ["## 2. Fleet: many derived image sets in one `pulumi up`", ""];
  out.push(`The real Pulumi CLI (\`pulumi up --yes --skip-preview --parallel 16\`, file backend, TypeScript program run transpile-only) on a`);
  out.push(`spec-driven program (test/fixtures/specProgram.ts) creating N full copies, round-robin over the 21 image sets of three data`);
  out.push(`stores (the pydicom sample studies imported three times). **Time is scaled down ${SCALE}×, uniformly**: every documented rate limit`);
  out.push(
    `×${SCALE} (CopyImageSet ${COPY_TPS} TPS with a burst of 1 instead of 0.25 TPS) and every duration ÷${SCALE} (a copy takes ${2000 / SCALE} ms + ${20 / SCALE} ms per`,
  );
  out.push(`instance instead of 2 s + 20 ms); ratios are what carries over. Lower bound = max(N ÷ TPS, the serialised copy time of the busiest`);
  out.push(`source). *Wall* is the whole \`pulumi up\` (CLI start, program, engine); *service span* is from the first accepted CopyImageSet`);
  out.push(`to the end of the last copy, as the service saw it. Throttles = ThrottlingExceptions the service returned, by operation;`);
  out.push(`shown = lines of the CLI output mentioning throttling, and \`error:\` lines.`, "");
  out.push("Variants: *limit learned* — a custom endpoint, so the pacer starts unlimited and learns the limit from ThrottlingExceptions;");
  out.push(`*limit given* — \`PULUMI_HEALTHIMAGING_WRITE_TPS=${COPY_TPS}\`, which is what an AWS endpoint gets by default (the documented 0.25 TPS).`, "");
  out.push(
    "| variant | N | exit | wall (s) | service span (s) | bound (s) | wall ÷ bound | span ÷ bound | ≤ 1.15 | created | throttles returned | shown to the user | provider peak RSS (MB) |",
  );
  out.push("|---|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|");
  for (const x of f.fleet) {
    const thr =
      Object.entries(x.throttledByService)
        .map(([op, c]) => `${op} ${c}`)
        .join(", ") || "0";
    out.push(
      `| ${x.variant} | ${x.n} | ${x.exitCode} | ${s(x.wallMs)} | ${s(x.serviceSpanMs)} | ${s(x.lowerBoundMs)} | ${x.ratioWall.toFixed(3)} | ${x.ratioSpan.toFixed(3)} | ${yes(x.ratioSpan <= 1.15)} (span), ${x.ratioWall <= 1.15 ? "met" : "missed"} (wall) | ${x.created} | ${thr} | ${x.throttleLinesShownToUser} throttling, ${x.errorsShownToUser} errors | ${(x.providerPeakKb / 1024).toFixed(0)} |`,
    );
  }
  out.push("", "API calls per fleet run (through the counting proxy):", "");
  for (const x of f.fleet)
    out.push(
      `- ${x.variant}, N = ${x.n}: ${Object.entries(x.calls)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")}`,
    );
  out.push("");
  if (f.preview) {
    out.push("## 3. Preview cost", "");
    out.push(
      `\`pulumi preview --expect-no-changes\` of the ${f.preview.n}-resource stack right after its \`up\`: ${s(f.preview.ms)} s, exit ${f.preview.exitCode}, **${f.preview.total} API calls**${f.preview.total ? ` (${JSON.stringify(f.preview.calls)})` : ""} — target none: ${yes(f.preview.total === 0)} (diff works from state; check is offline).`,
      "",
    );
  }
  if (f.footprint) {
    const p = f.footprint;
    out.push("## 4. Provider footprint", "");
    out.push("| what | figure | target | |");
    out.push("|---|---:|---:|---|");
    out.push(
      `| serialized \`__provider\` per resource, in state | ${p.providerBytes} B (${(p.providerBytes / 1024).toFixed(1)} KB) | ≤ 16 KB | ${yes(p.providerBytes <= 16 * 1024)} |`,
    );
    out.push(`| whole state entry per resource (inputs, outputs, \`__provider\` twice) | ${p.stateBytesPerResource} B | | |`);
    out.push(`| dynamic-provider host: spawn → ready (gRPC port, Configure) | ${p.hostReadyMs} ms | | |`);
    out.push(
      `| spawn → first API request of the first create (cold start) | ${p.coldStartToFirstRequestMs} ms | ≤ 500 ms | ${yes(p.coldStartToFirstRequestMs <= 500)} |`,
    );
    out.push(`| spawn → first create returned (includes a ${p.copyMs} ms copy) | ${p.coldStartToCreateMs} ms | | |`);
    const peak = Math.max(...f.fleet.map((x) => x.providerPeakKb));
    out.push(`| peak RSS (VmHWM) of the dynamic-provider process during the fleet runs | ${(peak / 1024).toFixed(0)} MB | | |`);
    out.push("");
  }
  return out;
}

function renderService(v: ServiceResult): string[] {
  const out = ["## 5. The service itself", ""];
  out.push(`\`node emulator/dist/cli.js serve --profile fast --no-rate-limits --copy-ms-base 0 --copy-ms-per-instance 0\` as its own process.`);
  out.push(
    `GetImageSet: **${v.getImageSetPerSecond.toFixed(0)} requests/s** (${v.getImageSetConcurrency} concurrent SigV4-signed SDK calls for 3 s from the bench process on the same ${os.availableParallelism()} CPUs, p50 ${v.getImageSetP50Ms} ms).`,
    "",
  );
  out.push(`Copies: ${v.files.toLocaleString("en")} synthetic DICOM files (the real pydicom TINY_ALPHA file, 740 B, no pixel data, cloned with new`);
  out.push(
    `Study/Series/SOP Instance UIDs by dcmjs in ${s(v.generateMs)} s) imported through StartDICOMImportJob (\`cli.js seed\`, ${s(v.importMs)} s) into a`,
  );
  out.push(`10,000-instance image set (10 series × 1,000) and a 1,000-instance one. Each copy runs in a freshly started service process, so`);
  out.push("its VmHWM is the copy's peak; *request* is the CopyImageSet call (the service does the copy's work there), *done* is when GetImageSet");
  out.push("first shows it finished.", "");
  out.push("| copy | request (ms) | done (ms) | idle RSS (MB) | peak RSS (MB) | peak − idle (MB) |");
  out.push("|---|---:|---:|---:|---:|---:|");
  for (const c of v.copies)
    out.push(
      `| ${c.label} | ${c.requestMs} | ${c.totalMs} | ${(c.rssBeforeKb / 1024).toFixed(0)} | ${(c.peakKb / 1024).toFixed(0)} | ${(c.peakDeltaKb / 1024).toFixed(1)} |`,
    );
  out.push("");
  const [big1000, big100, small1000] = v.copies;
  if (big1000 && big100 && small1000) {
    const growsWithSubset = big1000.totalMs <= 1.5 * small1000.totalMs && big1000.peakDeltaKb <= 1.5 * small1000.peakDeltaKb;
    out.push(
      `Cost grows with the subset rather than with the whole image set: ${yes(growsWithSubset)} — 1,000 of 10,000 costs ${(big1000.totalMs / small1000.totalMs).toFixed(1)}× the time and ${(big1000.peakDeltaKb / Math.max(1, small1000.peakDeltaKb)).toFixed(1)}× the memory of 1,000 of 1,000, and 100 of 10,000 costs ${(big100.totalMs / big1000.totalMs).toFixed(2)}× the time of 1,000 of 10,000.`,
      "",
    );
  }
  return out;
}

const NOTES: string[] = fs.existsSync(path.join(__dirname, "NOTES.md"))
  ? ["", ...fs.readFileSync(path.join(__dirname, "NOTES.md"), "utf8").trimEnd().split("\n")]
  : [];

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
