// Figures 2-4: a fleet of derived image sets in one `pulumi up` (real CLI) against the service
// with its documented rate limits scaled ×10 in time, a no-change preview of the big stack, and
// the provider's footprint (serialized size, cold start, peak memory).

import * as fs from "node:fs";
import * as path from "node:path";
import { PROFILES, type OperationName, type RateLimit } from "../emulator/limits";
import { seed } from "../emulator/seed";
import type { RunningEmulator } from "../emulator/server";
import { serializedProvider } from "../provider/resource/serializedProvider";
import { dynamicUrn, serializeProvider, startDynamicHost } from "../test/support/dynamicHost";
import { createProject, descendants } from "../test/support/pulumiCli";
import { SAMPLE_BUCKET, startSeeded } from "../test/support/seeded";
import { byOperation, startProxy } from "../test/support/countingProxy";

/**
 * Time runs this many times faster than on AWS: rate limits ×SCALE, durations ÷SCALE. The local
 * machine's request jitter (tens of ms) does not scale, so a larger SCALE is more pessimistic.
 */
export const SCALE = Number(process.env.BENCH_SCALE ?? 5);
const REALISTIC = PROFILES.realistic.timings;
export const COPY_TPS = PROFILES.realistic.rateLimits.CopyImageSet!.rate * SCALE;

export interface FleetVariant {
  label: string;
  env?: NodeJS.ProcessEnv;
}

export interface FleetRow {
  variant: string;
  n: number;
  sources: number;
  exitCode: number | null;
  wallMs: number;
  /** first CopyImageSet accepted -> last copy finished, as the service saw it */
  serviceSpanMs: number;
  lowerBoundMs: number;
  ratioWall: number;
  ratioSpan: number;
  created: number;
  throttledByService: Partial<Record<string, number>>;
  throttleLinesShownToUser: number;
  errorsShownToUser: number;
  calls: Record<string, number>;
  providerPeakKb: number;
  providerProcesses: number;
}

export interface PreviewRow {
  n: number;
  ms: number;
  exitCode: number | null;
  calls: Record<string, number>;
  total: number;
}
export interface Footprint {
  providerBytes: number;
  serializedHere: number;
  stateBytesPerResource: number;
  coldStartToFirstRequestMs: number;
  coldStartToCreateMs: number;
  copyMs: number;
  hostReadyMs: number;
}

export interface FleetResult {
  fleet: FleetRow[];
  preview?: PreviewRow;
  footprint?: Footprint;
}

/** Peak RSS (VmHWM, kB) of root's descendants whose command line contains `needle`, by pid, into peaks. */
export function sampleProviderMemory(root: number, peaks: Map<number, number>, needle = "dynamic-provider", pids = descendants(root)): void {
  for (const pid of pids) {
    try {
      if (!fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(needle)) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
      if (hwm) peaks.set(pid, Math.max(peaks.get(pid) ?? 0, Number(hwm[1])));
    } catch {
      // gone meanwhile
    }
  }
}

export async function runFleet(sizes: number[], variants: FleetVariant[], log: (m: string) => void, opts: { datastores?: number } = {}): Promise<FleetResult> {
  process.env.PULUMI_NODEJS_TRANSPILE_ONLY = "true";
  const seeded = await startSeeded({ profile: "fast" });
  const emu = seeded.emu;
  const sources: { datastoreId: string; imageSetId: string; instances: number }[] = [];
  const add = (r: typeof seeded.seed) => {
    for (const s of r.imageSets) sources.push({ datastoreId: r.datastoreId, imageSetId: s.imageSetId, instances: s.instanceCount ?? 1 });
  };
  add(seeded.seed);
  for (let i = 1; i < (opts.datastores ?? 3); i++)
    add(await seed(seeded.client, { inputS3Uri: `s3://${SAMPLE_BUCKET}/dicomdirtests/`, outputS3Uri: `s3://output/seed${i}/` }));
  // the realistic profile, ×SCALE faster
  const t = emu.service.profile.timings;
  for (const k of Object.keys(REALISTIC) as (keyof typeof REALISTIC)[]) t[k] = REALISTIC[k] / SCALE;
  const limits: Partial<Record<OperationName, RateLimit>> = {};
  for (const [op, l] of Object.entries(PROFILES.realistic.rateLimits)) limits[op as OperationName] = { rate: l!.rate * SCALE, burst: l!.burst };
  emu.limiter.setLimits(limits);
  const proxy = await startProxy(emu.endpoint);
  const viaProxy = { ...emu, endpoint: proxy.url } as RunningEmulator;
  const program = fs.readFileSync(path.join(__dirname, "..", "test", "fixtures", "specProgram.ts"), "utf8");
  const result: FleetResult = { fleet: [] };
  const projects: { remove(): void }[] = [];
  log(
    `  fleet: ${sources.length} sources in ${new Set(sources.map((s) => s.datastoreId)).size} data stores; copy ${COPY_TPS} TPS burst 1; copy = ${t.copyMsBase} ms + ${t.copyMsPerInstance} ms/instance`,
  );
  try {
    for (const variant of variants)
      for (const n of sizes) {
        const project = await createProject(`fleet${n}v${variants.indexOf(variant)}`, { "index.ts": program }, viaProxy);
        Object.assign(project.env, variant.env);
        projects.push(project);
        const spec = Array.from({ length: n }, (_, i) => {
          const s = sources[i % sources.length];
          return { name: `d${String(i).padStart(3, "0")}`, args: { datastoreId: s.datastoreId, sourceImageSetId: s.imageSetId } };
        });
        project.writeFile("spec.json", JSON.stringify({ datastoreId: sources[0].datastoreId, resources: spec }));
        const perSource = new Map<string, number>();
        for (let i = 0; i < n; i++) {
          const s = sources[i % sources.length];
          perSource.set(s.imageSetId, (perSource.get(s.imageSetId) ?? 0) + t.copyMsBase + t.copyMsPerInstance * s.instances);
        }
        const lowerBoundMs = Math.max((n / COPY_TPS) * 1000, ...perSource.values());
        const throttledBefore = { ...emu.limiter.throttled };
        const peaks = new Map<number, number>();
        let sampler: NodeJS.Timeout | undefined;
        const t0 = Date.now();
        const r = await project.run(["up", "--yes", "--skip-preview", "--parallel", "16"], {
          onStart: (child) => (sampler = setInterval(() => sampleProviderMemory(child.pid!, peaks), 100)),
        });
        const t1 = Date.now();
        clearInterval(sampler);
        const calls = proxy.between(t0, t1 + 1);
        const firstCopy = calls.find((c) => c.op === "CopyImageSet" && c.status === 200);
        const made = Object.values(emu.service.state.imageSets).filter((s) => s.createdAt >= t0 && s.createdAt <= t1);
        const lastDone = Math.max(...made.map((s) => s.versions[0].updatedAt));
        const throttled: Record<string, number> = {};
        for (const [op, c] of Object.entries(emu.limiter.throttled)) {
          const d = c! - (throttledBefore[op as OperationName] ?? 0);
          if (d) throttled[op] = d;
        }
        const output = r.stdout + r.stderr;
        const row: FleetRow = {
          variant: variant.label,
          n,
          sources: Math.min(n, sources.length),
          exitCode: r.code,
          wallMs: t1 - t0,
          serviceSpanMs: firstCopy ? lastDone - firstCopy.at : NaN,
          lowerBoundMs,
          ratioWall: (t1 - t0) / lowerBoundMs,
          ratioSpan: firstCopy ? (lastDone - firstCopy.at) / lowerBoundMs : NaN,
          created: made.length,
          throttledByService: throttled,
          throttleLinesShownToUser: output.split("\n").filter((l) => /Throttl|Rate exceeded/i.test(l)).length,
          errorsShownToUser: output.split("\n").filter((l) => /^\s*error:/i.test(l)).length,
          calls: byOperation(calls),
          providerPeakKb: Math.max(0, ...peaks.values()),
          providerProcesses: peaks.size,
        };
        result.fleet.push(row);
        log(
          `  fleet ${n} [${variant.label}]: exit ${r.code}, ${(row.wallMs / 1000).toFixed(1)} s wall (${row.ratioWall.toFixed(3)} of the ${(lowerBoundMs / 1000).toFixed(1)} s bound), service span ${(row.serviceSpanMs / 1000).toFixed(1)} s (${row.ratioSpan.toFixed(3)}), created ${made.length}, throttles ${JSON.stringify(throttled)}, shown ${row.throttleLinesShownToUser}/${row.errorsShownToUser} errors, provider peak ${row.providerPeakKb} kB`,
        );
        if (process.env.BENCH_DEBUG)
          fs.writeFileSync(
            `/tmp/bench-calls-${n}-${result.fleet.length}.txt`,
            calls.map((c) => `${c.at - t0} ${c.op} ${c.imageSetId ?? ""} ${c.status} ${c.errorType ?? ""}`).join("\n"),
          );
        if (process.env.BENCH_DEBUG)
          log(
            calls
              .filter((c) => c.op === "CopyImageSet")
              .map((c) => `${c.at - t0}:${c.status}`)
              .join(" "),
          );
        if (r.code !== 0) log(output.split("\n").slice(-40).join("\n"));

        if (n === Math.max(...sizes) && r.code === 0 && !result.preview) {
          const p0 = Date.now();
          const pr = await project.run(["preview", "--expect-no-changes"]);
          const p1 = Date.now();
          const pcalls = proxy.between(p0, p1 + 1);
          result.preview = { n, ms: p1 - p0, exitCode: pr.code, calls: byOperation(pcalls), total: pcalls.length };
          log(`  preview ${n}: exit ${pr.code}, ${((p1 - p0) / 1000).toFixed(1)} s, ${pcalls.length} API calls ${JSON.stringify(result.preview.calls)}`);
          const state = JSON.parse((await project.ok(["stack", "export"])).stdout);
          const resources = (state.deployment.resources as { type: string; outputs?: Record<string, unknown> }[]).filter((x) =>
            x.type.includes("DerivedImageSet"),
          );
          const providerBytes = Math.max(...resources.map((x) => Buffer.byteLength(String(x.outputs?.__provider ?? ""))));
          const stateBytesPerResource = Math.round(resources.reduce((a, x) => a + Buffer.byteLength(JSON.stringify(x)), 0) / resources.length);
          result.footprint = { providerBytes, stateBytesPerResource, ...(await coldStart(emu, proxy.url, sources[0], proxy)) };
          log(
            `  footprint: __provider ${providerBytes} B in state, ${stateBytesPerResource} B state per resource; cold start ${JSON.stringify(result.footprint)}`,
          );
        }
      }
  } finally {
    for (const p of projects) p.remove();
    await proxy.stop();
    await seeded.stop();
  }
  return result;
}

async function coldStart(
  emu: RunningEmulator,
  url: string,
  source: { datastoreId: string; imageSetId: string },
  proxy: Awaited<ReturnType<typeof startProxy>>,
) {
  const text = await serializeProvider(serializedProvider);
  const journal = fs.mkdtempSync(path.join(require("node:os").tmpdir(), "bench-journal-"));
  const t0 = Date.now();
  const host = await startDynamicHost({
    callTimeoutMs: 120_000,
    provider: text,
    env: {
      AWS_ACCESS_KEY_ID: emu.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: emu.credentials.secretAccessKey,
      AWS_REGION: emu.credentials.region,
      AWS_ENDPOINT_URL_MEDICAL_IMAGING: url,
      PULUMI_HEALTHIMAGING_JOURNAL: journal,
    },
  });
  const ready = Date.now();
  try {
    const urn = dynamicUrn("cold", { type: "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet" });
    const checked = await host.check(urn, {}, { ownerTag: "bench/dev/cold", datastoreId: source.datastoreId, sourceImageSetId: source.imageSetId });
    const { outs } = await host.create(urn, checked.inputs);
    const t1 = Date.now();
    const first = proxy.between(t0)[0];
    const v = emu.service.state.imageSets[outs.imageSetId as string].versions[0];
    const copyMs = v.updatedAt - v.createdAt;
    return { serializedHere: Buffer.byteLength(text), hostReadyMs: ready - t0, coldStartToFirstRequestMs: first.at - t0, coldStartToCreateMs: t1 - t0, copyMs };
  } finally {
    await host.stop();
    fs.rmSync(journal, { recursive: true, force: true });
  }
}
