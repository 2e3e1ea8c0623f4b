// What the summary says about the per-series resources a CohortImageSets member takes over (the
// switch of a hi.Dataset to layout "perCohort"; the pairs and their verdicts: summary/takeover.ts):
// a certain takeover is one change with no call and no row, listed per cohort; one the preview
// cannot confirm is one row, "may copy", counted as the copy and the delete it may turn out to be;
// a pair that copies anew for sure keeps its two rows, each saying why it is no takeover.

import type { Step } from "./batch";
import { cohortOf, selectionMinus, seriesOf } from "./selection";
import type { ResourceChange } from "./summarize";
import type { Pair } from "./takeover";

const nameOf = (s: Step) => s.urn.split("::").pop() ?? s.urn;

export const TAKEN_OVER = "taken over from the per-series resource: no copy, no delete, recorded in state only";

/** One change for a pair that `up` takes over (or took over earlier: no member step), or may (a member step). */
export function takeoverChange(pair: Pair): ResourceChange {
  const name = nameOf(pair.member ?? pair.former);
  const cohort = cohortOf(name);
  const calls = { CopyImageSet: 0, UpdateImageSetMetadata: 0, DeleteImageSet: 0 };
  const base = { name, ...(cohort ? { cohort } : {}), op: "takeover" as const, ...(pair.merge ? { merge: true } : {}) };
  if (pair.verdict.kind === "takeover")
    return { ...base, added: {}, removed: {}, reasons: [TAKEN_OVER], calls, takeover: { from: pair.formerName, certain: true } };
  const before = seriesOf(pair.former.oldState?.inputs);
  const after = seriesOf(pair.member!.newState?.inputs);
  calls.CopyImageSet = 1;
  if (pair.merge) calls.UpdateImageSetMetadata = 1;
  else calls.DeleteImageSet = 1;
  const why = pair.verdict.kind === "may" ? pair.verdict.why : "";
  return {
    ...base,
    added: selectionMinus(after, before),
    removed: selectionMinus(before, after),
    reasons: [
      `may copy: \`up\` takes over the image set of the per-series resource \`${pair.formerName}\` (no copy, no delete) only if its tags prove the same copy, which the preview cannot tell: ${why}; otherwise it copies anew and ${pair.merge ? "undoes the per-series resource's merge" : "deletes the per-series resource's image set"}`,
    ],
    calls,
    takeover: { from: pair.formerName, certain: false },
  };
}

/** The words a step of a pair that is no (certain) takeover adds to its row's "why". */
export function takeoverNote(pair: Pair, step: Step): string {
  const why = pair.verdict.kind === "takeover" ? "" : pair.verdict.why;
  if (pair.verdict.kind === "may")
    return `may not delete: if a member of this series' cohort declares it as before, it takes this image set over and this delete keeps it; the preview cannot tell (${why})`;
  return step === pair.member
    ? `not taken over from the per-series resource \`${pair.formerName}\` (${why}): copied anew`
    : pair.former.oldState?.outputs?.imageSetId
      ? `not taken over by its series' member (${why}): its image set is ${pair.merge ? "unmerged" : "deleted"}`
      : "its series' member copies anew";
}

const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;

/** The section listing the certain takeovers, per cohort, with the series in a collapsed list. */
export function takeoverSection(takeovers: ResourceChange[]): string[] {
  if (!takeovers.length) return [];
  const byCohort = new Map<string, ResourceChange[]>();
  for (const c of takeovers) byCohort.set(c.cohort ?? c.name, [...(byCohort.get(c.cohort ?? c.name) ?? []), c]);
  const out = ["Taken over by the per-cohort resources (`layout: perCohort`), proven at `up` by each per-series resource's own tags:"];
  for (const [cohort, list] of [...byCohort].sort(([a], [b]) => a.localeCompare(b))) {
    const merges = list.filter((c) => c.merge).length;
    const what = list.length === 1 ? TAKEN_OVER : TAKEN_OVER.replace("resource:", "resources:");
    out.push(
      `- \`${cohort}\`: ${plural(list.length, "series", "series")} ${what}${merges ? ` (${plural(merges, "merge stays", "merges stay")} in the study's image set)` : ""}`,
    );
  }
  out.push(
    "",
    `<details><summary>${plural(takeovers.length, "series", "series")} taken over</summary>`,
    "",
    // a member is named as its per-series resource was ("<dataset>/<cohort>/<SeriesInstanceUID>")
    ...takeovers.map((c) => `- \`${c.takeover!.from}\`${c.merge ? " (a merge)" : ""}`),
    "",
    "</details>",
    "",
    "`up` moves each image set's owner tag to its member (tag calls only) and the per-series resources leave state keeping their image sets. " +
      "The preview cannot see the sources' versions: a series whose source image set has a newer version than the one its per-series resource copied may be copied anew instead, and its old image set deleted.",
    "",
  );
  return out;
}

/** The line under the write calls for takeovers the preview cannot confirm: how many of the calls may not happen. */
export function uncertainLine(changes: ResourceChange[]): string[] {
  const maybe = changes.filter((c) => c.takeover && !c.takeover.certain);
  if (!maybe.length) return [];
  const sum = (k: keyof ResourceChange["calls"]) => maybe.reduce((n, c) => n + c.calls[k], 0);
  const parts = (["CopyImageSet", "UpdateImageSetMetadata", "DeleteImageSet"] as const).filter((k) => sum(k) > 0).map((k) => `${sum(k)} ${k}`);
  return [
    `Of these, up to ${parts.join(", ")} may not happen: ${plural(maybe.length, "series", "series")} may be taken over from ${maybe.length === 1 ? "its per-series resource" : "their per-series resources"} instead ("may copy", "may not delete" above); the preview cannot tell, so they are counted.`,
    "",
  ];
}
