// Which versions of an image set pulumi-healthimaging made, in ONE tag: image sets take at most 50
// tags (https://docs.aws.amazon.com/healthimaging/latest/devguide/endpoints-quotas.html), so a tag
// per version runs out on a destination many resources merge into. The value lists version ranges
// ("2-61,64"); who made each version is in that resource's state (versionsMade), so the tag only
// has to tell "made by the stack" from "made outside it" (drift). Tag values hold at most 256
// characters (https://docs.aws.amazon.com/healthimaging/latest/APIReference/API_TagResource.html):
// when the list outgrows that, the oldest ranges go first; drift is only ever looked for after a
// resource's own version, so forgetting old versions costs nothing.

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { sdk } from "../service/client";
import { findImageSet, listTags } from "../service/find";

export const MADE_TAG = "pulumi-healthimaging:made";
const MAX_TAG_VALUE = 256;
/** Tags written by 0.1.0: one per version, valued with the owner. Still read, never written. */
const LEGACY_VERSION_TAG = /^pulumi-healthimaging:v(\d+)$/;

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

/** [2,3,4,5,7] → "2-5,7", dropping the oldest ranges until it fits a tag value. */
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

/** Versions the stack made, from an image set's tags (the one tag, plus 0.1.0's per-version tags). */
export function madeVersionsOf(tags: Record<string, string>): Set<string> {
  const made = new Set(decodeRanges(tags[MADE_TAG]).map(String));
  for (const key of Object.keys(tags)) {
    const m = LEGACY_VERSION_TAG.exec(key);
    if (m) made.add(m[1]);
  }
  return made;
}

/**
 * Adds versions to the image set's tag. Throws when tagging fails: the caller must not stay silent,
 * since another resource would then see those versions as made outside the stack.
 */
export async function recordMadeVersions(client: MedicalImagingClient, arn: string, versionIds: string[]): Promise<void> {
  const tags = await listTags(client, arn);
  const made = [...decodeRanges(tags[MADE_TAG]), ...versionIds.map(Number)];
  const value = encodeRanges(made);
  if (value === tags[MADE_TAG]) return;
  await client.send(new (sdk().TagResourceCommand)({ resourceArn: arn, tags: { [MADE_TAG]: value } }));
}

/** recordMadeVersions for an image set known by id (its ARN looked up first); a gone image set records nothing. */
export async function recordMadeVersionsOf(client: MedicalImagingClient, datastoreId: string, imageSetId: string, versionIds: string[]): Promise<void> {
  const arn = (await findImageSet(client, datastoreId, imageSetId))?.imageSetArn;
  if (arn) await recordMadeVersions(client, arn, versionIds);
}

/** The error a failed "made" tag becomes: what happened, why it matters, and that the next run retries. */
export function madeTagFailure(imageSetId: string, versionId: string, e: unknown): string {
  return `version ${versionId} of image set ${imageSetId} was made, but recording it in the image set's ${MADE_TAG} tag failed: ${(e as Error).message}. Other resources would take it for a change made outside Pulumi; the next \`pulumi up\` records it again.`;
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
