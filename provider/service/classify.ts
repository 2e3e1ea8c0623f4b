// What an error from a write means for the next step. The service's answers, by the published
// model (https://docs.aws.amazon.com/healthimaging/latest/APIReference/API_CopyImageSet.html#API_CopyImageSet_Errors
// and the same section of UpdateImageSetMetadata and DeleteImageSet): 429 ThrottlingException,
// 409 ConflictException, 402 ServiceQuotaExceededException, other 4xx, 5xx.

import { errorName, isConflict, isThrottling, type ServiceErrorLike } from "./errors";

export type WriteFailure =
  /** the rate limit refused it: nothing was done; pace and send again */
  | { kind: "throttled" }
  /**
   * a 402 ServiceQuotaExceededException, whatever its message: nothing was done. The model's
   * ServiceQuotaExceededException has only `message`, and the docs publish no messages, so which
   * quota it is cannot be told: the caller waits a bounded while (it may be a concurrent-operations
   * quota, which frees up), then fails naming every quota it could be (`quotasFor`).
   */
  | { kind: "quota" }
  /** the image set is locked or moved, or the request conflicts for another reason */
  | { kind: "conflict" }
  /** any other 4xx: certainly refused, nothing was done */
  | { kind: "rejected" }
  /** the connection was refused: the request never reached the service */
  | { kind: "not-sent" }
  /** a network error or 5xx: the write may or may not have been made */
  | { kind: "ambiguous" };

/** 402 is the model's status of ServiceQuotaExceededException (botocore medical-imaging service-2.json, shape ServiceQuotaExceededException). */
const isQuota = (e: unknown) => errorName(e) === "ServiceQuotaExceededException" || (e as ServiceErrorLike)?.$metadata?.httpStatusCode === 402;

export const QUOTAS_PAGE = "https://docs.aws.amazon.com/healthimaging/latest/devguide/endpoints-quotas.html";

/**
 * The quotas a 402 from each write could be about, named and valued as the service quotas table of
 * https://docs.aws.amazon.com/healthimaging/latest/devguide/endpoints-quotas.html lists them
 * (default values; an account's may have been raised).
 */
export const QUOTAS_BY_OPERATION: Record<string, readonly string[]> = {
  CopyImageSet: [
    "concurrent CopyImageSet requests per data store (100)",
    "ImageFrames copied per CopyImageSet request (1,000)",
    "ImageSetMetadata size per CopyImageSet (50 MB)",
  ],
  UpdateImageSetMetadata: [
    "concurrent UpdateImageSetMetadata requests per data store (100)",
    "UpdateImageSetMetadata payload size (10 KB)",
    "ImageSetMetadata size (50 MB)",
  ],
  DeleteImageSet: ["concurrent DeleteImageSet requests per data store (100)"],
};

/** The quotas a 402 from `operation` could be about, or [] for an operation not listed. */
export function quotasFor(operation: string): readonly string[] {
  return QUOTAS_BY_OPERATION[operation] ?? [];
}

/** Classifies an error thrown by a write call. */
export function classifyWriteError(e: unknown): WriteFailure {
  if (isThrottling(e)) return { kind: "throttled" };
  if (isQuota(e)) return { kind: "quota" };
  if (isConflict(e)) return { kind: "conflict" };
  const status = (e as ServiceErrorLike)?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500) return { kind: "rejected" };
  const code = (e as { code?: string })?.code;
  if (code === "ECONNREFUSED" && status === undefined) return { kind: "not-sent" };
  return { kind: "ambiguous" };
}
