// What an error from a write means for the next step. The service's answers, by the published
// model (https://docs.aws.amazon.com/healthimaging/latest/APIReference/API_CopyImageSet.html#API_CopyImageSet_Errors
// and the same section of UpdateImageSetMetadata and DeleteImageSet): 429 ThrottlingException,
// 409 ConflictException, 402 ServiceQuotaExceededException, other 4xx, 5xx.

import { errorName, isConflict, isThrottling, type ServiceErrorLike } from "./errors";

export type WriteFailure =
  /** the rate limit refused it: nothing was done; pace and send again */
  | { kind: "throttled" }
  /** a quota that frees up as other operations finish (100 concurrent operations per data store) */
  | { kind: "quota-transient" }
  /** a quota no retry can meet (frames per copy, payload size): fail, naming it */
  | { kind: "quota-permanent"; quota: string }
  /** a 402 whose quota the message does not name: retried a few times, then treated as permanent */
  | { kind: "quota-unnamed" }
  /** the image set is locked or moved, or the request conflicts for another reason */
  | { kind: "conflict" }
  /** any other 4xx: certainly refused, nothing was done */
  | { kind: "rejected" }
  /** the connection was refused: the request never reached the service */
  | { kind: "not-sent" }
  /** a network error or 5xx: the write may or may not have been made */
  | { kind: "ambiguous" };

const isQuota = (e: unknown) => errorName(e) === "ServiceQuotaExceededException" || (e as ServiceErrorLike)?.$metadata?.httpStatusCode === 402;

/**
 * Which quota a 402 is about. The docs list the quotas (https://docs.aws.amazon.com/healthimaging/latest/devguide/endpoints-quotas.html)
 * but not the messages that name them; inferred: the message names frames, payload size, or
 * concurrent operations. A message naming none of them is "unnamed", and the caller bounds its retries.
 */
export function quotaOf(message: string): WriteFailure {
  if (/concurrent/i.test(message)) return { kind: "quota-transient" };
  if (/frame/i.test(message)) return { kind: "quota-permanent", quota: "image frames per CopyImageSet request (1,000 by default)" };
  if (/payload|bytes|size/i.test(message)) return { kind: "quota-permanent", quota: "UpdateImageSetMetadata payload size (10 KB by default)" };
  return { kind: "quota-unnamed" };
}

/** Classifies an error thrown by a write call. */
export function classifyWriteError(e: unknown): WriteFailure {
  if (isThrottling(e)) return { kind: "throttled" };
  if (isQuota(e)) return quotaOf((e as ServiceErrorLike)?.message ?? "");
  if (isConflict(e)) return { kind: "conflict" };
  const status = (e as ServiceErrorLike)?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 400 && status < 500) return { kind: "rejected" };
  const code = (e as { code?: string })?.code;
  if (code === "ECONNREFUSED" && status === undefined) return { kind: "not-sent" };
  return { kind: "ambiguous" };
}
