// delete: a new image set is deleted; a merge is undone and the user's destination is kept.
// Undo = revert to the version before the merge when every version since is ours, otherwise
// remove exactly the instances this resource copied that are still there.

import { buildRemovableAttributeBatches, instancesOf } from "../subset/copiable";
import { imagingClient } from "../service/client";
import { findImageSet, findMetadata } from "../service/find";
import type { Outputs } from "../resource/outputs";
import { stillPresent } from "../subset/instanceSets";
import { copiedBy } from "../recovery/copied";
import { connectionOf, deadlineFor, progressLog } from "../settings/settings";
import { accountVersions } from "../recovery/versions";
import type { ResolvedConnection } from "../service/client";
import { serialised } from "../service/pace";
import { type RunOptions, unlocked } from "../service/reads";
import { deleteImageSet, updateMetadataInQueue } from "../service/writes";

export async function deleteDerivedImageSet(props: Outputs): Promise<void> {
  const conn = connectionOf(props);
  const opts = { deadline: deadlineFor(props, "delete"), log: progressLog(props.ownerTag ?? props.imageSetId) };
  if (!props.destination) {
    await deleteImageSet(conn, props.datastoreId, props.imageSetId, opts);
    return;
  }
  // Decide and write inside the destination's queue: other resources' undos write to it too, and
  // the metadata read here must not be of a version one of them is still writing.
  await serialised([`set:${props.imageSetId}`], () => undoMerge(conn, props, opts));
}

async function undoMerge(conn: ResolvedConnection, props: Outputs, opts: RunOptions): Promise<void> {
  const client = imagingClient(conn);
  const found = await findImageSet(client, props.datastoreId, props.imageSetId);
  if (!found) return; // the destination is gone: nothing of ours is left in it
  const dest = found.imageSetState === "LOCKED" ? await unlocked(client, props.datastoreId, props.imageSetId, "destination", opts) : found;
  // The resource is going away: a version it cannot record in the tag is logged, not fatal.
  const target = { datastoreId: props.datastoreId, imageSetId: props.imageSetId, force: true, ownerTag: props.ownerTag, tagging: "best-effort" as const };
  if (props.destinationVersionBefore !== null) {
    const account = await accountVersions(
      client,
      props.datastoreId,
      props.imageSetId,
      dest.imageSetArn!,
      props.destinationVersionBefore,
      props.versionsMade ?? [props.versionId],
    );
    if (account.onlyOwner && account.latestVersionId !== props.destinationVersionBefore) {
      opts.log(`undoing the merge: reverting image set ${props.imageSetId} to version ${props.destinationVersionBefore}`);
      await updateMetadataInQueue(conn, target, { revertToVersionId: props.destinationVersionBefore }, opts);
      return;
    }
  }
  const present = stillPresent(await copiedBy(client, props), instancesOf(await findMetadata(client, props.datastoreId, props.imageSetId)));
  const batches = Object.keys(present).length ? buildRemovableAttributeBatches(present) : [];
  for (const [i, removableAttributes] of batches.entries()) {
    opts.log(`undoing the merge: removing the copied instances from image set ${props.imageSetId} (batch ${i + 1}/${batches.length})`);
    await updateMetadataInQueue(conn, target, { removableAttributes }, opts);
  }
}
