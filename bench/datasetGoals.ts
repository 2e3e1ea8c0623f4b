// Figure 7's summary: issue 19's goals for hi.Dataset, one column per size measured (1,000 and
// 10,000 series), how each figure grows between the smallest and the largest, and whether the
// largest meets the goal. The per-size tables below it hold the detail and the profiles.

import type { DatasetResult, DatasetStep } from "./dataset";

const s = (ms: number) => (ms / 1000).toFixed(ms < 10_000 ? 2 : 1);
const MB = 1024 * 1024;

interface Goal {
  label: string;
  target: string;
  /** the figure as shown, and as a number for the growth column (undefined: not measured) */
  value: (d: DatasetResult) => { text: string; n: number } | undefined;
  met: (d: DatasetResult) => boolean | undefined;
}

const peak = (d: DatasetResult, which: "programPeakKb" | "providerPeakKb") => {
  const steps: (DatasetStep | undefined)[] = [d.preview, d.up, d.noChange, d.edit, d.upRaised, d.interrupted?.resume];
  return Math.max(0, ...steps.map((x) => x?.[which] ?? 0)) * 1024;
};
const seconds = (x: DatasetStep | undefined) => (x ? { text: `${s(x.ms)} s`, n: x.ms } : undefined);
const upRatio = (u: DatasetResult["up"] | undefined) =>
  u ? { text: `${u.ratio.toFixed(3)}× (${s(u.ms)} s for ${s(u.lowerBoundMs)} s at ${u.tps} TPS)`, n: u.ratio } : undefined;
const editRatio = (d: DatasetResult) => d.edit.ms / d.noChange.ms;

const GOALS: Goal[] = [
  { label: "preview of the new dataset", target: "≤ 20 s", value: (d) => seconds(d.preview), met: (d) => d.preview.ms <= 20_000 },
  { label: "… its write calls", target: "0", value: (d) => ({ text: String(d.preview.writes), n: d.preview.writes }), met: (d) => d.preview.writes === 0 },
  { label: "no-change preview", target: "≤ 10 s", value: (d) => seconds(d.noChange), met: (d) => d.noChange.ms <= 10_000 },
  {
    label: "preview of a one-cohort edit",
    target: "≤ 3 s or ≤ 0.2× no-change",
    value: (d) => ({ text: `${s(d.edit.ms)} s (${editRatio(d).toFixed(2)}×)`, n: d.edit.ms }),
    met: (d) => d.edit.ms <= 3_000 || editRatio(d) <= 0.2,
  },
  {
    label: "… the same edit with `--target`",
    target: "≤ 3 s or ≤ 0.2× no-change",
    value: (d) =>
      d.editTargeted ? { text: `${s(d.editTargeted.ms)} s (${(d.editTargeted.ms / d.noChange.ms).toFixed(2)}×)`, n: d.editTargeted.ms } : undefined,
    met: (d) => (d.editTargeted ? d.editTargeted.ms <= 3_000 || d.editTargeted.ms / d.noChange.ms <= 0.2 : undefined),
  },
  { label: "up at the default quota, ÷ N ÷ quota", target: "≤ 1.15×", value: (d) => upRatio(d.up), met: (d) => d.up.ratio <= 1.15 },
  {
    label: "up at a raised quota, ÷ N ÷ quota",
    target: "≤ 1.15×",
    value: (d) => upRatio(d.upRaised),
    met: (d) => (d.upRaised ? d.upRaised.ratio <= 1.15 : undefined),
  },
  {
    label: "state as the file backend stores it (compact JSON)",
    target: "≤ 10 MB",
    value: (d) => {
      const b = storedBytes(d);
      return { text: `${b.estimated ? "≈ " : ""}${(b.bytes / MB).toFixed(2)} MB`, n: b.bytes };
    },
    met: (d) => storedBytes(d).bytes <= 10 * MB,
  },
  {
    label: "… as `pulumi stack export` prints it (indented)",
    target: "",
    value: (d) => ({ text: `${(d.state.bytes / MB).toFixed(2)} MB`, n: d.state.bytes }),
    met: () => undefined,
  },
  {
    label: "program peak memory",
    target: "≤ 1 GB",
    value: (d) => ({ text: `${(peak(d, "programPeakKb") / MB).toFixed(0)} MB`, n: peak(d, "programPeakKb") }),
    met: (d) => peak(d, "programPeakKb") <= 1024 * MB,
  },
  {
    label: "provider peak memory",
    target: "≤ 1 GB",
    value: (d) => ({ text: `${(peak(d, "providerPeakKb") / MB).toFixed(0)} MB`, n: peak(d, "providerPeakKb") }),
    met: (d) => peak(d, "providerPeakKb") <= 1024 * MB,
  },
  {
    label: `up killed part-way, resumed: copies for N series`,
    target: "N (none twice)",
    value: (d) =>
      d.interrupted
        ? {
            text: `${d.interrupted.copiesInAll.toLocaleString("en-US")} (killed after ${d.interrupted.copiesBeforeKill.toLocaleString("en-US")}; ${d.interrupted.distinctImageSets.toLocaleString("en-US")} distinct in the manifest)`,
            n: d.interrupted.copiesInAll,
          }
        : undefined,
    met: (d) =>
      d.interrupted
        ? d.interrupted.copiesInAll === d.n &&
          d.interrupted.distinctImageSets === d.n &&
          d.interrupted.manifestEntries === d.n &&
          d.interrupted.resume.exitCode === 0
        : undefined,
  },
];

/** The stored checkpoint's size: measured, or (runs before it was) the cohorts' inputs and outputs and the stack outputs as compact JSON. */
function storedBytes(d: DatasetResult): { bytes: number; estimated: boolean } {
  if (d.state.compactBytes) return { bytes: d.state.compactBytes, estimated: false };
  const sp = d.state.split;
  return sp ? { bytes: sp.batchInputs + sp.batchOutputs + sp.stackOutputs, estimated: true } : { bytes: d.state.bytes, estimated: false };
}

const verdict = (b: boolean | undefined) => (b === undefined ? "–" : b ? "**met**" : "**missed**");

export function renderDatasetGoals(runs: DatasetResult[]): string[] {
  const sorted = [...runs].sort((a, b) => a.n - b.n);
  const small = sorted[0];
  const large = sorted[sorted.length - 1];
  const out = ["## 7. hi.Dataset at scale", ""];
  out.push(
    `Issue 19's goals, measured by \`npm run bench -- --only dataset\` (bench/dataset.ts) with the real Pulumi CLI against the local service, layout ${large.layout ?? "perSeries"}.`,
    `Time is scaled: the default quota's run ${large.scale}× (CopyImageSet ${large.up.tps} TPS for AWS's 0.25), the raised quota's ${large.upRaised ? `${large.upRaised.scale}× (${large.upRaised.realTps} TPS raised, ${large.upRaised.tps} TPS scaled)` : "not run"}; ratios carry over, seconds of the previews do not scale.`,
    `*Growth* is the largest run's figure ÷ the smallest's (${(large.n / small.n).toFixed(1)}× the series). The verdict is for the largest; each miss is explained with its profile in the notes.`,
    "",
  );
  out.push(`| goal | target | ${sorted.map((d) => `${d.n.toLocaleString("en-US")} series`).join(" | ")} | growth | verdict |`);
  out.push(`|---|---|${sorted.map(() => "---:|").join("")}---:|---|`);
  for (const g of GOALS) {
    const values = sorted.map((d) => g.value(d));
    const a = values[0];
    const b = values[values.length - 1];
    const growth = a && b && sorted.length > 1 && a.n > 0 ? `${(b.n / a.n).toFixed(2)}×` : "–";
    out.push(`| ${g.label} | ${g.target} | ${values.map((v) => v?.text ?? "–").join(" | ")} | ${growth} | ${verdict(g.met(large))} |`);
  }
  out.push("");
  return out;
}
