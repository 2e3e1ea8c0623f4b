// Rate limits, quotas and timings per profile. "realistic" follows the documented defaults
// (https://docs.aws.amazon.com/healthimaging/latest/devguide/throttling-limits.html and
// https://docs.aws.amazon.com/healthimaging/latest/devguide/endpoints-quotas.html); "fast"
// removes rate limits and makes async work take tens of ms. Every limit is adjustable per account
// on AWS: a test raises one with `rateLimits` (or the control API), and `rateScale` runs the whole
// table faster (time-scaled: ×4 turns CopyImageSet's 0.25 TPS into 1 TPS).

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
  // The devguide's current table (throttling-limits.md export; the HTML page lagged behind with
  // 1/2 and UpdateImageSetMetadata 0.25/1): StartDICOMImportJob 40/80, UpdateImageSetMetadata 10/40.
  // Provider side: provider/service/documentedRates.ts holds the same write rows.
  StartDICOMImportJob: { rate: 40, burst: 80 },
  GetDICOMImportJob: { rate: 25, burst: 50 },
  ListDICOMImportJobs: { rate: 10, burst: 20 },
  SearchImageSets: { rate: 25, burst: 50 },
  GetImageSet: { rate: 25, burst: 50 },
  GetImageSetMetadata: { rate: 50, burst: 100 },
  GetImageFrame: { rate: 1000, burst: 2000 },
  ListImageSetVersions: { rate: 25, burst: 50 },
  UpdateImageSetMetadata: { rate: 10, burst: 40 },
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

/** Every rate of a table × `scale` (bursts unchanged): the table time-scaled. */
export function scaleRates(limits: Partial<Record<OperationName, RateLimit>>, scale: number): Partial<Record<OperationName, RateLimit>> {
  return Object.fromEntries(Object.entries(limits).map(([op, l]) => [op, { rate: l.rate * scale, burst: l.burst }]));
}

/** Token bucket per operation; `take` returns false when the call must be throttled. */
export class RateLimiter {
  /** ThrottlingExceptions returned, per operation (tests and benchmarks read it) */
  readonly throttled: Partial<Record<OperationName, number>> = {};
  /** calls let through, per operation (rate-limited operations only) */
  readonly accepted: Partial<Record<OperationName, number>> = {};
  private buckets = new Map<OperationName, { tokens: number; at: number }>();
  constructor(
    private limits: Partial<Record<OperationName, RateLimit>>,
    private now: () => number = Date.now,
  ) {}

  setLimits(limits: Partial<Record<OperationName, RateLimit>>): void {
    this.limits = limits;
    this.buckets.clear();
  }

  /** Changes some operations' limits (an account's raised quota), keeping the others. */
  raise(limits: Partial<Record<OperationName, RateLimit>>): void {
    this.limits = { ...this.limits, ...limits };
    for (const op of Object.keys(limits) as OperationName[]) this.buckets.delete(op);
  }

  /** The limit an operation has now. */
  limitOf(op: OperationName): RateLimit | undefined {
    return this.limits[op];
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
    this.accepted[op] = (this.accepted[op] ?? 0) + 1;
    return true;
  }
}
