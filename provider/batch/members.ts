// CohortImageSets (batch/provider.ts) keeps many derived image sets in one resource. Its state
// holds the shared settings once and, per member, only what delete, refresh and update need; these
// functions turn a member into the inputs and outputs of one DerivedImageSet and back, so every
// lifecycle step runs the single resource's own functions (lifecycle/*.ts) on it.
//
// A member is keyed by its SeriesInstanceUID and copies that series of its source image set (all of
// it, or the listed SOP instances); `mergeInto` names another member whose image set it is merged
// into (a per-study image set: hi.Dataset's perStudy cohorts).

import type { Outputs } from "../resource/outputs";
import type { DerivedImageSetInputs, Destination, DriftAccount, OnDrift, OnForeignVersions, Timeouts, WriteRate } from "../resource/types";
import { UNKNOWN } from "../resource/types";

/** What one member declares. */
export interface MemberInputs {
  sourceImageSetId: string;
  /** the SOP Instance UIDs of the series to copy; omitted: the whole series */
  instances?: string[];
  /** the key of another member (one without mergeInto) whose image set this series is merged into */
  mergeInto?: string;
}

/** The settings every member shares, declared once. */
export interface SharedInputs {
  datastoreId: string;
  region?: string;
  endpoint?: string;
  timeouts?: Timeouts;
  onDrift?: OnDrift;
  onForeignVersions?: OnForeignVersions;
  checkWithService?: boolean;
  writeRate?: WriteRate;
}

export const SHARED_KEYS = ["datastoreId", "region", "endpoint", "timeouts", "onDrift", "onForeignVersions", "checkWithService", "writeRate"] as const;
/** Shared settings whose change is only recorded (no API call per member): lifecycle/diff.ts "recorded". */
export const RECORDED_SHARED = ["region", "endpoint", "timeouts", "onForeignVersions", "checkWithService", "writeRate"] as const;

export interface BatchInputs extends SharedInputs {
  /** "<project>/<stack>/<name>", set by the resource class */
  ownerTag?: string;
  members: Record<string, MemberInputs>;
  __provider?: string;
}

/** One member in state: its inputs as last applied, and what it made. Defaults are left out. */
export interface MemberState extends MemberInputs {
  /** the DerivedImageSet's resource id when it is not imageSetId (a merge, an unresolved copy) */
  id?: string;
  imageSetId: string;
  versionId: string;
  sourceVersionId?: string;
  /** omitted: [versionId] */
  versionsMade?: string[];
  /** merges: the destination version the merge was applied on top of */
  destinationVersionBefore?: string | null;
  /** omitted: "ACTIVE" */
  imageSetState?: Outputs["imageSetState"];
  /** omitted: "COPIED" */
  workflowStatus?: string;
  instanceCount?: number;
  /** a failed update's subset being converged to (null: the whole series) */
  instancesInFlight?: string[] | "all" | null;
  driftVersions?: string[];
  driftSummary?: string;
  driftAccount?: DriftAccount;
  missingInstances?: number;
  /** omitted: versionId */
  latestVersionId?: string;
  isPrimary?: boolean;
}

export interface BatchState extends SharedInputs {
  ownerTag?: string;
  members: Record<string, MemberState>;
  /** image sets of replaced members whose delete failed: deleted by the next update or destroy */
  retired?: Record<string, { key: string; state: MemberState }>;
  __provider?: string;
}

/** The owner tag of one member: the batch's and the member key. */
export const memberOwnerTag = (batchOwnerTag: string | undefined, key: string) => `${batchOwnerTag ?? ""}[${key}]`;
/**
 * The owner tag 0.2.0's hi.Dataset gave this member's per-series DerivedImageSet: a batch named
 * "<dataset>/<cohort>" replaces children named "<dataset>/<cohort>/<SeriesInstanceUID>".
 */
export const formerOwnerTag = (batchOwnerTag: string | undefined, key: string) => `${batchOwnerTag ?? ""}/${key}`;

export function sharedOf(x: SharedInputs): SharedInputs {
  const out: Record<string, unknown> = {};
  for (const k of SHARED_KEYS) if (x[k] !== undefined && x[k] !== null) out[k] = x[k];
  return out as unknown as SharedInputs;
}

const subsetOf = (key: string, instances: string[] | "all" | undefined) => ({ series: { [key]: instances ?? "all" } });

/** Where a merge member's destination is: the base member's image set and version, or unknown (not made yet). */
export type BaseLookup = (key: string) => { imageSetId: string; versionId: string } | undefined;

/**
 * What a member's inputs and outputs both begin with: the shared settings and the copy it declares,
 * into `dest` when it is merged (a merge of another series needs force).
 */
function memberCopy(shared: SharedInputs, key: string, sourceImageSetId: string, instances: string[] | undefined, dest: Destination | undefined) {
  return {
    ...sharedOf(shared),
    sourceImageSetId,
    subset: subsetOf(key, instances),
    ...(dest ? { destination: dest, force: true } : {}),
  };
}

/** One member as the single resource's inputs (what createDerivedImageSet and updateDerivedImageSet take). */
export function memberCreateInputs(
  shared: SharedInputs,
  batchOwnerTag: string | undefined,
  key: string,
  m: MemberInputs,
  base: BaseLookup,
  provider?: string,
): DerivedImageSetInputs & { ownerTag: string; formerOwnerTag: string; __provider?: string } {
  const dest = m.mergeInto ? (base(m.mergeInto) ?? { imageSetId: UNKNOWN, versionId: UNKNOWN }) : undefined;
  return {
    ...memberCopy(shared, key, m.sourceImageSetId, m.instances, dest),
    ownerTag: memberOwnerTag(batchOwnerTag, key),
    formerOwnerTag: formerOwnerTag(batchOwnerTag, key),
    ...(provider ? { __provider: provider } : {}),
  };
}

/** One member's state as the single resource's outputs (what delete, read, update and diff take). */
export function memberOutputs(shared: SharedInputs, batchOwnerTag: string | undefined, key: string, s: MemberState, base: BaseLookup): Outputs {
  const dest = s.mergeInto ? { imageSetId: s.imageSetId, versionId: base(s.mergeInto)?.versionId ?? s.versionId } : undefined;
  const outs: Outputs = {
    ...memberCopy(shared, key, s.sourceImageSetId, s.instances, dest),
    ownerTag: memberOwnerTag(batchOwnerTag, key),
    imageSetId: s.imageSetId,
    versionId: s.versionId,
    latestVersionId: s.latestVersionId ?? s.versionId,
    imageSetArn: "",
    imageSetState: s.imageSetState ?? "ACTIVE",
    workflowStatus: s.workflowStatus ?? "COPIED",
    isPrimary: s.isPrimary ?? false,
    forced: false,
    instanceCount: s.instanceCount ?? 0,
    seriesCount: 1,
    sourceVersionId: s.sourceVersionId ?? "",
    sourceVersionPinned: false,
    destinationVersionBefore: s.destinationVersionBefore ?? null,
    versionsMade: s.versionsMade ?? [s.versionId],
    driftVersions: s.driftVersions ?? [],
    driftSummary: s.driftSummary ?? "",
    missingInstances: s.missingInstances ?? 0,
    createdAt: "",
    updatedAt: "",
  };
  if (s.driftAccount) outs.driftAccount = s.driftAccount;
  if (s.instancesInFlight !== undefined) outs.subsetInFlight = s.instancesInFlight === null ? null : subsetOf(key, s.instancesInFlight);
  return outs;
}

/** The single resource's outputs (and id) back to a compact member state. */
export function compactMember(key: string, m: MemberInputs, id: string, outs: Partial<Outputs> & Record<string, unknown>): MemberState {
  const s: MemberState = {
    sourceImageSetId: String(outs.sourceImageSetId ?? m.sourceImageSetId),
    imageSetId: String(outs.imageSetId ?? ""),
    versionId: String(outs.versionId ?? ""),
  };
  const selection = (outs.subset as { series?: Record<string, "all" | string[]> } | undefined)?.series?.[key];
  const instances = selection === undefined ? m.instances : selection === "all" ? undefined : selection;
  if (instances) s.instances = instances;
  if (m.mergeInto) s.mergeInto = m.mergeInto;
  if (id && id !== s.imageSetId) s.id = id;
  if (outs.sourceVersionId) s.sourceVersionId = String(outs.sourceVersionId);
  const made = (outs.versionsMade as string[] | undefined) ?? [];
  if (made.length && !(made.length === 1 && made[0] === s.versionId)) s.versionsMade = made;
  if (m.mergeInto && outs.destinationVersionBefore !== undefined) s.destinationVersionBefore = outs.destinationVersionBefore as string | null;
  if (outs.imageSetState && outs.imageSetState !== "ACTIVE") s.imageSetState = outs.imageSetState as Outputs["imageSetState"];
  if (outs.workflowStatus && outs.workflowStatus !== "COPIED") s.workflowStatus = String(outs.workflowStatus);
  if (outs.instanceCount) s.instanceCount = Number(outs.instanceCount);
  if (outs.subsetInFlight !== undefined) {
    const f = (outs.subsetInFlight as { series?: Record<string, "all" | string[]> } | null)?.series?.[key];
    s.instancesInFlight = outs.subsetInFlight === null ? null : (f ?? null);
  }
  if ((outs.driftVersions as string[] | undefined)?.length) s.driftVersions = outs.driftVersions as string[];
  if (outs.driftSummary) s.driftSummary = String(outs.driftSummary);
  if (outs.driftAccount) s.driftAccount = outs.driftAccount as DriftAccount;
  if (outs.missingInstances) s.missingInstances = Number(outs.missingInstances);
  if (outs.latestVersionId && outs.latestVersionId !== s.versionId) s.latestVersionId = String(outs.latestVersionId);
  if (outs.isPrimary) s.isPrimary = true;
  return JSON.parse(JSON.stringify(s)) as MemberState;
}

/** The members' own inputs as state records them (what read reports as the resource's inputs). */
export function memberInputsOf(s: MemberState): MemberInputs {
  return { sourceImageSetId: s.sourceImageSetId, ...(s.instances ? { instances: s.instances } : {}), ...(s.mergeInto ? { mergeInto: s.mergeInto } : {}) };
}

/** Members without mergeInto first, then the merges: a merge needs its base's image set. */
export function inDependencyOrder<T extends { mergeInto?: string }>(members: Record<string, T>): [string, T][][] {
  const entries = Object.entries(members).sort(([a], [b]) => a.localeCompare(b));
  return [entries.filter(([, m]) => !m.mergeInto), entries.filter(([, m]) => m.mergeInto)];
}

/** Runs fn over items, at most `limit` at once; never rejects (each result says how it went). */
export async function settleAll<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const results: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        results[i] = { status: "fulfilled", value: await fn(items[i]) };
      } catch (reason) {
        results[i] = { status: "rejected", reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** Members worked on at once (writes are paced process-wide by the write engine anyway). */
export function memberConcurrency(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.PULUMI_HEALTHIMAGING_MEMBER_CONCURRENCY ?? "");
  // Members in flight: enough for the copy rate to be the limit (Little's law: a raised quota of
  // 5 TPS with ~3 s per member needs ~15; at a 25 TPS scaled bench 16 capped the rate at ~0.6 of
  // it, bench figure 7). Writes wait for the pacer, so more in flight does not mean more calls.
  return Number.isInteger(n) && n > 0 ? n : 64;
}
