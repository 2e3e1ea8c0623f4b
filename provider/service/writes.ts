// UpdateImageSetMetadata and DeleteImageSet through the write engine (service/writeEngine.ts),
// serialised per image set, each ending with one call to the waiter. Recording what was made is
// the caller's (recovery/records.ts).

import type { UpdateImageSetMetadataCommandInput } from "@aws-sdk/client-medical-imaging";
import { type ResolvedConnection, imagingClient, sdk } from "./client";
import { isNotFound } from "./errors";
import { findImageSet, findMetadata, type ImageSet } from "./find";
import { instancesOf } from "../subset/copiable";
import { serialised } from "./pace";
import { patiently, type RunOptions, settledVersion, unlocked } from "./reads";
import { DELETE, imageSetStatus, UPDATE } from "./status";
import { runWrite } from "./writeEngine";
import { durationsOf, WaitFailed, waitForState } from "./wait";

export type MetadataChange = { removableAttributes: string } | { updatableAttributes: string } | { revertToVersionId: string };

export interface UpdateTarget {
  datastoreId: string;
  imageSetId: string;
  force?: boolean;
}

/** Apply one change; returns the new version id once the update finished. Queued per image set. */
export function updateMetadata(conn: ResolvedConnection, target: UpdateTarget, change: MetadataChange, opts: RunOptions): Promise<string> {
  return serialised([`set:${target.imageSetId}`], () => updateMetadataInQueue(conn, target, change, opts));
}

/**
 * updateMetadata for a caller already holding the image set's queue (serialised on `set:<id>`),
 * which decides the change from what it read inside the queue (an undo of a merge).
 */
export async function updateMetadataInQueue(conn: ResolvedConnection, target: UpdateTarget, change: MetadataChange, opts: RunOptions): Promise<string> {
  const reads = imagingClient(conn, "read");
  const once = imagingClient(conn, "once");
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
  let before = "";
  let startedAt = Date.now();
  const versionId = await runWrite<string>(
    conn,
    {
      operation: "UpdateImageSetMetadata",
      datastoreId: target.datastoreId,
      async prepare() {
        const current = await unlocked(reads, target.datastoreId, target.imageSetId, "target", opts);
        before = current.versionId!;
        // force overrides constraints only on non-primary image sets: never sent to a primary one
        // (https://docs.aws.amazon.com/healthimaging/latest/devguide/update-image-set-metadata.html)
        const force = target.force && !current.isPrimary ? true : undefined;
        return {
          watched: [{ imageSetId: target.imageSetId, versionId: before, role: "target" }],
          send: async () => {
            startedAt = Date.now();
            const out = await once.send(
              new (sdk().UpdateImageSetMetadataCommand)({
                datastoreId: target.datastoreId,
                imageSetId: target.imageSetId,
                latestVersionId: before,
                force,
                updateImageSetMetadataUpdates: updates,
              }),
            );
            return out.latestVersionId!;
          },
        };
      },
      // A repeat would carry the stale latestVersion and be refused, so looking is enough. Applied,
      // it can only be the version right after the one it was sent against; that version is ours
      // only when an update made it and it holds what the change makes (someone else's update in
      // between would have taken that number and refused ours). No such version: not applied.
      async recover(e) {
        const label = `UpdateImageSetMetadata on image set ${target.imageSetId}: ${(e as Error).message}`;
        try {
          const candidate = String(Number(before) + 1);
          const found = await patiently(() => findImageSet(reads, target.datastoreId, target.imageSetId, candidate), opts, label);
          if (found === undefined) return "not-made";
          // its content is readable once the update that made it ended
          const next = await settledVersion(reads, target.datastoreId, target.imageSetId, candidate, opts);
          if (next?.imageSetWorkflowStatus !== "UPDATED") return "unknown";
          return (await patiently(() => holdsChange(reads, target, before, candidate, change), opts, label)) ? { made: candidate } : "unknown";
        } catch {
          return "unknown";
        }
      },
      conflictHint: `Another writer may hold image set ${target.imageSetId}; run \`pulumi refresh\` and try again.`,
    },
    opts,
  );
  const model = durationsOf("update", conn);
  let done: ImageSet | undefined;
  try {
    done = await waitForState({
      refresh: imageSetStatus(reads, target.datastoreId, target.imageSetId, versionId),
      ...UPDATE,
      outlastOutages: true,
      deadline: opts.deadline,
      startedAt,
      expectedMs: model.estimate(1),
      label: `the update of image set ${target.imageSetId} (version ${versionId})`,
      log: opts.log,
    });
  } catch (e) {
    if (!(e instanceof WaitFailed)) throw e;
    const failed = e.value as ImageSet | undefined;
    throw new Error(
      failed
        ? `UpdateImageSetMetadata failed: ${failed.message ?? "the service gave no message"}`
        : `image set ${target.imageSetId} disappeared during an update`,
    );
  }
  model.record(1, Date.now() - startedAt);
  return done?.versionId ?? versionId;
}

/** Whether `versionId` holds what `change`, applied to `before`, makes: the reverted-to document, or none of the removed instances. */
async function holdsChange(
  client: ReturnType<typeof imagingClient>,
  target: UpdateTarget,
  before: string,
  versionId: string,
  change: MetadataChange,
): Promise<boolean> {
  const now = await findMetadata(client, target.datastoreId, target.imageSetId, versionId);
  if ("revertToVersionId" in change) {
    const was = await findMetadata(client, target.datastoreId, target.imageSetId, change.revertToVersionId);
    return JSON.stringify(was.Study) === JSON.stringify(now.Study) && JSON.stringify(was.Patient) === JSON.stringify(now.Patient);
  }
  if ("removableAttributes" in change) {
    const removed = instancesOf(JSON.parse(change.removableAttributes));
    const held = instancesOf(now);
    const had = instancesOf(await findMetadata(client, target.datastoreId, target.imageSetId, before));
    return Object.entries(removed).every(([series, uids]) => uids.every((u) => had[series]?.includes(u) && !held[series]?.includes(u)));
  }
  return false; // an attribute edit: nothing in the new version tells it from someone else's
}

/** Delete and wait until it is gone; an image set that is already gone (or going) is success. */
export function deleteImageSet(conn: ResolvedConnection, datastoreId: string, imageSetId: string, opts: RunOptions): Promise<void> {
  return serialised([`set:${imageSetId}`], async () => {
    const reads = imagingClient(conn, "read");
    const once = imagingClient(conn, "once");
    await runWrite<void>(
      conn,
      {
        operation: "DeleteImageSet",
        datastoreId,
        async prepare() {
          let set = await findImageSet(reads, datastoreId, imageSetId);
          if (set?.imageSetState === "LOCKED" && set.imageSetWorkflowStatus !== "DELETING")
            set = await unlocked(reads, datastoreId, imageSetId, "deleted", opts);
          if (!set || set.imageSetWorkflowStatus === "DELETING") return { done: undefined };
          return {
            watched: [{ imageSetId, versionId: set.versionId!, role: "deleted" }],
            send: async () => {
              try {
                await once.send(new (sdk().DeleteImageSetCommand)({ datastoreId, imageSetId }));
              } catch (e) {
                if (!isNotFound(e)) throw e; // already gone: what we wanted
              }
            },
          };
        },
        // Deleting twice is harmless: prepare looks again and finds it gone, going, or still there.
        recover: async () => "not-made",
      },
      opts,
    );
    const model = durationsOf("delete", conn);
    const startedAt = Date.now();
    await waitForState({
      refresh: imageSetStatus(reads, datastoreId, imageSetId),
      ...DELETE,
      outlastOutages: true,
      deadline: opts.deadline,
      startedAt,
      expectedMs: model.estimate(1),
      label: `the deletion of image set ${imageSetId}`,
      log: opts.log,
    }).catch((e) => {
      if (!(e instanceof WaitFailed)) throw e;
      throw new Error(`DeleteImageSet failed: ${(e.value as ImageSet | undefined)?.message ?? "the service gave no message"}`);
    });
    model.record(1, Date.now() - startedAt);
  });
}
