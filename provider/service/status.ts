// Status functions and state lists for the one waiter (wait.ts waitForState), the way
// terraform-provider-aws splits status.go from wait.go. Statuses come from ImageSetState and
// ImageSetWorkflowStatus in the service model
// (https://docs.aws.amazon.com/healthimaging/latest/APIReference/API_GetImageSet.html#API_GetImageSet_ResponseSyntax).
// A LOCKED image set is work in progress whatever its workflow status says (a newer status the
// SDK passes through included); once unlocked, the version written carries its final workflow
// status (inferred: the guide's version listings show COPIED / COPY_FAILED / UPDATED stay).

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { findImageSet, type ImageSet } from "./find";

/** The states a wait passes through: keep polling, done, or failed (anything else is unexpected). */
export interface StateLists {
  pending: readonly string[];
  target: readonly string[];
  failed: readonly string[];
}

/** Pseudo-states of the status functions below. */
export const LOCKED = "LOCKED";
export const GONE = "GONE";
/** unlocked, with a workflow status that no list names (an older copy's version, a newer status) */
export const UNLOCKED = "UNLOCKED";

export const COPY: StateLists = { pending: [LOCKED], target: ["COPIED", UNLOCKED], failed: ["COPY_FAILED", GONE] };
export const UPDATE: StateLists = { pending: [LOCKED], target: ["UPDATED", UNLOCKED], failed: ["UPDATE_FAILED", GONE] };
export const DELETE: StateLists = { pending: [LOCKED, "DELETING"], target: [GONE, "DELETED"], failed: ["DELETE_FAILED"] };
/** Someone else's copy or update holds the image set: wait until it is writable again. */
export const WRITABLE: StateLists = {
  pending: [LOCKED],
  target: ["COPIED", "UPDATED", "IMPORTED", "CREATED", "COPY_FAILED", "UPDATE_FAILED", UNLOCKED],
  failed: [GONE],
};

const NAMED = new Set([...COPY.target, ...COPY.failed, ...UPDATE.target, ...UPDATE.failed, ...WRITABLE.target, ...DELETE.failed]);

/** Whatever a write ended in, once the version is no longer LOCKED: for judging someone's version, not one's own write. */
export const SETTLED: StateLists = { pending: [LOCKED], target: [...NAMED, GONE], failed: [] };

/** One image set (optionally one version of it) as a waiter sees it. */
export function imageSetStatus(
  client: MedicalImagingClient,
  datastoreId: string,
  imageSetId: string,
  versionId?: string,
): () => Promise<{ value: ImageSet | undefined; state: string }> {
  return async () => {
    const set = await findImageSet(client, datastoreId, imageSetId, versionId);
    return { value: set, state: stateOf(set) };
  };
}

export function stateOf(set: ImageSet | undefined): string {
  if (!set) return GONE;
  const status = set.imageSetWorkflowStatus ?? "";
  if (status === "DELETING") return "DELETING";
  if (set.imageSetState === "LOCKED") return LOCKED;
  return NAMED.has(status) ? status : UNLOCKED;
}
