// create, top to bottom: read the source (and destination) once; decide what the copy brings;
// ask recovery whether an earlier run already made it; copy (after a lost answer, recovery proves
// what was made before anything is sent again); record the claim; wait; return what was made.
// Once the service accepted a copy, every failure is a PartialFailure, so the image set stays in
// state and the next `pulumi up` resumes instead of copying again. A copy whose outcome cannot be
// proven either way stays in state too, as "unresolved" (the next `pulumi up` decides again).

import { countFrames, maxFramesPerCopy, resolveSubset } from "../subset/copiable";
import { countInstances } from "../subset/instanceSets";
import { takeResolution } from "../subset/resolved";
import { imagingClient } from "../service/client";
import { type Accepted, type CopyAccepted, CopyError, type CopyRequest, inCopyQueue, sendCopy, waitForCopy } from "../service/copy";
import { findMetadata } from "../service/find";
import { type RunOptions, unlocked } from "../service/reads";
import { deleteImageSet } from "../service/writes";
import { PartialFailure } from "../service/errors";
import { adoptExisting } from "../recovery/adoptExisting";
import { type Claim, findEarlierCopy, recoveryOf, UnknownOutcome } from "../recovery/ownership";
import { claimCopy, fingerprintOf, journal, recordMoved, tagNewImageSet } from "../recovery/records";
import { buildOutputs, type Outputs } from "../resource/outputs";
import type { DerivedImageSetInputs, InstancesBySeries } from "../resource/types";
import { connectionOf, runOptions, timeoutHint } from "../settings/settings";

export type CreateInputs = DerivedImageSetInputs & {
  ownerTag?: string;
  __provider?: string;
  /**
   * Set by CohortImageSets (batch/provider.ts) for its members: the owner tag of the per-series
   * DerivedImageSet of this stack that made this image set before (0.2.0's hi.Dataset layout). Its
   * copy, proven by that resource's own tags (owner and fingerprint), is taken over instead of
   * copied again: re-tagged to this owner, which tells the old resource's delete to leave it.
   */
  formerOwnerTag?: string;
};

export async function createDerivedImageSet(inputs: CreateInputs): Promise<{ id: string; outs: Outputs }> {
  const conn = connectionOf(inputs);
  const opts = runOptions(inputs, "create");
  const client = imagingClient(conn);

  // 1. The source, read once: its latest version, and that version's metadata; the destination
  //    must exist before anything is sent. Read inside the copy queue (step 4), right before
  //    recovery and the send: a copy of this process that shares the source or destination has
  //    ended by then (no polling of its lock), merges queued ahead have moved the destination, and
  //    the send's first attempt uses these reads instead of reading both again (service/copy.ts).
  //    An adoption copies nothing: it reads the source outside the queue.
  const readSource = async () => {
    const source = await unlocked(client, inputs.datastoreId, inputs.sourceImageSetId, "source", opts);
    // The check of this `pulumi up` resolved the subset on this very version's document (a
    // version's document never changes): taken instead of reading the document again.
    const checked = takeResolution({
      ...conn,
      datastoreId: inputs.datastoreId,
      sourceImageSetId: inputs.sourceImageSetId,
      versionId: source.versionId!,
      subset: inputs.subset,
    });
    const sourceDoc = checked ? undefined : await findMetadata(client, inputs.datastoreId, inputs.sourceImageSetId, source.versionId);
    const destination = inputs.destination ? await unlocked(client, inputs.datastoreId, inputs.destination.imageSetId, "destination", opts) : undefined;
    // 2. What the copy brings, within the frames-per-copy quota.
    const declared = checked?.declared ?? resolveSubset(inputs.subset, sourceDoc!);
    const frames = checked?.frames ?? countFrames(declared, sourceDoc!);
    if (frames > maxFramesPerCopy()) {
      throw new Error(
        `subset: the copy would copy ${frames} image frames, more than the ${maxFramesPerCopy()} per CopyImageSet the service allows; split it across resources (merge several subsets into one destination).`,
      );
    }
    return { source, sourceDoc, destination, declared };
  };
  const ownerTag = inputs.ownerTag ?? "";
  const claimOf = (declared: InstancesBySeries, sourceVersionId: string): Claim => ({
    datastoreId: inputs.datastoreId,
    sourceImageSetId: inputs.sourceImageSetId,
    ownerTag,
    fingerprint: fingerprintOf(inputs, declared, sourceVersionId),
    declared,
    destinationImageSetId: inputs.destination?.imageSetId,
    promoteToPrimary: inputs.promoteToPrimary ?? false,
  });
  const requestOf = (declared: InstancesBySeries): CopyRequest => ({
    datastoreId: inputs.datastoreId,
    sourceImageSetId: inputs.sourceImageSetId,
    sourceVersionId: inputs.sourceVersionId,
    selection: inputs.subset ? declared : undefined,
    instanceCount: countInstances(declared),
    destinationImageSetId: inputs.destination?.imageSetId,
    merge: inputs.destination !== undefined,
    force: inputs.force ?? false,
    mergeAcrossPatients: inputs.mergeAcrossPatients ?? false,
    promoteToPrimary: inputs.promoteToPrimary ?? false,
  });
  const recorded = (
    done: CopyAccepted & { imageSet: Awaited<ReturnType<typeof waitForCopy>>["imageSet"] },
    sourceVersionId: string,
    declared: InstancesBySeries,
  ) => ({
    ...done,
    sourceVersionId: done.sourceVersionId || sourceVersionId,
    copiedInstances: declared,
  });

  // 3. An image set made outside Pulumi, declared to be adopted: checked, tagged, recorded.
  if (inputs.adoptImageSetId) {
    const { source, declared } = await readSource();
    const imageSet = await adoptExisting(client, { datastoreId: inputs.datastoreId, adoptImageSetId: inputs.adoptImageSetId, declared, ownerTag }, opts);
    const done = { imageSet, imageSetId: inputs.adoptImageSetId, versionId: imageSet.versionId!, sourceVersionId: "", destinationVersionBefore: null };
    return { id: inputs.adoptImageSetId, outs: buildOutputs(inputs, recorded(done, source.versionId!, declared)) };
  }

  // set once the reads are done (steps 1-2); a failure before that made nothing and recorded nothing
  let claim: Claim | undefined;
  let declared: InstancesBySeries = {};
  let sourceVersionId = "";
  let accepted: Accepted | undefined;
  try {
    const done = await inCopyQueue({ sourceImageSetId: inputs.sourceImageSetId, destinationImageSetId: inputs.destination?.imageSetId }, async () => {
      const read = await readSource();
      declared = read.declared;
      sourceVersionId = read.source.versionId!;
      claim = claimOf(declared, sourceVersionId);
      const request = requestOf(declared);
      // 4. Recovery: an earlier, interrupted run of this resource may have made it already.
      const earlier = await findEarlierCopy(client, claim, opts, inputs.destination ? undefined : inputs.formerOwnerTag, read.destination);
      const takenOver = earlier?.formerOwner === true;
      if (earlier && takenOver) {
        // Owned by this resource before anything records it: if re-tagging fails, nothing is claimed
        // (the old resource still owns it, and the next run takes it over again).
        await tagNewImageSet(client, inputs.datastoreId, earlier, ownerTag, claim.fingerprint, true);
        opts.log(
          `taking over image set ${earlier.imageSetId} (version ${earlier.versionId}) from ${inputs.formerOwnerTag} (its owner and fingerprint tags prove it), instead of copying`,
        );
      } else if (earlier) opts.log(`adopting image set ${earlier.imageSetId} (version ${earlier.versionId}), made for this resource by an interrupted run`);
      // A merge version this stack made for a former per-series resource: marked moved, so that
      // resource's delete leaves it in place (records.ts).
      if (earlier && inputs.formerOwnerTag && inputs.destination)
        await recordMoved(client, inputs.datastoreId, earlier.imageSetId, inputs.formerOwnerTag, [earlier.versionId]);
      // 5. Copy. The journal keeps when it was sent; after a lost answer, recovery proves what the
      //    request made before anything is resent.
      accepted = earlier
        ? { ...withoutFormer(earlier), acceptedAt: Date.now() }
        : await sendCopy(conn, request, recoveryOf(client, claim, opts), opts, {
            source: read.source,
            sourceDoc: read.sourceDoc,
            destination: read.destination,
          });
      // 6. Record the claim before waiting, so an interrupted wait is resumed, not copied again.
      await claimCopy(client, claim, accepted, opts.log, takenOver);
      // 7. Wait until the copy's version is no longer locked.
      return waitForCopy(conn, request, accepted, opts);
    });
    journal.remove(ownerTag, claim!.fingerprint);
    return { id: resourceId(inputs, done), outs: buildOutputs(inputs, recorded(done, sourceVersionId, declared)) };
  } catch (e) {
    // the reads or the frames quota refused it: nothing was sent, nothing recorded
    if (!claim) throw e;
    if (e instanceof UnknownOutcome) throw unresolved(inputs, claim, e);
    const failed = e instanceof CopyError && e.accepted ? e.accepted : accepted;
    if (!failed) {
      // The service refused it, or proof showed nothing was made: no window to look in next time.
      journal.remove(ownerTag, claim.fingerprint);
      throw e;
    }
    const status = e instanceof CopyError && e.status === "COPY_FAILED" ? "COPY_FAILED" : "COPYING";
    if (status === "COPY_FAILED") {
      // A failed merge left the destination as it was (the failed version changes nothing): nothing
      // to record. A new image set whose copy failed holds nothing useful: it is ours (the service
      // answered our request with it), so it is removed; only if that fails does state keep it.
      journal.remove(ownerTag, claim.fingerprint);
      if (inputs.destination || (await deleteQuietly(conn, inputs.datastoreId, failed.imageSetId, opts))) throw new Error((e as Error).message);
    }
    const message = e instanceof CopyError && e.timedOut ? `${e.message}. ${timeoutHint(inputs, "create")}` : (e as Error).message;
    throw new PartialFailure(resourceId(inputs, failed), { ...pendingOutputs(inputs, failed, declared, status), ...providerOf(inputs) }, message);
  }
}

/** Resource id: the image set for a new set; destination + version for a merge. */
export function resourceId(inputs: Pick<DerivedImageSetInputs, "destination">, accepted: CopyAccepted): string {
  return inputs.destination ? `${accepted.imageSetId}/merge/${accepted.versionId}` : accepted.imageSetId;
}

/** What state records while a copy is still running, or failed (resumed or replaced by the next run). */
function pendingOutputs(inputs: CreateInputs, accepted: CopyAccepted, copied: InstancesBySeries, workflowStatus = "COPYING"): Outputs {
  return buildOutputs(inputs, {
    imageSet: {
      $metadata: {},
      datastoreId: inputs.datastoreId,
      imageSetId: accepted.imageSetId,
      versionId: accepted.versionId,
      imageSetState: workflowStatus === "COPYING" ? "LOCKED" : "ACTIVE",
      imageSetWorkflowStatus: workflowStatus as never,
    },
    imageSetId: accepted.imageSetId,
    versionId: accepted.versionId,
    sourceVersionId: accepted.sourceVersionId,
    destinationVersionBefore: accepted.destinationVersionBefore,
    copiedInstances: copied,
  });
}

/**
 * A copy whose outcome no proof settles: the resource stays in state, "UNKNOWN", holding no image
 * set id (nothing is claimed); the next `pulumi up` replaces it, and that create proves again.
 */
function unresolved(inputs: CreateInputs, claim: Claim, e: UnknownOutcome): PartialFailure {
  const outs = pendingOutputs(inputs, { imageSetId: "", versionId: "", sourceVersionId: "", destinationVersionBefore: null }, claim.declared, "UNKNOWN");
  const message = `${e.message}. Nothing was claimed: this resource stays in state as unresolved, and the next \`pulumi up\` looks again before copying.`;
  return new PartialFailure(`unresolved-${claim.fingerprint.slice(0, 16)}`, { ...outs, imageSetState: "ACTIVE", ...providerOf(inputs) }, message);
}

const withoutFormer = <T extends { formerOwner?: boolean }>({ formerOwner: _, ...rest }: T) => rest;

const providerOf = (inputs: CreateInputs) => (inputs.__provider ? { __provider: inputs.__provider } : {});

/** Deletes an image set whose copy failed, through the paced write path; false when that fails too. */
async function deleteQuietly(conn: ReturnType<typeof connectionOf>, datastoreId: string, imageSetId: string, opts: RunOptions): Promise<boolean> {
  try {
    await deleteImageSet(conn, datastoreId, imageSetId, { ...opts, deadline: Date.now() + 120_000 });
    return true;
  } catch (e) {
    opts.log(`could not delete image set ${imageSetId}, whose copy failed: ${(e as Error).message}`);
    return false;
  }
}
