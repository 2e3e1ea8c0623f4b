// delete: a new image set is deleted; a merge is undone and the user's destination is kept.
// Undo = revert to the version before the merge when every version since is ours, otherwise
// remove exactly the instances this resource copied that are still there.

import { buildRemovableAttributeBatches, instancesOf } from "./copiable";
import { imagingClient } from "./client";
import { findImageSet, findMetadata } from "./find";
import { Outputs } from "./outputs";
import { connectionOf, deadlineFor, progressLog } from "./settings";
import { InstancesBySeries } from "./types";
import { accountVersions } from "./versions";
import { deleteImageSet, updateMetadata } from "./writes";

export function stillPresent(copied: InstancesBySeries, present: InstancesBySeries): InstancesBySeries {
  const out: InstancesBySeries = {};
  for (const [series, uids] of Object.entries(copied)) {
    const there = new Set(present[series] ?? []);
    const kept = uids.filter((u) => there.has(u));
    if (kept.length) out[series] = kept;
  }
  return out;
}

export async function deleteDerivedImageSet(props: Outputs): Promise<void> {
  const conn = connectionOf(props);
  const opts = { deadline: deadlineFor(props, "delete"), log: progressLog(props.ownerTag ?? props.imageSetId) };
  if (!props.destination) {
    await deleteImageSet(conn, props.datastoreId, props.imageSetId, opts);
    return;
  }
  const client = imagingClient(conn);
  const dest = await findImageSet(client, props.datastoreId, props.imageSetId);
  if (!dest) return; // the destination is gone: nothing of ours is left in it
  const target = { datastoreId: props.datastoreId, imageSetId: props.imageSetId, force: true, ownerTag: props.ownerTag };
  if (props.destinationVersionBefore !== null) {
    const account = await accountVersions(client, props.datastoreId, props.imageSetId, dest.imageSetArn!, props.destinationVersionBefore, props.ownerTag);
    if (account.onlyOwner && account.latestVersionId !== props.destinationVersionBefore) {
      opts.log(`undoing the merge: reverting image set ${props.imageSetId} to version ${props.destinationVersionBefore}`);
      await updateMetadata(conn, target, { revertToVersionId: props.destinationVersionBefore }, opts);
      return;
    }
  }
  const present = stillPresent(props.copiedInstances ?? {}, instancesOf(await findMetadata(client, props.datastoreId, props.imageSetId)));
  const batches = Object.keys(present).length ? buildRemovableAttributeBatches(present) : [];
  for (const [i, removableAttributes] of batches.entries()) {
    opts.log(`undoing the merge: removing the copied instances from image set ${props.imageSetId} (batch ${i + 1}/${batches.length})`);
    await updateMetadata(conn, target, { removableAttributes }, opts);
  }
}
