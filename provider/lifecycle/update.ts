// update: resume an interrupted create, record this stack's versions, act on drift, apply subset
// changes in place, and record the rest. Subset changes: instances no longer declared are removed
// with UpdateImageSetMetadata (removableAttributes); newly declared ones are copied in from the
// source (a merge into the resource's own image set, or into the destination). Every version it
// writes is recorded in the stack's tag before it counts as made.

import { buildRemovableAttributeBatches, countFrames, instancesOf, maxFramesPerCopy, resolveSubset } from "../subset/copiable";
import { imagingClient } from "../service/client";
import { CopyError, type CopyRequest, inCopyQueue, sendCopy, waitForCopy } from "../service/copy";
import { PartialFailure } from "../service/errors";
import { findImageSet, findMetadata } from "../service/find";
import { updateMetadata, type MetadataChange } from "../service/writes";
import { WaitTimeout } from "../service/wait";
import { copiedBy } from "../recovery/copied";
import { accountVersions, driftAccountOf, recoveryOf } from "../recovery/ownership";
import { decideDrift } from "../recovery/driftDecision";
import { MadeTagError, madeTagFailure, recordMadeVersions } from "../recovery/records";
import { countInstances, isEmpty, minus, stillPresent, union } from "../subset/instanceSets";
import { buildOutputs, type Outputs, VERSIONS_MADE_KEPT } from "../resource/outputs";
import type { DerivedImageSetInputs, InstancesBySeries } from "../resource/types";
import { connectionOf, runOptions, timeoutHint } from "../settings/settings";

type UpdateInputs = DerivedImageSetInputs & { ownerTag?: string; __provider?: string };

export async function updateDerivedImageSet(id: string, olds: Outputs, news: UpdateInputs): Promise<{ outs: Outputs }> {
  const conn = connectionOf(news);
  const opts = runOptions({ ...news, imageSetId: olds.imageSetId }, "update");
  const client = imagingClient(conn);
  const ownerTag = news.ownerTag ?? olds.ownerTag ?? "";
  let state = { versionId: olds.versionId, sourceVersionId: olds.sourceVersionId, copied: {} as InstancesBySeries };
  /** every version this resource has made on the image set, oldest first (state's versionsMade) */
  const made = [...(olds.versionsMade ?? [olds.versionId])];
  /** a write this update made, recorded in the stack's tag: the resource's version moves to it */
  const wrote = async (versionId: string) => {
    state.versionId = versionId;
    made.push(versionId);
    await recordMadeVersions(client, olds.datastoreId, olds.imageSetId, ownerTag, [versionId]).catch((e) => {
      throw new MadeTagError(versionId, madeTagFailure(olds.imageSetId, versionId, e));
    });
  };
  const change = (c: MetadataChange) => updateMetadata(conn, { datastoreId: olds.datastoreId, imageSetId: olds.imageSetId, force: true }, c, opts);

  try {
    state.copied = await copiedBy(client, olds);
    // 1. A create that was interrupted while the copy ran: wait for it instead of copying again.
    if (olds.imageSetState === "LOCKED" && olds.workflowStatus === "COPYING") {
      await waitForCopy(conn, { datastoreId: olds.datastoreId, instanceCount: countInstances(state.copied) }, olds, opts);
    }

    // 1b. This resource's versions must be in the stack's tag (a run that could not record them
    //     failed loudly, with the image set in state): record them now. One ListTags when in order.
    await recordMadeVersions(client, olds.datastoreId, olds.imageSetId, ownerTag, made);

    // 2. Versions of an image set we own that the stack did not make: the decision the preview
    //    showed (recovery/driftDecision.ts), made again on what the service shows now. "keep" (the
    //    default) takes the latest as the new baseline, with no write; "revert" reverts only
    //    metadata edits, never over another resource's merge.
    if (!olds.destination && (olds.driftVersions ?? []).length > 0) {
      const set = await findImageSet(client, olds.datastoreId, olds.imageSetId);
      if (set) {
        const account = await accountVersions(client, { ...olds, arn: set.imageSetArn!, ownerTag }, olds.versionId, made);
        const summary = account.foreign.length === olds.driftAccount?.outside.length ? olds.driftSummary : undefined;
        const decision = decideDrift(olds.imageSetId, olds.versionId, driftAccountOf(account, summary), news.onDrift);
        if (decision.words) opts.log(decision.words);
        if (decision.action.kind === "revert") await wrote(await change({ revertToVersionId: decision.action.to }));
        else if (decision.action.kind === "keep") state.versionId = decision.action.baseline;
      }
    }

    // 3. Subset changes and missing instances: converge what is there to what is declared.
    const sourceDoc = await findMetadata(client, news.datastoreId, news.sourceImageSetId);
    const declared = resolveSubset(news.subset, sourceDoc);
    const present = stillPresent(state.copied, instancesOf(await findMetadata(client, olds.datastoreId, olds.imageSetId)));
    const toRemove = minus(present, declared);
    const toAdd = minus(declared, present);
    for (const removableAttributes of isEmpty(toRemove) ? [] : buildRemovableAttributeBatches(toRemove)) {
      opts.log(`removing instances no longer in the subset from image set ${olds.imageSetId}`);
      await wrote(await change({ removableAttributes }));
    }
    state.copied = minus(present, toRemove);
    if (!isEmpty(toAdd)) {
      const frames = countFrames(toAdd, sourceDoc);
      if (frames > maxFramesPerCopy())
        throw new Error(
          `subset: adding these instances would copy ${frames} image frames, more than the ${maxFramesPerCopy()} per CopyImageSet the service allows`,
        );
      opts.log(`copying ${countInstances(toAdd)} added instances into image set ${olds.imageSetId}`);
      const request: CopyRequest = {
        datastoreId: news.datastoreId,
        sourceImageSetId: news.sourceImageSetId,
        sourceVersionId: news.sourceVersionId,
        selection: toAdd,
        instanceCount: countInstances(toAdd),
        destinationImageSetId: olds.imageSetId,
        merge: news.destination !== undefined,
        // Our own image set was cut from this source, so its levels match unless the source changed
        // since; `force` is never sent to a primary (promoted) one, where AWS refuses it. A merge
        // keeps the user's choice.
        force: news.destination ? (news.force ?? false) : !olds.isPrimary,
        mergeAcrossPatients: (news.destination && news.mergeAcrossPatients) ?? false,
        promoteToPrimary: false,
      };
      const claim = { ...request, ownerTag, fingerprint: "", declared: toAdd, promoteToPrimary: false };
      const done = await inCopyQueue(request, async () => {
        const accepted = await sendCopy(conn, request, recoveryOf(client, claim, opts), opts);
        await wrote(accepted.versionId);
        return waitForCopy(conn, request, accepted, opts);
      });
      state = { versionId: done.versionId, sourceVersionId: done.sourceVersionId, copied: union(state.copied, toAdd) };
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
    // State must say what the image set may hold, since what a resource copied is derived from its
    // declarations (recovery/copied.ts): a half-done update keeps the old subset and names the new
    // one as in flight, both as declared (never the expanded instance lists: state stays small);
    // the next `up` sees them differ from the program and converges in place. The image set is as
    // it was (a failed copy's version changes nothing) unless a copy is still running: then state
    // records it, and the next update waits for it instead of copying again.
    const running = e instanceof CopyError && e.accepted && e.status !== "COPY_FAILED" ? e.accepted : undefined;
    const timedOut = e instanceof WaitTimeout || (e instanceof CopyError && e.timedOut);
    const message = `${e instanceof Error ? e.message : String(e)}${timedOut ? `. ${timeoutHint(news, "update")}` : ""}`;
    const props = {
      ...olds,
      ...news,
      ...inFlight(olds, news, made),
      versionId: running?.versionId ?? state.versionId,
      ...(running ? { imageSetState: "LOCKED", workflowStatus: "COPYING" } : {}),
      copiedInstances: undefined,
    };
    throw new PartialFailure(id, { ...props, ...providerOf(news) }, message);
  }
}

/** What a failed update leaves in state: the old subset, the new one in flight, the versions made. */
function inFlight(olds: Outputs, news: UpdateInputs, made: string[]): Partial<Outputs> {
  const changed = JSON.stringify(olds.subset ?? null) !== JSON.stringify(news.subset ?? null);
  return {
    subset: olds.subset,
    subsetInFlight: changed ? (news.subset ?? null) : (olds.subsetInFlight ?? undefined),
    versionsMade: made.slice(-VERSIONS_MADE_KEPT),
  };
}

const providerOf = (inputs: UpdateInputs) => (inputs.__provider ? { __provider: inputs.__provider } : {});
