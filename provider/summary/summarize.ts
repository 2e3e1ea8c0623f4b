// `pulumi preview --json` → a Markdown pull-request comment about the derived image sets a change
// touches: what each one does, which instances come and go (by UID, as sets, not list positions),
// why a replacement happens, and how many write calls `pulumi up` makes and how long they take at
// the account's write rate. Only ids, UIDs and counts appear: a preview holds nothing else of ours.

import { INPUTS, type InputName } from "../resource/schema";

/** The parts of one `pulumi preview --json` step the summary reads. */
interface PreviewStep {
  op: string;
  urn: string;
  oldState?: { type?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { type?: string; inputs?: Record<string, unknown> };
  replaceReasons?: string[];
}

type Selection = Record<string, "all" | string[]>;

/** One derived image set's planned change. */
export interface ResourceChange {
  name: string;
  /** "<dataset>/<cohort>" for a hi.Dataset's image sets (named "<dataset>/<cohort>/<SeriesInstanceUID>") */
  cohort?: string;
  op: "create" | "update" | "replace" | "delete";
  /** SOP Instance UIDs by series: added and removed; "all" for a whole series */
  added: Selection;
  removed: Selection;
  /** why a replacement happens: the inputs, each with the rule that makes it a replacement */
  reasons: string[];
  calls: { CopyImageSet: number; UpdateImageSetMetadata: number; DeleteImageSet: number };
}

const TYPE = /healthimaging:DerivedImageSet$/;
/** A hi.Dataset child's name (dataset/dataset.ts): "<dataset>/<cohort>/<SeriesInstanceUID>". */
const DATASET_CHILD = /^(.+\/[A-Za-z0-9][A-Za-z0-9_-]*)\/[0-9.]+$/;
const WRITE_TPS_DEFAULT = 0.25;

const seriesOf = (inputs: Record<string, unknown> | undefined): Selection | "everything" => {
  const subset = inputs?.subset as { series?: Selection } | undefined;
  return subset?.series ?? "everything";
};

/** What `to` has that `from` has not, by series; a whole series compares as "all". */
function selectionMinus(to: Selection | "everything", from: Selection | "everything"): Selection {
  if (to === "everything") return from === "everything" ? {} : { "(the whole source)": "all" };
  const out: Selection = {};
  for (const [series, sel] of Object.entries(to)) {
    const other = from === "everything" ? "all" : from[series];
    if (sel === "all") {
      if (other !== "all") out[series] = "all";
      continue;
    }
    if (other === "all") continue;
    const have = new Set(other ?? []);
    const extra = sel.filter((u) => !have.has(u));
    if (extra.length) out[series] = extra;
  }
  return out;
}

const REPLACE_WHY: Partial<Record<InputName, string>> = {
  datastoreId: "another data store",
  sourceImageSetId: "another source image set: a new copy is made",
  sourceVersionId: "another source version: CopyImageSet copies the latest only, so a new copy is made",
  destination: "another destination: the merge is undone and made again",
  promoteToPrimary: "promotion makes a new primary image set",
};

/** The changes a preview plans for derived image sets (other resources are left out). */
export function changesOf(preview: { steps?: PreviewStep[] }): ResourceChange[] {
  const out: ResourceChange[] = [];
  for (const step of preview.steps ?? []) {
    const type = step.newState?.type ?? step.oldState?.type ?? "";
    if (!TYPE.test(type)) continue;
    const op = step.op === "create-replacement" || step.op === "delete-replaced" ? undefined : (step.op as ResourceChange["op"] | "same");
    if (!op || op === "same" || !["create", "update", "replace", "delete"].includes(op)) continue;
    const before = op === "create" ? {} : seriesOf(step.oldState?.inputs ?? step.oldState?.outputs);
    const after = op === "delete" ? {} : seriesOf(step.newState?.inputs);
    const added = op === "replace" ? selectionMinus(after, {}) : selectionMinus(after, before);
    const removed = op === "replace" ? selectionMinus(before, {}) : selectionMinus(before, after);
    const merge = Boolean((step.newState?.inputs ?? step.oldState?.inputs)?.destination);
    const calls = { CopyImageSet: 0, UpdateImageSetMetadata: 0, DeleteImageSet: 0 };
    if (op === "create") calls.CopyImageSet = 1;
    if (op === "delete") merge ? calls.UpdateImageSetMetadata++ : calls.DeleteImageSet++;
    if (op === "replace") {
      calls.CopyImageSet = 1;
      merge ? calls.UpdateImageSetMetadata++ : calls.DeleteImageSet++;
    }
    if (op === "update") {
      if (Object.keys(removed).length) calls.UpdateImageSetMetadata = 1; // a batch holds ~100 UIDs; one is the usual case
      if (Object.keys(added).length) calls.CopyImageSet = 1;
    }
    const reasons = (step.replaceReasons ?? []).map(
      (k) => `\`${k}\`${REPLACE_WHY[k as InputName] ? `: ${REPLACE_WHY[k as InputName]}` : k in INPUTS ? "" : " (a provider rule)"}`,
    );
    const name = step.urn.split("::").pop() ?? step.urn;
    const cohort = DATASET_CHILD.exec(name)?.[1];
    out.push({ name, ...(cohort ? { cohort } : {}), op, added, removed, reasons, calls });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

const count = (s: Selection) => Object.values(s).reduce((n, v) => n + (v === "all" ? 0 : v.length), 0);
const wholeSeries = (s: Selection) => Object.values(s).filter((v) => v === "all").length;

function describeSelection(s: Selection): string {
  const parts = [count(s) ? `${count(s)} instance${count(s) === 1 ? "" : "s"}` : "", wholeSeries(s) ? `${wholeSeries(s)} whole series` : ""].filter(Boolean);
  return parts.join(" and ") || "none";
}

function listSelection(s: Selection): string[] {
  return Object.entries(s).flatMap(([series, sel]) =>
    sel === "all" ? [`  - series \`${series}\`: all instances`] : sel.map((u) => `  - \`${u}\` (series \`${series}\`)`),
  );
}

/** The Markdown comment for a preview. */
export function summarize(preview: { steps?: PreviewStep[] }, opts: { writeTps?: number } = {}): string {
  const tps = opts.writeTps ?? WRITE_TPS_DEFAULT;
  const changes = changesOf(preview);
  const out = ["## HealthImaging: what `pulumi up` will do", ""];
  if (changes.length === 0) return [...out, "No derived image set changes.", ""].join("\n");
  const cohorts = [...new Set(changes.flatMap((c) => (c.cohort ? [c.cohort] : [])))].sort();
  if (cohorts.length) {
    out.push(
      "| cohort | series added | series removed | series updated | series replaced | instances added | instances removed |",
      "|---|---|---|---|---|---|---|",
    );
    for (const cohort of cohorts) {
      const of = changes.filter((c) => c.cohort === cohort);
      const n = (op: ResourceChange["op"][]) => of.filter((c) => op.includes(c.op)).length;
      const sum = (pick: (c: ResourceChange) => Selection) => describeSelection(Object.assign({}, ...of.map(pick)));
      out.push(
        `| \`${cohort}\` | ${n(["create"])} | ${n(["delete"])} | ${n(["update"])} | ${n(["replace"])} | ${sum((c) => c.added)} | ${sum((c) => c.removed)} |`,
      );
    }
    out.push("");
  }
  out.push("| image set | change | instances added | instances removed | why |", "|---|---|---|---|---|");
  for (const c of changes)
    out.push(`| \`${c.name}\` | ${c.op} | ${describeSelection(c.added)} | ${describeSelection(c.removed)} | ${c.reasons.join("; ") || ""} |`);
  out.push("");
  for (const c of changes) {
    const lines = [
      ...(count(c.added) || wholeSeries(c.added) ? ["- added:", ...listSelection(c.added)] : []),
      ...(count(c.removed) || wholeSeries(c.removed) ? ["- removed:", ...listSelection(c.removed)] : []),
    ];
    if (lines.length) out.push(`<details><summary><code>${c.name}</code>: the instances</summary>`, "", ...lines, "", "</details>", "");
  }
  const totals = { CopyImageSet: 0, UpdateImageSetMetadata: 0, DeleteImageSet: 0 };
  for (const c of changes) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += c.calls[k];
  // Each operation has its own rate limit (0.25 TPS by default), so they run side by side.
  const seconds = Math.max(...Object.values(totals).map((n) => (n > 0 ? (n - 1) / tps : 0)));
  out.push(
    `Write calls: ${Object.entries(totals)
      .map(([k, n]) => `${n} ${k}`)
      .join(", ")}; at ${tps} TPS per operation (burst 1) the calls alone take about ${Math.ceil(seconds)} s, plus the copies' own time.`,
    "",
  );
  return out.join("\n");
}
