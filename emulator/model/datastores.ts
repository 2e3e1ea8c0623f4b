// Data stores: CREATING -> ACTIVE shortly after creation; DELETING -> DELETED. Creation is
// idempotent per clientToken; a data store with live image sets cannot be deleted.

import { conflict, quotaExceeded } from "../errors";
import type { DatastoreRecord, PendingWork } from "./records";
import type { Service } from "./service";
import type { Changed } from "./store";

export interface CreateDatastoreRequest {
  datastoreName?: string;
  clientToken: string;
  tags: Record<string, string>;
  kmsKeyArn?: string;
  lambdaAuthorizerArn?: string;
  losslessStorageFormat?: string;
}

export function createDatastore(svc: Service, req: CreateDatastoreRequest): DatastoreRecord {
  const existing = Object.values(svc.state.datastores).find((d) => d.clientToken === req.clientToken);
  if (existing) return existing;
  const live = Object.values(svc.state.datastores).filter((d) => d.datastoreStatus !== "DELETED").length;
  if (live >= svc.profile.quotas.maxDatastores)
    throw quotaExceeded(`The account already has ${live} data stores; the quota is ${svc.profile.quotas.maxDatastores}.`);
  const now = svc.now();
  const datastoreId = svc.newId();
  const ds: DatastoreRecord = {
    datastoreId,
    datastoreName: req.datastoreName ?? datastoreId,
    datastoreStatus: "CREATING",
    datastoreArn: svc.datastoreArn(datastoreId),
    kmsKeyArn: req.kmsKeyArn,
    lambdaAuthorizerArn: req.lambdaAuthorizerArn,
    losslessStorageFormat: req.losslessStorageFormat ?? "HTJ2K",
    clientToken: req.clientToken,
    createdAt: now,
    updatedAt: now,
    tags: req.tags,
  };
  svc.state.datastores[datastoreId] = ds;
  svc.enqueue({ kind: "datastore", id: svc.newId(), dueAt: now + svc.profile.timings.datastoreMs, datastoreId, to: "ACTIVE" });
  svc.store.commit(ds);
  return ds;
}

export function deleteDatastore(svc: Service, datastoreId: string): DatastoreRecord {
  const ds = svc.datastore(datastoreId);
  if (ds.datastoreStatus !== "ACTIVE") throw conflict(`Datastore ${datastoreId} is ${ds.datastoreStatus}.`);
  const live = Object.values(svc.state.imageSets).some((s) => s.datastoreId === datastoreId && s.state !== "DELETED");
  if (live) throw conflict(`Datastore ${datastoreId} still has image sets; delete them first.`);
  if (svc.state.pending.some((w) => w.datastoreId === datastoreId)) throw conflict(`Datastore ${datastoreId} has operations in progress.`);
  const now = svc.now();
  ds.datastoreStatus = "DELETING";
  ds.updatedAt = now;
  svc.enqueue({ kind: "datastore", id: svc.newId(), dueAt: now + svc.profile.timings.datastoreMs, datastoreId, to: "DELETED" });
  svc.store.commit(ds);
  return ds;
}

export function completeDatastore(svc: Service, work: PendingWork): Changed[] {
  if (work.kind !== "datastore") return [];
  const ds = svc.state.datastores[work.datastoreId];
  ds.datastoreStatus = work.to;
  ds.updatedAt = svc.now();
  return [ds];
}

export function assertActive(ds: DatastoreRecord): void {
  if (ds.datastoreStatus !== "ACTIVE") throw conflict(`Datastore ${ds.datastoreId} is ${ds.datastoreStatus}, not ACTIVE.`);
}
