// The write rates a PR summary estimates `pulumi up` with, per operation, and where each comes
// from: what the provider would start from (service/pacers.ts startOf) on this machine, so the
// estimate follows the account instead of assuming 0.25 TPS. First that applies: `--tps` (every
// operation), the lowest `writeRate` input in the preview, PULUMI_HEALTHIMAGING_<OP>_TPS /
// _WRITE_TPS, the rate an earlier run remembered for this account (or endpoint), AWS's documented
// rate (https://docs.aws.amazon.com/healthimaging/latest/devguide/throttling-limits.html).

import { identityOfAccessKeyId } from "../service/account";
import { documentedRate } from "../service/documentedRates";
import { type PacerPlace, startOf } from "../service/pacers";
import { statedRate, type WriteRate } from "../settings/writeRate";

export const SUMMARY_OPERATIONS = ["CopyImageSet", "UpdateImageSetMetadata", "DeleteImageSet"] as const;
export type SummaryOperation = (typeof SUMMARY_OPERATIONS)[number];

/** One operation's rate for the estimate, and why it is that rate. */
export interface RateInUse {
  tps: number;
  burst: number;
  why: string;
}
export type Rates = Record<SummaryOperation, RateInUse>;

const DOCUMENTED_WHY = "AWS's documented rate";

const each = (f: (op: SummaryOperation) => RateInUse): Rates => Object.fromEntries(SUMMARY_OPERATIONS.map((op) => [op, f(op)])) as Rates;

/** AWS's documented rates (no machine state read): the default of `summarize`. */
export function documentedRates(): Rates {
  return each((op) => ({ ...documentedRate(op), why: DOCUMENTED_WHY }));
}

/** Every operation at `tps` (the command's --tps), with the documented bursts. */
export function statedRates(tps: number, source = "--tps"): Rates {
  return each((op) => ({ tps, burst: documentedRate(op).burst, why: `stated by ${source}` }));
}

/** Where the writes would go, from the environment (as the provider resolves it when inputs are silent). */
export function placeFromEnv(env: NodeJS.ProcessEnv = process.env): PacerPlace {
  const endpoint = env.AWS_ENDPOINT_URL_MEDICAL_IMAGING ?? env.AWS_ENDPOINT_URL;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const identity = env.AWS_ACCESS_KEY_ID ? identityOfAccessKeyId(env.AWS_ACCESS_KEY_ID) : undefined;
  return { ...(endpoint ? { endpoint } : {}), ...(region ? { region } : {}), ...(identity ? { identity } : {}) };
}

/** The rates the provider would use on this machine: stated, remembered, else documented. */
export function ratesInUse(writeRate: WriteRate | undefined, env: NodeJS.ProcessEnv = process.env, place: PacerPlace = placeFromEnv(env)): Rates {
  return each((op) => {
    const setup = startOf(place, op, statedRate(op, writeRate, env), env);
    // a custom endpoint with nothing known is unpaced until throttled: estimate with the documented rate
    if (!Number.isFinite(setup.rate)) return { ...documentedRate(op), why: DOCUMENTED_WHY };
    const why = setup.origin === "documented" ? DOCUMENTED_WHY : (setup.originText ?? DOCUMENTED_WHY);
    return { tps: setup.rate, burst: setup.burst, why };
  });
}

/** The lowest rate each operation is given by a `writeRate` input of the preview's resources. */
export function lowestWriteRate(inputs: (Record<string, unknown> | undefined)[]): WriteRate | undefined {
  const out: WriteRate = {};
  for (const i of inputs) {
    const given = i?.writeRate;
    if (!given || typeof given !== "object") continue;
    for (const [k, v] of Object.entries(given as Record<string, unknown>)) {
      if (typeof v !== "number" || !(v > 0)) continue;
      const key = k as keyof WriteRate;
      out[key] = Math.min(out[key] ?? Infinity, v);
    }
  }
  return Object.keys(out).length ? out : undefined;
}
