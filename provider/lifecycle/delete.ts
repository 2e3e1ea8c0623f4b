// delete: only what is wholly ours. A new image set is deleted when every version of it was made
// by this stack; versions the stack did not make (imports into a promoted primary, a colleague's
// edits) stop the destroy with their names, unless onForeignVersions says "delete" or "leave".
// A merge is undone and the user's destination is kept: reverted to the version before the merge
// when every version since is this resource's, otherwise exactly the instances it copied that are
// still there are removed (nobody else's edit is reverted).

import { buildRemovableAttributeBatches, instancesOf } from "../subset/copiable";
import { imagingClient, type ResolvedConnection } from "../service/client";
import { findImageSet, findMetadata, listTags } from "../service/find";
import { serialised } from "../service/pace";
import { type RunOptions, unlocked } from "../service/reads";
import { deleteImageSet, updateMetadataInQueue } from "../service/writes";
import { copiedBy } from "../recovery/copied";
import { accountVersions, describeVersions } from "../recovery/ownership";
import { decodeRanges, movedTagKey, OWNER_TAG, recordMadeVersions, stackOf } from "../recovery/records";
import type { Outputs } from "../resource/outputs";
import { stillPresent } from "../subset/instanceSets";
import { connectionOf, runOptions } from "../settings/settings";

export async function deleteDerivedImageSet(props: Outputs): Promise<void> {
  const conn = connectionOf(props);
  const opts = runOptions(props, "delete");
  // An unresolved copy claimed nothing, so there is nothing of ours to delete (recovery decides
  // again when the resource is declared anew).
  if (!props.imageSetId) {
    opts.log("this resource never proved it made an image set (its CopyImageSet got no answer); nothing deleted");
    return;
  }
  if (props.destination) {
    // Decide and write inside the destination's queue: other resources' undos write to it too.
    await serialised([`set:${props.imageSetId}`], () => undoMerge(conn, props, opts));
    return;
  }
  const client = imagingClient(conn);
  const set = await findImageSet(client, props.datastoreId, props.imageSetId);
  if (!set) return; // already gone
  // Taken over by another resource of this stack (a CohortImageSets member replacing this per-series
  // resource, on proof of this resource's own tags): it is that resource's now; only state drops it.
  const owner = props.ownerTag ? (await listTags(client, set.imageSetArn!))[OWNER_TAG] : undefined;
  if (owner && owner !== props.ownerTag && stackOf(owner) === stackOf(props.ownerTag!)) {
    opts.log(`image set ${props.imageSetId} now belongs to ${owner} of this stack; kept, and removed from this resource's state`);
    return;
  }
  const since = props.versionsMade?.[0] ?? props.versionId;
  const account = await accountVersions(
    client,
    { ...props, arn: set.imageSetArn!, ownerTag: props.ownerTag ?? "" },
    since,
    props.versionsMade ?? [props.versionId],
  );
  const policy = props.onForeignVersions ?? "stop";
  if (account.foreign.length > 0 && policy !== "delete") {
    const what = `image set ${props.imageSetId} holds version${account.foreign.length === 1 ? "" : "s"} ${describeVersions(account.foreign)} that this stack did not make`;
    if (policy === "leave") {
      opts.log(`${what}; onForeignVersions is "leave": the image set is kept and removed from state`);
      return;
    }
    throw new Error(
      `${what} (data imported into it, or someone's edits); deleting it would delete those too, so nothing was deleted. To delete it anyway set \`onForeignVersions: "delete"\`; to keep it and remove it from state set \`onForeignVersions: "leave"\`; run \`pulumi up\` to record the choice, then \`pulumi destroy\` again.`,
    );
  }
  await deleteImageSet(conn, props.datastoreId, props.imageSetId, opts);
}

async function undoMerge(conn: ResolvedConnection, props: Outputs, opts: RunOptions): Promise<void> {
  const client = imagingClient(conn);
  const found = await findImageSet(client, props.datastoreId, props.imageSetId);
  if (!found) return; // the destination is gone: nothing of ours is left in it
  const dest = await unlocked(client, props.datastoreId, props.imageSetId, "destination", opts, found);
  const ownerTag = props.ownerTag ?? "";
  // A merge another resource of this stack took over (records.ts recordMoved): left in place.
  if (ownerTag && decodeRanges((await listTags(client, dest.imageSetArn!))[movedTagKey(ownerTag)]).includes(Number(props.versionId))) {
    opts.log(
      `the merge (version ${props.versionId} of image set ${props.imageSetId}) now belongs to another resource of this stack; kept, and removed from this resource's state`,
    );
    return;
  }
  const target = { datastoreId: props.datastoreId, imageSetId: props.imageSetId, force: true };
  // The resource is going away: a version it cannot record in the tag is logged, not fatal.
  const record = (versionId: string) =>
    ownerTag
      ? recordMadeVersions(client, props.datastoreId, props.imageSetId, ownerTag, [versionId]).catch((e: Error) =>
          opts.log(`could not record version ${versionId}: ${e.message}`),
        )
      : undefined;
  if (props.destinationVersionBefore !== null) {
    const own = props.versionsMade ?? [props.versionId];
    const account = await accountVersions(client, { ...props, arn: dest.imageSetArn!, ownerTag }, props.destinationVersionBefore, own);
    if (account.onlyOwner && account.latestVersionId !== props.destinationVersionBefore) {
      opts.log(`undoing the merge: reverting image set ${props.imageSetId} to version ${props.destinationVersionBefore}`);
      await record(await updateMetadataInQueue(conn, target, { revertToVersionId: props.destinationVersionBefore }, opts));
      return;
    }
  }
  const present = stillPresent(await copiedBy(client, props), instancesOf(await findMetadata(client, props.datastoreId, props.imageSetId)));
  const batches = Object.keys(present).length ? buildRemovableAttributeBatches(present) : [];
  for (const [i, removableAttributes] of batches.entries()) {
    opts.log(`undoing the merge: removing the copied instances from image set ${props.imageSetId} (batch ${i + 1}/${batches.length})`);
    await record(await updateMetadataInQueue(conn, target, { removableAttributes }, opts));
  }
}
