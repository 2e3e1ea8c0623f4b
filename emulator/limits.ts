// Rate limits, quotas and timings per profile. "realistic" follows the documented defaults
// (https://docs.aws.amazon.com/healthimaging/latest/devguide/throttling-limits.html and
// https://docs.aws.amazon.com/healthimaging/latest/devguide/endpoints-quotas.html); "fast"
// removes rate limits and makes async work take tens of ms.

export type OperationName =
  | "CreateDatastore"
  | "GetDatastore"
  | "ListDatastores"
  | "DeleteDatastore"
  | "StartDICOMImportJob"
  | "GetDICOMImportJob"
  | "ListDICOMImportJobs"
  | "SearchImageSets"
  | "GetImageSet"
  | "GetImageSetMetadata"
  | "GetImageFrame"
  | "ListImageSetVersions"
  | "UpdateImageSetMetadata"
  | "CopyImageSet"
  | "DeleteImageSet"
  | "TagResource"
  | "UntagResource"
  | "ListTagsForResource";

export interface RateLimit {
  /** sustained requests per second */
  rate: number;
  /** bucket size */
  burst: number;
}

export interface Timings {
  copyMsBase: number;
  copyMsPerInstance: number;
  updateMs: number;
  deleteMs: number;
  importMsBase: number;
  importMsPerFile: number;
  datastoreMs: number;
}

export interface Quotas {
  maxFramesPerCopy: number;
  maxConcurrentPerDatastore: number;
  maxUpdatePayloadBytes: number;
  maxDatastores: number;
  maxTagsPerResource: number;
}

export interface Profile {
  name: string;
  rateLimits: Partial<Record<OperationName, RateLimit>>;
  timings: Timings;
  quotas: Quotas;
}

const DOCUMENTED_RATE_LIMITS: Record<OperationName, RateLimit> = {
  CreateDatastore: { rate: 0.085, burst: 1 },
  GetDatastore: { rate: 10, burst: 20 },
  ListDatastores: { rate: 5, burst: 10 },
  DeleteDatastore: { rate: 0.085, burst: 1 },
  // https://docs.aws.amazon.com/healthimaging/latest/devguide/throttling-limits.html (current table)
  StartDICOMImportJob: { rate: 0.25, burst: 1 },
  GetDICOMImportJob: { rate: 25, burst: 50 },
  ListDICOMImportJobs: { rate: 10, burst: 20 },
  SearchImageSets: { rate: 25, burst: 50 },
  GetImageSet: { rate: 25, burst: 50 },
  GetImageSetMetadata: { rate: 50, burst: 100 },
  GetImageFrame: { rate: 1000, burst: 2000 },
  ListImageSetVersions: { rate: 25, burst: 50 },
  UpdateImageSetMetadata: { rate: 0.25, burst: 1 },
  CopyImageSet: { rate: 0.25, burst: 1 },
  DeleteImageSet: { rate: 0.25, burst: 1 },
  TagResource: { rate: 10, burst: 20 },
  UntagResource: { rate: 10, burst: 20 },
  ListTagsForResource: { rate: 10, burst: 20 },
};

const DOCUMENTED_QUOTAS: Quotas = {
  maxFramesPerCopy: 1000,
  maxConcurrentPerDatastore: 100,
  maxUpdatePayloadBytes: 10 * 1024,
  maxDatastores: 10,
  maxTagsPerResource: 50,
};

export const PROFILES: Record<"realistic" | "fast", Profile> = {
  realistic: {
    name: "realistic",
    rateLimits: DOCUMENTED_RATE_LIMITS,
    timings: {
      copyMsBase: 2000,
      copyMsPerInstance: 20,
      updateMs: 1500,
      deleteMs: 1500,
      importMsBase: 2000,
      importMsPerFile: 10,
      datastoreMs: 1000,
    },
    quotas: DOCUMENTED_QUOTAS,
  },
  fast: {
    name: "fast",
    rateLimits: {},
    timings: {
      copyMsBase: 20,
      copyMsPerInstance: 1,
      updateMs: 15,
      deleteMs: 15,
      importMsBase: 20,
      importMsPerFile: 0,
      datastoreMs: 5,
    },
    quotas: DOCUMENTED_QUOTAS,
  },
};

/** Token bucket per operation; `take` returns false when the call must be throttled. */
export class RateLimiter {
  /** ThrottlingExceptions returned, per operation (tests and benchmarks read it) */
  readonly throttled: Partial<Record<OperationName, number>> = {};
  private buckets = new Map<OperationName, { tokens: number; at: number }>();
  constructor(
    private limits: Partial<Record<OperationName, RateLimit>>,
    private now: () => number = Date.now,
  ) {}

  setLimits(limits: Partial<Record<OperationName, RateLimit>>): void {
    this.limits = limits;
    this.buckets.clear();
  }

  take(op: OperationName): boolean {
    const limit = this.limits[op];
    if (!limit) return true;
    const t = this.now();
    const bucket = this.buckets.get(op) ?? { tokens: limit.burst, at: t };
    bucket.tokens = Math.min(limit.burst, bucket.tokens + ((t - bucket.at) / 1000) * limit.rate);
    bucket.at = t;
    this.buckets.set(op, bucket);
    if (bucket.tokens < 1) {
      this.throttled[op] = (this.throttled[op] ?? 0) + 1;
      return false;
    }
    bucket.tokens -= 1;
    return true;
  }
}
