// SDK clients. The SDK is required lazily, inside functions, so the serialized provider stays a
// few KB and emits a plain require("@aws-sdk/client-medical-imaging") (https://www.pulumi.com/docs/iac/concepts/resources/dynamic-providers/).
// Clients are cached per process: the adaptive retry limiters of an endpoint (one per operation)
// are shared by every resource of a `pulumi up`.

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { AsyncLocalStorage } from "node:async_hooks";
import { createRequire } from "node:module";
import { processState } from "../settings/processState";
import type { ResolvedConnection } from "../settings/connection";
import { watchServiceClock } from "./clock";

export { type Connection, connectionOf, type ResolvedConnection, resolveConnection } from "../settings/connection";

/**
 * DNS suffixes of AWS's partitions: every `dnsSuffix` and `dualStackDnsSuffix` of the SDK's
 * partitions data (@aws-sdk/util-endpoints, lib/aws/partitions.json; test/unit/provider-client.test.ts
 * fails when a refreshed SDK adds one this list lacks). Kept here rather than read from the SDK,
 * because that package is a dependency of the client, not necessarily resolvable from the provider.
 */
export const AWS_DNS_SUFFIXES = [
  "amazonaws.com",
  "amazonaws.com.cn",
  "amazonaws.eu",
  "c2s.ic.gov",
  "sc2s.sgov.gov",
  "cloud.adc-e.uk",
  "csp.hci.ic.gov",
  "api.aws",
  "api.amazonwebservices.com.cn",
  "api.amazonwebservices.eu",
  "api.aws.ic.gov",
  "api.aws.scloud",
  "api.aws.hci.ic.gov",
  "api.cloud-aws.adc-e.uk",
];

/**
 * True when an endpoint URL names an AWS host (FIPS, dual-stack, regional, or a private-DNS VPC
 * endpoint name). The image-set operations (CopyImageSet, GetImageSet, SearchImageSets,
 * UpdateImageSetMetadata, DeleteImageSet, ...) are served by `runtime-medical-imaging.<region>.amazonaws.com`,
 * the data-store operations by `medical-imaging.<region>.amazonaws.com`
 * (https://docs.aws.amazon.com/healthimaging/latest/devguide/endpoints-quotas.html); the SDK adds
 * the model's `"endpoint":{"hostPrefix":"runtime-"}` to the host of whatever endpoint it resolved,
 * a custom one included (@smithy/core HttpProtocol.setHostPrefix), so an AWS host given as
 * `endpoint` must keep that prefix. Any other host (the local service at 127.0.0.1 or localhost,
 * a proxy, an emulator) serves every operation itself, and gets no prefix. A URL that cannot be
 * parsed counts as not AWS (the SDK rejects it anyway).
 */
export function isAwsEndpoint(endpoint: string): boolean {
  let host: string;
  try {
    host = new URL(endpoint).hostname.toLowerCase().replace(/\.$/, "");
  } catch {
    return false;
  }
  return AWS_DNS_SUFFIXES.some((suffix) => host.endsWith(`.${suffix}`));
}

/**
 * kind "read": SDK retries (adaptive mode) for reads and idempotent writes (TagResource), with one
 * adaptive rate limiter per operation (see PerOperationRateLimiter).
 * kind "once": exactly one attempt, for CopyImageSet, which has no idempotency token: its
 * retries are decided by the caller, who knows whether the request may have reached the service.
 * Its retry mode is "standard": in "adaptive" mode the SDK switches on its own client-side rate
 * limiter at the first ThrottlingException even with one attempt, and copies would then queue in
 * it after the provider's pacer (pace.ts) let them go, late and bunched (BENCHMARKS.md §2).
 * kind "check": the reads of check (preview, and `up` before each create): short timeouts and one
 * retry of anything but a throttle, so a wrong endpoint fails the preview in seconds, not after a
 * minute of retries; a throttle is retried as a read is (the service asks to slow down, and will
 * answer: a dataset's checks of 10,000 members share GetImageSet's quota with the copies' polls).
 */
export function imagingClient(conn: ResolvedConnection, kind: "read" | "once" | "check" = "read"): MedicalImagingClient {
  const clients = processState().clients;
  const key = `${kind}|${conn.region}|${conn.endpoint ?? ""}`;
  let client = clients.get(key);
  if (!client) {
    const sdk: typeof import("@aws-sdk/client-medical-imaging") = require("@aws-sdk/client-medical-imaging");
    const maxAttempts = kind === "once" ? 1 : Number(process.env.PULUMI_HEALTHIMAGING_MAX_ATTEMPTS ?? 8);
    client = new sdk.MedicalImagingClient({
      region: conn.region,
      // an AWS host keeps the `runtime-` prefix of the image-set operations; any other host serves them all
      ...(conn.endpoint ? { endpoint: conn.endpoint, disableHostPrefix: !isAwsEndpoint(conn.endpoint) } : {}),
      ...(kind === "once"
        ? { retryMode: "standard" }
        : { retryStrategy: kind === "check" ? new ThrottlesOnly(adaptivePerOperation(maxAttempts), CHECK_OTHER_ATTEMPTS) : adaptivePerOperation(maxAttempts) }),
      maxAttempts,
      ...(kind === "check" ? { requestHandler: { connectionTimeout: 5_000, requestTimeout: 20_000 } } : {}),
    });
    if (kind !== "once") scopeByOperation(client);
    watchServiceClock(client);
    clients.set(key, client);
  }
  return client;
}

// ---- adaptive retry, one rate limiter per operation ----

/** The operation a request of an adaptive client belongs to, while the SDK's middleware runs it. */
const operationScope = new AsyncLocalStorage<string>();

/** The SDK's rate limiter (RateLimiter of @smithy/types): what AdaptiveRetryStrategy asks. */
export interface SendRateLimiter {
  getSendToken(): Promise<void>;
  updateClientSendingRate(response: unknown): void;
}

/**
 * The SDK's adaptive rate limiter (DefaultRateLimiter), one per operation. AWS HealthImaging's
 * throttling limits are per operation (GetImageSet 25 TPS, GetImageSetMetadata 50, SearchImageSets
 * 25, ListTagsForResource and TagResource 10: https://docs.aws.amazon.com/healthimaging/latest/devguide/endpoints-quotas.html),
 * while the SDK keeps one limiter per client: a throttled GetImageSet would then lower the sending
 * rate of every other read of the process, and of TagResource, which no quota of theirs asked
 * for (BENCHMARKS.md: at a raised copy quota the copies' polls were throttled, and the whole up
 * slowed). Each operation's limiter is the SDK's own, started and adjusted the SDK's way; only the
 * scope is narrower. Retries stay the SDK's (maxAttempts, backoff, retry quota).
 */
export class PerOperationRateLimiter implements SendRateLimiter {
  private readonly limiters = new Map<string, SendRateLimiter>();

  constructor(private readonly create: () => SendRateLimiter) {}

  /** The limiter of `operation` (the request's, from its scope, by default). */
  of(operation = operationScope.getStore() ?? ""): SendRateLimiter {
    let limiter = this.limiters.get(operation);
    if (!limiter) this.limiters.set(operation, (limiter = this.create()));
    return limiter;
  }

  getSendToken(): Promise<void> {
    return this.of().getSendToken();
  }

  updateClientSendingRate(response: unknown): void {
    this.of().updateClientSendingRate(response);
  }
}

/** @smithy/util-retry, as the SDK client resolves it (its own dependency, not necessarily the provider's). */
function utilRetry(): typeof import("@smithy/util-retry") {
  return createRequire(require.resolve("@aws-sdk/client-medical-imaging"))("@smithy/util-retry");
}

/** The SDK's AdaptiveRetryStrategy (what retryMode "adaptive" makes), with a rate limiter per operation. */
function adaptivePerOperation(maxAttempts: number) {
  const { AdaptiveRetryStrategy, DefaultRateLimiter } = utilRetry();
  return new AdaptiveRetryStrategy(maxAttempts, { maxAttempts, rateLimiter: new PerOperationRateLimiter(() => new DefaultRateLimiter()) });
}

/** Attempts a check makes of a read that fails other than by a throttle (a refused or slow connection). */
const CHECK_OTHER_ATTEMPTS = 2;

type RetryStrategy = ReturnType<typeof adaptivePerOperation>;
type RetryToken = Parameters<RetryStrategy["refreshRetryTokenForRetry"]>[0];
type RetryErrorInfo = Parameters<RetryStrategy["refreshRetryTokenForRetry"]>[1];

/** `inner`, except that an error other than a throttle is retried only until `otherAttempts` attempts were made. */
export class ThrottlesOnly {
  constructor(
    private readonly inner: RetryStrategy,
    private readonly otherAttempts: number,
  ) {}

  get mode() {
    return this.inner.mode;
  }

  acquireInitialRetryToken(scope: string): ReturnType<RetryStrategy["acquireInitialRetryToken"]> {
    return this.inner.acquireInitialRetryToken(scope);
  }

  refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): ReturnType<RetryStrategy["refreshRetryTokenForRetry"]> {
    if (errorInfo.errorType !== "THROTTLING" && token.getRetryCount() + 1 >= this.otherAttempts) return Promise.reject(new Error("No retry token available"));
    return this.inner.refreshRetryTokenForRetry(token, errorInfo);
  }

  recordSuccess(token: RetryToken): void {
    this.inner.recordSuccess(token);
  }
}

/** Runs every request of `client` in the scope of its operation, which PerOperationRateLimiter reads. */
function scopeByOperation(client: MedicalImagingClient): void {
  client.middlewareStack.add((next, context) => (args) => operationScope.run(String(context.commandName ?? ""), () => next(args)), {
    step: "initialize",
    name: "pulumiHealthImagingOperationScope",
    override: true,
  });
}

/** The SDK module, required lazily. */
export function sdk(): typeof import("@aws-sdk/client-medical-imaging") {
  return require("@aws-sdk/client-medical-imaging");
}
