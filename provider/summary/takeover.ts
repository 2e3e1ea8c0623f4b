// A hi.Dataset switched from layout "perSeries" to "perCohort" previews as a create of each
// cohort's CohortImageSets and a delete of every per-series DerivedImageSet, yet `up` writes
// nothing for a series declared as before: its member takes over the image set the per-series
// resource made, proven by that resource's own tags (lifecycle/create.ts formerOwnerTag,
// recovery/ownership.ts taggedNewSet; a merge by the stack's record of its version, taggedMerge and
// records.ts recordMoved), and the old resource's delete keeps it (lifecycle/delete.ts: "now
// belongs to"). This pairs each member being created with the per-series resource deleted in the
// same plan whose owner tag is the member's formerOwnerTag, and decides from the preview alone:
//   - "takeover": what the proof compares is the same (data store, source, instances, where a merge
//     goes): no copy, no delete;
//   - "copies": it differs for sure: the member copies anew and the old image set is deleted (or
//     its merge undone), as the two steps say;
//   - "may": the preview cannot tell (a value unknown until `up`, the instances declared another
//     way, another region or endpoint, a copy that had not finished): counted as copying, said so.
// One thing no preview shows: the source's current version. A source with a newer version than the
// one the per-series resource copied is copied anew (the proof's fingerprint holds the version).

import { containsUnknown, UNKNOWN } from "../resource/types";
import { formerOwnerTag, memberOwnerTag } from "../batch/members";
import type { Step } from "./batch";

export type Verdict = { kind: "takeover" } | { kind: "copies" | "may"; why: string };

/**
 * A member being created and the per-series resource it may take over; no member: the member took
 * it over in an earlier `up` (verdict "takeover"), or the members are not known until `up` ("may").
 */
export interface Pair {
  member?: Step;
  former: Step;
  /** the per-series resource's name, "<dataset>/<cohort>/<SeriesInstanceUID>" */
  formerName: string;
  merge: boolean;
  verdict: Verdict;
}

const DERIVED = /healthimaging:DerivedImageSet$/;
const BATCH = /healthimaging:CohortImageSets$/;
const nameOf = (s: Step) => s.urn.split("::").pop() ?? s.urn;
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
const copies = (why: string): Verdict => ({ kind: "copies", why });
const may = (why: string): Verdict => ({ kind: "may", why });
type Inputs = Record<string, unknown>;
const text = (v: unknown) => (typeof v === "string" ? v : undefined);
const ownerOf = (s: Step) => text(s.oldState?.inputs?.ownerTag) ?? text(s.oldState?.outputs?.ownerTag);

/**
 * The pairs of a preview, each under both of its steps. `raw`: the preview's steps; `steps`: the
 * same with each CohortImageSets step as its members' steps (summary/batch.ts withMemberSteps).
 */
export function takeoverPairs(raw: Step[], steps: Step[]): Map<Step, Pair> {
  const formers = new Map<string, Step>();
  for (const s of steps) {
    const owner = ownerOf(s);
    if (s.op === "delete" && DERIVED.test(s.oldState?.type ?? "") && owner) formers.set(owner, s);
  }
  const out = new Map<Step, Pair>();
  const byMemberTag = new Map<string, Pair>();
  const creates = steps.filter((s) => s.op === "create" && typeof s.newState?.inputs?.formerOwnerTag === "string");
  // bases first: a merge's verdict follows its base's
  creates.sort((a, b) => Number(Boolean(a.newState?.inputs?.destination)) - Number(Boolean(b.newState?.inputs?.destination)));
  for (const member of creates) {
    const ni = member.newState!.inputs!;
    const former = formers.get(ni.formerOwnerTag as string);
    if (!former) continue;
    const merge = Boolean(ni.destination ?? former.oldState?.inputs?.destination);
    const pair: Pair = { member, former, formerName: nameOf(former), merge, verdict: verdictOf(ni, member.member?.mergeInto, former, byMemberTag) };
    byMemberTag.set(String(ni.ownerTag), pair);
    out.set(member, pair);
    out.set(former, pair);
  }
  // a member already in state that took a per-series resource's image set over, the resource still
  // in state (a switch whose `up` stopped before the deletes): its delete keeps the image set
  for (const b of raw) {
    const outs = b.oldState?.outputs as
      | { ownerTag?: string; members?: Record<string, { imageSetId?: string; versionId?: string; mergeInto?: string }> }
      | undefined;
    if (!BATCH.test(b.oldState?.type ?? "") || b.op.startsWith("delete") || !outs?.members || typeof outs.members !== "object") continue;
    for (const [key, m] of Object.entries(outs.members)) {
      const former = formers.get(formerOwnerTag(outs.ownerTag, key));
      const fo = former?.oldState?.outputs ?? {};
      if (!former || out.has(former) || !m.imageSetId || fo.imageSetId !== m.imageSetId || (m.mergeInto && fo.versionId !== m.versionId)) continue;
      out.set(former, { former, formerName: nameOf(former), merge: Boolean(m.mergeInto), verdict: { kind: "takeover" } });
    }
  }
  // a CohortImageSets whose members are not known until `up`: its per-series resources may be taken over
  for (const b of raw) {
    const owner = text(b.newState?.inputs?.ownerTag);
    if (!BATCH.test(b.newState?.type ?? "") || !owner || !containsUnknown(b.newState?.inputs?.members)) continue;
    for (const [tag, former] of formers)
      if (tag.startsWith(`${owner}/`) && !out.has(former))
        out.set(former, {
          former,
          formerName: nameOf(former),
          merge: Boolean(former.oldState?.inputs?.destination),
          verdict: may(`the members of \`${nameOf(b)}\` are not known until \`up\``),
        });
  }
  return out;
}

/** Whether `up` takes the per-series resource's image set over, by what its proof compares (see the top). */
function verdictOf(ni: Inputs, mergeInto: string | undefined, former: Step, byMemberTag: Map<string, Pair>): Verdict {
  const oi = former.oldState?.inputs ?? {};
  const oo = former.oldState?.outputs ?? {};
  if (!oo.imageSetId) return copies("the per-series resource holds no image set (its copy was never proven)");
  if (oo.workflowStatus === "COPY_FAILED") return copies("the per-series resource's copy failed");
  if (oi.adoptImageSetId) return copies("the per-series resource adopted an image set made outside Pulumi, which has no fingerprint tag to prove it");
  if (oi.promoteToPrimary === true) return copies("the per-series resource's image set was promoted to primary; a member's is not");
  for (const k of ["datastoreId", "sourceImageSetId"]) {
    if (containsUnknown(ni[k])) return may(`\`${k}\` is not known until \`up\``);
    if (!same(ni[k], oi[k])) return copies(`another \`${k}\``);
  }
  for (const k of ["region", "endpoint"]) {
    if (containsUnknown(ni[k])) return may(`\`${k}\` is not known until \`up\``);
    if (!same(ni[k], oi[k])) return may(`another \`${k}\`: the member looks for the image set there`);
  }
  const instances = compareInstances(ni, oi);
  if (instances) return instances;
  if (Boolean(ni.destination) !== Boolean(oi.destination))
    return copies(
      oi.destination ? "the per-series resource is a merge, the member an image set of its own" : "the member is a merge, the per-series resource is not",
    );
  if (ni.destination) {
    const merged = compareDestination(ni, oi, mergeInto, byMemberTag);
    if (merged) return merged;
  }
  if (oo.imageSetState === "LOCKED" || (oo.workflowStatus !== undefined && oo.workflowStatus !== "COPIED"))
    return may("the per-series resource's copy had not finished when state was last written");
  return { kind: "takeover" };
}

type Selection = "all" | string[];

/** The member's series as declared against the per-series resource's (one series each). */
function compareInstances(ni: Inputs, oi: Inputs): Verdict | undefined {
  const news = (ni.subset as { series?: Record<string, Selection> } | undefined)?.series ?? {};
  const olds = (oi.subset as { series?: Record<string, Selection> } | undefined)?.series;
  const [key] = Object.keys(news);
  if (containsUnknown(news)) return may("the member's instances are not known until `up`");
  if (!olds || !same(Object.keys(olds), [key])) return copies("the per-series resource copies other series");
  const [a, b] = [olds[key], news[key]];
  if (a === "all" && b === "all") return undefined;
  if (a === "all" || b === "all")
    return may(
      `the instances are declared another way (${a === "all" ? "the whole series, now a list" : "a list, now the whole series"}): the same copy only if that list is the whole series`,
    );
  const had = new Set(a);
  const has = new Set(b);
  const added = b.filter((u) => !had.has(u)).length;
  const removed = a.filter((u) => !has.has(u)).length;
  return added || removed ? copies(`other instances (${added} added, ${removed} removed)`) : undefined;
}

/** Where a merge member goes: its base member's image set, which must be the one the per-series merge went into. */
function compareDestination(ni: Inputs, oi: Inputs, mergeInto: string | undefined, byMemberTag: Map<string, Pair>): Verdict | undefined {
  const batchOwnerTag = String(ni.ownerTag ?? "").replace(/\[[^\]]*\]$/, "");
  const before = (oi.destination as { imageSetId?: string }).imageSetId;
  const now = (ni.destination as { imageSetId?: string }).imageSetId;
  if (now && now !== UNKNOWN) return now === before ? undefined : copies("it merges into another image set");
  // a base made in this same `up`: the destination is its image set, taken over or new
  const base = mergeInto === undefined ? undefined : byMemberTag.get(memberOwnerTag(batchOwnerTag, mergeInto));
  const baseImageSet = base?.former.oldState?.outputs?.imageSetId;
  if (!base) return copies("the image set it merges into is a new copy (its first series is new)");
  if (base.verdict.kind === "copies") return copies(`the image set it merges into is copied anew (\`${base.formerName}\`: ${base.verdict.why})`);
  if (baseImageSet !== before) return copies("the per-series resource merged into another image set");
  if (base.verdict.kind === "may") return may(`the image set it merges into may be copied anew (\`${base.formerName}\`: ${base.verdict.why})`);
  return undefined;
}
