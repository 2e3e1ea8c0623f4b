// The service's clock, read from the Date header of its answers (every HTTP origin server with a
// clock sends one: https://www.rfc-editor.org/rfc/rfc9110#section-6.6.1). Recovery judges "made
// after our request was sent" by it, never by this machine's clock: SigV4 accepts requests from
// clients minutes off (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_sigv-troubleshooting.html).

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { processState } from "../settings/processState";

/** The Date header has whole seconds: a time read from it is within this of the service's own. */
export const CLOCK_RESOLUTION_MS = 1000;

/** Adds a middleware that notes the service's time from each answer's Date header. */
export function watchServiceClock(client: MedicalImagingClient): void {
  client.middlewareStack.add(
    (next) => async (args) => {
      const out = await next(args);
      const header = (out.response as { headers?: Record<string, string> } | undefined)?.headers?.date;
      const at = header ? Date.parse(header) : Number.NaN;
      if (Number.isFinite(at)) processState().serviceClockOffsetMs = at - Date.now();
      return out;
    },
    { step: "deserialize", name: "pulumiHealthImagingServiceClock", override: true },
  );
}

/**
 * The service's time now (epoch ms), as of its last answer. Without any answer seen yet this is
 * the local clock (inferred fallback; recovery then widens nothing, but it only ever asks after
 * the service answered a read for the same write).
 */
export function serviceNow(): number {
  return Date.now() + (processState().serviceClockOffsetMs ?? 0);
}
