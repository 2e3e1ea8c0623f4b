// create: resolve the subset from the source's metadata, copy, wait, record what was copied.
// Once the service accepted the copy, every failure is a PartialFailure so the image set stays
// in state and the next `pulumi up` resumes instead of copying again.

import { countFrames, maxFramesPerCopy, resolveSubset } from "../subset/copiable";
import { countInstances } from "../subset/instanceSets";
import { imagingClient } from "../service/client";
import { findLeftover, inputsFingerprint } from "../recovery/leftovers";
import { type CopyAccepted, type CopyDone, CopyError, runCopy, waitForCopy } from "../service/copy";
import { journal } from "../recovery/journal";
import { adoptExisting } from "../recovery/adoptExisting";
import type { RunOptions } from "../service/reads";
import { deleteImageSet } from "../service/writes";
import { PartialFailure } from "../service/errors";
import { findImageSet, findMetadata } from "../service/find";
import { buildOutputs, type Outputs } from "../resource/outputs";
import { connectionOf, deadlineFor, progressLog, timeoutHint } from "../settings/settings";
import { WaitTimeout } from "../service/wait";
import type { DerivedImageSetInputs, InstancesBySeries } from "../resource/types";

export type CreateInputs = DerivedImageSetInputs & { ownerTag?: string; __provider?: string };

/** Resource id: the image set for a new set; destination + version for a merge. */
export function resourceId(inputs: Pick<DerivedImageSetInputs, "destination">, accepted: CopyAccepted): string {
  return inputs.destination ? `${accepted.imageSetId}/merge/${accepted.versionId}` : accepted.imageSetId;
}

/** COPY_FAILED when the service reported the copy failed, else COPYING (still running or unknown). */
export function copyStatusOf(e: CopyError): "COPY_FAILED" | "COPYING" {
  return e.status === "COPY_FAILED" ? "COPY_FAILED" : "COPYING";
}

/** What state records while a copy is still running (resumed by update). */
export function pendingOutputs(inputs: CreateInputs, accepted: CopyAccepted, copied: InstancesBySeries, workflowStatus = "COPYING"): Outputs {
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

export async function createDerivedImageSet(inputs: CreateInputs): Promise<{ id: string; outs: Outputs }> {
  const conn = connectionOf(inputs);
  const deadline = deadlineFor(inputs, "create");
  const log = progressLog(inputs.ownerTag ?? inputs.sourceImageSetId);
  const client = imagingClient(conn);
  const sourceDoc = await findMetadata(client, inputs.datastoreId, inputs.sourceImageSetId);
  const copied = resolveSubset(inputs.subset, sourceDoc);
  const frames = countFrames(copied, sourceDoc);
  const maxFrames = maxFramesPerCopy();
  if (frames > maxFrames) {
    throw new Error(
      `subset: the copy would copy ${frames} image frames, more than the ${maxFrames} per CopyImageSet the service allows; split it across resources (merge several subsets into one destination).`,
    );
  }
  const instanceCount = countInstances(copied);
  const ownerTag = inputs.ownerTag ?? "";
  const source = await findImageSet(client, inputs.datastoreId, inputs.sourceImageSetId);
  const fingerprint = inputsFingerprint(inputs, copied, source?.versionId ?? "");
  const studyInstanceUid = String(sourceDoc.Study.DICOM.StudyInstanceUID ?? "") || undefined;
  if (inputs.adoptImageSetId) {
    const imageSet = await adoptExisting(
      client,
      { datastoreId: inputs.datastoreId, adoptImageSetId: inputs.adoptImageSetId, declared: copied, ownerTag },
      { deadline, log },
    );
    const recorded = {
      imageSet,
      imageSetId: inputs.adoptImageSetId,
      versionId: imageSet.versionId!,
      sourceVersionId: source?.versionId ?? "",
      destinationVersionBefore: null,
      copiedInstances: copied,
    };
    return { id: inputs.adoptImageSetId, outs: buildOutputs(inputs, recorded) };
  }
  try {
    const leftover = ownerTag
      ? await findLeftover(client, { inputs, ownerTag, fingerprint, copied, studyInstanceUid, sourceArn: source?.imageSetArn })
      : undefined;
    let done: CopyDone;
    if (leftover) {
      // An interrupted run already made this copy: adopt it instead of copying twice.
      log(`adopting image set ${leftover.imageSetId} (version ${leftover.versionId}) left by an interrupted run`);
      const adopted = { ...leftover, sourceVersionId: leftover.sourceVersionId || source?.versionId || "" };
      done = await waitForCopy(conn, { datastoreId: inputs.datastoreId, instanceCount }, adopted, { deadline, log }).catch((e: Error) => {
        throw e instanceof CopyError ? e : new CopyError(e.message, adopted, undefined, e instanceof WaitTimeout);
      });
    } else {
      done = await runCopy(
        conn,
        {
          datastoreId: inputs.datastoreId,
          sourceImageSetId: inputs.sourceImageSetId,
          sourceVersionId: inputs.sourceVersionId,
          selection: inputs.subset ? copied : undefined,
          instanceCount,
          destinationImageSetId: inputs.destination?.imageSetId,
          force: inputs.force ?? false,
          promoteToPrimary: inputs.promoteToPrimary ?? false,
          ownerTag,
          fingerprint,
          studyInstanceUid,
        },
        { deadline, log },
      );
    }
    journal.remove(ownerTag, fingerprint);
    return { id: resourceId(inputs, done), outs: buildOutputs(inputs, { ...done, copiedInstances: copied }) };
  } catch (e) {
    if (!(e instanceof CopyError) || !e.accepted) throw e;
    const accepted = e.accepted;
    if (copyStatusOf(e) === "COPY_FAILED") {
      // A failed merge left the destination as it was (the failed version changes nothing), so
      // there is nothing to record. A new image set whose copy failed holds nothing useful:
      // remove it rather than keep it; only if that fails does state have to track it.
      if (inputs.destination) throw new Error(e.message);
      if (await deleteQuietly(conn, inputs.datastoreId, accepted.imageSetId, { deadline: Date.now() + 120_000, log })) throw new Error(e.message);
    }
    const message = e.timedOut ? `${e.message}. ${timeoutHint(inputs, "create")}` : e.message;
    throw new PartialFailure(
      resourceId(inputs, accepted),
      { ...pendingOutputs(inputs, accepted, copied, copyStatusOf(e)), ...(inputs.__provider ? { __provider: inputs.__provider } : {}) },
      message,
    );
  }
}

/** Deletes an image set whose copy failed, through the paced write path; false when that fails too. */
async function deleteQuietly(conn: ReturnType<typeof connectionOf>, datastoreId: string, imageSetId: string, opts: RunOptions): Promise<boolean> {
  try {
    await deleteImageSet(conn, datastoreId, imageSetId, opts);
    return true;
  } catch (e) {
    opts.log(`could not delete image set ${imageSetId}, whose copy failed: ${(e as Error).message}`);
    return false;
  }
}
