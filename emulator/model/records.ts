// Persistent records of the local service. Everything here is plain JSON: it is written to disk
// as is. Timestamps are epoch milliseconds; the HTTP layer renders them as epoch seconds.

export type ImageSetState = "ACTIVE" | "LOCKED" | "DELETED";
export type WorkflowStatus =
  | "CREATED"
  | "COPIED"
  | "COPYING"
  | "COPYING_WITH_READ_ONLY_ACCESS"
  | "COPY_FAILED"
  | "UPDATING"
  | "UPDATING_FOR_STUDY_CONSISTENCY"
  | "UPDATED"
  | "UPDATE_FAILED"
  | "DELETING"
  | "DELETED"
  | "IMPORTING"
  | "IMPORTED"
  | "IMPORT_FAILED";
export type DatastoreStatus = "CREATING" | "CREATE_FAILED" | "ACTIVE" | "DELETING" | "DELETED";
export type JobStatus = "SUBMITTED" | "IN_PROGRESS" | "COMPLETED" | "FAILED";

export interface DatastoreRecord {
  datastoreId: string;
  datastoreName: string;
  datastoreStatus: DatastoreStatus;
  datastoreArn: string;
  kmsKeyArn?: string;
  lambdaAuthorizerArn?: string;
  losslessStorageFormat: string;
  clientToken: string;
  createdAt: number;
  updatedAt: number;
  tags: Record<string, string>;
}

export interface VersionRecord {
  versionId: string;
  workflowStatus: WorkflowStatus;
  createdAt: number;
  updatedAt: number;
  message?: string;
  forced?: boolean;
  isPrimary: boolean;
  /** version whose metadata document this version holds (failed versions keep the previous one) */
  docVersionId: string;
}

export interface ImageSetRecord {
  imageSetId: string;
  datastoreId: string;
  imageSetArn: string;
  state: ImageSetState;
  workflowStatus: WorkflowStatus;
  latestVersionId: string;
  isPrimary: boolean;
  createdAt: number;
  updatedAt: number;
  deletedAt?: number;
  /** last read of the image set's data (metadata or frames); saved with the next commit, not on each read */
  lastAccessedAt?: number;
  tags: Record<string, string>;
  /** newest last */
  versions: VersionRecord[];
  /** StudyInstanceUID of the document, kept here so search and primary checks need no document read */
  studyInstanceUid: string;
}

export interface JobRecord {
  jobId: string;
  jobName?: string;
  jobStatus: JobStatus;
  datastoreId: string;
  dataAccessRoleArn: string;
  inputS3Uri: string;
  outputS3Uri: string;
  submittedAt: number;
  endedAt?: number;
  message?: string;
  clientToken: string;
  /** as sent (valid for the model); stored and returned, the import itself does not use it yet */
  importConfiguration?: Record<string, unknown>;
}

/** Asynchronous work accepted but not finished. Survives restarts: it is finished after one. */
export type PendingWork =
  | { kind: "copy"; id: string; dueAt: number; datastoreId: string; sourceId: string; destId: string; destVersionId: string; failure?: string }
  | { kind: "update"; id: string; dueAt: number; datastoreId: string; imageSetId: string; versionId: string; failure?: string }
  | { kind: "delete"; id: string; dueAt: number; datastoreId: string; imageSetId: string }
  | { kind: "import"; id: string; dueAt: number; datastoreId: string; jobId: string }
  | { kind: "datastore"; id: string; dueAt: number; datastoreId: string; to: "ACTIVE" | "DELETED" };

export interface ServiceState {
  formatVersion: 1;
  datastores: Record<string, DatastoreRecord>;
  imageSets: Record<string, ImageSetRecord>;
  jobs: Record<string, JobRecord>;
  pending: PendingWork[];
}

export function emptyState(): ServiceState {
  return { formatVersion: 1, datastores: {}, imageSets: {}, jobs: {}, pending: [] };
}
