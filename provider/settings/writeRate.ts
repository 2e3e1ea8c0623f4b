// Write rates the user states: the `writeRate` input (DerivedImageSet, hi.Dataset) and the
// environment. A stated rate is used as the account's limit for that operation: the pacer starts
// there and never probes above it (service/pace.ts). Precedence, most specific first: the input,
// PULUMI_HEALTHIMAGING_<OP>_TPS, PULUMI_HEALTHIMAGING_WRITE_TPS (every write operation).

/** The `writeRate` input's keys and the operation each one paces. */
export const WRITE_RATE_OPERATIONS = {
  copyImageSet: "CopyImageSet",
  updateImageSetMetadata: "UpdateImageSetMetadata",
  deleteImageSet: "DeleteImageSet",
} as const;

export type WriteRateKey = keyof typeof WRITE_RATE_OPERATIONS;
export type WriteOperationName = (typeof WRITE_RATE_OPERATIONS)[WriteRateKey];
/** Calls per second per operation, e.g. `{ copyImageSet: 5 }`. */
export type WriteRate = Partial<Record<WriteRateKey, number>>;

export const WRITE_RATE_KEYS = Object.keys(WRITE_RATE_OPERATIONS) as WriteRateKey[];

/** The environment variable stating one operation's rate. */
export const RATE_ENV: Record<WriteOperationName, string> = {
  CopyImageSet: "PULUMI_HEALTHIMAGING_COPY_TPS",
  UpdateImageSetMetadata: "PULUMI_HEALTHIMAGING_UPDATE_TPS",
  DeleteImageSet: "PULUMI_HEALTHIMAGING_DELETE_TPS",
};
/** States the rate of every write operation (older name; an operation's own variable wins). */
export const ALL_WRITES_ENV = "PULUMI_HEALTHIMAGING_WRITE_TPS";

/** Above any limit AWS would grant: a typo (5000 for 5) is refused rather than flooding the service. */
export const MAX_STATED_TPS = 1000;

/** A stated rate and where it came from ("writeRate.copyImageSet", or the variable's name). */
export interface StatedRate {
  tps: number;
  source: string;
}

/** Why a value is not a usable rate, or undefined when it is. */
export function rateProblem(value: unknown): string | undefined {
  if (typeof value !== "number" || !Number.isFinite(value)) return `must be a number of calls per second such as 0.25 or 5, got ${JSON.stringify(value)}`;
  if (!(value > 0) || value > MAX_STATED_TPS) return `must be more than 0 and at most ${MAX_STATED_TPS} calls per second, got ${value}`;
  return undefined;
}

/** A rate from the environment: a decimal number, else a problem naming the variable. */
function envRate(env: NodeJS.ProcessEnv, name: string): number | { problem: string } | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === "") return undefined;
  const n = /^\s*(\d+(\.\d*)?|\.\d+)\s*$/.test(raw) ? Number(raw) : Number.NaN;
  const problem = rateProblem(n);
  return problem ? { problem: `${name}: ${problem.replace(/got .*$/, `got ${JSON.stringify(raw)}`)}` } : n;
}

/** Problems with the rate variables in the environment, one line each naming the variable. */
export function envRateProblems(env: NodeJS.ProcessEnv = process.env): string[] {
  return [...Object.values(RATE_ENV), ALL_WRITES_ENV].flatMap((name) => {
    const r = envRate(env, name);
    return typeof r === "object" ? [r.problem] : [];
  });
}

/** The rate stated for an operation, if any (an invalid variable is skipped here: check reports it). */
export function statedRate(operation: string, input: WriteRate | undefined, env: NodeJS.ProcessEnv = process.env): StatedRate | undefined {
  const key = WRITE_RATE_KEYS.find((k) => WRITE_RATE_OPERATIONS[k] === operation);
  const given = key ? input?.[key] : undefined;
  if (key && given !== undefined && rateProblem(given) === undefined) return { tps: given, source: `writeRate.${key}` };
  for (const name of [RATE_ENV[operation as WriteOperationName], ALL_WRITES_ENV]) {
    if (!name) continue;
    const r = envRate(env, name);
    if (typeof r === "number") return { tps: r, source: name };
  }
  return undefined;
}

/** Problems with a `writeRate` value, as "writeRate.<key>: <reason>" lines (hi.Dataset's check; check.ts has its own with suggestions). */
export function writeRateProblems(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value !== "object" || Array.isArray(value))
    return [`writeRate: must be an object of calls per second by operation like { copyImageSet: 5 }, got ${JSON.stringify(value)}`];
  return Object.entries(value as Record<string, unknown>).flatMap(([key, rate]) => {
    if (!(WRITE_RATE_KEYS as string[]).includes(key)) return [`writeRate.${key}: is not a known property; known properties: ${WRITE_RATE_KEYS.join(", ")}`];
    const problem = rate === undefined ? undefined : rateProblem(rate);
    return problem ? [`writeRate.${key}: ${problem}`] : [];
  });
}
