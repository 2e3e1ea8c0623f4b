// Durations learned in earlier runs, so the first copy of a `pulumi up` is not waited for blind
// (BENCHMARKS.md §1). One small JSON file in the provider's home folder, keyed by kind of work
// and endpoint, holding only sizes and milliseconds. Best effort both ways: a missing or broken
// file means "nothing learned yet", and a failed write only loses the hint.

import * as path from "node:path";
import { homeDir, readHomeJson, writeFileAtomic } from "../settings/home";

export interface DurationSample {
  /** instances copied (1 for updates and deletes) */
  size: number;
  ms: number;
}

type Stored = Record<string, { at: number; samples: DurationSample[] }>;

/** Keys kept (the most recently used); each holds at most SAMPLES_KEPT samples. */
const MAX_KEYS = 32;
export const SAMPLES_KEPT = 10;

const file = () => path.join(homeDir(), "durations.json");

function readAll(): Stored {
  const parsed = readHomeJson<Stored>("durations.json");
  return parsed && typeof parsed === "object" ? parsed : {};
}

export function loadDurations(key: string): DurationSample[] {
  const samples = readAll()[key]?.samples;
  return Array.isArray(samples) ? samples.filter((s) => Number.isFinite(s?.size) && s.ms > 0).slice(-SAMPLES_KEPT) : [];
}

export function saveDurations(key: string, samples: DurationSample[]): void {
  try {
    const all = readAll();
    all[key] = { at: Date.now(), samples: samples.slice(-SAMPLES_KEPT) };
    const kept = Object.entries(all)
      .sort((a, b) => b[1].at - a[1].at)
      .slice(0, MAX_KEYS);
    writeFileAtomic(file(), JSON.stringify(Object.fromEntries(kept)));
  } catch {
    // only a hint for the next run
  }
}
