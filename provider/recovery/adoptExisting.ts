// adoptImageSetId: an image set made outside Pulumi (a CopyImageSet script, the console) becomes
// this resource's instead of a new copy. It must hold every instance the resource declares from
// its source; then it is tagged as ours and recorded, and the stack owns it from here on.

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { sdk } from "../service/client";
import { instancesOf } from "../subset/copiable";
import { findImageSet, findMetadata, type ImageSet } from "../service/find";
import { type RunOptions, unlocked } from "../service/reads";
import { OWNER_TAG } from "./records";
import type { InstancesBySeries } from "../subset/types";

/** Checks and tags the image set to adopt, and returns it as read; rejects naming adoptImageSetId and what does not match. */
export async function adoptExisting(
  client: MedicalImagingClient,
  q: { datastoreId: string; adoptImageSetId: string; declared: InstancesBySeries; ownerTag: string },
  opts: RunOptions,
): Promise<ImageSet> {
  const found = await findImageSet(client, q.datastoreId, q.adoptImageSetId);
  if (!found) throw new Error(`adoptImageSetId: image set ${q.adoptImageSetId} does not exist in data store ${q.datastoreId}.`);
  const set = found.imageSetState === "LOCKED" ? await unlocked(client, q.datastoreId, q.adoptImageSetId, "adopted", opts) : found;
  if (set.imageSetState === "DELETED") throw new Error(`adoptImageSetId: image set ${q.adoptImageSetId} is deleted.`);
  const present = instancesOf(await findMetadata(client, q.datastoreId, q.adoptImageSetId));
  const missing = Object.entries(q.declared).flatMap(([series, uids]) => uids.filter((u) => !(present[series] ?? []).includes(u)).map(() => series));
  if (missing.length > 0) {
    throw new Error(
      `adoptImageSetId: image set ${q.adoptImageSetId} lacks ${missing.length} of the ${Object.values(q.declared).flat().length} instances this resource declares (e.g. of series ${missing[0]}); it is not a copy of this subset. Fix the subset, or remove adoptImageSetId to make a new copy.`,
    );
  }
  const tags = await client.send(new (sdk().ListTagsForResourceCommand)({ resourceArn: set.imageSetArn! }));
  const owner = tags.tags?.[OWNER_TAG];
  if (owner && owner !== q.ownerTag)
    throw new Error(`adoptImageSetId: image set ${q.adoptImageSetId} already belongs to ${owner}; two resources cannot own one image set.`);
  await client.send(new (sdk().TagResourceCommand)({ resourceArn: set.imageSetArn!, tags: { [OWNER_TAG]: q.ownerTag } }));
  opts.log(`adopted image set ${q.adoptImageSetId} (version ${set.versionId}) instead of copying`);
  return set;
}
