// The progress line of a pacer during a long `up` (a dataset of many copies): the rate in use,
// where it comes from, and how long the calls waiting for a slot take at that rate. Printed at
// most every REPORT_EVERY_MS per pacer, through the same progress log as the waiter's lines.

import type { Pacer } from "./pace";

export const REPORT_EVERY_MS = 30_000;

const tps = (n: number) => `${Number(n.toPrecision(3))} TPS`;

/** A duration for people: never "0 s"; seconds up to 90, then minutes, then hours (also the PR summary's). */
export function duration(seconds: number): string {
  if (seconds < 1) return "under a second";
  if (seconds < 90) return `about ${Math.round(seconds)} s`;
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min`;
  return `about ${(seconds / 3600).toFixed(1)} h`;
}

/** What the pacer is doing about the limit, in words. */
export function rateState(pacer: Pacer): string {
  if (pacer.origin === "stated") return pacer.originText;
  if (!Number.isFinite(pacer.rate)) return pacer.originText;
  if (pacer.probing) return `probing upwards, no throttle yet; started from ${pacer.originText}`;
  return `settled under the ${tps(pacer.ceiling)} a throttle showed; started from ${pacer.originText}`;
}

/** The progress line, when one is due (and there is a queue to speak of); marks it reported. */
export function dueReport(pacer: Pacer, operation: string, now = Date.now()): string | undefined {
  if (now - pacer.reportedAt < REPORT_EVERY_MS || pacer.waiting === 0) return undefined;
  pacer.reportedAt = now;
  const rate = Number.isFinite(pacer.rate) ? tps(pacer.rate) : "unpaced";
  const left = Number.isFinite(pacer.rate) ? `: ${duration(pacer.waiting / pacer.rate)} left for them at this rate` : "";
  const throttles = pacer.throttles ? `, ${pacer.throttles} throttled` : "";
  return `${operation} at ${rate} (${rateState(pacer)}); ${pacer.sent} sent${throttles}, ${pacer.waiting} waiting for a slot${left}`;
}
