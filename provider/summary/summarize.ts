// `pulumi preview --json` → a Markdown pull-request comment about the derived image sets a change
// touches: what each one does, which instances come and go (by UID, as sets, not list positions),
// why a replacement happens, and how many write calls `pulumi up` makes and how long they take at
// the account's write rate. Only ids, UIDs and counts appear: a preview holds nothing else of ours.

import { driftPlan } from "../lifecycle/diff";
import type { Outputs } from "../resource/outputs";
import { defaultOf, INPUT_NAMES, INPUTS, type InputName } from "../resource/schema";
import type { DerivedImageSetInputs } from "../resource/types";
import { withMemberSteps } from "./batch";
import { cohortOf, type Selection, selectionMinus, seriesOf } from "./selection";
import { takeoverChange, takeoverNote, takeoverSection, uncertainLine } from "./takeoverReport";
import { takeoverPairs } from "./takeover";
import { type TierReading, type TierSource, tierSection } from "./tiers";
import { duration } from "../service/paceReport";
import { documentedRates, type Rates, SUMMARY_OPERATIONS, type SummaryOperation, statedRates } from "./rates";

/** The parts of one `pulumi preview --json` step the summary reads. */
interface PreviewStep {
  op: string;
  urn: string;
  oldState?: { type?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { type?: string; inputs?: Record<string, unknown> };
  replaceReasons?: string[];
}

/** One derived image set's planned change. */
export interface ResourceChange {
  name: string;
  /** "<dataset>/<cohort>" for a hi.Dataset's image sets (named "<dataset>/<cohort>/<SeriesInstanceUID>") */
  cohort?: string;
  /**
   * "takeover": a CohortImageSets member that takes over the image set of the per-series
   * DerivedImageSet deleted in the same plan (summary/takeover.ts), the two steps as one change
   */
  op: "create" | "update" | "replace" | "delete" | "takeover";
  /** SOP Instance UIDs by series: added and removed; "all" for a whole series */
  added: Selection;
  removed: Selection;
  /**
   * why it happens: for a replacement the inputs, each with the rule that makes it one; for an
   * update the program's edits (which inputs), drift found by refresh and what `up` does about it
   */
  reasons: string[];
  /** an update that only records new inputs in state: no instance changes, no API call */
  recordedOnly?: boolean;
  /** a merge into another image set (a destination given): it grows that set instead of making one */
  merge?: boolean;
  calls: { CopyImageSet: number; UpdateImageSetMetadata: number; DeleteImageSet: number };
  /**
   * a takeover from the per-series resource `from`: "certain" (no copy, no delete: no calls), or
   * "may" (the preview cannot tell: counted as the copy and the delete it may be)
   */
  takeover?: { from: string; certain: boolean };
}

const TYPE = /healthimaging:DerivedImageSet$/;

/** The engine's placeholder for a value not known until `pulumi up` (sdk/go/common/resource/plugin/rpc.go UnknownStringValue). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The names of the declared image sets, by the image set id they hold (to name a merge's destination). */
function namesByImageSet(steps: PreviewStep[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of steps) {
    const id = s.oldState?.outputs?.imageSetId;
    if (typeof id === "string" && !s.oldState?.inputs?.destination) out.set(id, s.urn.split("::").pop() ?? s.urn);
  }
  return out;
}

/**
 * Why an update happens, from the step alone: the inputs the program changed (the subset's
 * instances are in the table's columns), and drift found by refresh with what `up` does about it.
 */
function updateReasons(step: PreviewStep, owners: Map<string, string>): { reasons: string[]; recordedOnly: boolean; repairs: number } {
  const olds = step.oldState?.inputs ?? {};
  const news = step.newState?.inputs ?? {};
  const outs = (step.oldState?.outputs ?? {}) as Partial<Outputs>;
  const reasons: string[] = [];
  let recordedOnly = true;
  for (const key of INPUT_NAMES) {
    if (key === "destination" || key === "subset") continue;
    if (same(olds[key] ?? defaultOf(key), news[key] ?? defaultOf(key))) continue;
    const recorded = INPUTS[key].change === "recorded";
    if (!recorded) recordedOnly = false;
    reasons.push(`edited \`${key}\`${recorded ? ": recorded, no API call" : ""}`);
  }
  if (!same(seriesOfInputs(olds), seriesOfInputs(news))) {
    recordedOnly = false;
    reasons.push("edited `subset`");
  }
  const before = (olds.destination as { versionId?: string } | undefined)?.versionId;
  const after = (news.destination as { imageSetId?: string; versionId?: string } | undefined)?.versionId;
  if (!same(before, after)) {
    // while the destination's resource updates, its id is unknown too: it is the recorded one (an update keeps the id)
    const newId = (news.destination as { imageSetId?: string } | undefined)?.imageSetId;
    const owner = owners.get(String(newId === UNKNOWN ? (olds.destination as { imageSetId?: string } | undefined)?.imageSetId : newId));
    const by = owner ? `\`${owner}\`` : "another resource";
    reasons.push(
      after === UNKNOWN
        ? `\`destination.versionId\` follows ${by}, which this \`up\` updates first; recorded, no API call (the merge stays as it is)`
        : `\`destination.versionId\` ${before ?? "none"} → ${after}: recorded, no API call (the merge stays as it is)`,
    );
  }
  const drift = driftPlan(outs as Outputs, news as unknown as DerivedImageSetInputs);
  if (drift) {
    recordedOnly = false;
    reasons.push(`drift: ${drift}`);
  }
  // missing instances are part of driftPlan's words; they also cost a copy
  const repairs = Number(outs.missingInstances ?? 0);
  if (repairs > 0) recordedOnly = false;
  if (reasons.length === 0) {
    recordedOnly = false;
    reasons.push("no input change or drift this summary can see (e.g. a create an interrupted `up` left to finish)");
  }
  return { reasons, recordedOnly, repairs };
}

/** The subset in a canonical form (series and instance lists sorted), so a reordered list is no edit. */
function seriesOfInputs(inputs: Record<string, unknown>): string {
  const s = seriesOf(inputs);
  if (s === "everything") return s;
  return JSON.stringify(
    Object.keys(s)
      .sort()
      .map((k) => [k, s[k] === "all" ? "all" : [...s[k]].sort()]),
  );
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
  // a CohortImageSets' members read as the DerivedImageSets they are (summary/batch.ts)
  const steps = withMemberSteps(preview.steps ?? []) as PreviewStep[];
  const owners = namesByImageSet(steps);
  // per-series resources a CohortImageSets member takes over (a switch to layout perCohort)
  const pairs = takeoverPairs(preview.steps ?? [], steps);
  for (const step of steps) {
    const type = step.newState?.type ?? step.oldState?.type ?? "";
    if (!TYPE.test(type)) continue;
    const pair = pairs.get(step);
    if (pair && pair.verdict.kind !== "copies" && (pair.member || pair.verdict.kind === "takeover")) {
      // the two steps (or the delete of what a member took over earlier) as one change
      if (step === (pair.member ?? pair.former)) out.push(takeoverChange(pair));
      continue;
    }
    const op = step.op === "create-replacement" || step.op === "delete-replaced" ? undefined : (step.op as ResourceChange["op"] | "same");
    if (!op || op === "same" || !["create", "update", "replace", "delete"].includes(op)) continue;
    const before = op === "create" ? {} : seriesOf(step.oldState?.inputs ?? step.oldState?.outputs);
    const after = op === "delete" ? {} : seriesOf(step.newState?.inputs);
    const added = op === "replace" ? selectionMinus(after, {}) : selectionMinus(after, before);
    const removed = op === "replace" ? selectionMinus(before, {}) : selectionMinus(before, after);
    const merge = Boolean((step.newState?.inputs ?? step.oldState?.inputs)?.destination);
    const calls = { CopyImageSet: 0, UpdateImageSetMetadata: 0, DeleteImageSet: 0 };
    if (op === "create") calls.CopyImageSet = 1;
    // an unresolved copy claimed no image set: its delete calls nothing (lifecycle/delete.ts)
    const holdsNone = op === "delete" && step.oldState?.outputs !== undefined && !step.oldState.outputs.imageSetId;
    if (op === "delete" && !holdsNone) merge ? calls.UpdateImageSetMetadata++ : calls.DeleteImageSet++;
    if (op === "replace") {
      calls.CopyImageSet = 1;
      merge ? calls.UpdateImageSetMetadata++ : calls.DeleteImageSet++;
    }
    let reasons: string[];
    let recordedOnly = false;
    if (op === "update") {
      const why = updateReasons(step, owners);
      reasons = why.reasons;
      recordedOnly = why.recordedOnly && !Object.keys(added).length && !Object.keys(removed).length;
      if (Object.keys(removed).length) calls.UpdateImageSetMetadata = 1; // a batch holds ~100 UIDs; one is the usual case
      if (Object.keys(added).length || why.repairs > 0) calls.CopyImageSet = 1;
      if ((step.oldState?.outputs as Partial<Outputs> | undefined)?.driftVersions?.length && step.newState?.inputs?.onDrift === "revert")
        calls.UpdateImageSetMetadata++;
    } else if (op === "replace") {
      reasons = (step.replaceReasons ?? []).map(
        (k) => `\`${k}\`${REPLACE_WHY[k as InputName] ? `: ${REPLACE_WHY[k as InputName]}` : k in INPUTS ? "" : " (a provider rule)"}`,
      );
    } else if (holdsNone) reasons = ["removed from the program; it holds no image set (its copy was never proven): nothing to delete"];
    else reasons = [op === "create" ? "new in the program" : merge ? "removed from the program: the merge is undone" : "removed from the program"];
    if (pair) reasons.push(takeoverNote(pair, step));
    const name = step.urn.split("::").pop() ?? step.urn;
    const cohort = cohortOf(name);
    out.push({
      name,
      ...(cohort ? { cohort } : {}),
      op,
      added,
      removed,
      reasons,
      ...(recordedOnly ? { recordedOnly } : {}),
      ...(merge ? { merge } : {}),
      calls,
      ...(pair?.verdict.kind === "may" ? { takeover: { from: pair.formerName, certain: false } } : {}),
    });
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

/**
 * Per cohort of a hi.Dataset: the series added, removed, updated, replaced (and taken over from the
 * per-series resources, when any is), and the instances added and removed.
 */
function cohortTable(changes: ResourceChange[]): string[] {
  const cohorts = [...new Set(changes.flatMap((c) => (c.cohort ? [c.cohort] : [])))].sort();
  if (!cohorts.length) return [];
  const takeovers = changes.some((c) => c.op === "takeover");
  const out = [
    `| cohort | series added | series removed | series updated | series replaced |${takeovers ? " series taken over |" : ""} instances added | instances removed |`,
    `|---|---|---|---|---|${takeovers ? "---|" : ""}---|---|`,
  ];
  for (const cohort of cohorts) {
    const of = changes.filter((c) => c.cohort === cohort);
    const n = (op: ResourceChange["op"][]) => of.filter((c) => op.includes(c.op)).length;
    const maybe = of.filter((c) => c.op === "takeover" && !c.takeover?.certain).length;
    const taken = takeovers ? ` ${n(["takeover"])}${maybe ? ` (${maybe} may copy)` : ""} |` : "";
    const sum = (pick: (c: ResourceChange) => Selection) => describeSelection(Object.assign({}, ...of.map(pick)));
    out.push(
      `| \`${cohort}\` | ${n(["create"])} | ${n(["delete"])} | ${n(["update"])} | ${n(["replace"])} |${taken} ${sum((c) => c.added)} | ${sum((c) => c.removed)} |`,
    );
  }
  return [...out, ""];
}

/** The storage tiers read for the summary (`summarize --read-tiers`, tiers.ts). */
export interface TierInfo {
  sources: TierSource[];
  readings: TierReading[];
  /** when they were read */
  now?: Date;
}

/** The `writeRate` inputs of the preview's resources (summary/rates.ts takes the lowest per operation). */
export function writeRateInputs(preview: { steps?: PreviewStep[] }): (Record<string, unknown> | undefined)[] {
  return (preview.steps ?? []).map((s) => s.newState?.inputs);
}

/**
 * The Markdown comment for a preview. `rates`: the write rates to estimate with (summary/rates.ts
 * ratesInUse); default AWS's documented ones. `writeTps` states one rate for every operation. With `tiers`, a storage section (tiers and cost
 * estimates) follows.
 */
export function summarize(preview: { steps?: PreviewStep[] }, opts: { writeTps?: number; rates?: Rates; tiers?: TierInfo } = {}): string {
  const rates: Rates = opts.rates ?? (opts.writeTps !== undefined ? statedRates(opts.writeTps) : documentedRates());
  const all = changesOf(preview);
  // An update that only records new inputs (a merge's destination moved on) changes no image set:
  // it gets one line under the table instead of a row of "none".
  // A per-series resource a member takes over for sure (a switch to layout perCohort): no call, no row.
  const takenOver = all.filter((c) => c.takeover?.certain);
  const changes = all.filter((c) => !c.recordedOnly && !c.takeover?.certain);
  const recorded = all.filter((c) => c.recordedOnly);
  const out = ["## HealthImaging: what `pulumi up` will do", ""];
  const recordedLines = recorded.map((c) => `- \`${c.name}\`: ${c.reasons.join("; ")}`);
  if (changes.length === 0 && takenOver.length === 0)
    return [
      ...out,
      "No derived image set changes.",
      ...(recorded.length ? ["", "Recorded in state only (no image set changes):", ...recordedLines] : []),
      "",
    ].join("\n");
  out.push(...cohortTable([...changes, ...takenOver]));
  if (changes.length) {
    out.push("| image set | change | instances added | instances removed | why |", "|---|---|---|---|---|");
    for (const c of changes)
      out.push(
        `| \`${c.name}\` | ${c.op === "takeover" ? "take over (may copy)" : c.op} | ${describeSelection(c.added)} | ${describeSelection(c.removed)} | ${c.reasons.join("; ")} |`,
      );
    out.push("");
  } else out.push("No derived image set is copied, changed or deleted.", "");
  out.push(...takeoverSection(takenOver));
  if (recorded.length) out.push("Recorded in state only (no image set changes):", ...recordedLines, "");
  for (const c of changes) {
    const lines = [
      ...(count(c.added) || wholeSeries(c.added) ? ["- added:", ...listSelection(c.added)] : []),
      ...(count(c.removed) || wholeSeries(c.removed) ? ["- removed:", ...listSelection(c.removed)] : []),
    ];
    if (lines.length) out.push(`<details><summary><code>${c.name}</code>: the instances</summary>`, "", ...lines, "", "</details>", "");
  }
  const totals = { CopyImageSet: 0, UpdateImageSetMetadata: 0, DeleteImageSet: 0 };
  for (const c of changes) for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += c.calls[k];
  // Each operation has its own rate limit, so they run side by side; the first `burst` calls of
  // each go at once and every further one waits 1/tps.
  const seconds = Math.max(...SUMMARY_OPERATIONS.map((op) => Math.max(0, totals[op] - rates[op].burst) / rates[op].tps));
  const used = SUMMARY_OPERATIONS.filter((op) => totals[op] > 0);
  const rateOf = (op: SummaryOperation) => `${op} ${Number(rates[op].tps.toPrecision(3))} TPS, burst ${rates[op].burst}`;
  const whys = new Set(used.map((op) => rates[op].why));
  const atRates =
    whys.size === 1
      ? `at the rates in use (${[...whys][0]}: ${used.map(rateOf).join("; ")})`
      : `at the rates in use (${used.map((op) => `${rateOf(op)}: ${rates[op].why}`).join("; ")})`;
  const pacing =
    used.length === 0
      ? "nothing waits"
      : seconds === 0
        ? `${atRates} each call goes out at once: the calls alone take under a second`
        : `${atRates} the calls alone take ${duration(seconds)}`;
  out.push(
    `Write calls: ${Object.entries(totals)
      .map(([k, n]) => `${n} ${k}`)
      .join(", ")}; ${pacing}${totals.CopyImageSet ? ", plus the copies' own time" : ""}.`,
    "",
    ...uncertainLine(changes),
  );
  if (opts.tiers) out.push(...tierSection(changes, opts.tiers.sources, opts.tiers.readings, opts.tiers.now));
  return out.join("\n");
}

export { duration };
