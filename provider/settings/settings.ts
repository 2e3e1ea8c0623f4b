// Per-call settings derived from inputs: connection, deadlines, and the progress log.

export { connectionOf } from "./connection";
import type { DerivedImageSetInputs } from "../resource/types";
import { parseDuration } from "./duration";

export const DEFAULT_TIMEOUTS = { create: "30m", update: "30m", delete: "10m" } as const;

export function deadlineFor(inputs: Pick<DerivedImageSetInputs, "timeouts">, op: keyof typeof DEFAULT_TIMEOUTS): number {
  return Date.now() + parseDuration(inputs.timeouts?.[op] ?? DEFAULT_TIMEOUTS[op]);
}

/** What a user reads when `timeouts.<op>` ran out: the service goes on, and the next `pulumi up` resumes. */
export function timeoutHint(inputs: Pick<DerivedImageSetInputs, "timeouts">, op: keyof typeof DEFAULT_TIMEOUTS): string {
  const value = inputs.timeouts?.[op] ?? DEFAULT_TIMEOUTS[op];
  return `\`timeouts.${op}\` (${value}) ran out while the service was still working. It goes on without us, and the image set is recorded in state: the next \`pulumi up\` resumes waiting for it instead of starting again. Raise \`timeouts.${op}\` for work this large.`;
}

/** The bounds of one provider operation: its deadline (from `timeouts`) and where progress goes. */
export function runOptions(
  inputs: Pick<DerivedImageSetInputs, "timeouts" | "ownerTag"> & { imageSetId?: string; sourceImageSetId?: string },
  op: keyof typeof DEFAULT_TIMEOUTS,
): { deadline: number; log: (message: string) => void } {
  return { deadline: deadlineFor(inputs, op), log: progressLog(inputs.ownerTag || inputs.imageSetId || inputs.sourceImageSetId || "") };
}

/**
 * Progress goes to stderr: the dynamic-provider host has no engine log channel, and the CLI
 * shows a dynamic provider's output. Messages carry ids and counts only, never patient data.
 */
export function progressLog(label: string): (message: string) => void {
  return (message) => process.stderr.write(`[pulumi-healthimaging] ${label}: ${message}\n`);
}
