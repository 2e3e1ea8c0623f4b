// UpdateImageSetMetadata and DeleteImageSet, paced and serialised per image set, with the same
// rules as the copy: throttling and locks are waited out, an ambiguous failure is resolved by
// looking at the image set (a repeated update would carry a stale latestVersion and be refused,
// so it cannot apply twice).

import type { UpdateImageSetMetadataCommandInput } from "@aws-sdk/client-medical-imaging";
import { ResolvedConnection, imagingClient, sdk } from "./client";
import { patiently, tolerantPoll, unlocked, versionTag, RunOptions } from "./copyRun";
import { certainlyRejected, describe, isConflict, isNotFound, isThrottling } from "./errors";
import { findImageSet } from "./find";
import { pacerFor, serialised } from "./pace";
import { durationsOf, waitFor } from "./wait";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export type MetadataChange = { removableAttributes: string } | { updatableAttributes: string } | { revertToVersionId: string };

export interface UpdateTarget {
  datastoreId: string;
  imageSetId: string;
  force?: boolean;
  /** tag the new version as made by this owner (explains it to drift detection) */
  ownerTag?: string;
}

/** Apply one change; returns the new version id once the update finished. */
export function updateMetadata(conn: ResolvedConnection, target: UpdateTarget, change: MetadataChange, opts: RunOptions): Promise<string> {
  return serialised([`set:${target.imageSetId}`], async () => {
    const reads = imagingClient(conn, "read");
    const once = imagingClient(conn, "once");
    const pacer = pacerFor(conn.endpoint, "UpdateImageSetMetadata");
    const encoder = new TextEncoder();
    const updates: UpdateImageSetMetadataCommandInput["updateImageSetMetadataUpdates"] =
      "revertToVersionId" in change
        ? { revertToVersionId: change.revertToVersionId }
        : {
            DICOMUpdates:
              "removableAttributes" in change
                ? { removableAttributes: encoder.encode(change.removableAttributes) }
                : { updatableAttributes: encoder.encode(change.updatableAttributes) },
          };
    let versionId: string | undefined;
    let startedAt = Date.now();
    while (versionId === undefined) {
      const before = (await unlocked(reads, target.datastoreId, target.imageSetId, "target", opts)).versionId!;
      if (Date.now() >= opts.deadline) throw new Error(`timed out before updating image set ${target.imageSetId}`);
      const grant = await pacer.acquire();
      startedAt = Date.now();
      try {
        const out = await once.send(
          new (sdk().UpdateImageSetMetadataCommand)({
            datastoreId: target.datastoreId,
            imageSetId: target.imageSetId,
            latestVersionId: before,
            force: target.force || undefined,
            updateImageSetMetadataUpdates: updates,
          }),
        );
        pacer.succeeded();
        versionId = out.latestVersionId!;
      } catch (e) {
        if (isThrottling(e)) pacer.throttled(grant);
        else if (isConflict(e)) await sleep(200);
        else if (certainlyRejected(e)) throw new Error(describe("UpdateImageSetMetadata", e));
        else {
          // Ambiguous (network error, 5xx): look at the image set, waiting out an outage, before
          // deciding; a repeat carries the stale latestVersion and would be refused anyway.
          const now = await patiently(() => findImageSet(reads, target.datastoreId, target.imageSetId), opts, `UpdateImageSetMetadata on image set ${target.imageSetId}: ${(e as Error).message}`);
          if (now && Number(now.versionId) === Number(before) + 1) versionId = now.versionId!;
        }
      }
    }
    if (target.ownerTag) await tagVersion(conn, target, versionId, target.ownerTag, opts);
    const model = durationsOf("update", conn);
    const { value } = await waitFor(
      () => tolerantPoll(async () => {
        const s = await findImageSet(reads, target.datastoreId, target.imageSetId, versionId);
        if (!s) throw new Error(`image set ${target.imageSetId} disappeared during an update`);
        const done = s.imageSetWorkflowStatus === "UPDATED" || s.imageSetWorkflowStatus === "UPDATE_FAILED" || s.imageSetState !== "LOCKED";
        return { done, value: s, state: `${s.imageSetState}/${s.imageSetWorkflowStatus}` };
      }),
      { deadline: opts.deadline, startedAt, expectedMs: model.estimate(1), label: `the update of image set ${target.imageSetId} (version ${versionId})`, log: opts.log },
    );
    if (value.imageSetWorkflowStatus === "UPDATE_FAILED") throw new Error(`UpdateImageSetMetadata failed: ${value.message ?? "the service gave no message"}`);
    model.record(1, Date.now() - startedAt);
    return versionId;
  });
}

async function tagVersion(conn: ResolvedConnection, target: UpdateTarget, versionId: string, ownerTag: string, opts: RunOptions): Promise<void> {
  const client = imagingClient(conn);
  try {
    const set = await findImageSet(client, target.datastoreId, target.imageSetId);
    if (set?.imageSetArn) await client.send(new (sdk().TagResourceCommand)({ resourceArn: set.imageSetArn, tags: { [versionTag(versionId)]: ownerTag } }));
  } catch (e) {
    opts.log(`could not tag version ${versionId} of image set ${target.imageSetId}: ${(e as Error).message}`);
  }
}

/** Delete and wait until DELETED; an image set that is already gone (or going) is success. */
export function deleteImageSet(conn: ResolvedConnection, datastoreId: string, imageSetId: string, opts: RunOptions): Promise<void> {
  return serialised([`set:${imageSetId}`], async () => {
    const reads = imagingClient(conn, "read");
    const once = imagingClient(conn, "once");
    const pacer = pacerFor(conn.endpoint, "DeleteImageSet");
    for (;;) {
      const set = await findImageSet(reads, datastoreId, imageSetId);
      if (!set) return;
      if (set.imageSetWorkflowStatus === "DELETING") break;
      if (set.imageSetState === "LOCKED") {
        await unlocked(reads, datastoreId, imageSetId, "deleted", opts);
        continue;
      }
      if (Date.now() >= opts.deadline) throw new Error(`timed out before deleting image set ${imageSetId}`);
      const grant = await pacer.acquire();
      try {
        await once.send(new (sdk().DeleteImageSetCommand)({ datastoreId, imageSetId }));
        pacer.succeeded();
        break;
      } catch (e) {
        if (isNotFound(e)) return;
        if (isThrottling(e)) pacer.throttled(grant);
        else if (isConflict(e)) await sleep(200);
        else if (certainlyRejected(e)) throw new Error(describe("DeleteImageSet", e));
        // ambiguous: the loop looks at the image set again
      }
    }
    const model = durationsOf("delete", conn);
    const startedAt = Date.now();
    await waitFor(
      () => tolerantPoll(async () => {
        const s = await findImageSet(reads, datastoreId, imageSetId);
        return { done: !s, value: undefined, state: s ? `${s.imageSetState}/${s.imageSetWorkflowStatus}` : "DELETED" };
      }),
      { deadline: opts.deadline, startedAt, expectedMs: model.estimate(1), label: `the deletion of image set ${imageSetId}`, log: opts.log },
    );
    model.record(1, Date.now() - startedAt);
  });
}
