// Write rates learned on custom endpoints, kept across runs: the ceiling a ThrottlingException
// revealed, per endpoint and operation, so the next `pulumi up` starts just under it instead of
// relearning it (which costs a fleet of copies ~10 % of its run; BENCHMARKS.md §2). One small JSON
// file in the provider's home folder, holding endpoints, operation names and rates only.

import * as path from "node:path";
import { homeDir, readHomeJson, writeFileAtomic } from "../settings/home";

const FILE = "write-rates.json";
/** A learned ceiling is trusted this long (an operator may raise or lower the limit). */
export const RATE_TTL_MS = 7 * 24 * 3600 * 1000;

type Stored = Record<string, { ceiling: number; at: number }>;

/** The ceiling learned for this endpoint and operation, if recent. */
export function loadCeiling(key: string, now = Date.now()): number | undefined {
  const entry = readHomeJson<Stored>(FILE)?.[key];
  return entry && Number.isFinite(entry.ceiling) && entry.ceiling > 0 && now - entry.at < RATE_TTL_MS ? entry.ceiling : undefined;
}

/** Remembers a ceiling; best effort (a failed write only loses the hint). */
export function saveCeiling(key: string, ceiling: number): void {
  try {
    const all = readHomeJson<Stored>(FILE) ?? {};
    all[key] = { ceiling, at: Date.now() };
    writeFileAtomic(path.join(homeDir(), FILE), JSON.stringify(all));
  } catch {
    // only a hint for the next run
  }
}
