// diff, from state alone (no API calls: preview costs nothing). The rule per field:
//
//   datastoreId, sourceImageSetId,
//   destination.imageSetId (or adding/removing a destination), promoteToPrimary   -> replace
//   sourceVersionId pinned to a version other than the one copied                 -> replace
//   subset                                                   -> update in place (copy the added
//                                                               instances, remove the removed ones)
//   force, timeouts, writeRate, destination.versionId,
//   region, endpoint                                         -> update (recorded; no API call:
//                                                               where to reach the service is not
//                                                               part of the image set's identity)
//   drift found by refresh (missing instances, foreign versions)  -> update (repairs it)
//   a copy that failed (COPY_FAILED recorded), or whose outcome is unknown (UNKNOWN) -> replace
//
// destination.versionId is the version the merge was declared against; the merge itself always
// applies on top of the destination's current version (merges into one set are queued), so a
// new value there never replaces anything. This keeps `destination: {imageSetId: a.imageSetId,
// versionId: a.versionId}` stable when other merges move a's image set forward.

import type { Outputs } from "../resource/outputs";
import { decideDrift } from "../recovery/driftDecision";
import { defaultOf, type InputName, inputsWithRule } from "../resource/schema";
import { type DerivedImageSetInputs, isUnknown, type Subset } from "../resource/types";

export interface DiffResult {
  changes: boolean;
  replaces: string[];
  deleteBeforeReplace: boolean;
}

/** Subset in a canonical form: series sorted, instance lists sorted. */
export function canonicalSubset(subset: Subset | undefined): string {
  if (!subset) return "everything";
  const series = Object.keys(subset.series).sort();
  return JSON.stringify(series.map((s) => [s, subset.series[s] === "all" ? "all" : [...(subset.series[s] as string[])].sort()]));
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function diffDerivedImageSet(olds: Outputs, news: DerivedImageSetInputs): DiffResult {
  const replaces: string[] = [];
  for (const key of inputsWithRule("replace")) {
    if (!same(olds[key] ?? defaultOf(key), news[key] ?? defaultOf(key))) replaces.push(key);
  }
  // During preview a destination taken from another resource's outputs is unknown while that
  // resource updates; an update never changes an image set's id, so unknown is not a replacement.
  const destinationId = news.destination?.imageSetId;
  if (!isUnknown(destinationId) && !isUnknown(news.destination) && !same(olds.destination?.imageSetId, destinationId)) replaces.push("destination");
  if (news.sourceVersionId !== undefined && news.sourceVersionId !== olds.sourceVersionId) replaces.push("sourceVersionId");
  if ((olds.workflowStatus === "COPY_FAILED" || olds.workflowStatus === "UNKNOWN") && !replaces.length) replaces.push("sourceImageSetId");

  const changed = (key: InputName) =>
    key === "subset" ? canonicalSubset(olds.subset) !== canonicalSubset(news.subset) : !same(olds[key] ?? defaultOf(key), news[key] ?? defaultOf(key));
  const updates =
    [...inputsWithRule("update"), ...inputsWithRule("recorded")].some(changed) ||
    !same(olds.destination?.versionId, news.destination?.versionId) ||
    (olds.sourceVersionPinned ?? false) !== (news.sourceVersionId !== undefined) ||
    (olds.missingInstances ?? 0) > 0 ||
    (olds.driftVersions ?? []).length > 0;
  return { changes: replaces.length > 0 || updates, replaces, deleteBeforeReplace: replaces.length > 0 && !!news.destination };
}

/**
 * What the preview says about drift found by refresh: who made which version, what the outside
 * ones changed (names and counts, from read), and what `pulumi up` does about it: the same
 * decision update makes (recovery/driftDecision.ts). Undefined when there is none.
 */
export function driftPlan(olds: Outputs, news: DerivedImageSetInputs): string | undefined {
  if (olds.workflowStatus === "UNKNOWN")
    return "an earlier CopyImageSet got no answer and its outcome could not be proven; `pulumi up` replaces this resource: it looks again, adopts the copy only on proof, and copies otherwise";
  const missing =
    (olds.missingInstances ?? 0) > 0
      ? `${olds.missingInstances} copied instances are missing from image set ${olds.imageSetId}: \`pulumi up\` copies them again`
      : undefined;
  if (olds.destination || (olds.driftVersions ?? []).length === 0) return missing;
  const drift = olds.driftAccount
    ? decideDrift(olds.imageSetId, olds.versionId, olds.driftAccount, news.onDrift).words
    : `image set ${olds.imageSetId}: versions ${olds.driftVersions.join(", ")} were made outside this stack; \`pulumi up\` asks the service who made them and decides then (run \`pulumi refresh\` to see it here)`;
  return [drift, missing].filter(Boolean).join("; ");
}
