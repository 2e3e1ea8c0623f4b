// update: resume an interrupted create, apply subset changes in place, repair drift, and record
// the rest. Subset changes: instances no longer declared are removed with UpdateImageSetMetadata
// (removableAttributes); newly declared ones are copied in from the source (a merge into the
// resource's own image set, or into the destination).

import { buildRemovableAttributeBatches, countFrames, instancesOf, maxFramesPerCopy, resolveSubset } from "../subset/copiable";
import { imagingClient } from "../service/client";
import { CopyError, runCopy, waitForCopy } from "../service/copy";
import { copyStatusOf, pendingOutputs } from "./create";
import { countInstances, isEmpty, minus, stillPresent, union } from "../subset/instanceSets";
import { copiedBy } from "../recovery/copied";
import { PartialFailure } from "../service/errors";
import { findImageSet, findMetadata } from "../service/find";
import { buildOutputs, type Outputs, VERSIONS_MADE_KEPT } from "../resource/outputs";
import { connectionOf, deadlineFor, progressLog, timeoutHint } from "../settings/settings";
import { WaitTimeout } from "../service/wait";
import type { DerivedImageSetInputs, InstancesBySeries } from "../resource/types";
import { accountVersions } from "../recovery/versions";
import { MadeTagError, recordMadeVersionsOf } from "../recovery/madeVersions";
import { updateMetadata } from "../service/writes";

type UpdateInputs = DerivedImageSetInputs & { ownerTag?: string; __provider?: string };

export async function updateDerivedImageSet(id: string, olds: Outputs, news: UpdateInputs): Promise<{ outs: Outputs }> {
  const conn = connectionOf(news);
  const opts = { deadline: deadlineFor(news, "update"), log: progressLog(news.ownerTag ?? olds.imageSetId) };
  const client = imagingClient(conn);
  let state = { versionId: olds.versionId, sourceVersionId: olds.sourceVersionId, copied: {} as InstancesBySeries };
  /** every version this resource has made on the image set, oldest first (state's versionsMade) */
  const made = [...(olds.versionsMade ?? [olds.versionId])];
  /** a write this update made: the resource's version moves to it */
  const wrote = (versionId: string) => {
    state.versionId = versionId;
    made.push(versionId);
  };
  /** instances a copy accepted by the service is adding: state must claim them if we fail now */
  let inFlight: InstancesBySeries = {};
  /** whether state.copied has been read (a failure before that changed nothing) */
  let known = false;
  const fail = (e: unknown): never => {
    const timedOut = e instanceof WaitTimeout || (e instanceof CopyError && e.timedOut);
    const message = `${e instanceof Error ? e.message : String(e)}${timedOut ? `. ${timeoutHint(news, "update")}` : ""}`;
    if (e instanceof MadeTagError) wrote(e.versionId); // written, only not recorded in the tag
    // State must say what the image set holds, since what a resource copied is derived from its
    // recorded subset (recovery/copied.ts): a half-done update records the instances actually
    // there as the subset; the next `up` sees it differ from the program and converges.
    // copiedInstances: undefined drops 0.1.0's list (PartialFailure keeps plain JSON).
    const realized = known ? { subset: isEmpty(state.copied) ? olds.subset : { series: state.copied } } : { subset: olds.subset };
    const props = {
      ...olds,
      ...news,
      ...realized,
      versionId: state.versionId,
      versionsMade: made.slice(-VERSIONS_MADE_KEPT),
      copiedInstances: undefined,
      instanceCount: countInstances(state.copied),
    };
    throw new PartialFailure(id, { ...props, ...(news.__provider ? { __provider: news.__provider } : {}) }, message);
  };

  try {
    state.copied = await copiedBy(client, olds);
    known = true;
    // 1. A create that was interrupted while the copy ran: wait for it instead of copying again.
    if (olds.imageSetState === "LOCKED" && olds.workflowStatus === "COPYING") {
      await waitForCopy(
        conn,
        { datastoreId: olds.datastoreId, instanceCount: countInstances(state.copied) },
        {
          imageSetId: olds.imageSetId,
          versionId: olds.versionId,
          sourceVersionId: olds.sourceVersionId,
          destinationVersionBefore: olds.destinationVersionBefore,
        },
        opts,
      );
    }

    // 1b. A merge's versions must be known as made by the stack (a run that could not record them
    //     failed loudly, with the image set in state): record them now. One ListTags when in order.
    if (olds.destination) await recordMadeVersionsOf(client, olds.datastoreId, olds.imageSetId, made);

    // 2. Versions of an image set we own that nobody in the stack made. onDrift "keep" (the
    //    default) takes the latest as the new baseline, with no API call: a colleague's fix is
    //    not undone silently. "revert" reverts to ours, unless one of our resources (a merge)
    //    also changed it since: a revert would undo that too, so then the latest is kept.
    if (!olds.destination && (olds.driftVersions ?? []).length > 0) {
      const set = await findImageSet(client, olds.datastoreId, olds.imageSetId);
      if (set) {
        const account = await accountVersions(client, olds.datastoreId, olds.imageSetId, set.imageSetArn!, olds.versionId);
        const summary = olds.driftSummary || `versions ${account.foreign.join(", ")} made outside Pulumi`;
        if (account.foreign.length > 0 && account.explained.length === 0 && news.onDrift === "revert") {
          opts.log(`image set ${olds.imageSetId}: ${summary}; onDrift is "revert": reverting to version ${olds.versionId}`);
          wrote(
            await updateMetadata(
              conn,
              { datastoreId: olds.datastoreId, imageSetId: olds.imageSetId, ownerTag: news.ownerTag },
              { revertToVersionId: olds.versionId },
              opts,
            ),
          );
        } else if (account.foreign.length > 0) {
          const why = news.onDrift === "revert" ? "it was merged into since, so a revert would undo that too" : 'onDrift is "keep"';
          opts.log(`image set ${olds.imageSetId}: ${summary}; ${why}: keeping version ${account.latestVersionId} as the new baseline`);
          state.versionId = account.latestVersionId;
        }
      }
    }

    // 3. Subset changes and missing instances: converge what is there to what is declared.
    const sourceDoc = await findMetadata(client, news.datastoreId, news.sourceImageSetId);
    const declared = resolveSubset(news.subset, sourceDoc);
    const present = stillPresent(state.copied, instancesOf(await findMetadata(client, olds.datastoreId, olds.imageSetId)));
    const toRemove = minus(present, declared);
    const toAdd = minus(declared, present);
    const target = { datastoreId: olds.datastoreId, imageSetId: olds.imageSetId, force: true, ownerTag: news.ownerTag };
    for (const removableAttributes of isEmpty(toRemove) ? [] : buildRemovableAttributeBatches(toRemove)) {
      opts.log(`removing instances no longer in the subset from image set ${olds.imageSetId}`);
      wrote(await updateMetadata(conn, target, { removableAttributes }, opts));
    }
    state.copied = minus(present, toRemove);
    if (!isEmpty(toAdd)) {
      const frames = countFrames(toAdd, sourceDoc);
      const maxFrames = maxFramesPerCopy();
      if (frames > maxFrames)
        throw new Error(`subset: adding these instances would copy ${frames} image frames, more than the ${maxFrames} per CopyImageSet the service allows`);
      inFlight = toAdd;
      opts.log(`copying ${countInstances(toAdd)} added instances into image set ${olds.imageSetId}`);
      const done = await runCopy(
        conn,
        {
          datastoreId: news.datastoreId,
          sourceImageSetId: news.sourceImageSetId,
          sourceVersionId: news.sourceVersionId,
          selection: toAdd,
          instanceCount: countInstances(toAdd),
          destinationImageSetId: olds.imageSetId,
          // Our own image set was cut from this source, so its levels match unless the source
          // changed since; a merge keeps the user's choice.
          force: news.destination ? (news.force ?? false) : true,
          promoteToPrimary: false,
          ownerTag: news.ownerTag ?? "",
        },
        opts,
      );
      state = { versionId: done.versionId, sourceVersionId: done.sourceVersionId, copied: union(state.copied, toAdd) };
      made.push(done.versionId);
    }

    const set = await findImageSet(client, olds.datastoreId, olds.imageSetId);
    if (!set) throw new Error(`image set ${olds.imageSetId} no longer exists; run \`pulumi refresh\` to drop it from state`);
    const outs = buildOutputs(news, {
      imageSet: set,
      imageSetId: olds.imageSetId,
      versionId: state.versionId,
      versionsMade: made,
      sourceVersionId: state.sourceVersionId,
      destinationVersionBefore: olds.destinationVersionBefore,
      copiedInstances: state.copied,
    });
    // The service's own creation time of the set, for merges too.
    return { outs: { ...outs, createdAt: olds.createdAt || outs.createdAt } };
  } catch (e) {
    if (e instanceof CopyError && e.accepted) {
      throw new PartialFailure(
        id,
        {
          ...pendingOutputs(news, { ...e.accepted, imageSetId: olds.imageSetId }, union(state.copied, inFlight), copyStatusOf(e)),
          ...(news.__provider ? { __provider: news.__provider } : {}),
        },
        e.message,
      );
    }
    return fail(e);
  }
}
