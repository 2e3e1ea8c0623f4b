// Process-wide pacing of write calls (CopyImageSet, UpdateImageSetMetadata, DeleteImageSet).
// The real service allows 0.25 TPS for each with a burst of 1, so a `pulumi up` of many
// resources must queue its writes instead of failing. One pacer per endpoint and operation
// lives in the provider process, shared by every resource.
//
// Rate: PULUMI_HEALTHIMAGING_WRITE_TPS / _WRITE_BURST when set; otherwise the documented 0.25/1
// for AWS endpoints (none given, or an AWS host such as a FIPS endpoint), and "unlimited until
// throttled" for a custom endpoint (the local service's
// fast profile has no limits). A known rate (set or documented) is where the pacer settles from
// the start. On the first ThrottlingException of an unlimited pacer the rate starts from what
// succeeded in the last second and grows by half per success while no limit is known. A throttle
// at rate r marks r as the ceiling and cuts the rate to 0.8 r; successes raise it by 20 % up to
// 0.9 × the ceiling, then probe upwards by 0.2 % per success (the limit may have been raised), so
// it settles just under the service's limit instead of oscillating around it: with a burst of 1,
// every call above the limit costs a whole slot. Throttles of calls sent before the last cut
// count once: a burst of refusals is one signal, not several. A custom endpoint's ceiling is kept
// across runs (service/rateStore.ts), so the next run starts settled under it.

import { processState } from "../settings/processState";
import { isAwsEndpoint } from "./client";
import { loadCeiling, saveCeiling } from "./rateStore";

const DOCUMENTED_WRITE_TPS = 0.25;
const MIN_TPS = 0.05;
/** where the rate settles, as a share of the last rate a throttle was seen at */
const SETTLE = 0.9;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A slot handed out by acquire(): when, and at what rate (what a refusal of it says about the limit). */
export interface Grant {
  at: number;
  rate: number;
}

export class Pacer {
  private tokens: number;
  private at = Date.now();
  private successes: number[] = [];
  private chain: Promise<unknown> = Promise.resolve();
  private lastGrantAt = 0;
  private lastCutAt = -1;
  throttles = 0;

  constructor(
    public rate: number,
    readonly burst: number,
    /** the rate a throttle was last seen at (Infinity: none yet) */
    public ceiling = Infinity,
    /** told each new ceiling, to remember it across runs */
    private readonly onCeiling?: (ceiling: number) => void,
  ) {
    this.tokens = burst;
  }

  /** Wait for a slot. Slots are handed out in call order. */
  acquire(): Promise<Grant> {
    const turn = this.chain.then(async (): Promise<Grant> => {
      for (;;) {
        const now = Date.now();
        if (Number.isFinite(this.rate)) this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
        else this.tokens = this.burst;
        this.at = now;
        if (this.tokens >= 1) {
          this.tokens -= 1;
          this.lastGrantAt = now;
          return { at: now, rate: this.rate };
        }
        await sleep(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
      }
    });
    this.chain = turn.catch(() => undefined);
    return turn;
  }

  succeeded(): void {
    const now = Date.now();
    this.successes.push(now);
    this.successes = this.successes.filter((t) => now - t < 10_000);
    if (!Number.isFinite(this.rate)) return;
    // Nothing known yet: grow by half per success. Else back up quickly to just under the last
    // ceiling (arrivals jitter, and a burst of 1 refuses any call closer than 1/limit to the one
    // before), then probe slowly in case the limit rose.
    if (!Number.isFinite(this.ceiling)) this.rate *= 1.5;
    else {
      const target = SETTLE * this.ceiling;
      this.rate = this.rate < target ? Math.min(this.rate * 1.2, target) : this.rate * 1.002;
    }
  }

  /** A call was refused with a ThrottlingException; `grant` is its slot (default: the last one handed out). */
  throttled(grant: Grant = { at: this.lastGrantAt, rate: this.rate }): void {
    this.throttles++;
    const now = Date.now();
    this.tokens = Math.min(this.tokens, 0);
    this.at = now;
    // A call granted before the last cut: the cut already accounts for it.
    if (grant.at <= this.lastCutAt) return;
    this.lastCutAt = now;
    if (Number.isFinite(this.rate)) {
      // The limit is below the rate the refused call was sent at, not the rate grown since.
      const tried = Math.min(this.rate, grant.rate);
      this.ceiling = tried;
      this.rate = Math.max(MIN_TPS, tried * 0.8);
      this.onCeiling?.(tried);
    } else {
      // First throttle: start from what succeeded in the last second (at least one call).
      const lastSecond = this.successes.filter((t) => now - t < 1000).length;
      this.rate = Math.max(MIN_TPS, lastSecond, 1);
    }
  }
}

export function pacerFor(endpoint: string | undefined, operation: string, env: NodeJS.ProcessEnv = process.env): Pacer {
  const pacers = processState().pacers as Map<string, Pacer>;
  const key = `${endpoint ?? "aws"}|${operation}`;
  let p = pacers.get(key);
  if (!p) {
    const configured = env.PULUMI_HEALTHIMAGING_WRITE_TPS ? Number(env.PULUMI_HEALTHIMAGING_WRITE_TPS) : undefined;
    const burst = Number(env.PULUMI_HEALTHIMAGING_WRITE_BURST ?? 1);
    // An AWS host given as endpoint (FIPS, dual-stack, regional) is AWS, with AWS's documented limit.
    const custom = endpoint !== undefined && !isAwsEndpoint(endpoint);
    // a custom endpoint's ceiling learned by an earlier run (service/rateStore.ts)
    const learned = configured === undefined && custom ? loadCeiling(key) : undefined;
    const remember = configured === undefined && custom ? (ceiling: number) => saveCeiling(key, ceiling) : undefined;
    if (learned !== undefined) p = new Pacer(learned * SETTLE, burst, learned, remember);
    else {
      const rate = configured ?? (custom ? Infinity : DOCUMENTED_WRITE_TPS);
      // a known rate starts settled: as if a throttle had been seen just above it
      p = new Pacer(rate, burst, Number.isFinite(rate) ? rate / SETTLE : Infinity, remember);
    }
    pacers.set(key, p);
  }
  return p;
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
