// The states a write waits through, by operation: explicit lists, as terraform-provider-aws waiters
// declare pending and target states. Statuses from ImageSetWorkflowStatus in the service model
// (https://docs.aws.amazon.com/healthimaging/latest/APIReference/API_GetImageSet.html#API_GetImageSet_ResponseSyntax).
// LOCKED is what the service says about work in progress: a status in the pending list (or a newer
// one in no list) is waited out while the image set is LOCKED; once it is not, the write is settled
// (inferred: the guide shows versions keep their last workflow status after the lock is released).

import type { ImageSet } from "./find";

/** Pending, target and failed workflow statuses of one kind of write. */
export interface WriteStates {
  pending: readonly string[];
  target: readonly string[];
  failed: readonly string[];
}

export const COPY_STATES: WriteStates = { pending: ["COPYING", "COPYING_WITH_READ_ONLY_ACCESS"], target: ["COPIED"], failed: ["COPY_FAILED"] };
export const UPDATE_STATES: WriteStates = { pending: ["UPDATING", "UPDATING_FOR_STUDY_CONSISTENCY"], target: ["UPDATED"], failed: ["UPDATE_FAILED"] };
export const DELETE_STATES: WriteStates = { pending: ["DELETING"], target: ["DELETED"], failed: ["DELETE_FAILED"] };

/** True when the image set (at the version written) has left the pending states: target, failed, or unlocked. */
export function settled(states: WriteStates, set: ImageSet): boolean {
  const status = set.imageSetWorkflowStatus ?? "";
  if (states.target.includes(status) || states.failed.includes(status)) return true;
  return set.imageSetState !== "LOCKED";
}
