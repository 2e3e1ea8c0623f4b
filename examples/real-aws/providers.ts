// The providers of the Datastore and DicomImport resources (healthimaging.ts): plain objects,
// serialized into state by value by pulumi.dynamic, so the SDK is required inside the functions,
// never captured (https://www.pulumi.com/docs/iac/concepts/resources/dynamic-providers/), and nothing here needs @pulumi/pulumi at run time.
// Once the service accepted a request, a failure is reported as a partial failure (the id stays in
// state; the next `up` resumes). Outputs hold ids, UIDs, states and times only.
// AWS_ENDPOINT_URL_MEDICAL_IMAGING, when set, points them at another endpoint (the local service),
// like the DerivedImageSet provider.

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import type * as pulumi from "@pulumi/pulumi";

type Sdk = typeof import("@aws-sdk/client-medical-imaging");

function sdk(): Sdk {
  return require("@aws-sdk/client-medical-imaging");
}

function imaging(region: string): MedicalImagingClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_MEDICAL_IMAGING;
  return new (sdk().MedicalImagingClient)({
    region,
    retryMode: "adaptive", // throttling (DeleteImageSet: 0.25 TPS) is retried with backoff
    maxAttempts: 10,
    ...(endpoint ? { endpoint, disableHostPrefix: true } : {}),
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const errorName = (e: unknown) => (e as { name?: string })?.name ?? "Error";
const message = (e: unknown) => `${errorName(e)}: ${(e as Error)?.message ?? String(e)}`;
const iso = (d: Date | undefined) => (d ? d.toISOString() : "");
const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The dynamic provider's partial failure: the engine keeps `id` and `properties` (which must include __provider). */
function partialFailure(id: string, properties: object, reason: string): Error {
  return Object.assign(new Error(reason), { id, properties, reasons: [reason] });
}

/** Poll with growing delays until `probe` returns a value, or throw after `deadline` (epoch ms). */
async function until<T>(what: string, deadline: number, probe: () => Promise<T | undefined>): Promise<T> {
  for (let delay = 2_000; ; delay = Math.min(delay * 1.5, 30_000)) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() + delay > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(delay);
  }
}

// ---- Datastore -------------------------------------------------------------------------------

interface DatastoreInputs {
  datastoreName: string;
  region: string;
  kmsKeyArn?: string;
  tags?: Record<string, string>;
  timeoutMinutes?: number;
}

interface DatastoreOutputs extends DatastoreInputs {
  datastoreId: string;
  datastoreArn: string;
  datastoreStatus: string;
  createdAt: string;
}

async function datastoreStatus(c: MedicalImagingClient, datastoreId: string) {
  try {
    return (await c.send(new (sdk().GetDatastoreCommand)({ datastoreId }))).datastoreProperties;
  } catch (e) {
    if (errorName(e) === "ResourceNotFoundException") return undefined;
    throw e;
  }
}

export const datastoreProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: DatastoreInputs) {
    const c = imaging(inputs.region);
    const { datastoreId } = await c.send(
      new (sdk().CreateDatastoreCommand)({
        datastoreName: inputs.datastoreName,
        kmsKeyArn: inputs.kmsKeyArn,
        tags: inputs.tags,
        clientToken: require("node:crypto").randomUUID(),
      }),
    );
    const id = datastoreId!;
    try {
      const props = await until(`data store ${id} to be ACTIVE`, Date.now() + (inputs.timeoutMinutes ?? 30) * 60_000, async () => {
        const p = await datastoreStatus(c, id);
        if (p?.datastoreStatus === "CREATE_FAILED") throw new Error(`data store ${id} failed to create`);
        return p?.datastoreStatus === "ACTIVE" ? p : undefined;
      });
      const outs: DatastoreOutputs = {
        ...inputs,
        datastoreId: id,
        datastoreArn: props.datastoreArn ?? "",
        datastoreStatus: props.datastoreStatus!,
        createdAt: iso(props.createdAt),
      };
      return { id, outs };
    } catch (e) {
      throw partialFailure(id, { ...inputs, datastoreId: id, datastoreArn: "", datastoreStatus: "CREATING", createdAt: "" }, `CreateDatastore: ${message(e)}`);
    }
  },

  async diff(_id: string, olds: DatastoreOutputs, news: DatastoreInputs) {
    // Name, key and tags are set at creation only (as in CloudFormation's AWS::HealthImaging::Datastore).
    const replaces = (["datastoreName", "kmsKeyArn", "tags", "region"] as const).filter((k) => !same(olds[k], news[k]));
    const changes = replaces.length > 0 || !same(olds.timeoutMinutes, news.timeoutMinutes) || olds.datastoreStatus !== "ACTIVE";
    return { changes, replaces };
  },

  async update(id: string, olds: DatastoreOutputs, news: DatastoreInputs) {
    // Only timeoutMinutes can change in place; a create that timed out resumes waiting here.
    const c = imaging(news.region);
    const props = await until(`data store ${id} to be ACTIVE`, Date.now() + (news.timeoutMinutes ?? 30) * 60_000, async () => {
      const p = await datastoreStatus(c, id);
      if (!p || p.datastoreStatus === "CREATE_FAILED" || p.datastoreStatus === "DELETED")
        throw new Error(`data store ${id} is ${p?.datastoreStatus ?? "gone"}`);
      return p.datastoreStatus === "ACTIVE" ? p : undefined;
    });
    return {
      outs: {
        ...olds,
        ...news,
        datastoreArn: props.datastoreArn ?? olds.datastoreArn,
        datastoreStatus: props.datastoreStatus!,
        createdAt: iso(props.createdAt),
      },
    };
  },

  async read(id: string, props: DatastoreOutputs) {
    const p = await datastoreStatus(imaging(props.region), id);
    if (!p || p.datastoreStatus === "DELETED") return {}; // gone: leaves the state
    return {
      id,
      props: {
        ...props,
        datastoreName: p.datastoreName ?? props.datastoreName,
        datastoreArn: p.datastoreArn ?? props.datastoreArn,
        datastoreStatus: p.datastoreStatus!,
      },
    };
  },

  async delete(id: string, props: DatastoreOutputs) {
    const c = imaging(props.region);
    try {
      await c.send(new (sdk().DeleteDatastoreCommand)({ datastoreId: id }));
    } catch (e) {
      if (errorName(e) === "ResourceNotFoundException") return;
      if (errorName(e) === "ConflictException")
        throw new Error(`DeleteDatastore ${id}: ${message(e)} (a data store must hold no image sets before it can be deleted)`);
      throw e;
    }
    await until(`data store ${id} to be DELETED`, Date.now() + (props.timeoutMinutes ?? 30) * 60_000, async () => {
      const p = await datastoreStatus(c, id);
      return !p || p.datastoreStatus === "DELETED" ? true : undefined;
    });
  },
};

// ---- DicomImport ------------------------------------------------------------------------------

interface DicomImportInputs {
  datastoreId: string;
  region: string;
  dataAccessRoleArn: string;
  inputS3Uri: string;
  outputS3Uri: string;
  jobName?: string;
  timeoutMinutes?: number;
}

interface DicomImportOutputs extends DicomImportInputs {
  jobId: string;
  jobStatus: string;
  submittedAt: string;
  endedAt: string;
  /** the image sets this job created (deleted with the resource) */
  imageSetIds: string[];
  /** SeriesInstanceUID -> the primary image set holding it after the import (one per series) */
  series: Record<string, string>;
}

/** Start the job; retried while IAM has not yet propagated the new role (clientToken makes retries safe). */
async function startImport(c: MedicalImagingClient, inputs: DicomImportInputs): Promise<{ jobId: string; submittedAt: string }> {
  const clientToken: string = require("node:crypto").randomUUID();
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const out = await c.send(
        new (sdk().StartDICOMImportJobCommand)({
          datastoreId: inputs.datastoreId,
          dataAccessRoleArn: inputs.dataAccessRoleArn,
          inputS3Uri: inputs.inputS3Uri,
          outputS3Uri: inputs.outputS3Uri,
          jobName: inputs.jobName,
          clientToken,
        }),
      );
      return { jobId: out.jobId!, submittedAt: iso(out.submittedAt ?? new Date()) };
    } catch (e) {
      const iamNotReady = errorName(e) === "AccessDeniedException" || (errorName(e) === "ValidationException" && /role/i.test((e as Error).message));
      if (!iamNotReady || Date.now() > deadline) throw new Error(`StartDICOMImportJob: ${message(e)}`);
      await sleep(10_000);
    }
  }
}

/** Wait for the job to end, then find the image sets it created or updated (SearchImageSets on updatedAt). */
async function finishImport(c: MedicalImagingClient, jobId: string, inputs: DicomImportInputs, submittedAt: string): Promise<DicomImportOutputs> {
  const m = sdk();
  const job = await until(`import job ${jobId}`, Date.now() + (inputs.timeoutMinutes ?? 60) * 60_000, async () => {
    const { jobProperties: p } = await c.send(new m.GetDICOMImportJobCommand({ datastoreId: inputs.datastoreId, jobId }));
    return p && (p.jobStatus === "COMPLETED" || p.jobStatus === "FAILED") ? p : undefined;
  });
  const from = new Date(Date.parse(submittedAt) - 1_000);
  const to = new Date((job.endedAt ?? new Date()).getTime() + 1_000);
  const imageSetIds: string[] = [];
  const series: Record<string, string> = {};
  let nextToken: string | undefined;
  do {
    const page = await c.send(
      new m.SearchImageSetsCommand({
        datastoreId: inputs.datastoreId,
        nextToken,
        searchCriteria: {
          filters: [{ operator: "BETWEEN", values: [{ updatedAt: from }, { updatedAt: to }] }],
          sort: { sortField: "updatedAt", sortOrder: "ASC" },
        },
      }),
    );
    for (const s of page.imageSetsMetadataSummaries ?? []) {
      if (s.createdAt && s.createdAt >= from) imageSetIds.push(s.imageSetId!);
      const seriesUid = s.DICOMTags?.DICOMSeriesInstanceUID;
      if (seriesUid && s.isPrimary !== false) series[seriesUid] = s.imageSetId!;
    }
    nextToken = page.nextToken;
  } while (nextToken);
  const outs: DicomImportOutputs = {
    ...inputs,
    jobId,
    jobStatus: job.jobStatus!,
    submittedAt,
    endedAt: iso(job.endedAt),
    imageSetIds: imageSetIds.sort(),
    series,
  };
  if (job.jobStatus === "FAILED") throw partialFailure(jobId, outs, `import job ${jobId} failed: ${job.message ?? "no message"}`);
  return outs;
}

/** Delete image sets (already gone is fine) and wait until each is DELETED. */
async function deleteImageSets(c: MedicalImagingClient, datastoreId: string, ids: string[], deadline: number): Promise<void> {
  const m = sdk();
  for (const imageSetId of ids) {
    await until(`DeleteImageSet ${imageSetId} to be accepted`, deadline, async () => {
      try {
        await c.send(new m.DeleteImageSetCommand({ datastoreId, imageSetId }));
        return true;
      } catch (e) {
        if (errorName(e) === "ResourceNotFoundException") return true;
        if (errorName(e) === "ConflictException") return undefined; // locked by a copy or update: wait
        throw e;
      }
    });
  }
  for (const imageSetId of ids) {
    await until(`image set ${imageSetId} to be DELETED`, deadline, async () => {
      try {
        const s = await c.send(new m.GetImageSetCommand({ datastoreId, imageSetId }));
        return s.imageSetState === "DELETED" ? true : undefined;
      } catch (e) {
        if (errorName(e) === "ResourceNotFoundException") return true;
        throw e;
      }
    });
  }
}

export const dicomImportProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: DicomImportInputs) {
    const c = imaging(inputs.region);
    const { jobId, submittedAt } = await startImport(c, inputs);
    try {
      return { id: jobId, outs: await finishImport(c, jobId, inputs, submittedAt) };
    } catch (e) {
      if ((e as { id?: string }).id) throw e; // already a partial failure (job FAILED)
      throw partialFailure(jobId, { ...inputs, jobId, jobStatus: "IN_PROGRESS", submittedAt, endedAt: "", imageSetIds: [], series: {} }, message(e));
    }
  },

  async diff(_id: string, olds: DicomImportOutputs, news: DicomImportInputs) {
    // A new input is a new import; a failed import is imported again; an unfinished one is waited for (update).
    const replaces = (["datastoreId", "region", "dataAccessRoleArn", "inputS3Uri", "outputS3Uri", "jobName"] as const).filter((k) => !same(olds[k], news[k]));
    if (olds.jobStatus === "FAILED" && !replaces.length) replaces.push("inputS3Uri");
    const changes = replaces.length > 0 || !same(olds.timeoutMinutes, news.timeoutMinutes) || olds.jobStatus !== "COMPLETED";
    return { changes, replaces, deleteBeforeReplace: true };
  },

  async update(id: string, olds: DicomImportOutputs, news: DicomImportInputs) {
    if (olds.jobStatus === "COMPLETED") return { outs: { ...olds, ...news } };
    return { outs: await finishImport(imaging(news.region), id, news, olds.submittedAt) };
  },

  async delete(_id: string, props: DicomImportOutputs) {
    await deleteImageSets(imaging(props.region), props.datastoreId, props.imageSetIds ?? [], Date.now() + 30 * 60_000);
  },
};
