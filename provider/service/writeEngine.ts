// The one loop every write goes through (CopyImageSet, UpdateImageSetMetadata, DeleteImageSet):
// prepare the request from what the service says now, pace it, send it once, classify the answer,
// and decide. Every retry has a reason to expect success and a bound:
//   throttled                 → the pacer slows down (pace.ts); bounded by the deadline
//   quota (any 402)           → back off in case it is a concurrent-operations quota that frees up;
//                               a few attempts within ~60 s and the deadline, then fail naming the
//                               quotas it could be for the operation (classify.ts quotasFor)
//   conflict, explained       → a watched image set is LOCKED or moved: prepare again (waits it out)
//   conflict, unexplained     → nothing we watch changed: a few attempts, then the service's message
//   connection refused        → the request never left: a few attempts, then the error (explain.ts names the endpoint)
//   network error / 5xx       → ambiguous: ask `recover` whether the write was made; never resend blindly
//   any other 4xx             → the service's own message

import type { ResolvedConnection } from "./client";
import { imagingClient } from "./client";
import { describe } from "./errors";
import { findImageSet } from "./find";
import { identityOfClient } from "./account";
import { dueReport } from "./paceReport";
import { isAws, pacerFor } from "./pacers";
import { progressLog } from "../settings/settings";
import { classifyWriteError, QUOTAS_PAGE, quotasFor, type WriteFailure } from "./classify";
import { type RunOptions, sleep } from "./reads";

export type WriteOperation = "CopyImageSet" | "UpdateImageSetMetadata" | "DeleteImageSet";

/** An image set whose lock or new version would explain a ConflictException. */
export interface Watched {
  imageSetId: string;
  /** the version the request was built against */
  versionId: string;
  role: string;
}

/** One ready request. */
export interface Attempt<Out> {
  watched: Watched[];
  send(): Promise<Out>;
}

/** What a write needs to say about itself; the loop does the rest. */
export interface WriteSpec<Out> {
  operation: WriteOperation;
  datastoreId: string;
  /**
   * Reads the current state (waiting out locks) and builds the next attempt, or ends without a call.
   * `after`: how the previous attempt failed (undefined for the first), so a write may build on
   * reads it knows are still good instead of reading again (service/copy.ts after a throttle).
   */
  prepare(after?: WriteFailure["kind"]): Promise<Attempt<Out> | { done: Out }>;
  /** After an ambiguous failure: was the write made? ("unknown" ends in an error, never in a resend.) */
  recover?(error: unknown, sentAt: number): Promise<{ made: Out } | "not-made" | "unknown">;
  /** Appended to the message of a conflict nothing explains: what the user can do about it. */
  conflictHint?: string;
  /** A failure that must carry extra context (e.g. an accepted copy): wraps the final error. */
  fail?(message: string): Error;
}

/** Attempts after which a conflict that nothing explains is reported (inferred: the docs give no retry guidance). */
export const MAX_UNEXPLAINED_CONFLICTS = 3;
/**
 * Bounds of the waits after a 402 ServiceQuotaExceededException. Which quota refused it cannot be
 * told (the model's error has only `message`), and one of them, concurrent requests per data store,
 * frees up as other operations finish; the others never do. So: at most `attempts` sends, waits
 * doubling from `firstWaitMs` up to `capWaitMs` (jittered), all within `budgetMs` of the first 402
 * and never past the deadline. Inferred: the docs give no retry guidance for 402. Tests shorten
 * the waits (the unit test drives runWrite in-process).
 */
export const QUOTA_RETRY = { attempts: 5, firstWaitMs: 4_000, capWaitMs: 30_000, budgetMs: 60_000 };
/** Attempts for refused connections. */
export const MAX_NOT_SENT = 5;
/** Ambiguous failures that recovery showed were not made, before giving up. */
export const MAX_NOT_MADE = 5;

/** Doubling from `baseMs` per attempt up to `capMs`, jittered to half..whole. */
const backoff = (attempt: number, capMs: number, baseMs = 500) => Math.min(capMs, baseMs * 2 ** attempt) * (0.5 + Math.random() / 2);

/** Runs one write to the end; resolves with what `send` (or `recover`, or `prepare`) returned. */
export async function runWrite<Out>(conn: ResolvedConnection, spec: WriteSpec<Out>, opts: RunOptions): Promise<Out> {
  const once = imagingClient(conn, "once");
  // AWS's limits are per account and Region: the pacer (and what it learns) is the account's
  const identity = isAws(conn) ? await identityOfClient(once) : undefined;
  const pacer = pacerFor({ endpoint: conn.endpoint, region: conn.region, identity }, spec.operation, { writeRate: opts.writeRate });
  const pacing = progressLog("write pacing");
  const reads = imagingClient(conn, "read");
  const fail = (message: string) => (spec.fail ? spec.fail(message) : new Error(message));
  let unexplained = 0;
  let quotaRefusals = 0;
  let quotaFirstAt: number | undefined;
  let notSent = 0;
  let notMade = 0;
  let after: WriteFailure["kind"] | undefined;
  for (;;) {
    if (Date.now() >= opts.deadline) throw fail(`${spec.operation}: timed out before the service accepted the request`);
    const prepared = await spec.prepare(after);
    if ("done" in prepared) return prepared.done;
    const grant = await pacer.acquire();
    const report = dueReport(pacer, spec.operation);
    if (report) pacing(report);
    const sentAt = Date.now();
    try {
      const out = await prepared.send();
      pacer.succeeded(grant);
      return out;
    } catch (e) {
      const failure = classifyWriteError(e);
      after = failure.kind;
      switch (failure.kind) {
        case "throttled":
          pacer.throttled(grant);
          continue;
        case "quota": {
          quotaRefusals++;
          quotaFirstAt ??= Date.now();
          const now = Date.now();
          const nominal = backoff(quotaRefusals - 1, QUOTA_RETRY.capWaitMs, QUOTA_RETRY.firstWaitMs);
          const wait = Math.min(nominal, quotaFirstAt + QUOTA_RETRY.budgetMs - now);
          if (quotaRefusals >= QUOTA_RETRY.attempts || wait <= 0 || now + wait >= opts.deadline)
            throw fail(quotaFailure(spec.operation, e, quotaRefusals, now - quotaFirstAt));
          opts.log(
            `${describe(spec.operation, e)}; a service quota refused it (${quotaRefusals}/${QUOTA_RETRY.attempts}); trying again in ${Math.ceil(wait / 1000)} s in case it is the concurrent-operations quota`,
          );
          await sleep(wait);
          continue;
        }
        case "conflict": {
          const explanation = await explainConflict(reads, spec.datastoreId, prepared.watched);
          if (explanation) {
            opts.log(`${spec.operation}: ${(e as Error).message} (${explanation}); trying again`);
            continue;
          }
          if (++unexplained >= MAX_UNEXPLAINED_CONFLICTS) {
            const watched = prepared.watched.map((w) => `${w.role} ${w.imageSetId} (version ${w.versionId})`).join(", ");
            throw fail(
              `${describe(spec.operation, e)}. The service refused it ${unexplained} times while nothing it could conflict with was locked or changed (${watched}), so waiting will not help.${spec.conflictHint ? ` ${spec.conflictHint}` : ""}`,
            );
          }
          opts.log(`${spec.operation}: ${(e as Error).message}; nothing is locked or changed, trying again (${unexplained}/${MAX_UNEXPLAINED_CONFLICTS})`);
          await sleep(backoff(unexplained, 5_000));
          continue;
        }
        case "rejected":
          throw fail(describe(spec.operation, e));
        case "not-sent":
          // nothing was sent, so nothing to keep: the connection error itself goes up, and the
          // provider's boundary (service/explain.ts) names the endpoint and setting, as for reads
          if (++notSent >= MAX_NOT_SENT) throw e;
          opts.log(`${spec.operation}: ${(e as Error).message}; the request was not sent, trying again`);
          await sleep(backoff(notSent, 5_000));
          continue;
        case "ambiguous": {
          if (!spec.recover) throw fail(`${describe(spec.operation, e)}. The request may or may not have been applied.`);
          const found = await spec.recover(e, sentAt);
          if (found === "unknown") throw fail(`${describe(spec.operation, e)}. It may or may not have been applied; check the image set before retrying.`);
          if (found !== "not-made") return found.made;
          if (++notMade >= MAX_NOT_MADE) throw fail(`${describe(spec.operation, e)} (${notMade} attempts; the service applied none of them)`);
          opts.log(`${spec.operation}: ${(e as Error).message}; the service did not apply it, trying again`);
        }
      }
    }
  }
}

/** The error after the last 402: the service's message, the quotas it could be, and how to raise them. */
function quotaFailure(operation: string, e: unknown, refusals: number, overMs: number): string {
  const quotas = quotasFor(operation);
  const which = quotas.length
    ? `It is one of these quotas on ${operation} (defaults in parentheses; ${QUOTAS_PAGE}): ${quotas.join("; ")}.`
    : `See the quotas on ${operation} at ${QUOTAS_PAGE}.`;
  return [
    `${describe(operation, e)}.`,
    `A service quota refused the request ${refusals} time${refusals === 1 ? "" : "s"} over ${Math.round(overMs / 1000)} s; the service does not say which.`,
    which,
    "A concurrent-requests quota frees up as other operations on the data store finish: run again later, or run fewer at once (pulumi up --parallel, a lower `writeRate` or PULUMI_HEALTHIMAGING_COPY_TPS / _UPDATE_TPS / _DELETE_TPS).",
    "A per-request quota needs a smaller request (fewer instances per resource).",
    "To raise an adjustable quota, request an increase in the Service Quotas console under AWS HealthImaging (https://docs.aws.amazon.com/servicequotas/latest/userguide/request-quota-increase.html).",
  ].join(" ");
}

/** Why a ConflictException happened, if something we watch explains it: locked, moved, or gone. */
async function explainConflict(client: ReturnType<typeof imagingClient>, datastoreId: string, watched: Watched[]): Promise<string | undefined> {
  for (const w of watched) {
    let set: Awaited<ReturnType<typeof findImageSet>>;
    try {
      set = await findImageSet(client, datastoreId, w.imageSetId);
    } catch {
      return undefined; // cannot look: count it as unexplained, so the bound applies
    }
    if (!set) return `the ${w.role} image set ${w.imageSetId} is gone`;
    if (set.imageSetState === "LOCKED") return `the ${w.role} image set ${w.imageSetId} is locked`;
    if (set.versionId !== w.versionId) return `the ${w.role} image set ${w.imageSetId} moved from version ${w.versionId} to ${set.versionId}`;
  }
  return undefined;
}
