// DeleteImageSet: LOCKED/DELETING at once, DELETED/DELETED (with deletedAt) when done.
// Deleting a set that is already deleting or deleted is a ConflictException, which AWS's own
// clean-up sample treats as "already deleted" (https://docs.aws.amazon.com/healthimaging/latest/devguide/delete-image-set.html).

import { conflict, quotaExceeded } from "../errors";
import { activeOperations, assertWritable, lock } from "./copy";
import type { ImageSetRecord, PendingWork } from "./records";
import type { Service } from "./service";
import type { Changed } from "./store";

export function deleteImageSet(svc: Service, datastoreId: string, imageSetId: string): ImageSetRecord {
  const set = svc.imageSet(datastoreId, imageSetId);
  if (set.state === "DELETED" || set.workflowStatus === "DELETING") throw conflict(`Image set ${imageSetId} is already ${set.workflowStatus}.`);
  assertWritable(set, "target");
  if (activeOperations(svc, datastoreId) >= svc.profile.quotas.maxConcurrentPerDatastore) {
    throw quotaExceeded(`The datastore already has ${svc.profile.quotas.maxConcurrentPerDatastore} concurrent operations in progress.`);
  }
  const now = svc.now();
  lock(set, "DELETING", now);
  svc.enqueue({ kind: "delete", id: svc.newId(), dueAt: now + svc.profile.timings.deleteMs, datastoreId, imageSetId });
  svc.store.commit(set);
  return set;
}

export function completeDelete(svc: Service, work: PendingWork): Changed[] {
  if (work.kind !== "delete") return [];
  const set = svc.state.imageSets[work.imageSetId];
  const now = svc.now();
  set.state = "DELETED";
  set.workflowStatus = "DELETED";
  set.updatedAt = now;
  set.deletedAt = now;
  set.isPrimary = false;
  return [set];
}
