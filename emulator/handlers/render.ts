// Records -> wire shapes (the output shapes of emulator/model/service-2.json). Note the capital I
// of ImageSetWorkflowStatus in ListImageSetVersions items only, and that the search summary's
// version is an integer.

import type { DatastoreRecord, ImageSetRecord, JobRecord, VersionRecord } from "../model/records";
import { jobOutputUri } from "../model/imports";
import type { Service } from "../model/service";
import { lastTouched } from "../model/tiers";
import { compact, seconds } from "./context";

export function imageSetProperties(set: ImageSetRecord) {
  return compact({
    imageSetId: set.imageSetId,
    latestVersionId: set.latestVersionId,
    imageSetState: set.state,
    imageSetWorkflowStatus: set.workflowStatus,
    createdAt: seconds(set.createdAt),
    updatedAt: seconds(set.updatedAt),
    imageSetArn: set.imageSetArn,
  });
}

/**
 * Storage tier and last access, which GetImageSet and the SearchImageSets summaries carry (the
 * model's ImageSetsMetadataSummary and GetImageSetResponse): the tier the last touch and the
 * service's clock give (model/tiers.ts); lastAccessedAt is the last touch, the creation time
 * until the first.
 */
export function accessProperties(svc: Service, set: ImageSetRecord) {
  return { lastAccessedAt: seconds(lastTouched(set)), storageTier: svc.storageTier(set) };
}

/** GetImageSet: the latest version reflects the set's lock; older versions are settled. */
export function getImageSetResponse(svc: Service, set: ImageSetRecord, version: VersionRecord) {
  const latest = version.versionId === set.latestVersionId;
  return compact({
    datastoreId: set.datastoreId,
    imageSetId: set.imageSetId,
    versionId: version.versionId,
    imageSetState: latest ? set.state : set.state === "DELETED" ? "DELETED" : "ACTIVE",
    imageSetWorkflowStatus: latest ? set.workflowStatus : version.workflowStatus,
    createdAt: seconds(set.createdAt),
    updatedAt: seconds(latest ? set.updatedAt : version.updatedAt),
    deletedAt: seconds(set.deletedAt),
    message: version.message,
    imageSetArn: set.imageSetArn,
    overrides: version.forced ? { forced: true } : undefined,
    isPrimary: version.isPrimary && set.isPrimary,
    ...accessProperties(svc, set),
  });
}

export function versionItem(set: ImageSetRecord, v: VersionRecord) {
  const latest = v.versionId === set.latestVersionId;
  return compact({
    imageSetId: set.imageSetId,
    versionId: v.versionId,
    imageSetState: latest ? set.state : set.state === "DELETED" ? "DELETED" : "ACTIVE",
    ImageSetWorkflowStatus: v.workflowStatus,
    createdAt: seconds(v.createdAt),
    updatedAt: seconds(v.updatedAt),
    deletedAt: seconds(set.deletedAt),
    message: v.message,
    overrides: v.forced ? { forced: true } : undefined,
    isPrimary: v.isPrimary,
  });
}

export function datastoreProperties(ds: DatastoreRecord) {
  return compact({
    datastoreId: ds.datastoreId,
    datastoreName: ds.datastoreName,
    datastoreStatus: ds.datastoreStatus,
    kmsKeyArn: ds.kmsKeyArn,
    lambdaAuthorizerArn: ds.lambdaAuthorizerArn,
    losslessStorageFormat: ds.losslessStorageFormat,
    datastoreArn: ds.datastoreArn,
    createdAt: seconds(ds.createdAt),
    updatedAt: seconds(ds.updatedAt),
  });
}

export function datastoreSummary(ds: DatastoreRecord) {
  return compact({
    datastoreId: ds.datastoreId,
    datastoreName: ds.datastoreName,
    datastoreStatus: ds.datastoreStatus,
    datastoreArn: ds.datastoreArn,
    createdAt: seconds(ds.createdAt),
    updatedAt: seconds(ds.updatedAt),
  });
}

export function jobProperties(job: JobRecord) {
  return compact({
    jobId: job.jobId,
    jobName: job.jobName ?? job.jobId,
    jobStatus: job.jobStatus,
    datastoreId: job.datastoreId,
    dataAccessRoleArn: job.dataAccessRoleArn,
    inputS3Uri: job.inputS3Uri,
    outputS3Uri: jobOutputUri(job),
    submittedAt: seconds(job.submittedAt),
    endedAt: seconds(job.endedAt),
    message: job.message,
    importConfiguration: job.importConfiguration,
  });
}

/** ListDICOMImportJobs items: the job's properties without the S3 locations and configuration. */
export function jobSummary(job: JobRecord) {
  const { inputS3Uri: _input, outputS3Uri: _output, importConfiguration: _configuration, ...summary } = jobProperties(job);
  return summary;
}
