// Fault knobs for tests: extra latency, failing the next N calls of an operation with a given
// error, and failing copies asynchronously (COPY_FAILED with a message).

import { type ErrorName, ServiceError } from "./errors";
import type { OperationName } from "./limits";

export interface FaultSettings {
  latencyMs?: number;
  /** per-operation extra latency, added to latencyMs */
  operationLatencyMs?: Partial<Record<OperationName, number>>;
}

export class Faults {
  latencyMs = 0;
  operationLatencyMs: Partial<Record<OperationName, number>> = {};
  private failures = new Map<OperationName, { remaining: number; error: ErrorName; message: string }>();
  private asyncCopyFailures: string[] = [];

  configure(settings: FaultSettings): void {
    if (settings.latencyMs !== undefined) this.latencyMs = settings.latencyMs;
    if (settings.operationLatencyMs !== undefined) this.operationLatencyMs = settings.operationLatencyMs;
  }

  /** The next `count` calls of `operation` fail with `error` before touching any state. */
  failNext(operation: OperationName, count: number, error: ErrorName, message = `Injected ${error}`): void {
    this.failures.set(operation, { remaining: count, error, message });
  }

  /** The next `count` accepted copies end as COPY_FAILED with `message`. */
  failNextCopies(count: number, message = "INTERNAL_ERROR:  Injected copy failure."): void {
    for (let i = 0; i < count; i++) this.asyncCopyFailures.push(message);
  }

  reset(): void {
    this.latencyMs = 0;
    this.operationLatencyMs = {};
    this.failures.clear();
    this.asyncCopyFailures = [];
  }

  delayFor(operation: OperationName): number {
    return this.latencyMs + (this.operationLatencyMs[operation] ?? 0);
  }

  /** Throws the injected error for this call, if one is armed. */
  check(operation: OperationName): void {
    const f = this.failures.get(operation);
    if (!f || f.remaining <= 0) return;
    f.remaining--;
    throw new ServiceError(f.error, f.message);
  }

  takeCopyFailure(): string | undefined {
    return this.asyncCopyFailures.shift();
  }
}
