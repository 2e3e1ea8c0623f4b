// What `pulumi up` does about versions of a resource's own image set that it did not make: one
// decision, made by the preview (diff, from what refresh recorded) and by update (from what the
// service shows then), so the preview's words and up's action cannot disagree. Pure.
//
//   no version outside this stack                              -> nothing to do
//   onDrift "revert", only metadata edits (UPDATED) from outside,
//     and no other resource of the stack wrote since           -> revert to the baseline
//   otherwise                                                  -> keep the latest as the new baseline
//
// Imported data is never reverted, and a revert over another resource's merge would undo it too.

import type { DriftAccount, ForeignVersion, OnDrift } from "../resource/types";

export type { DriftAccount, ForeignVersion } from "../resource/types";

export type DriftAction = { kind: "none" } | { kind: "revert"; to: string } | { kind: "keep"; baseline: string };

export interface DriftDecision {
  action: DriftAction;
  /** who made which version, and what `up` does: the preview's words and update's log line */
  words: string;
}

/** "2 (IMPORTED), 3 (UPDATED)" */
export function describeVersions(versions: ForeignVersion[]): string {
  return versions.map((v) => `${v.versionId} (${v.status || "unknown workflow status"})`).join(", ");
}

const plural = (n: number, word: string) => `${word}${n === 1 ? "" : "s"}`;

export function decideDrift(imageSetId: string, baseline: string, account: DriftAccount, onDrift: OnDrift = "keep"): DriftDecision {
  if (account.outside.length === 0) return { action: { kind: "none" }, words: "" };
  const who = [
    `${plural(account.outside.length, "version")} ${describeVersions(account.outside)} made outside this stack${account.summary ? ` (${account.summary})` : ""}`,
    ...(account.byStack.length ? [`${plural(account.byStack.length, "version")} ${account.byStack.join(", ")} made by other resources of this stack`] : []),
  ].join("; ");
  const onlyEdits = account.outside.every((v) => v.status === "UPDATED");
  const revertBlocked = !onlyEdits
    ? "some of the outside versions are not metadata edits (imported data is never reverted)"
    : account.byStack.length
      ? `a revert to version ${baseline} would also undo what other resources of this stack wrote since`
      : undefined;
  const keep = `\`pulumi up\` keeps version ${account.latestVersionId} as the new baseline, changing nothing in the image set`;
  if (onDrift === "revert" && !revertBlocked)
    return {
      action: { kind: "revert", to: baseline },
      words: `image set ${imageSetId}: ${who}; onDrift is "revert": \`pulumi up\` reverts it to version ${baseline}`,
    };
  const why =
    onDrift === "revert"
      ? `onDrift is "revert", but ${revertBlocked}`
      : `onDrift is "keep"${revertBlocked ? "" : ` (set onDrift: "revert" to revert to version ${baseline})`}`;
  return { action: { kind: "keep", baseline: account.latestVersionId }, words: `image set ${imageSetId}: ${who}; ${why}: ${keep}` };
}
