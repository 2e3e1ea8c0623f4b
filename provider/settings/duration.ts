// Go-style durations ("90s", "1h30m"), the format of `timeouts`: Pulumi's customTimeouts do not reach
// dynamic providers, so the provider parses and enforces them itself.

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
