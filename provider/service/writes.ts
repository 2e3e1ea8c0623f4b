// UpdateImageSetMetadata and DeleteImageSet through the write engine (service/writeEngine.ts),
// serialised per image set, then waited for until the image set leaves its pending states.

import type { UpdateImageSetMetadataCommandInput } from "@aws-sdk/client-medical-imaging";
import { type ResolvedConnection, imagingClient, sdk } from "./client";
import { isNotFound } from "./errors";
import { findImageSet } from "./find";
import { serialised } from "./pace";
import { patiently, type RunOptions, tolerantPoll, unlocked } from "./reads";
import { DELETE_STATES, settled, UPDATE_STATES } from "./states";
import { runWrite } from "./writeEngine";
import { MadeTagError, madeTagFailure, recordMadeVersionsOf } from "../recovery/madeVersions";
import { durationsOf, waitFor } from "./wait";

export type MetadataChange = { removableAttributes: string } | { updatableAttributes: string } | { revertToVersionId: string };

export interface UpdateTarget {
  datastoreId: string;
  imageSetId: string;
  force?: boolean;
  /** record the new version as made by the stack (explains it to drift detection) */
  ownerTag?: string;
  /** "required" (default): a failed tag is an error (MadeTagError, after the write completed); "best-effort": logged */
  tagging?: "required" | "best-effort";
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
      // A repeat would carry the stale latestVersion and be refused, so looking is enough: the
      // version after ours means it was applied, the same version means it was not.
      async recover(e) {
        const now = await patiently(
          () => findImageSet(reads, target.datastoreId, target.imageSetId),
          opts,
          `UpdateImageSetMetadata on image set ${target.imageSetId}: ${(e as Error).message}`,
        );
        if (now && Number(now.versionId) === Number(before) + 1) return { made: now.versionId! };
        if (now && now.versionId === before) return "not-made";
        return "unknown";
      },
      conflictHint: `Another writer may hold image set ${target.imageSetId}; run \`pulumi refresh\` and try again.`,
    },
    opts,
  );
  const tagError = target.ownerTag ? await recordMade(conn, target, versionId) : undefined;
  const model = durationsOf("update", conn);
  const { value } = await waitFor(
    () =>
      tolerantPoll(async () => {
        const s = await findImageSet(reads, target.datastoreId, target.imageSetId, versionId);
        if (!s) throw new Error(`image set ${target.imageSetId} disappeared during an update`);
        return { done: settled(UPDATE_STATES, s), value: s, state: `${s.imageSetState}/${s.imageSetWorkflowStatus}` };
      }),
    {
      deadline: opts.deadline,
      startedAt,
      expectedMs: model.estimate(1),
      label: `the update of image set ${target.imageSetId} (version ${versionId})`,
      log: opts.log,
    },
  );
  if (UPDATE_STATES.failed.includes(value.imageSetWorkflowStatus ?? ""))
    throw new Error(`UpdateImageSetMetadata failed: ${value.message ?? "the service gave no message"}`);
  model.record(1, Date.now() - startedAt);
  if (tagError) {
    if (target.tagging === "best-effort") opts.log(tagError);
    else throw new MadeTagError(versionId, tagError);
  }
  return versionId;
}

/** Records a version the stack made in the image set's tag; the failure's message, or undefined. */
async function recordMade(conn: ResolvedConnection, target: UpdateTarget, versionId: string): Promise<string | undefined> {
  try {
    await recordMadeVersionsOf(imagingClient(conn), target.datastoreId, target.imageSetId, [versionId]);
    return undefined;
  } catch (e) {
    return madeTagFailure(target.imageSetId, versionId, e);
  }
}

/** Delete and wait until DELETED; an image set that is already gone (or going) is success. */
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
          if (set?.imageSetState === "LOCKED" && set.imageSetWorkflowStatus !== "DELETING") {
            await unlocked(reads, datastoreId, imageSetId, "deleted", opts);
            set = await findImageSet(reads, datastoreId, imageSetId);
          }
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
    await waitFor(
      () =>
        tolerantPoll(async () => {
          const s = await findImageSet(reads, datastoreId, imageSetId);
          if (s && DELETE_STATES.failed.includes(s.imageSetWorkflowStatus ?? ""))
            throw new Error(`DeleteImageSet failed: ${s.message ?? "the service gave no message"}`);
          return { done: !s, value: undefined, state: s ? `${s.imageSetState}/${s.imageSetWorkflowStatus}` : "DELETED" };
        }),
      { deadline: opts.deadline, startedAt, expectedMs: model.estimate(1), label: `the deletion of image set ${imageSetId}`, log: opts.log },
    );
    model.record(1, Date.now() - startedAt);
  });
}
