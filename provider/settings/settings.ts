// Per-call settings derived from inputs: connection, deadlines, and the progress log.

import type { WriteRate } from "./writeRate";

export { connectionOf } from "./connection";

/** Go-style durations ("90s", "30m", "1h30m"); the provider enforces them itself (customTimeouts don't reach dynamic providers). */
export interface Timeouts {
  create?: string;
  update?: string;
  delete?: string;
}

export const DEFAULT_TIMEOUTS = { create: "30m", update: "30m", delete: "10m" } as const;

export function deadlineFor(inputs: { timeouts?: Timeouts }, op: keyof typeof DEFAULT_TIMEOUTS): number {
  return Date.now() + parseDuration(inputs.timeouts?.[op] ?? DEFAULT_TIMEOUTS[op]);
}

/** What a user reads when `timeouts.<op>` ran out: the service goes on, and the next `pulumi up` resumes. */
export function timeoutHint(inputs: { timeouts?: Timeouts }, op: keyof typeof DEFAULT_TIMEOUTS): string {
  const value = inputs.timeouts?.[op] ?? DEFAULT_TIMEOUTS[op];
  return `\`timeouts.${op}\` (${value}) ran out while the service was still working. It goes on without us, and the image set is recorded in state: the next \`pulumi up\` resumes waiting for it instead of starting again. Raise \`timeouts.${op}\` for work this large.`;
}

/** The bounds of one provider operation: its deadline (from `timeouts`) and where progress goes. */
export function runOptions(
  inputs: { timeouts?: Timeouts; ownerTag?: string; writeRate?: WriteRate } & { imageSetId?: string; sourceImageSetId?: string },
  op: keyof typeof DEFAULT_TIMEOUTS,
): { deadline: number; log: (message: string) => void; writeRate?: WriteRate } {
  return {
    deadline: deadlineFor(inputs, op),
    log: progressLog(inputs.ownerTag || inputs.imageSetId || inputs.sourceImageSetId || ""),
    ...(inputs.writeRate ? { writeRate: inputs.writeRate } : {}),
  };
}

/**
 * Progress goes to stderr: the dynamic-provider host has no engine log channel, and the CLI
 * shows a dynamic provider's output. Messages carry ids and counts only, never patient data.
 */
export function progressLog(label: string): (message: string) => void {
  return (message) => process.stderr.write(`[pulumi-healthimaging] ${label}: ${message}\n`);
}

// Go-style durations ("90s", "1h30m"), the format of `timeouts`: Pulumi's customTimeouts do not
// reach dynamic providers, so the provider parses and enforces them itself.

const DURATION_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "\u00b5s": 1e-3, // micro sign
  "\u03bcs": 1e-3, // Greek mu
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};
const DURATION_PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/y;

/**
 * Parses a Go time.ParseDuration string ("90s", "1h30m", "1.5h", "500ms", "-5m", "0") into
 * milliseconds. Throws on anything else (including a missing unit, as Go does).
 */
export function parseDuration(s: string): number {
  if (typeof s !== "string") throw new Error("duration must be a string");
  let rest = s;
  let sign = 1;
  if (rest.startsWith("-") || rest.startsWith("+")) {
    sign = rest.startsWith("-") ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw new Error(`invalid duration ${JSON.stringify(s)}`);
  let total = 0;
  DURATION_PART.lastIndex = 0;
  while (DURATION_PART.lastIndex < rest.length) {
    const match = DURATION_PART.exec(rest);
    if (!match) throw new Error(`invalid duration ${JSON.stringify(s)}`);
    total += Number(match[1]) * DURATION_UNIT_MS[match[2]];
  }
  if (!Number.isFinite(total)) throw new Error(`duration ${JSON.stringify(s)} is too large`);
  return sign * total;
}
