// CopyImageSet: synchronous checks, then LOCKED source/destination until the copy finishes
// after a duration that grows with the instances copied (https://docs.aws.amazon.com/healthimaging/latest/devguide/copy-image-set.html).

import { conflict, quotaExceeded, validation } from "../errors";
import { mergeConflict, duplicateInstance } from "./consistency";
import type { ImageSetDocument } from "./document";
import type { ImageSetRecord, PendingWork, VersionRecord } from "./records";
import { countFrames, mergeDocument, parseCopiableAttributes, requestedSeries, selectAll, subsetDocument } from "./selection";
import type { Service } from "./service";
import type { Changed } from "./store";

export interface CopyRequest {
  datastoreId: string;
  sourceImageSetId: string;
  sourceLatestVersionId: string;
  copiableAttributes?: string;
  destination?: { imageSetId: string; latestVersionId: string };
  force: boolean;
  promoteToPrimary: boolean;
}

export interface CopyResult {
  source: ImageSetRecord;
  destination: ImageSetRecord;
}

export function assertWritable(set: ImageSetRecord, role: string): void {
  if (set.state === "LOCKED") throw conflict(`The ${role} image set ${set.imageSetId} is locked (${set.workflowStatus}); wait until it is ACTIVE.`);
}

export function assertLatest(set: ImageSetRecord, versionId: string, member: string): void {
  if (set.latestVersionId !== versionId) {
    throw conflict(`${member} ${versionId} is not the latest version of image set ${set.imageSetId} (latest is ${set.latestVersionId}).`);
  }
}

export function activeOperations(svc: Service, datastoreId: string): number {
  return svc.state.pending.filter((w) => w.datastoreId === datastoreId && w.kind !== "import" && w.kind !== "datastore").length;
}

export function copyImageSet(svc: Service, req: CopyRequest): CopyResult {
  const source = svc.imageSet(req.datastoreId, req.sourceImageSetId, true);
  if (req.destination?.imageSetId === source.imageSetId) throw validation("The source and destination image sets must be different.");
  if (req.destination && req.promoteToPrimary) {
    // Promotion returns a new primary image set id, so it cannot target an existing set (inferred).
    throw validation("promoteToPrimary cannot be combined with destinationImageSet.");
  }
  const dest = req.destination ? svc.imageSet(req.datastoreId, req.destination.imageSetId, true) : undefined;
  if (svc.options.lockSourceDuringCopy || source.workflowStatus !== "COPYING_WITH_READ_ONLY_ACCESS") assertWritable(source, "source");
  assertLatest(source, req.sourceLatestVersionId, "sourceImageSet.latestVersionId");
  if (dest && req.destination) {
    assertWritable(dest, "destination");
    assertLatest(dest, req.destination.latestVersionId, "destinationImageSet.latestVersionId");
  }

  // Only the series the copy names are read, so a subset's cost does not grow with the source.
  const sourceVersion = svc.version(source).docVersionId;
  const sourceDoc =
    req.copiableAttributes === undefined
      ? svc.store.readDocument(source.imageSetId, sourceVersion)
      : svc.store.readDocumentSeries(source.imageSetId, sourceVersion, requestedSeries(req.copiableAttributes));
  const selection = req.copiableAttributes === undefined ? selectAll(sourceDoc) : parseCopiableAttributes(req.copiableAttributes, sourceDoc);
  const { instances, frames } = countFrames(sourceDoc, selection);
  const quotas = svc.profile.quotas;
  if (frames > quotas.maxFramesPerCopy) {
    throw quotaExceeded(`The copy would copy ${frames} image frames; the quota is ${quotas.maxFramesPerCopy} image frames per CopyImageSet request.`);
  }
  if (activeOperations(svc, req.datastoreId) >= quotas.maxConcurrentPerDatastore) {
    throw quotaExceeded(`The datastore already has ${quotas.maxConcurrentPerDatastore} concurrent operations in progress.`);
  }
  if (req.promoteToPrimary) assertPromotable(svc, source, selection);

  const now = svc.now();
  const dueAt = now + svc.profile.timings.copyMsBase + instances * svc.profile.timings.copyMsPerInstance;
  let destination: ImageSetRecord;
  let failure: string | undefined;
  if (dest) {
    const destDoc = svc.store.readDocument(dest.imageSetId, svc.version(dest).docVersionId);
    failure =
      duplicateInstance(destDoc, selection) ??
      secondSeriesInPrimary(dest, destDoc, selection) ??
      (req.force ? undefined : mergeConflict(sourceDoc, destDoc, selection));
    const versionId = String(Number(dest.latestVersionId) + 1);
    if (!failure) svc.store.writeDocument(mergeDocument(destDoc, sourceDoc, selection), versionId);
    dest.versions.push(newVersion(versionId, now, dest.isPrimary, failure ? svc.version(dest).docVersionId : versionId, req.force));
    destination = dest;
  } else {
    const imageSetId = svc.newId();
    svc.store.writeDocument(subsetDocument(sourceDoc, selection, req.datastoreId, imageSetId), "1");
    destination = {
      imageSetId,
      datastoreId: req.datastoreId,
      imageSetArn: svc.imageSetArn(req.datastoreId, imageSetId),
      state: "LOCKED",
      workflowStatus: "COPYING",
      latestVersionId: "1",
      isPrimary: req.promoteToPrimary,
      createdAt: now,
      updatedAt: now,
      tags: {},
      versions: [newVersion("1", now, req.promoteToPrimary, "1", req.force)],
      studyInstanceUid: source.studyInstanceUid,
    };
    svc.state.imageSets[imageSetId] = destination;
  }
  failure ??= svc.faults.takeCopyFailure();
  // a touch of the replicated image set only: the source stays in its tier (model/tiers.ts)
  destination.lastAccessedAt = now;
  lock(destination, "COPYING", now);
  destination.latestVersionId = destination.versions[destination.versions.length - 1].versionId;
  lock(source, "COPYING_WITH_READ_ONLY_ACCESS", now);
  svc.enqueue({
    kind: "copy",
    id: svc.newId(),
    dueAt,
    datastoreId: req.datastoreId,
    sourceId: source.imageSetId,
    destId: destination.imageSetId,
    destVersionId: destination.latestVersionId,
    failure,
  });
  svc.store.commit(source, destination);
  return { source, destination };
}

/**
 * Promotion (promoteToPrimary) makes a new primary image set, and a series has at most one
 * (https://docs.aws.amazon.com/healthimaging/latest/devguide/update-image-set-metadata.html
 * deletes the old primary before promoting its replacement). Refusing with a ConflictException
 * while the series still has a primary set, and refusing to promote more than one series into
 * one primary set, is inferred: the docs are silent on both.
 */
function assertPromotable(svc: Service, source: ImageSetRecord, selection: Record<string, string[]>): void {
  const series = Object.keys(selection);
  if (series.length !== 1)
    throw validation(`promoteToPrimary needs exactly one series (a primary image set holds one series); the copy names ${series.length}.`);
  const other = Object.values(svc.state.imageSets).find(
    (s) =>
      s.datastoreId === source.datastoreId &&
      s.isPrimary &&
      s.state !== "DELETED" &&
      s.studyInstanceUid === source.studyInstanceUid &&
      series[0] in svc.store.readDocument(s.imageSetId, svc.version(s).docVersionId).Study.Series,
  );
  if (other) {
    throw conflict(`A primary image set (${other.imageSetId}) already exists for series ${series[0]}; delete it before promoting another one.`);
  }
}

/**
 * Image sets "resemble a DICOM Series" and an import makes one primary set per series
 * (https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-image-sets.html), so a
 * copy that would add another series to a primary destination fails even with force (inferred:
 * the docs are silent). Into a non-primary destination, another series of the study is accepted
 * with force and that image set then holds two series (inferred); without force it fails with the
 * "Series of SourceImageSet and DestinationImageSet don't match" message of the AWS CLI's
 * list-image-set-versions example (mergeConflict).
 */
function secondSeriesInPrimary(dest: ImageSetRecord, destDoc: ImageSetDocument, selection: Record<string, string[]>): string | undefined {
  if (!dest.isPrimary) return undefined;
  const added = Object.keys(selection).filter((uid) => !(uid in destDoc.Study.Series));
  return added.length ? `INVALID_REQUEST:  A primary image set holds one series; series ${added[0]} cannot be added to it.` : undefined;
}

function newVersion(versionId: string, now: number, isPrimary: boolean, docVersionId: string, forced: boolean): VersionRecord {
  return { versionId, workflowStatus: "COPYING", createdAt: now, updatedAt: now, isPrimary, docVersionId, ...(forced ? { forced: true } : {}) };
}

export function lock(set: ImageSetRecord, status: ImageSetRecord["workflowStatus"], now: number): void {
  set.state = "LOCKED";
  set.workflowStatus = status;
  set.updatedAt = now;
}

export function completeCopy(svc: Service, work: PendingWork): Changed[] {
  if (work.kind !== "copy") return [];
  const now = svc.now();
  const dest = svc.state.imageSets[work.destId];
  const version = dest.versions.find((v) => v.versionId === work.destVersionId)!;
  if (work.failure) {
    version.workflowStatus = "COPY_FAILED";
    version.message = work.failure;
    // a failed version keeps the previous content (a new set that failed keeps its own copy)
    if (version.docVersionId === version.versionId && dest.versions.length > 1) version.docVersionId = dest.versions[dest.versions.length - 2].docVersionId;
  } else {
    version.workflowStatus = "COPIED";
  }
  version.updatedAt = now;
  unlock(dest, version.workflowStatus, now);
  const source = svc.state.imageSets[work.sourceId];
  // the source stays locked while another copy from it is still running
  if (!svc.state.pending.some((w) => w.kind === "copy" && w.sourceId === source.imageSetId)) unlock(source, "COPIED", now);
  return [dest, source];
}

export function unlock(set: ImageSetRecord, status: ImageSetRecord["workflowStatus"], now: number): void {
  if (set.state === "DELETED") return;
  set.state = "ACTIVE";
  set.workflowStatus = status;
  set.updatedAt = now;
}

/** Document of a finished copy's destination, for callers that need it (tests, search). */
export function documentOf(svc: Service, set: ImageSetRecord, versionId?: string): ImageSetDocument {
  return svc.store.readDocument(set.imageSetId, svc.version(set, versionId).docVersionId);
}
