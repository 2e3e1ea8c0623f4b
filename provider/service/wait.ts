// The one waiter, shaped like terraform-provider-aws's StateChangeConf: a status function and
// explicit pending / target / failed state lists (status.ts). Every write ends with one call to
// waitForState. It asks as few times as possible, as close as possible to the moment the work
// ends: it sleeps until the expected end (learned from work already finished in this process, or
// in earlier runs against the same endpoint), then backs off in small steps relative to the time
// elapsed, never past the deadline, and reports progress on long waits.

import type { ResolvedConnection } from "./client";
import { type DurationSample, loadDurations, saveDurations } from "./durationStore";
import { certainlyRejected } from "./errors";
import type { StateLists } from "./status";
import { processState } from "../settings/processState";

export interface PollResult<T> {
  done: boolean;
  value: T;
  /** e.g. "LOCKED/COPYING", for progress and timeout messages */
  state: string;
}

export interface WaitOptions {
  /** epoch ms */
  deadline: number;
  /**
   * how long the work is expected to take from `startedAt`; undefined when nothing is known yet. A
   * function is asked again before every sleep: a wait that began before anything was learned
   * (the first copies of a run) sleeps to the end the first finished copy predicts, instead of
   * polling on the schedule for "nothing known" to its end.
   */
  expectedMs?: number | (() => number | undefined);
  startedAt?: number;
  label: string;
  log?: (message: string) => void;
  progressEveryMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

export class WaitTimeout extends Error {
  constructor(
    label: string,
    readonly lastState: string,
    readonly polls: number,
  ) {
    super(`timed out waiting for ${label} (last state ${lastState})`);
  }
}

const MIN_DELAY_MS = 100;
const MAX_DELAY_MS = 10_000;

/** Delay before the next poll. Exported for unit tests of the schedule. */
export function nextDelay(elapsedMs: number, expectedMs: number | undefined, random: () => number): number {
  if (expectedMs !== undefined && elapsedMs < expectedMs) {
    // Sleep to the expected end; a 1 % margin keeps us just after it rather than just before.
    return Math.max(MIN_DELAY_MS, Math.ceil((expectedMs - elapsedMs) * 1.01) + 20);
  }
  // Past the estimate (or none): poll after a fraction of the time spent so far, so the overhead
  // stays a small share of the total. Less confident without an estimate.
  const fraction = expectedMs === undefined ? 0.25 : 0.04;
  const base = Math.min(MAX_DELAY_MS, Math.max(expectedMs === undefined ? 250 : MIN_DELAY_MS, elapsedMs * fraction));
  return Math.round(base * (0.9 + 0.2 * random()));
}

export async function waitFor<T>(poll: () => Promise<PollResult<T>>, opts: WaitOptions): Promise<{ value: T; polls: number }> {
  const now = opts.now ?? Date.now;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = opts.random ?? Math.random;
  const started = opts.startedAt ?? now();
  const progressEvery = opts.progressEveryMs ?? 15_000;
  let lastProgress = started;
  let polls = 0;
  let state = "unknown";
  const expectedMs = () => (typeof opts.expectedMs === "function" ? opts.expectedMs() : opts.expectedMs);
  for (;;) {
    const elapsed = now() - started;
    const delay = Math.min(nextDelay(elapsed, expectedMs(), random), Math.max(0, opts.deadline - now()));
    if (delay > 0) await sleep(delay);
    const result = await poll();
    polls++;
    state = result.state;
    if (result.done) return { value: result.value, polls };
    const t = now();
    if (t >= opts.deadline) throw new WaitTimeout(opts.label, state, polls);
    if (opts.log && t - lastProgress >= progressEvery) {
      lastProgress = t;
      const expected = expectedMs();
      const left = expected !== undefined ? Math.max(0, expected - (t - started)) : undefined;
      opts.log(
        `still waiting for ${opts.label}: ${state}, ${Math.round((t - started) / 1000)} s elapsed${left !== undefined ? `, about ${Math.ceil(left / 1000)} s left` : ""}`,
      );
    }
  }
}

/** What a status function reports: the thing read, and its state (one of the lists, or unexpected). */
export interface Status<T> {
  value: T;
  state: string;
}

/** A wait that ended in one of the failed states; `value` is what the status function last read. */
export class WaitFailed<T> extends Error {
  constructor(
    label: string,
    readonly state: string,
    readonly value: T,
  ) {
    super(`${label} ended in state ${state}`);
  }
}

export interface StateChangeConf<T> extends StateLists, Omit<WaitOptions, "log"> {
  refresh: () => Promise<Status<T>>;
  log: (message: string) => void;
  /** after the service accepted a write: a read that fails on the network counts as pending */
  outlastOutages?: boolean;
}

/**
 * Polls `refresh` until its state is a target (returns the value) or a failed one (WaitFailed).
 * A state in no list is an error, as in StateChangeConf. With `outlastOutages`, a read that fails
 * without a certain rejection (the network, a 5xx) counts as pending: the work the service
 * accepted goes on whether or not we can see it, and the deadline bounds the wait.
 */
export async function waitForState<T>(conf: StateChangeConf<T>): Promise<T> {
  const poll = async (): Promise<PollResult<Status<T> | undefined>> => {
    let status: Status<T>;
    try {
      status = await conf.refresh();
    } catch (e) {
      if (!conf.outlastOutages || certainlyRejected(e) || !(e instanceof Error)) throw e;
      return { done: false, value: undefined, state: `unreachable (${e.message})` };
    }
    if (conf.pending.includes(status.state)) return { done: false, value: status, state: status.state };
    if (conf.target.includes(status.state) || conf.failed.includes(status.state)) return { done: true, value: status, state: status.state };
    throw new Error(`unexpected state ${status.state} while waiting for ${conf.label} (expected ${[...conf.pending, ...conf.target].join(", ")})`);
  };
  // Usually the work is done (or the lock already released) when asked at once: no sleep first.
  // When it is not (someone else's copy or update holds the lock), how long it has left is
  // unknown: the schedule for "nothing known" follows (a quarter of the time waited so far, at
  // least 250 ms), not the one for an estimate just missed (every 100 ms), which would read the
  // image set ~25 times in a lock of a few seconds.
  const first = conf.expectedMs === 0 ? await poll() : undefined;
  const { value } = first?.done ? first : await waitFor(poll, conf.expectedMs === 0 ? { ...conf, expectedMs: undefined } : conf);
  const status = value!;
  if (conf.failed.includes(status.state)) throw new WaitFailed(conf.label, status.state, status.value);
  return status.value;
}

/**
 * Learns how long the service takes per copy from the copies that finished:
 * duration ≈ base + perInstance × instances (least squares once two sizes were seen).
 * With a store, it starts from what earlier runs against the same endpoint saw, and the first
 * sample of this run replaces those (the service may have changed since).
 */
export class DurationModel {
  private samples: DurationSample[] = [];
  private inherited = false;

  constructor(private readonly storeKey?: string) {
    if (storeKey) {
      this.samples = loadDurations(storeKey);
      this.inherited = this.samples.length > 0;
    }
  }

  record(size: number, ms: number): void {
    if (!(ms > 0 && Number.isFinite(ms))) return;
    if (this.inherited) {
      this.samples = [];
      this.inherited = false;
    }
    this.samples.push({ size, ms });
    if (this.samples.length > 50) this.samples.shift();
    if (this.storeKey) saveDurations(this.storeKey, this.samples);
  }

  estimate(size: number): number | undefined {
    const n = this.samples.length;
    if (n === 0) return undefined;
    const meanX = this.samples.reduce((a, s) => a + s.size, 0) / n;
    const meanY = this.samples.reduce((a, s) => a + s.ms, 0) / n;
    const varX = this.samples.reduce((a, s) => a + (s.size - meanX) ** 2, 0);
    if (varX === 0) {
      // One size seen: assume duration proportional to size around it, never below the mean
      // of what was seen for smaller sizes.
      return size <= meanX ? meanY : meanY * (size / Math.max(1, meanX));
    }
    const slope = Math.max(0, this.samples.reduce((a, s) => a + (s.size - meanX) * (s.ms - meanY), 0) / varX);
    const intercept = Math.max(0, meanY - slope * meanX);
    return intercept + slope * size;
  }
}

/** The process-wide model for one kind of work ("copy", "update", "delete") on one endpoint. */
export function durationsOf(kind: string, conn: ResolvedConnection): DurationModel {
  const models = processState().durations as Map<string, DurationModel>;
  const key = `${kind}|${conn.region}|${conn.endpoint ?? "aws"}`;
  let m = models.get(key);
  if (!m) models.set(key, (m = new DurationModel(key)));
  return m;
}
