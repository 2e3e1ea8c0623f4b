// Seeding: import a folder of DICOM files into a new data store through the public API (the way
// a user would on AWS: CreateDatastore, StartDICOMImportJob, poll, SearchImageSets) and report
// ids only — never patient-level values.

import {
  CreateDatastoreCommand,
  GetDatastoreCommand,
  GetDICOMImportJobCommand,
  type MedicalImagingClient,
  SearchImageSetsCommand,
  StartDICOMImportJobCommand,
  type ImageSetsMetadataSummary,
} from "@aws-sdk/client-medical-imaging";

/** What {@link seed} made: the data store, the import job, and the image sets it produced. */
export interface SeedResult {
  datastoreId: string;
  jobId: string;
  jobStatus: string;
  /** one primary image set per series after a first import (SearchImageSets names a set's series when it has one) */
  imageSets: {
    imageSetId: string;
    versionId: string;
    isPrimary: boolean;
    studyInstanceUid?: string;
    seriesInstanceUid?: string;
    seriesCount?: number;
    instanceCount?: number;
  }[];
}

export const SEED_ROLE_ARN = "arn:aws:iam::000000000000:role/HealthImagingLocalImport";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 25; ; delay = Math.min(delay * 2, 1000)) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(delay);
  }
}

/**
 * Creates a data store and imports DICOM files into it with StartDICOMImportJob, through any
 * HealthImaging endpoint the client points at; resolves when the import completed.
 */
export async function seed(
  client: MedicalImagingClient,
  opts: { inputS3Uri: string; outputS3Uri: string; datastoreName?: string; timeoutMs?: number },
): Promise<SeedResult> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const { datastoreId } = await client.send(new CreateDatastoreCommand({ datastoreName: opts.datastoreName ?? `seed-${Date.now()}` }));
  await until(
    "the data store to be ACTIVE",
    async () => {
      const { datastoreProperties } = await client.send(new GetDatastoreCommand({ datastoreId }));
      if (datastoreProperties?.datastoreStatus === "CREATE_FAILED") throw new Error(`data store ${datastoreId} failed to create`);
      return datastoreProperties?.datastoreStatus === "ACTIVE" ? true : undefined;
    },
    timeoutMs,
  );
  const { jobId } = await client.send(
    new StartDICOMImportJobCommand({
      datastoreId,
      dataAccessRoleArn: SEED_ROLE_ARN,
      inputS3Uri: opts.inputS3Uri,
      outputS3Uri: opts.outputS3Uri,
      jobName: "seed",
    }),
  );
  const job = await until(
    "the import job to end",
    async () => {
      const { jobProperties } = await client.send(new GetDICOMImportJobCommand({ datastoreId, jobId }));
      return jobProperties?.jobStatus === "COMPLETED" || jobProperties?.jobStatus === "FAILED" ? jobProperties : undefined;
    },
    timeoutMs,
  );
  if (job.jobStatus === "FAILED") throw new Error(`import job ${jobId} failed: ${job.message ?? "no message"}`);
  const summaries: ImageSetsMetadataSummary[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new SearchImageSetsCommand({ datastoreId, nextToken, searchCriteria: { sort: { sortField: "createdAt", sortOrder: "ASC" } } }),
    );
    summaries.push(...(page.imageSetsMetadataSummaries ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return {
    datastoreId: datastoreId!,
    jobId: jobId!,
    jobStatus: job.jobStatus!,
    imageSets: summaries.map((s) => ({
      imageSetId: s.imageSetId!,
      versionId: String(s.version),
      isPrimary: s.isPrimary ?? false,
      studyInstanceUid: s.DICOMTags?.DICOMStudyInstanceUID,
      seriesInstanceUid: s.DICOMTags?.DICOMSeriesInstanceUID,
      seriesCount: s.DICOMTags?.DICOMNumberOfStudyRelatedSeries,
      instanceCount: s.DICOMTags?.DICOMNumberOfStudyRelatedInstances,
    })),
  };
}
