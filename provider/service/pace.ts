// Process-wide pacing of write calls (CopyImageSet, UpdateImageSetMetadata, DeleteImageSet): a
// token bucket whose rate follows the account's limit. One pacer per account (or endpoint) and
// operation lives in the provider process, shared by every resource; where it starts is
// pacers.ts's (stated, remembered, documented, or unlimited for a custom endpoint).
//
// How the rate moves:
// * Probing (no limit known): ×1.25 after every 3 successes in a row of calls the pacer held back
//   (calls that arrive slower than the rate say nothing about the limit). From AWS's documented
//   0.25 TPS that reaches a limit raised to 5 TPS after ~40 copies (~1 min).
// * A ThrottlingException at rate r marks r as the ceiling and cuts the rate to 0.8 r; successes
//   climb back by 20 % up to 0.9 × the ceiling, then probe slowly (+0.2 % per held-back success:
//   the limit may be raised meanwhile), so it settles just under the limit instead of oscillating
//   around it: with a burst of 1, every call above the limit costs a whole slot. Refusals of calls
//   granted before the last cut count once: a burst of refusals is one signal, not several.
// * A stated rate is the ceiling from the start and is never probed above. A throttle at 0.75 of
//   it or more is jitter (network or event-loop delays bunch arrivals closer than 1/limit, which a
//   burst of 1 refuses): the rate is cut, climbs back to 0.9 of the statement and then slowly to
//   it, and the statement stands. Only a throttle below 0.75, one that persists after a cut, says
//   the statement is too high and lowers the ceiling. (Lowering it on every throttle ratcheted a
//   run at the true limit down to 0.86 of it; going straight back to it drew a throttle in four
//   calls: bench figure 7.)
// * Unlimited (a custom endpoint, nothing known): on the first throttle the rate starts from what
//   succeeded in the last second, then probes.
// What was learned (a ceiling, or the rate probing reached) is handed to `onLearned`, which keeps
// it for the next run (rateStore.ts).

import { processState } from "../settings/processState";
import type { Learned } from "./rateStore";

const MIN_TPS = 0.05;
/** where the rate settles, as a share of the last rate a throttle was seen at */
export const SETTLE = 0.9;
/** multiplicative probing: the factor, and the held-back successes in a row it takes */
export const PROBE = { factor: 1.25, every: 3 };
/** the slow probe once a ceiling is known, per held-back success */
const SLOW_PROBE = 1.002;
/** what a throttle cuts the rate to */
const CUT = 0.8;
/** a throttle at this share of a stated rate or above is jitter, not a lower limit */
export const STATED_JITTER = 0.75;
/** a rate reached by probing (no ceiling) is saved at most this often */
const SAVE_EVERY_MS = 5_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A slot handed out by acquire(): when, at what rate (what a refusal of it says about the limit), and whether the pacer held it back. */
export interface Grant {
  at: number;
  rate: number;
  /** the call waited for its slot: the rate, not the caller, set its pace */
  held?: boolean;
}

/** Where a pacer's rate comes from, for progress lines and the PR summary. */
export type RateOrigin = "stated" | "remembered" | "documented" | "unlimited";

export interface PacerSetup {
  /** calls per second; Infinity: unpaced until the first throttle */
  rate: number;
  burst: number;
  /** the rate a throttle was last seen at, or the stated rate (Infinity: none yet) */
  ceiling?: number;
  origin?: RateOrigin;
  /** words for the origin: "stated by writeRate.copyImageSet", "AWS's documented 0.25 TPS", ... */
  originText?: string;
  /** told what was learned, to remember it across runs */
  onLearned?: (learned: Learned) => void;
}

export class Pacer {
  rate: number;
  readonly burst: number;
  ceiling: number;
  origin: RateOrigin;
  originText: string;
  private readonly onLearned?: (learned: Learned) => void;
  private tokens: number;
  private at = Date.now();
  private successes: number[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private lastGrantAt = 0;
  private lastCutAt = -1;
  private cleanRun = 0;
  private savedAt = 0;
  throttles = 0;
  /** calls sent and accepted, and calls waiting for a slot now (progress lines) */
  sent = 0;
  waiting = 0;
  readonly createdAt = Date.now();
  reportedAt = Date.now();

  constructor(setup: PacerSetup) {
    this.rate = setup.rate;
    this.burst = setup.burst;
    this.ceiling = setup.ceiling ?? Infinity;
    this.origin = setup.origin ?? (Number.isFinite(setup.rate) ? "documented" : "unlimited");
    this.originText = setup.originText ?? this.origin;
    this.onLearned = setup.onLearned;
    this.tokens = setup.burst;
  }

  /** No limit known: the rate grows by probing. */
  get probing(): boolean {
    return this.origin !== "stated" && !Number.isFinite(this.ceiling);
  }

  /** The user states the limit: it becomes the ceiling, and probing stops. The lowest statement wins. */
  state(tps: number, originText: string): void {
    if (this.origin === "stated" && tps >= this.ceiling) return;
    this.origin = "stated";
    this.originText = originText;
    this.ceiling = tps;
    this.rate = tps;
  }

  /** Wait for a slot. Slots are handed out in call order. */
  acquire(): Promise<Grant> {
    this.waiting++;
    const turn = this.chain.then(async (): Promise<Grant> => {
      let held = false;
      for (;;) {
        const now = Date.now();
        if (Number.isFinite(this.rate)) this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
        else this.tokens = this.burst;
        this.at = now;
        if (this.tokens >= 1) {
          this.tokens -= 1;
          this.lastGrantAt = now;
          return { at: now, rate: this.rate, held };
        }
        held = true;
        await sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
      }
    });
    const counted = turn.finally(() => this.waiting--);
    this.chain = counted.catch(() => undefined);
    return counted;
  }

  /** A call was accepted; `grant` is its slot (default: a held-back one). */
  succeeded(grant: Pick<Grant, "held"> = { held: true }): void {
    const now = Date.now();
    this.sent++;
    this.successes.push(now);
    this.successes = this.successes.filter((t) => now - t < 10_000);
    if (!Number.isFinite(this.rate)) return;
    if (this.probing) {
      if (!grant.held) return;
      if (++this.cleanRun < PROBE.every) return;
      this.cleanRun = 0;
      this.rate *= PROBE.factor;
      if (now - this.savedAt >= SAVE_EVERY_MS) {
        this.savedAt = now;
        this.onLearned?.({ rate: this.rate });
      }
      return;
    }
    // A ceiling is known (learned, or stated): back up quickly to just under it (arrivals jitter,
    // and a burst of 1 refuses any call closer than 1/limit to the one before), then probe
    // slowly. A statement is the target until it is first throttled, and is never exceeded.
    const stated = this.origin === "stated";
    const target = stated && this.throttles === 0 ? this.ceiling : SETTLE * this.ceiling;
    if (this.rate < target) this.rate = Math.min(this.rate * 1.2, target);
    else if (grant.held) this.rate = stated ? Math.min(this.rate * SLOW_PROBE, this.ceiling) : this.rate * SLOW_PROBE;
  }

  /** A call was refused with a ThrottlingException; `grant` is its slot (default: the last one handed out). */
  throttled(grant: Grant = { at: this.lastGrantAt, rate: this.rate }): void {
    this.throttles++;
    this.cleanRun = 0;
    const now = Date.now();
    this.tokens = Math.min(this.tokens, 0);
    this.at = now;
    // A call granted before the last cut: the cut already accounts for it.
    if (grant.at <= this.lastCutAt) return;
    this.lastCutAt = now;
    if (Number.isFinite(this.rate)) {
      // The limit is below the rate the refused call was sent at, not the rate grown since.
      const tried = Math.min(this.rate, grant.rate);
      if (this.origin !== "stated") this.ceiling = tried;
      else if (tried < STATED_JITTER * this.ceiling) this.ceiling = tried;
      this.rate = Math.max(MIN_TPS, tried * CUT);
      if (this.origin !== "stated") this.onLearned?.({ ceiling: tried, rate: SETTLE * tried });
    } else {
      // First throttle: start from what succeeded in the last second (at least one call).
      const lastSecond = this.successes.filter((t) => now - t < 1000).length;
      this.rate = Math.max(MIN_TPS, lastSecond, 1);
    }
  }
}

/**
 * Run `fn` after every earlier call with the same key has finished: copies from one source, and
 * merges into one destination, are serialised inside the process so each one sees the version the
 * previous one produced instead of failing on a lock or a stale version.
 */
export function serialised<T>(keys: string[], fn: () => Promise<T>): Promise<T> {
  const queues = processState().queues;
  const unique = [...new Set(keys)].sort();
  const before = Promise.all(unique.map((k) => queues.get(k) ?? Promise.resolve()));
  const run = before.then(fn, fn);
  const settled = run.catch(() => undefined);
  for (const k of unique) queues.set(k, settled);
  void settled.then(() => {
    for (const k of unique) if (queues.get(k) === settled) queues.delete(k);
  });
  return run;
}
