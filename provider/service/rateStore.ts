// Write rates learned in earlier runs, per account, Region and operation on AWS (account.ts) and
// per endpoint and operation elsewhere: the ceiling a ThrottlingException revealed, or the rate
// probing reached without one, so the next `pulumi up` starts there instead of relearning it
// (which costs a fleet of copies ~10 % of its run; BENCHMARKS.md §2). One small JSON file in the
// provider's home folder, holding those keys and rates only.

import * as path from "node:path";
import { homeDir, readHomeJson, writeFileAtomic } from "../settings/home";

const FILE = "write-rates.json";
/** A learned rate is trusted this long (an operator may raise or lower the limit). */
export const RATE_TTL_MS = 7 * 24 * 3600 * 1000;

/** What an earlier run learned. */
export interface Learned {
  /** the rate a ThrottlingException was seen at; absent when probing never hit the limit */
  ceiling?: number;
  /** the rate in use when it was saved */
  rate: number;
}

type Stored = Record<string, { ceiling?: number; rate?: number; at: number }>;

const positive = (n: unknown): n is number => typeof n === "number" && Number.isFinite(n) && n > 0;

/** The store key of a pacer: `aws|<region>|<identity>|<operation>` on AWS, `<endpoint>|<operation>` elsewhere. */
export function rateKey(operation: string, where: { endpoint?: string; region?: string; identity?: string }): string {
  return where.endpoint !== undefined ? `${where.endpoint}|${operation}` : `aws|${where.region ?? "?"}|${where.identity ?? "?"}|${operation}`;
}

/** What was learned for this key, if recent. */
export function loadLearned(key: string, now = Date.now()): Learned | undefined {
  const entry = readHomeJson<Stored>(FILE)?.[key];
  if (!entry || !(now - entry.at < RATE_TTL_MS)) return undefined;
  const ceiling = positive(entry.ceiling) ? entry.ceiling : undefined;
  const rate = positive(entry.rate) ? entry.rate : ceiling;
  return rate === undefined ? undefined : { ...(ceiling !== undefined ? { ceiling } : {}), rate };
}

/** The ceiling learned for this key, if recent and a throttle revealed one. */
export function loadCeiling(key: string, now = Date.now()): number | undefined {
  return loadLearned(key, now)?.ceiling;
}

/** Remembers what was learned; best effort (a failed write only loses the hint). */
export function saveLearned(key: string, learned: Learned): void {
  try {
    const all = readHomeJson<Stored>(FILE) ?? {};
    all[key] = { ...(learned.ceiling !== undefined ? { ceiling: learned.ceiling } : {}), rate: learned.rate, at: Date.now() };
    writeFileAtomic(path.join(homeDir(), FILE), JSON.stringify(all));
  } catch {
    // only a hint for the next run
  }
}
