// What the provider records about what it made, so that a later run can prove it:
//   - tags on a new image set: its owner ("<project>/<stack>/<name>") and a fingerprint of the
//     declared copy, written right after the service accepted the copy;
//   - one tag per stack on any image set the stack wrote to, listing the versions it made
//     ("2-61,64"). Per stack, so two stacks writing to one image set at once never overwrite each
//     other's list (TagResource adds and replaces only the keys it names:
//     https://docs.aws.amazon.com/healthimaging/latest/APIReference/API_TagResource.html); a
//     stack's own writes to one image set are queued in its provider process, so its read-modify-
//     write of its own key cannot race;
//   - a local journal of accepted copies (same machine, no API call).
// Tags and journal entries hold ids, versions and hashes, never patient data.

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { sdk } from "../service/client";
import { findImageSet, listTags } from "../service/find";
import { type CopyAccepted, CopyError } from "../service/copy";
import { processState } from "../settings/processState";
import { homeDir, writeFileAtomic } from "../settings/home";
import { defaultOf, inputsWithRule } from "../resource/schema";
import type { DerivedImageSetInputs, InstancesBySeries } from "../resource/types";

/** On an image set a resource created: who made it. */
export const OWNER_TAG = "pulumi-healthimaging:owner";
/** On an image set a resource created: fingerprint of the declared copy. */
export const INPUTS_TAG = "pulumi-healthimaging:inputs";
/** Prefix of the per-stack key listing the versions a stack made; the rest is stackKey(). */
export const MADE_TAG_PREFIX = "pulumi-healthimaging:made:";
/** 0.2.0's one key shared by every stack. Still read (as "made by some stack"), never written. */
export const SHARED_MADE_TAG = "pulumi-healthimaging:made";
/** 0.1.0's tags: one per version. Read like the shared key. */
const LEGACY_VERSION_TAG = /^pulumi-healthimaging:v(\d+)$/;
/** Tag values hold at most 256 characters (TagValue in the service model). */
const MAX_TAG_VALUE = 256;

/** "<project>/<stack>" of an owner tag "<project>/<stack>/<resource name>" (names may hold "/"). */
export function stackOf(ownerTag: string): string {
  return ownerTag.split("/").slice(0, 2).join("/");
}

/** The tag key of one stack's made versions: the prefix and 16 hex of SHA-256("<project>/<stack>"). */
export function madeTagKey(ownerTag: string): string {
  return MADE_TAG_PREFIX + createHash("sha256").update(stackOf(ownerTag)).digest("hex").slice(0, 16);
}

/** "2-5,7" → [2,3,4,5,7]. */
export function decodeRanges(value: string | undefined): number[] {
  const out: number[] = [];
  for (const part of (value ?? "").split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const from = Number(m[1]);
    const to = Number(m[2] ?? m[1]);
    for (let v = from; v <= to && v - from < 100_000; v++) out.push(v);
  }
  return out;
}

/**
 * [2,3,4,5,7] → "2-5,7", dropping the oldest ranges until it fits a tag value: drift and proofs
 * only ever look at versions after a resource's own, so old ones cost nothing to forget.
 */
export function encodeRanges(versions: Iterable<number>): string {
  const sorted = [...new Set(versions)].filter((v) => Number.isInteger(v) && v > 0).sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    ranges.push(j > i ? `${sorted[i]}-${sorted[j]}` : String(sorted[i]));
    i = j + 1;
  }
  while (ranges.join(",").length > MAX_TAG_VALUE) ranges.shift();
  return ranges.join(",");
}

/** What an image set's tags say about who made which version. */
export interface MadeRecord {
  /** versions this stack's own key lists */
  byThisStack: Set<string>;
  /** versions 0.1.0's per-version tags and 0.2.0's shared key list (made by some stack) */
  legacy: Set<string>;
  /** versions any key lists: this stack's, other stacks', legacy */
  byAnyStack: Set<string>;
}

export function madeRecord(tags: Record<string, string>, ownerTag: string): MadeRecord {
  const ours = madeTagKey(ownerTag);
  const record: MadeRecord = { byThisStack: new Set(), legacy: new Set(), byAnyStack: new Set() };
  for (const [key, value] of Object.entries(tags)) {
    const versionTag = LEGACY_VERSION_TAG.exec(key);
    const versions = versionTag ? [versionTag[1]] : key === SHARED_MADE_TAG || key.startsWith(MADE_TAG_PREFIX) ? decodeRanges(value).map(String) : [];
    for (const v of versions) {
      record.byAnyStack.add(v);
      if (key === ours) record.byThisStack.add(v);
      else if (!key.startsWith(MADE_TAG_PREFIX)) record.legacy.add(v);
    }
  }
  return record;
}

/**
 * Adds versions to this stack's key on the image set. Throws when tagging fails: the caller must
 * not stay silent, since the versions would then look made outside the stack.
 */
export async function recordMadeVersions(
  client: MedicalImagingClient,
  datastoreId: string,
  imageSetId: string,
  ownerTag: string,
  versionIds: string[],
  knownArn?: string,
): Promise<void> {
  await addVersionsToTag(client, datastoreId, imageSetId, madeTagKey(ownerTag), versionIds, knownArn);
}

/**
 * The image set's ARN: `known` when the service just answered with it for this image set (a
 * CopyImageSet's destinationImageSetProperties: an ARN never changes, so a GetImageSet would only
 * repeat it), else read (undefined: the image set is gone).
 */
async function arnOf(client: MedicalImagingClient, datastoreId: string, imageSetId: string, known?: string): Promise<string | undefined> {
  if (known?.endsWith(`/imageset/${imageSetId}`)) return known;
  return (await findImageSet(client, datastoreId, imageSetId))?.imageSetArn;
}

/** Adds versions to the ranges the image set's tag `key` lists (nothing to do when it is gone or they are there). */
async function addVersionsToTag(
  client: MedicalImagingClient,
  datastoreId: string,
  imageSetId: string,
  key: string,
  versionIds: string[],
  knownArn?: string,
): Promise<void> {
  const arn = await arnOf(client, datastoreId, imageSetId, knownArn);
  if (!arn) return; // gone: nothing to record on
  const tags = await listTags(client, arn);
  const value = encodeRanges([...decodeRanges(tags[key]), ...versionIds.map(Number)]);
  if (value === tags[key]) return;
  await client.send(new (sdk().TagResourceCommand)({ resourceArn: arn, tags: { [key]: value } }));
}

/** Prefix of the per-stack key listing merge versions another resource of the stack took over; the rest is stackKey(). */
export const MOVED_TAG_PREFIX = "pulumi-healthimaging:moved:";

/**
 * The tag key listing the merge versions taken over from the per-series resources named
 * "<parent>/<SeriesInstanceUID>" (one key per parent: a hi.Dataset cohort), from one of their owner tags.
 */
export function movedTagKey(formerOwnerTag: string): string {
  const parent = formerOwnerTag.slice(0, Math.max(0, formerOwnerTag.lastIndexOf("/")));
  return MOVED_TAG_PREFIX + createHash("sha256").update(parent).digest("hex").slice(0, 16);
}

/**
 * Records that a resource of this stack took over merge versions another resource of the stack
 * made (CohortImageSets replacing 0.2.0's per-series children): the old resource's delete then
 * leaves them in place instead of undoing the merge.
 */
export async function recordMoved(
  client: MedicalImagingClient,
  datastoreId: string,
  imageSetId: string,
  formerOwnerTag: string,
  versionIds: string[],
): Promise<void> {
  await addVersionsToTag(client, datastoreId, imageSetId, movedTagKey(formerOwnerTag), versionIds);
}

/** Tags a new image set with its owner, the fingerprint of the declared copy, and its first version as made by the stack. */
export async function tagNewImageSet(
  client: MedicalImagingClient,
  datastoreId: string,
  made: CopyAccepted & { imageSetArn?: string },
  ownerTag: string,
  fingerprint: string,
  takenOver = false,
): Promise<void> {
  const arn = await arnOf(client, datastoreId, made.imageSetId, made.imageSetArn);
  if (!arn) return;
  // taken over from another resource of the stack: the stack's record of later versions (merges) is kept
  const before = takenOver ? decodeRanges((await listTags(client, arn))[madeTagKey(ownerTag)]) : [];
  await client.send(
    new (sdk().TagResourceCommand)({
      resourceArn: arn,
      tags: { [OWNER_TAG]: ownerTag, [INPUTS_TAG]: fingerprint, [madeTagKey(ownerTag)]: encodeRanges([...before, Number(made.versionId)]) },
    }),
  );
}

/**
 * Short, stable fingerprint of what a create copies (not of how it is reached): every input whose
 * change replaces the resource (resource/schema.ts), the destination image set, the source version
 * and the resolved instances. During a replacement the old image set (same owner) still exists
 * and must never be mistaken for a leftover of the new one.
 */
export function fingerprintOf(inputs: DerivedImageSetInputs, declared: InstancesBySeries, sourceVersionId: string): string {
  const replacing = inputsWithRule("replace").map((k) => inputs[k] ?? defaultOf(k) ?? null);
  const series = Object.keys(declared)
    .sort()
    .map((s) => [s, [...declared[s]].sort()]);
  return createHash("sha256")
    .update(JSON.stringify([replacing, inputs.destination?.imageSetId ?? null, sourceVersionId, series]))
    .digest("hex")
    .slice(0, 32);
}

/** The error a failed "made" tag becomes: what happened, why it matters, and that the next run retries. */
export function madeTagFailure(imageSetId: string, versionId: string, e: unknown): string {
  return `version ${versionId} of image set ${imageSetId} was made, but recording it in the image set's tags failed: ${(e as Error).message}. Until it is recorded it looks made outside this stack; the next \`pulumi up\` records it again.`;
}

/** Raised after a write completed but its version could not be recorded in the tag. */
export class MadeTagError extends Error {
  constructor(
    readonly versionId: string,
    message: string,
  ) {
    super(message);
  }
}

// ---- the local journal ----

/**
 * A journal entry: written with `sent` (the service-clock window) right before CopyImageSet is
 * sent, replaced with `accepted` once the service answered, removed when create returned. After an
 * interrupted `pulumi up` on this machine, it tells the next run what the service accepted, or
 * when a request whose answer never came was sent.
 */
export interface JournalEntry {
  /** the service-clock window of a request whose answer may never have come; for a merge, the destination version it was built on (or before) */
  sent?: { from: number; to?: number; destinationVersionBefore?: string | null };
  accepted?: CopyAccepted;
}

function journalFile(ownerTag: string, fingerprint: string): string {
  const dir = process.env.PULUMI_HEALTHIMAGING_JOURNAL ?? path.join(homeDir(), "journal");
  return path.join(dir, `${createHash("sha256").update(`${ownerTag}|${fingerprint}`).digest("hex").slice(0, 40)}.json`);
}

export const journal = {
  /** Best effort: without it, the service-side proofs still apply. */
  write(ownerTag: string, fingerprint: string, entry: JournalEntry): void {
    try {
      writeFileAtomic(journalFile(ownerTag, fingerprint), JSON.stringify(entry));
    } catch {
      // a read-only home folder: the tags and the proofs still find the copy
    }
  },
  read(ownerTag: string, fingerprint: string): JournalEntry | undefined {
    try {
      const entry = JSON.parse(fs.readFileSync(journalFile(ownerTag, fingerprint), "utf8")) as JournalEntry & Partial<CopyAccepted>;
      // 0.2.0 wrote the accepted copy itself
      return entry.imageSetId ? { accepted: entry as CopyAccepted } : entry;
    } catch {
      return undefined;
    }
  },
  /** Never throws: it runs after the copy finished, and a leftover entry only costs a look next time. */
  remove(ownerTag: string, fingerprint: string): void {
    try {
      fs.rmSync(journalFile(ownerTag, fingerprint), { force: true });
    } catch {
      // a read-only or vanished home folder must not turn a finished copy into a failure
    }
  },
};

/**
 * Records what the service accepted as this claim's: the journal (no API call, first), then the
 * tags. A new image set's tags only help recovery: failing to write them is logged. A merge's
 * version must be in the stack's tag, or others would take it for foreign: failing that is an
 * error that carries the accepted copy (the caller keeps it in state).
 */
export async function claimCopy(
  client: MedicalImagingClient,
  claim: { datastoreId: string; ownerTag: string; fingerprint: string; destinationImageSetId?: string },
  accepted: CopyAccepted & { imageSetArn?: string },
  log: (message: string) => void,
  takenOver = false,
): Promise<void> {
  journal.write(claim.ownerTag, claim.fingerprint, { accepted });
  if (claim.destinationImageSetId) {
    processState().mergedHere.add(`${accepted.imageSetId}@${accepted.versionId}`);
    await recordMadeVersions(client, claim.datastoreId, accepted.imageSetId, claim.ownerTag, [accepted.versionId], accepted.imageSetArn).catch((e) => {
      throw new CopyError(madeTagFailure(accepted.imageSetId, accepted.versionId, e), accepted);
    });
    return;
  }
  processState().madeHere.add(accepted.imageSetId);
  await tagNewImageSet(client, claim.datastoreId, accepted, claim.ownerTag, claim.fingerprint, takenOver).catch((e: Error) =>
    log(`could not tag image set ${accepted.imageSetId}: ${e.message}`),
  );
}
