// The client seeding uses. Seeding meets the service's rate quotas: CreateDatastore is allowed
// about once per 12 s and StartDICOMImportJob once per 4 s (limits.ts, AWS's documented
// defaults), so a second `npm run seed` a few seconds after the first is throttled ("Rate
// exceeded"). The SDK's retry strategy retries a throttle, paced by the quota it ran into: it
// waits one quota interval (12 s for CreateDatastore), twice that if throttled again, at most 30 s
// a time and SEED_MAX_ATTEMPTS attempts in all. A middleware inside the retry loop sees which
// operation was throttled, sets the wait and says what it waits for.

import { MedicalImagingClient, type ServiceInputTypes, type ServiceOutputTypes } from "@aws-sdk/client-medical-imaging";
import type { FinalizeRequestMiddleware } from "@smithy/types";
import { ConfiguredRetryStrategy } from "@smithy/util-retry";
import { type OperationName, PROFILES } from "./limits";

export const SEED_MAX_ATTEMPTS = 6;
const MAX_WAIT_MS = 30_000;

/** Wait after the `attempt`-th call of `operation` was throttled, in ms: its quota interval, doubling. */
export function seedBackoffMs(operation: string, attempt: number): number {
  const limit = PROFILES.realistic.rateLimits[operation as OperationName];
  const intervalMs = limit ? Math.ceil(1000 / limit.rate) : 1000;
  return Math.min(intervalMs * 2 ** (attempt - 1), MAX_WAIT_MS);
}

/** Where {@link seedClient} sends requests, with what credentials, and where it says what it waits for. */
export interface SeedClientOptions {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** told, one line each, what a retry waits for (default: stderr) */
  say?: (line: string) => void;
}

/** "about 1 CreateDatastore per 12 s", "about 40 StartDICOMImportJob per second": the documented quota a throttle ran into. */
export function quotaOf(operation: string): string {
  const limit = PROFILES.realistic.rateLimits[operation as OperationName];
  if (!limit) return "";
  return limit.rate >= 1
    ? `; the service allows about ${Math.round(limit.rate)} ${operation} per second`
    : `; the service allows about 1 ${operation} per ${Math.round(1 / limit.rate)} s`;
}

/** A client that retries throttled calls (up to SEED_MAX_ATTEMPTS in all) and says so. */
export function seedClient(opts: SeedClientOptions): MedicalImagingClient {
  const say = opts.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  // set by the middleware below for the retry strategy, which learns only the attempt number
  let nextWaitMs = 1000;
  const client = new MedicalImagingClient({
    endpoint: opts.endpoint,
    region: opts.region,
    credentials: opts.credentials,
    disableHostPrefix: true,
    maxAttempts: SEED_MAX_ATTEMPTS,
    retryStrategy: new ConfiguredRetryStrategy(SEED_MAX_ATTEMPTS, () => nextWaitMs),
  });
  const sayThrottleWaits: FinalizeRequestMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
    try {
      return await next(args);
    } catch (e) {
      if ((e as Error).name !== "ThrottlingException") throw e;
      // the retry middleware numbers each attempt in this header: "attempt=2; max=6"
      const header = (args.request as { headers?: Record<string, string> }).headers?.["amz-sdk-request"] ?? "";
      const attempt = Number(/attempt=(\d+)/.exec(header)?.[1] ?? SEED_MAX_ATTEMPTS);
      const operation = context.commandName?.replace(/Command$/, "") ?? "a call";
      const why = `${operation} was throttled (${(e as Error).message}${quotaOf(operation)})`;
      if (attempt >= SEED_MAX_ATTEMPTS) {
        throw new Error(`${why} ${SEED_MAX_ATTEMPTS} times: another client is using that quota; wait a minute and seed again`);
      }
      nextWaitMs = seedBackoffMs(operation, attempt);
      say(`seed: ${why}: waiting ${Math.round(nextWaitMs / 1000)} s, then attempt ${attempt + 1} of ${SEED_MAX_ATTEMPTS}`);
      throw e;
    }
  };
  // "after" the retry middleware is inside its loop: called once per attempt
  client.middlewareStack.addRelativeTo(sayThrottleWaits, { relation: "after", toMiddleware: "retryMiddleware", name: "sayThrottleWaits" });
  return client;
}
