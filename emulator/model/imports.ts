// DICOM import jobs. inputS3Uri s3://bucket/prefix/ is read from <s3Root>/bucket/prefix/ and the
// job output (manifest, SUCCESS/FAILURE ndjson) is written under <s3Root> like the real service
// writes to S3. Consistent instances join their series' primary image set (a new version of it
// when it exists); conflicting ones land in new non-primary sets (see model notes in group.ts).

import * as fs from "node:fs";
import * as path from "node:path";
import { validation } from "../errors";
import type { ImageSetDocument } from "./document";
import { documentGroupingConflict } from "./grouping";
import { assertActive } from "./datastores";
import type { ImageSetRecord, JobRecord, PendingWork } from "./records";
import { mergeDocument, selectAll } from "./selection";
import type { Service } from "./service";
import type { Changed } from "./store";

export interface StartImportRequest {
  datastoreId: string;
  jobName?: string;
  dataAccessRoleArn: string;
  clientToken: string;
  inputS3Uri: string;
  outputS3Uri: string;
  importConfiguration?: Record<string, unknown>;
}

export function startImport(svc: Service, req: StartImportRequest): JobRecord {
  const ds = svc.datastore(req.datastoreId);
  assertActive(ds);
  const same = Object.values(svc.state.jobs).find((j) => j.datastoreId === req.datastoreId && j.clientToken === req.clientToken);
  if (same) return same;
  const now = svc.now();
  const job: JobRecord = { ...req, jobId: svc.newId(), jobStatus: "SUBMITTED", submittedAt: now };
  svc.state.jobs[job.jobId] = job;
  const files = countFiles(s3Path(svc, req.inputS3Uri));
  const timings = svc.profile.timings;
  svc.enqueue({
    kind: "import",
    id: svc.newId(),
    dueAt: now + timings.importMsBase + files * timings.importMsPerFile,
    datastoreId: req.datastoreId,
    jobId: job.jobId,
  });
  svc.store.commit(job);
  return job;
}

export function s3Path(svc: Service, uri: string): string {
  if (!svc.options.s3Root) throw validation("This local service was started without --s3-root, so it cannot read s3:// URIs.");
  const rest = uri.replace(/^s3:\/\//, "");
  const resolved = path.resolve(svc.options.s3Root, rest);
  if (!resolved.startsWith(path.resolve(svc.options.s3Root))) throw validation(`Invalid S3 URI ${uri}.`);
  return resolved;
}

function countFiles(dir: string): number {
  try {
    return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
  } catch {
    return 0;
  }
}

export function jobOutputUri(job: JobRecord): string {
  return `${job.outputS3Uri.replace(/\/?$/, "/")}${job.datastoreId}-DicomImport-${job.jobId}/`;
}

export function completeImport(svc: Service, work: PendingWork): Changed[] | "everything" {
  if (work.kind !== "import") return [];
  const job = svc.state.jobs[work.jobId];
  const now = svc.now();
  const inputDir = s3Path(svc, job.inputS3Uri);
  if (!fs.existsSync(inputDir)) {
    Object.assign(job, { jobStatus: "FAILED", endedAt: now, message: `Input ${job.inputS3Uri} does not exist or is empty.` });
    return [job];
  }
  // loaded on first import: dcmjs is heavy and most runs never import
  const { importFolder } = require("../dicom/importFolder") as typeof import("../dicom/importFolder");
  const result = importFolder(inputDir, () => svc.newId());
  // A primary set busy with a copy or update cannot take a new version yet: the job waits (inferred).
  if (result.imageSets.some((group) => lockedPrimary(svc, job.datastoreId, group.document))) {
    svc.enqueue({ ...work, id: svc.newId(), dueAt: now + IMPORT_RETRY_MS });
    return [];
  }
  const summaries: ImportSummary[] = [];
  for (const group of result.imageSets) {
    for (const [frameId, bytes] of group.frames) svc.store.writeFrame(frameId, bytes);
    const set =
      addToPrimary(svc, job.datastoreId, group.document, now) ??
      newImportedSet(svc, job.datastoreId, group.document, group.isPrimary && mayBePrimary(svc, job.datastoreId, group.document), now);
    summaries.push({
      imageSetId: set.imageSetId,
      imageSetVersion: Number(set.latestVersionId),
      isPrimary: set.isPrimary,
      numberOfMatchedSOPInstances: group.instanceCount,
    });
  }
  Object.assign(job, { jobStatus: "COMPLETED", endedAt: now });
  writeJobOutput(svc, job, result.scanned, result.imported, result.failures, summaries);
  // new and extended image sets, the job: many records, one snapshot
  return "everything";
}

const IMPORT_RETRY_MS = 50;

interface ImportSummary {
  imageSetId: string;
  imageSetVersion: number;
  isPrimary: boolean;
  numberOfMatchedSOPInstances: number;
}

type ImportedDocument = Omit<ImageSetDocument, "DatastoreID" | "ImageSetID">;

const seriesOf = (document: ImportedDocument): string => Object.keys(document.Study.Series)[0];

/** Live primary image sets of a study, with their latest documents. */
function primariesOfStudy(svc: Service, datastoreId: string, studyUid: string): { set: ImageSetRecord; doc: ImageSetDocument }[] {
  return Object.values(svc.state.imageSets)
    .filter((s) => s.datastoreId === datastoreId && s.isPrimary && s.state !== "DELETED" && s.studyInstanceUid === studyUid)
    .map((set) => ({ set, doc: svc.store.readDocument(set.imageSetId, svc.version(set).docVersionId) }));
}

function primaryOfSeries(svc: Service, datastoreId: string, document: ImportedDocument) {
  const seriesUid = seriesOf(document);
  return primariesOfStudy(svc, datastoreId, String(document.Study.DICOM.StudyInstanceUID ?? "")).find(({ doc }) => seriesUid in doc.Study.Series);
}

function lockedPrimary(svc: Service, datastoreId: string, document: ImportedDocument): boolean {
  return primaryOfSeries(svc, datastoreId, document)?.set.state === "LOCKED";
}

/**
 * A new set is primary when its series has no primary set yet and it agrees with the Patient and
 * Study levels of its study's other primary sets (one consistent Patient/Study/Series hierarchy).
 */
function mayBePrimary(svc: Service, datastoreId: string, document: ImportedDocument): boolean {
  const seriesUid = seriesOf(document);
  return primariesOfStudy(svc, datastoreId, String(document.Study.DICOM.StudyInstanceUID ?? "")).every(
    ({ doc }) => !(seriesUid in doc.Study.Series) && documentGroupingConflict(document, doc) === undefined,
  );
}

/**
 * Instances of a series that already has a primary image set join it as a new version when no
 * grouping element conflicts; an instance imported again overwrites its older copy
 * (https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-import-jobs.html).
 * The set keeps its Patient/Study/Series values (mergeDocument), see model/grouping.ts.
 */
function addToPrimary(svc: Service, datastoreId: string, document: ImportedDocument, now: number): ImageSetRecord | undefined {
  const found = primaryOfSeries(svc, datastoreId, document);
  if (!found) return undefined;
  const { set: primary, doc: existing } = found;
  const incoming: ImageSetDocument = { ...document, DatastoreID: datastoreId, ImageSetID: primary.imageSetId };
  const selection = selectAll(incoming);
  if (documentGroupingConflict(incoming, existing, seriesOf(document))) return undefined;
  const versionId = String(Number(primary.latestVersionId) + 1);
  svc.store.writeDocument(mergeDocument(existing, incoming, selection), versionId);
  primary.versions.push({ versionId, workflowStatus: "IMPORTED", createdAt: now, updatedAt: now, isPrimary: true, docVersionId: versionId });
  // an import into it is a touch (model/tiers.ts)
  Object.assign(primary, { latestVersionId: versionId, workflowStatus: "IMPORTED", updatedAt: now, lastAccessedAt: now });
  return primary;
}

function newImportedSet(svc: Service, datastoreId: string, document: ImportedDocument, isPrimary: boolean, now: number): ImageSetRecord {
  const imageSetId = svc.newId();
  svc.store.writeDocument({ SchemaVersion: "1.1", DatastoreID: datastoreId, ImageSetID: imageSetId, Patient: document.Patient, Study: document.Study }, "1");
  const set: ImageSetRecord = {
    imageSetId,
    datastoreId,
    imageSetArn: svc.imageSetArn(datastoreId, imageSetId),
    state: "ACTIVE",
    workflowStatus: "IMPORTED",
    latestVersionId: "1",
    isPrimary,
    createdAt: now,
    updatedAt: now,
    tags: {},
    versions: [{ versionId: "1", workflowStatus: "IMPORTED", createdAt: now, updatedAt: now, isPrimary, docVersionId: "1" }],
    studyInstanceUid: String(document.Study.DICOM.StudyInstanceUID ?? ""),
  };
  svc.state.imageSets[imageSetId] = set;
  return set;
}

function writeJobOutput(
  svc: Service,
  job: JobRecord,
  scanned: number,
  imported: number,
  failures: { file: string; reason: string }[],
  summaries: ImportSummary[],
): void {
  const prefix = jobOutputUri(job);
  const dir = s3Path(svc, prefix);
  fs.mkdirSync(path.join(dir, "SUCCESS"), { recursive: true });
  fs.mkdirSync(path.join(dir, "FAILURE"), { recursive: true });
  const jobSummary = {
    jobId: job.jobId,
    datastoreId: job.datastoreId,
    inputS3Uri: job.inputS3Uri,
    outputS3Uri: prefix,
    successOutputS3Uri: `${prefix}SUCCESS/`,
    failureOutputS3Uri: `${prefix}FAILURE/`,
    numberOfScannedFiles: scanned,
    numberOfImportedFiles: imported,
    numberOfFilesWithCustomerError: failures.length,
    numberOfFilesWithServerError: 0,
    numberOfGeneratedImageSets: summaries.length,
    imageSetsSummary: summaries,
  };
  fs.writeFileSync(path.join(dir, "job-output-manifest.json"), JSON.stringify({ jobSummary }, null, 2));
  const failureLines = failures.map((f) =>
    JSON.stringify({ inputFile: `${job.inputS3Uri.replace(/\/?$/, "/")}${f.file}`, exception: { exceptionType: "ValidationException", message: f.reason } }),
  );
  fs.writeFileSync(path.join(dir, "FAILURE", "failure.ndjson"), failureLines.map((l) => `${l}\n`).join(""));
  fs.writeFileSync(path.join(dir, "SUCCESS", "success.ndjson"), summaries.map((s) => `${JSON.stringify(s)}\n`).join(""));
}
