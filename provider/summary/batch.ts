// A CohortImageSets step of `pulumi preview --json` as the per-member steps the summary reads: one
// DerivedImageSet step per member it adds, removes, updates or replaces, named
// "<batch name>/<SeriesInstanceUID>" (for hi.Dataset: "<dataset>/<cohort>/<SeriesInstanceUID>",
// the perSeries layout's names), from the same member diff the provider runs (batch/diff.ts). The
// dynamic-provider host passes no detailedDiff to the engine, so the preview's own step says only
// "update"; the member diff is recomputed here from the step's old outputs and new inputs.

import { diffMembers } from "../batch/diff";
import { type BatchInputs, type BatchState, memberCreateInputs, memberInputsOf, memberOutputs } from "../batch/members";
import { diffDerivedImageSet } from "../lifecycle/diff";

export interface Step {
  op: string;
  urn: string;
  oldState?: { type?: string; inputs?: Record<string, unknown>; outputs?: Record<string, unknown> };
  newState?: { type?: string; inputs?: Record<string, unknown> };
  replaceReasons?: string[];
  /** on a member's step: its key and the key of the member it merges into */
  member?: { key: string; mergeInto?: string };
}

export const BATCH_TYPE = /healthimaging:CohortImageSets$/;
const MEMBER_TYPE = "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet";

/** The steps with every CohortImageSets step replaced by its members' steps. */
export function withMemberSteps<T extends Step>(steps: T[]): Step[] {
  return steps.flatMap((s) => (BATCH_TYPE.test(s.newState?.type ?? s.oldState?.type ?? "") ? memberSteps(s) : [s]));
}

function memberSteps(step: Step): Step[] {
  const olds = (step.oldState?.outputs ?? { members: {} }) as unknown as BatchState;
  const news = { ...(step.newState?.inputs ?? { members: {} }) } as unknown as BatchInputs;
  olds.members ??= {};
  // members not known until `up` (another resource's output): no member steps (summary/takeover.ts says so)
  if (typeof news.members !== "object" || news.members === null || Array.isArray(news.members)) news.members = {};
  const op = step.op;
  let changes: Record<string, string>;
  if (op === "create" || op === "create-replacement") changes = Object.fromEntries(Object.keys(news.members).map((k) => [k, "add"]));
  else if (op === "delete" || op === "delete-replaced") changes = Object.fromEntries(Object.keys(olds.members).map((k) => [k, "delete"]));
  else if (op === "update" || op === "same") changes = diffMembers(olds, news).members;
  else changes = {};
  const oldBase = (k: string) => olds.members[k] && { imageSetId: olds.members[k].imageSetId, versionId: olds.members[k].versionId };
  const newBase = (k: string) => (changes[k] === "add" || changes[k] === "replace" ? undefined : oldBase(k));
  const out: Step[] = [];
  for (const [key, change] of Object.entries(changes)) {
    const urn = `${step.urn}/${key}`;
    const oldOuts = olds.members[key] && (memberOutputs(olds, olds.ownerTag, key, olds.members[key], oldBase) as unknown as Record<string, unknown>);
    const newIns = news.members[key] && (memberCreateInputs(news, news.ownerTag, key, news.members[key], newBase) as unknown as Record<string, unknown>);
    const oldIns =
      olds.members[key] && (memberCreateInputs(olds, olds.ownerTag, key, memberInputsOf(olds.members[key]), oldBase) as unknown as Record<string, unknown>);
    const oldState = oldOuts && { type: MEMBER_TYPE, inputs: oldIns, outputs: oldOuts };
    const newState = newIns && { type: MEMBER_TYPE, inputs: newIns };
    const member = { key, ...(news.members[key]?.mergeInto ? { mergeInto: news.members[key].mergeInto } : {}) };
    if (change === "add") out.push({ op: "create", urn, newState, member });
    else if (change === "delete") out.push({ op: "delete", urn, oldState });
    else if (change === "update") out.push({ op: "update", urn, oldState, newState });
    else {
      const replaces =
        olds.members[key].mergeInto !== news.members[key].mergeInto ? ["destination"] : diffDerivedImageSet(oldOuts as never, newIns as never).replaces;
      out.push({ op: "replace", urn, oldState, newState, replaceReasons: replaces.length ? replaces : ["destination"] });
    }
  }
  return out;
}
