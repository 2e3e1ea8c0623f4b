// Deterministic patient splits. Each patient gets a point in [0, 1) from a hash of the seed and the
// patient's id, and the cohort whose share covers that point: a patient's cohort depends on the
// seed, the ratios and the patient alone, so adding other patients or studies never moves anyone,
// and all of a patient's series land in one cohort. The ids and the points stay in this process:
// a point is a keyed hash of a low-entropy id, so it is never logged or stored either.

import { createHash } from "node:crypto";

/** The point of a patient in [0, 1): the first 52 bits of SHA-256(seed NUL patientKey). */
export function patientPoint(seed: string, patientKey: string): number {
  const digest = createHash("sha256").update(`${seed}\u0000${patientKey}`).digest();
  return Number(digest.readBigUInt64BE(0) >> 12n) / 2 ** 52;
}

/** The cohort a point falls in: ratios in their declared order, as cumulative shares of their sum. */
export function cohortAt(point: number, ratios: Record<string, number>): string {
  const entries = Object.entries(ratios);
  const total = entries.reduce((a, [, r]) => a + r, 0);
  let edge = 0;
  for (const [cohort, share] of entries) {
    edge += share / total;
    if (point < edge) return cohort;
  }
  return entries[entries.length - 1][0];
}

/** The cohort of one patient in a split. */
export function splitCohort(seed: string, patientKey: string, ratios: Record<string, number>): string {
  return cohortAt(patientPoint(seed, patientKey), ratios);
}
