// Every "did we already make this?" question, answered by proof, never by inference. A version or
// image set is this resource's only when the service shows all of:
//   - it was made by a copy: its version's workflow status is COPIED (ListImageSetVersions);
//   - it holds exactly what the resource declared: the instances compared, not counted (for a
//     merge: what that version added over the one before it);
//   - no other resource or stack recorded it (records.ts tags);
//   - its time fits the request's, judged by the service's clock (service/clock.ts).
// Anything less is "unknown": the caller keeps the resource in state, says what is unknown, and
// the next run decides again. Nothing here adopts, reverts or deletes; it only answers.

import type { ImageSetsMetadataSummary, MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { instancesOf } from "../subset/copiable";
import { minus } from "../subset/instanceSets";
import type { InstancesBySeries } from "../subset/types";
import { serviceNow } from "../service/clock";
import type { CopyAccepted, LostAnswerRecovery, Proof, SentWindow } from "../service/copy";
import { findImageSet, findMetadata, type ImageSet, imageSetsOfSeries, listTags, listVersions } from "../service/find";
import { type RunOptions, settledVersion } from "../service/reads";
import { processState } from "../settings/processState";
import { INPUTS_TAG, journal, madeRecord, OWNER_TAG } from "./records";
import type { DriftAccount, ForeignVersion } from "./driftDecision";

/** What a resource declares it makes: the facts a proof is checked against. */
export interface Claim {
  datastoreId: string;
  sourceImageSetId: string;
  /** "<project>/<stack>/<name>" */
  ownerTag: string;
  fingerprint: string;
  /** the instances the copy brings, by series */
  declared: InstancesBySeries;
  destinationImageSetId?: string;
  promoteToPrimary: boolean;
}

/**
 * Inferred: AWS does not document that SearchImageSets sees an image set the moment it is made.
 * A search that finds nothing counts only once it ran this long after the request's window closed.
 */
export const SEARCH_SETTLE_MS = 5_000;

/**
 * Inferred: a request that reached the service was applied (its image set created) within this
 * long of leaving. Bounds the window of a run that died before the answer came, so a copy made
 * later by someone else is never inside it.
 */
export const SENT_REQUEST_MAX_MS = 60_000;

/** Raised when the outcome of a copy cannot be proven either way (the journal keeps its window). */
export class UnknownOutcome extends Error {
  constructor(claim: Claim) {
    super(
      claim.destinationImageSetId
        ? `a CopyImageSet into image set ${claim.destinationImageSetId} got no answer, and the service does not show whether it was applied`
        : `a CopyImageSet from image set ${claim.sourceImageSetId} got no answer, and the service does not show whether it made an image set (more than one image set made in that moment holds exactly the declared instances, or one is not readable yet)`,
    );
  }
}

/** Exactly the same instances, series by series. */
function sameInstances(a: InstancesBySeries, b: InstancesBySeries): boolean {
  const series = new Set([...Object.keys(a), ...Object.keys(b)].filter((s) => (a[s]?.length ?? 0) + (b[s]?.length ?? 0) > 0));
  for (const s of series) {
    const x = new Set(a[s] ?? []);
    const y = b[s] ?? [];
    if (x.size !== y.length || !y.every((u) => x.has(u))) return false;
  }
  return true;
}

/**
 * Before copying: did an earlier run of this resource already make it? In order: the journal's
 * record of what the service accepted (this machine); a request whose answer never came, proven
 * over the window the journal kept; a copy this resource's tags name (another machine).
 */
export async function findEarlierCopy(
  client: MedicalImagingClient,
  claim: Claim,
  opts: RunOptions,
  /** also take a new image set this owner's tags name (same fingerprint): see create.ts formerOwnerTag */
  formerOwnerTag?: string,
  /** the destination as the caller read it moments before (its ARN, to list its tags) */
  destination?: ImageSet,
): Promise<(CopyAccepted & { formerOwner?: boolean }) | undefined> {
  const entry = journal.read(claim.ownerTag, claim.fingerprint);
  if (entry?.accepted) {
    const a = entry.accepted;
    const set = await findImageSet(client, claim.datastoreId, a.imageSetId, a.versionId);
    if (set && set.imageSetWorkflowStatus !== "COPY_FAILED") return a;
  } else if (entry?.sent && (!claim.destinationImageSetId || entry.sent.destinationVersionBefore)) {
    // The run died between sending and the answer: prove over the window (a merge: over the
    // destination's versions after the one it was built on).
    const window = { from: entry.sent.from, to: entry.sent.to ?? Math.min(serviceNow(), entry.sent.from + SENT_REQUEST_MAX_MS) };
    const proof = await proveCopy(client, claim, window, entry.sent.destinationVersionBefore ?? null, opts);
    if (proof === "unknown") throw new UnknownOutcome(claim);
    if (proof !== "not-made") return proof.made;
  }
  return claim.destinationImageSetId ? taggedMerge(client, claim, destination) : taggedNewSet(client, claim, formerOwnerTag);
}

/** After an ambiguous CopyImageSet (the answer was lost): did it make anything, and what? */
function proveCopy(client: MedicalImagingClient, claim: Claim, window: SentWindow, destinationVersionBefore: string | null, opts: RunOptions): Promise<Proof> {
  return claim.destinationImageSetId ? proveMerge(client, claim, destinationVersionBefore, opts) : proveNewSet(client, claim, window, opts);
}

/**
 * Recovery around one CopyImageSet of this claim: the journal notes when it leaves (so a run that
 * dies before the answer proves over that window next time), and after a lost answer the proof
 * decides; "unknown" becomes UnknownOutcome, which the caller keeps in state as unresolved.
 */
export function recoveryOf(client: MedicalImagingClient, claim: Claim, opts: RunOptions): LostAnswerRecovery {
  return {
    sending(from, builtOn) {
      if (claim.fingerprint) journal.write(claim.ownerTag, claim.fingerprint, { sent: { from, destinationVersionBefore: builtOn.destinationVersionBefore } });
    },
    async prove(window, builtOn) {
      if (claim.fingerprint)
        journal.write(claim.ownerTag, claim.fingerprint, { sent: { ...window, destinationVersionBefore: builtOn.destinationVersionBefore } });
      const proof = await proveCopy(client, claim, window, builtOn.destinationVersionBefore, opts);
      if (proof === "unknown") throw new UnknownOutcome(claim);
      if (proof === "not-made") return proof;
      opts.log(
        `the lost CopyImageSet made version ${proof.made.versionId} of image set ${proof.made.imageSetId} (proven: a copy holding exactly the declared instances)`,
      );
      return { made: { ...proof.made, sourceVersionId: builtOn.sourceVersionId } };
    },
  };
}

// ---- a new image set ----

async function proveNewSet(client: MedicalImagingClient, claim: Claim, window: SentWindow, opts: RunOptions): Promise<Proof> {
  for (let look = 0; look < 2; look++) {
    const verdicts = await Promise.all((await createdIn(client, claim, window)).map((s) => newSetVerdict(client, claim, s, opts)));
    const ours = verdicts.filter((v): v is CopyAccepted => typeof v === "object");
    if (verdicts.includes("unclear") || ours.length > 1) return "unknown";
    if (ours.length === 1) return { made: ours[0] };
    // Nothing found: believe it only once the search had time to see what was made (inferred).
    const settleLeft = window.to + SEARCH_SETTLE_MS - serviceNow();
    if (settleLeft <= 0) return "not-made";
    opts.log(`looking again in ${Math.ceil(settleLeft / 1000)} s for an image set the lost CopyImageSet may have made`);
    await new Promise((r) => setTimeout(r, settleLeft));
  }
  return "not-made";
}

/**
 * Image sets that could be this claim's copy: of its first declared series (SearchImageSets, every
 * page), not the source, and primary exactly when the copy was promoted (a copy is primary only
 * when promoted: https://docs.aws.amazon.com/healthimaging/latest/devguide/update-image-set-metadata.html).
 */
async function* possibleCopies(client: MedicalImagingClient, claim: Claim): AsyncGenerator<ImageSetsMetadataSummary> {
  const series = Object.keys(claim.declared).sort()[0];
  if (!series) return;
  for await (const s of imageSetsOfSeries(client, claim.datastoreId, series)) {
    if (s.imageSetId !== claim.sourceImageSetId && (s.isPrimary ?? false) === claim.promoteToPrimary) yield s;
  }
}

/** Possible copies that the service says were created within the window. */
async function createdIn(client: MedicalImagingClient, claim: Claim, window: SentWindow): Promise<string[]> {
  const ids: string[] = [];
  for await (const s of possibleCopies(client, claim)) {
    const created = s.createdAt?.getTime();
    if (created !== undefined && created >= window.from && created <= window.to) ids.push(s.imageSetId!);
  }
  return ids;
}

/** One candidate: ours (proven), not ours, or unclear (cannot be read or is still being written). */
async function newSetVerdict(client: MedicalImagingClient, claim: Claim, imageSetId: string, opts: RunOptions): Promise<CopyAccepted | "not-ours" | "unclear"> {
  const set = await findImageSet(client, claim.datastoreId, imageSetId);
  if (!set?.imageSetArn) return "unclear"; // listed by the search, not readable yet
  const tags = await listTags(client, set.imageSetArn);
  // recorded by a resource of some stack (ours would be recorded only after the answer came)
  if (tags[OWNER_TAG] || madeRecord(tags, claim.ownerTag).byAnyStack.size > 0) return "not-ours";
  const first = await firstVersion(client, claim.datastoreId, imageSetId, opts);
  if (first === "unclear" || first.imageSetWorkflowStatus !== "COPIED") return first === "unclear" ? "unclear" : "not-ours";
  const holds = instancesOf(await findMetadata(client, claim.datastoreId, imageSetId, first.versionId));
  if (!sameInstances(holds, claim.declared)) return "not-ours";
  return { imageSetId, versionId: first.versionId!, sourceVersionId: "", destinationVersionBefore: null };
}

/** The first version of an image set once it is no longer being copied (bounded by the deadline). */
async function firstVersion(client: MedicalImagingClient, datastoreId: string, imageSetId: string, opts: RunOptions): Promise<ImageSet | "unclear"> {
  const [first] = await listVersions(client, datastoreId, imageSetId);
  if (!first?.versionId) return "unclear";
  return (await settledVersion(client, datastoreId, imageSetId, first.versionId, opts)) ?? "unclear";
}

/** A new image set this resource's own tags name, with this fingerprint: made by an earlier run. */
async function taggedNewSet(
  client: MedicalImagingClient,
  claim: Claim,
  formerOwnerTag?: string,
): Promise<(CopyAccepted & { formerOwner?: boolean }) | undefined> {
  const madeHere = processState().madeHere;
  let former: (CopyAccepted & { formerOwner: true }) | undefined;
  for await (const s of possibleCopies(client, claim)) {
    if (madeHere.has(s.imageSetId!)) continue;
    const tags = await tagsOnce(client, claim.datastoreId, s.imageSetId!);
    const owner = tags?.[OWNER_TAG];
    if ((owner !== claim.ownerTag && (!formerOwnerTag || owner !== formerOwnerTag || former)) || tags?.[INPUTS_TAG] !== claim.fingerprint) continue;
    // Its tags are this resource's record; the copy's first version is the one the tags were written for.
    const [first] = await listVersions(client, claim.datastoreId, s.imageSetId!);
    if (!first?.versionId || first.ImageSetWorkflowStatus === "COPY_FAILED") continue;
    const found = { imageSetId: s.imageSetId!, versionId: first.versionId, sourceVersionId: "", destinationVersionBefore: null };
    if (owner === claim.ownerTag) return found;
    former = { ...found, formerOwner: true };
  }
  // this resource's own copy first; else the one the former owner's tags prove
  return former;
}

/**
 * Tags of an image set an earlier run may have made, read once per process: a fleet of creates
 * from one series meets the same copies again and again, and another resource's tags never
 * become this one's (only this process tags what it makes, and that is never a candidate).
 */
function tagsOnce(client: MedicalImagingClient, datastoreId: string, imageSetId: string): Promise<Record<string, string> | undefined> {
  const cache = processState().candidateTags;
  const key = `${datastoreId}/${imageSetId}`;
  let tags = cache.get(key);
  if (!tags) {
    tags = findImageSet(client, datastoreId, imageSetId).then((set) => (set?.imageSetArn ? listTags(client, set.imageSetArn) : undefined));
    cache.set(key, tags);
    tags.catch(() => cache.delete(key));
  }
  return tags;
}

// ---- a merge ----

/**
 * Which version after `before` (if any) is this merge: the copy that added exactly the declared
 * instances and that no stack recorded. SOP instances are unique in an image set
 * (https://docs.aws.amazon.com/healthimaging/latest/devguide/copy-image-set.html), so at most one
 * version can have added them. A colleague's metadata edit (UPDATED) or an import is never it.
 */
async function proveMerge(client: MedicalImagingClient, claim: Claim, before: string | null, opts: RunOptions): Promise<Proof> {
  const destId = claim.destinationImageSetId!;
  const dest = await findImageSet(client, claim.datastoreId, destId);
  if (!dest?.imageSetArn || before === null) return "unknown";
  const versions = await listVersions(client, claim.datastoreId, destId);
  const made = madeRecord(await listTags(client, dest.imageSetArn), claim.ownerTag);
  for (const v of versions.filter((x) => Number(x.versionId) > Number(before))) {
    const settled =
      v.imageSetState === "LOCKED"
        ? (await settledVersion(client, claim.datastoreId, destId, v.versionId!, opts))?.imageSetWorkflowStatus
        : v.ImageSetWorkflowStatus;
    if (settled !== "COPIED") continue;
    const added = await addedBy(client, claim.datastoreId, destId, v.versionId!, versions);
    if (!added || !sameInstances(added, claim.declared)) continue;
    // Someone recorded it: another resource or stack made exactly this merge. Not ours, and ours
    // cannot have been applied after it (the instances would not be unique).
    if (made.byAnyStack.has(v.versionId!)) return "not-made";
    return { made: { imageSetId: destId, versionId: v.versionId!, sourceVersionId: "", destinationVersionBefore: previousWorking(versions, v.versionId!)! } };
  }
  // Versions are read by id, not searched: what is not there was not made (inferred: reads by id are consistent).
  return "not-made";
}

/** The version before `versionId` that holds content (a failed version changed nothing); none for the first. */
function previousWorking(versions: { versionId?: string; ImageSetWorkflowStatus?: string }[], versionId: string): string | undefined {
  const earlier = versions.filter((v) => Number(v.versionId) < Number(versionId) && !String(v.ImageSetWorkflowStatus ?? "").endsWith("_FAILED"));
  return earlier.length ? earlier[earlier.length - 1].versionId! : undefined;
}

/** The instances a merge version added over the working version before it; undefined for an image set's first version (no merge). */
async function addedBy(
  client: MedicalImagingClient,
  datastoreId: string,
  imageSetId: string,
  versionId: string,
  versions: { versionId?: string; ImageSetWorkflowStatus?: string }[],
): Promise<InstancesBySeries | undefined> {
  const previous = previousWorking(versions, versionId);
  if (previous === undefined) return undefined;
  const after = instancesOf(await findMetadata(client, datastoreId, imageSetId, versionId));
  const before = instancesOf(await findMetadata(client, datastoreId, imageSetId, previous));
  return minus(after, before);
}

/** A merge this stack recorded, not made by this process, that added exactly the declared instances. */
async function taggedMerge(client: MedicalImagingClient, claim: Claim, known?: ImageSet): Promise<CopyAccepted | undefined> {
  const destId = claim.destinationImageSetId!;
  // The read only gives the ARN, to list the tags: an image set's ARN never changes, so the
  // caller's read of this destination (moments before, in the copy queue) gives the same one. The
  // tags and versions, which decide, are read here.
  const dest = known?.imageSetId === destId && known.imageSetArn ? known : await findImageSet(client, claim.datastoreId, destId);
  if (!dest?.imageSetArn) return undefined;
  // Only this stack's own key counts: another stack's merge is never adopted (nor 0.2.0's shared key's).
  const made = madeRecord(await listTags(client, dest.imageSetArn), claim.ownerTag).byThisStack;
  const mergedHere = processState().mergedHere;
  const versions = await listVersions(client, claim.datastoreId, destId);
  for (const v of versions) {
    if (!made.has(v.versionId!) || mergedHere.has(`${destId}@${v.versionId}`) || v.ImageSetWorkflowStatus !== "COPIED") continue;
    const added = await addedBy(client, claim.datastoreId, destId, v.versionId!, versions);
    if (!added || !sameInstances(added, claim.declared)) continue;
    return { imageSetId: destId, versionId: v.versionId!, sourceVersionId: "", destinationVersionBefore: previousWorking(versions, v.versionId!)! };
  }
  return undefined;
}

// ---- versions after ours: who made them ----

export { describeVersions, type ForeignVersion } from "./driftDecision";

export interface VersionAccount {
  latestVersionId: string;
  /** versions after `since` that changed something and that neither this resource nor its stack made */
  foreign: ForeignVersion[];
  /** versions after `since` that another resource of this stack made (a merge into it) */
  explained: string[];
  /** every version after `since` is one `own` lists (or failed): safe to revert over */
  onlyOwner: boolean;
}

/**
 * The versions after `since`, accounted for. `own`: the versions the asking resource made (its
 * state). Versions listed by 0.2.0's shared key count as this stack's (that key cannot tell stacks
 * apart; inferred: stacks made with it did not share image sets).
 */
export async function accountVersions(
  client: MedicalImagingClient,
  q: { datastoreId: string; imageSetId: string; arn: string; ownerTag: string },
  since: string,
  own: string[] = [],
): Promise<VersionAccount> {
  const [versions, tags] = await Promise.all([listVersions(client, q.datastoreId, q.imageSetId), listTags(client, q.arn)]);
  const made = madeRecord(tags, q.ownerTag);
  const stackMade = (v: string) => made.byThisStack.has(v) || made.legacy.has(v);
  const later = versions.filter((v) => Number(v.versionId) > Number(since));
  const changed = later.filter((v) => !String(v.ImageSetWorkflowStatus ?? "").endsWith("_FAILED"));
  const latest = versions.reduce((m, v) => Math.max(m, Number(v.versionId)), Number(since));
  return {
    latestVersionId: String(latest),
    foreign: changed
      .filter((v) => !own.includes(v.versionId!) && !stackMade(v.versionId!))
      .map((v) => ({ versionId: v.versionId!, status: v.ImageSetWorkflowStatus ?? "" })),
    explained: changed.filter((v) => !own.includes(v.versionId!) && stackMade(v.versionId!)).map((v) => v.versionId!),
    onlyOwner: changed.every((v) => own.includes(v.versionId!)),
  };
}

/** The account as the drift decision reads it (recovery/driftDecision.ts). */
export function driftAccountOf(account: VersionAccount, summary?: string): DriftAccount {
  return { outside: account.foreign, byStack: account.explained, latestVersionId: account.latestVersionId, ...(summary ? { summary } : {}) };
}
