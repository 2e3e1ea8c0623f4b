// Which pacer a write goes through, and where it starts. One pacer per process and key: on AWS the
// account, Region and operation (the limits are per account and Region; account.ts), on any other
// endpoint the endpoint and operation. Where it starts, first that applies:
//   stated      the `writeRate` input, PULUMI_HEALTHIMAGING_<COPY|UPDATE|DELETE>_TPS,
//               PULUMI_HEALTHIMAGING_WRITE_TPS (settings/writeRate.ts): the ceiling, no probing
//   remembered  what an earlier run learned for the same key (rateStore.ts), unless older than a week
//   documented  AWS's throttling table (documentedRates.ts), then probing upwards; a custom
//               endpoint too when PULUMI_HEALTHIMAGING_RATE_TABLE_SCALE says its limits are the
//               table × that factor (the local service's realistic profile run with --rate-scale)
//   unlimited   any other custom endpoint (the local service's fast profile has no limits): unpaced
//               until the first ThrottlingException

import { processState } from "../settings/processState";
import { statedRate, type StatedRate, type WriteRate } from "../settings/writeRate";
import { isAwsEndpoint } from "./client";
import { documentedRate } from "./documentedRates";
import { Pacer, type PacerSetup, SETTLE } from "./pace";
import { type Learned, loadLearned, rateKey, saveLearned } from "./rateStore";

/** Where the writes go: an endpoint (undefined: AWS), the Region, and the account's identity (account.ts). */
export interface PacerPlace {
  endpoint?: string;
  region?: string;
  identity?: string;
}

export interface PacerOptions {
  env?: NodeJS.ProcessEnv;
  /** the `writeRate` input of the resource making the call */
  writeRate?: WriteRate;
}

export const RATE_TABLE_SCALE_ENV = "PULUMI_HEALTHIMAGING_RATE_TABLE_SCALE";

const tps = (n: number) => `${Number(n.toPrecision(3))} TPS`;

/** True for AWS (no endpoint, or an AWS host given as endpoint, such as a FIPS one). */
export const isAws = (place: PacerPlace) => place.endpoint === undefined || isAwsEndpoint(place.endpoint);

/** The pacer's key (also its key in the rates file). */
export const pacerKey = (place: PacerPlace, operation: string) =>
  rateKey(operation, isAws(place) ? { region: place.region, identity: place.identity } : { endpoint: place.endpoint });

/** The factor a custom endpoint's limits are of the documented table, if the environment says so. */
function tableScale(env: NodeJS.ProcessEnv): number | undefined {
  const n = Number(env[RATE_TABLE_SCALE_ENV]);
  return env[RATE_TABLE_SCALE_ENV] && Number.isFinite(n) && n > 0 ? n : undefined;
}

/** Where a new pacer for this key starts (reads the rates file; creates nothing). */
export function startOf(place: PacerPlace, operation: string, stated: StatedRate | undefined, env: NodeJS.ProcessEnv = process.env): PacerSetup {
  const aws = isAws(place);
  const key = pacerKey(place, operation);
  const scale = aws ? 1 : tableScale(env);
  const documented = documentedRate(operation);
  const burstEnv = Number(env.PULUMI_HEALTHIMAGING_WRITE_BURST);
  const burst = burstEnv >= 1 ? Math.floor(burstEnv) : scale !== undefined ? documented.burst : 1;
  if (stated) return { rate: stated.tps, burst, ceiling: stated.tps, origin: "stated", originText: `stated by ${stated.source}` };
  const onLearned = (learned: Learned) => saveLearned(key, learned);
  const learned = loadLearned(key);
  if (learned?.ceiling !== undefined)
    return {
      rate: SETTLE * learned.ceiling,
      burst,
      ceiling: learned.ceiling,
      origin: "remembered",
      originText: `remembered: an earlier run was throttled at ${tps(learned.ceiling)}`,
      onLearned,
    };
  if (learned)
    return { rate: learned.rate, burst, origin: "remembered", originText: `remembered: an earlier run reached ${tps(learned.rate)} unthrottled`, onLearned };
  if (scale !== undefined)
    return {
      rate: documented.tps * scale,
      burst,
      origin: "documented",
      originText: aws ? `AWS's documented ${tps(documented.tps)}` : `the documented ${tps(documented.tps)} × ${scale}`,
      onLearned,
    };
  return { rate: Infinity, burst, origin: "unlimited", originText: "a custom endpoint: unpaced until throttled", onLearned };
}

/** The process's pacer for these writes; a rate stated now applies to it from here on. */
export function pacerFor(place: PacerPlace, operation: string, opts: PacerOptions = {}): Pacer {
  const env = opts.env ?? process.env;
  const pacers = processState().pacers as Map<string, Pacer>;
  const key = pacerKey(place, operation);
  const stated = statedRate(operation, opts.writeRate, env);
  let pacer = pacers.get(key);
  if (!pacer) {
    pacer = new Pacer(startOf(place, operation, stated, env));
    pacers.set(key, pacer);
  } else if (stated) pacer.state(stated.tps, `stated by ${stated.source}`);
  return pacer;
}
