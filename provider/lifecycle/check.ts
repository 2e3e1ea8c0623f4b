// `check` rules for DerivedImageSet inputs. Pure and total: any value in, a list of failures out,
// never a throw. Each failure names the property (dotted path) and the rule it broke, and quotes
// only the offending value, so messages never carry other inputs (or anything patient-level).
//
// Decisions:
// * Version ids may be given as strings of digits or as whole numbers; numbers are normalised to
//   strings (the service's type) in the returned inputs, so a later diff compares like with like.
//   "0" and leading zeros are rejected: versions count from 1 and "01" would never equal the
//   service's "1".
// * Timeouts are Go-style duration strings, bounded to (0, 24h]; plain numbers are rejected
//   because their unit would be a guess.
// * The unknown sentinel (preview) is accepted wherever a value may appear and skips the rules
//   for that value, including cross-field rules that depend on it; `up` checks again with real values.
// * null counts as "not set" for optional properties and is dropped from the returned inputs.

import { INPUT_NAMES, nestedKeys, OWNER_TAG_INPUT } from "../resource/schema";
import { describe, seriesKeyProblem, uidProblem } from "../subset/uids";

export { seriesKeyProblem, uidProblem } from "../subset/uids";
import { parseDuration } from "../settings/settings";
import { envRateProblems, rateProblem } from "../settings/writeRate";

export { parseDuration } from "../settings/settings";
import { type DerivedImageSetInputs, isUnknown } from "../resource/types";

export interface CheckFailure {
  property: string;
  reason: string;
}

export interface ValidationResult {
  inputs: DerivedImageSetInputs;
  failures: CheckFailure[];
}

const HEALTHIMAGING_ID = /^[0-9a-z]{32}$/;
const VERSION_ID = /^\d+$/;
// us-east-1, us-gov-west-1, cn-north-1, us-isob-east-1, eusc-de-east-1 ...
const AWS_REGION = /^[a-z]{2,4}(-[a-z]+){1,2}-\d{1,2}$/;
const MAX_TIMEOUT_MS = 24 * 60 * 60 * 1000;

const TOP_LEVEL = [...INPUT_NAMES, OWNER_TAG_INPUT] as const;
const SUBSET_KEYS = nestedKeys("subset");
const DESTINATION_KEYS = nestedKeys("destination");
const TIMEOUT_KEYS = nestedKeys("timeouts");
const WRITE_RATE_KEYS = nestedKeys("writeRate");
/** Reserved by the dynamic-provider host: the serialized provider. Passed through untouched. */
const PROVIDER_KEY = "__provider";

type Fail = (property: string, reason: string) => void;
type Json = Record<string, unknown>;

export function validateInputs(news: unknown): ValidationResult {
  const failures: CheckFailure[] = [];
  const fail: Fail = (property, reason) => failures.push({ property, reason });
  if (!isPlainObject(news)) {
    fail("inputs", `must be an object of resource properties, got ${describe(news)}`);
    return { inputs: {} as DerivedImageSetInputs, failures };
  }
  const inputs: Json = {};
  for (const [key, value] of Object.entries(news)) {
    if (value !== null) inputs[key] = value;
  }

  rejectUnknownKeys(inputs, TOP_LEVEL, "", fail, [PROVIDER_KEY]);
  checkId(inputs.datastoreId, "datastoreId", fail, true);
  checkId(inputs.sourceImageSetId, "sourceImageSetId", fail, true);
  normaliseVersion(inputs, "sourceVersionId", "sourceVersionId", fail);
  checkSubset(inputs.subset, inputs.sourceImageSetId, fail);
  checkDestination(inputs, fail);
  checkBoolean(inputs.force, "force", fail);
  checkBoolean(inputs.mergeAcrossPatients, "mergeAcrossPatients", fail);
  checkBoolean(inputs.checkWithService, "checkWithService", fail);
  checkBoolean(inputs.promoteToPrimary, "promoteToPrimary", fail);
  checkTimeouts(inputs.timeouts, fail);
  checkWriteRate(inputs.writeRate, fail);
  checkRegion(inputs.region, fail);
  checkEndpoint(inputs.endpoint, fail);
  checkOwnerTag(inputs.ownerTag, fail);
  checkId(inputs.adoptImageSetId, "adoptImageSetId", fail, false);
  checkOnDrift(inputs.onDrift, fail);
  checkOnForeignVersions(inputs.onForeignVersions, fail);
  if (inputs.adoptImageSetId !== undefined && !isUnknown(inputs.adoptImageSetId)) {
    if (inputs.destination !== undefined)
      fail("adoptImageSetId", "cannot be combined with destination: adoption records an image set of its own, a merge belongs to the destination");
    if (inputs.promoteToPrimary === true) fail("adoptImageSetId", "cannot be combined with promoteToPrimary: adoption records an existing image set as it is");
    if (inputs.adoptImageSetId === inputs.sourceImageSetId) fail("adoptImageSetId", "is the source image set itself; adopt the copy a script made from it");
  }

  if (inputs.destination !== undefined && !isUnknown(inputs.destination) && inputs.promoteToPrimary === true) {
    // Promotion makes a new primary image set with a new id; that cannot be a merge into an existing one.
    fail(
      "promoteToPrimary",
      "cannot be true together with destination: promotion creates a new primary image set (new id), so it cannot merge into an existing one",
    );
  }
  return { inputs: inputs as unknown as DerivedImageSetInputs, failures };
}

// ---- single values ----

function checkOnDrift(value: unknown, fail: Fail): void {
  if (value === undefined || isUnknown(value)) return;
  if (value !== "keep" && value !== "revert")
    fail("onDrift", `must be "keep" (record versions made outside Pulumi as the new baseline) or "revert" (revert them), got ${describe(value)}`);
}

function checkOnForeignVersions(value: unknown, fail: Fail): void {
  if (value === undefined || isUnknown(value)) return;
  if (value !== "stop" && value !== "delete" && value !== "leave")
    fail(
      "onForeignVersions",
      `must be "stop" (destroy fails naming versions this stack did not make), "delete" (delete the image set anyway) or "leave" (keep it, remove it from state), got ${describe(value)}`,
    );
}

function checkId(value: unknown, property: string, fail: Fail, required: boolean): void {
  if (value === undefined) {
    if (required) fail(property, "is required");
    return;
  }
  if (isUnknown(value)) return;
  if (typeof value !== "string" || !HEALTHIMAGING_ID.test(value)) {
    fail(property, `must be 32 lowercase letters or digits (HealthImaging id), got ${describe(value)}`);
  }
}

/** Checks container[key] as a version id and rewrites a whole number to its string form. */
function normaliseVersion(container: Json, key: string, property: string, fail: Fail, requiredReason?: string): void {
  const value = container[key];
  if (value === undefined) {
    if (requiredReason !== undefined) fail(property, requiredReason);
    return;
  }
  if (isUnknown(value)) return;
  const rule = `must be a version id: a whole number from 1, written as digits without leading zeros (e.g. "1"), got ${describe(value)}`;
  if (typeof value === "number") {
    if (Number.isSafeInteger(value) && value >= 1) container[key] = String(value);
    else fail(property, rule);
    return;
  }
  if (typeof value !== "string" || !VERSION_ID.test(value) || value.startsWith("0")) fail(property, rule);
}

function checkBoolean(value: unknown, property: string, fail: Fail): void {
  if (value === undefined || isUnknown(value)) return;
  if (typeof value !== "boolean") fail(property, `must be true or false, got ${describe(value)}`);
}

function checkRegion(value: unknown, fail: Fail): void {
  if (value === undefined || isUnknown(value)) return;
  if (typeof value !== "string" || !AWS_REGION.test(value)) {
    fail("region", `must be an AWS region such as "us-east-1", got ${describe(value)}`);
  }
}

/** Set by the resource class ("<project>/<stack>/<name>"); it becomes a tag value. */
function checkOwnerTag(value: unknown, fail: Fail): void {
  if (value === undefined || isUnknown(value)) return;
  if (typeof value !== "string" || value.length === 0 || value.length > 256) {
    fail("ownerTag", `must be a string of 1 to 256 characters (a tag value), got ${describe(value)}`);
  }
}

function checkEndpoint(value: unknown, fail: Fail): void {
  if (value === undefined || isUnknown(value)) return;
  if (typeof value !== "string") {
    fail("endpoint", `must be an http(s) URL string, got ${describe(value)}`);
    return;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail("endpoint", `must be an http(s) URL such as "https://medical-imaging.us-east-1.amazonaws.com", got ${describe(value)}`);
    return;
  }
  if (url.username !== "" || url.password !== "") {
    // Inputs are stored in state: never echo what looks like a credential.
    fail("endpoint", "must not contain a user name or password (the value is stored in state)");
  } else if (url.protocol !== "http:" && url.protocol !== "https:") {
    fail("endpoint", `must use http or https, got ${describe(value)}`);
  } else if (url.search !== "" || url.hash !== "") {
    fail("endpoint", `must not have a query or fragment, got ${describe(value)}`);
  }
}

// ---- timeouts ----

function checkTimeouts(value: unknown, fail: Fail): void {
  checkKeyedObject(value, "timeouts", TIMEOUT_KEYS, `an object like { create: "30m" }`, fail, (duration, property) => {
    if (typeof duration !== "string") {
      fail(property, `must be a duration string such as "30m" or "1h30m", got ${describe(duration)}`);
      return;
    }
    let ms: number;
    try {
      ms = parseDuration(duration);
    } catch {
      fail(property, `must be a duration such as "90s", "30m" or "1h30m" (units ns, us, ms, s, m, h), got ${describe(duration)}`);
      return;
    }
    if (!(ms > 0) || ms > MAX_TIMEOUT_MS) fail(property, `must be more than 0 and at most 24h, got ${describe(duration)}`);
  });
}

// ---- writeRate ----

/** `writeRate` (an object of positive numbers by operation), and the rate variables of the environment. */
function checkWriteRate(value: unknown, fail: Fail, env: NodeJS.ProcessEnv = process.env): void {
  for (const problem of envRateProblems(env)) fail("environment", problem);
  checkKeyedObject(value, "writeRate", WRITE_RATE_KEYS, "an object of calls per second by operation like { copyImageSet: 5 }", fail, (rate, property) => {
    const problem = rateProblem(rate);
    if (problem) fail(property, problem);
  });
}

/**
 * An optional object input whose keys are `keys` (`like` says what it must be): unknown keys are
 * named, and `entry` checks each value that is set and known, with its property path.
 */
function checkKeyedObject(
  value: unknown,
  property: string,
  keys: readonly string[],
  like: string,
  fail: Fail,
  entry: (v: unknown, property: string) => void,
): void {
  if (value === undefined || isUnknown(value)) return;
  if (!isPlainObject(value)) {
    fail(property, `must be ${like}, got ${describe(value)}`);
    return;
  }
  rejectUnknownKeys(value, keys, property, fail);
  for (const key of keys) {
    const v = value[key];
    if (v === undefined || v === null || isUnknown(v)) continue;
    entry(v, `${property}.${key}`);
  }
}

// ---- subset ----

function checkSubset(value: unknown, sourceImageSetId: unknown, fail: Fail): void {
  if (value === undefined || isUnknown(value)) return;
  if (!isPlainObject(value)) {
    fail("subset", `must be an object like { series: { "<SeriesInstanceUID>": "all" } }, got ${describe(value)}`);
    return;
  }
  rejectUnknownKeys(value, SUBSET_KEYS, "subset", fail);
  const series = value.series;
  if (isUnknown(series)) return;
  if (series === undefined || series === null) {
    fail("subset.series", "is required when subset is set (omit subset to copy everything)");
    return;
  }
  if (!isPlainObject(series)) {
    fail("subset.series", `must be an object keyed by SeriesInstanceUID, got ${describe(series)}`);
    return;
  }
  const entries = Object.entries(series);
  if (entries.length === 0) {
    fail("subset.series", "must name at least one series (omit subset to copy everything)");
    return;
  }
  const seriesOfInstance = new Map<string, string>();
  for (const [seriesUid, selection] of entries) {
    const property = `subset.series${keyPath(seriesUid)}`;
    if (!isUnknown(seriesUid)) checkSeriesKey(seriesUid, property, sourceImageSetId, fail);
    checkSeriesSelection(seriesUid, selection, property, seriesOfInstance, fail);
  }
}

function checkSeriesKey(seriesUid: string, property: string, sourceImageSetId: unknown, fail: Fail): void {
  const problem = seriesKeyProblem(seriesUid);
  if (problem !== undefined) fail(property, problem);
  else if (seriesUid === sourceImageSetId) {
    fail(property, `must be a SeriesInstanceUID, got ${describe(seriesUid)}, which is the source image set id`);
  }
}

function checkSeriesSelection(seriesUid: string, selection: unknown, property: string, seriesOfInstance: Map<string, string>, fail: Fail): void {
  if (selection === "all" || isUnknown(selection)) return;
  const rule = `must be "all" or a non-empty list of SOP Instance UIDs`;
  if (typeof selection === "string") {
    const hint = uidProblem(selection) === undefined ? ` (wrap a single UID in a list: ["..."])` : "";
    fail(property, `${rule}, got ${describe(selection)}${hint}`);
    return;
  }
  if (!Array.isArray(selection)) {
    fail(property, `${rule}, got ${describe(selection)}`);
    return;
  }
  if (selection.length === 0) {
    fail(property, `${rule}, got an empty list (remove the series to copy none of it)`);
    return;
  }
  const firstIndex = new Map<string, number>();
  selection.forEach((instanceUid: unknown, index) => {
    const at = `${property}[${index}]`;
    if (isUnknown(instanceUid)) return;
    if (typeof instanceUid !== "string") {
      fail(at, `must be a SOP Instance UID string, got ${describe(instanceUid)}`);
      return;
    }
    const problem = uidProblem(instanceUid);
    if (problem !== undefined) {
      fail(at, problem);
      return;
    }
    if (instanceUid === seriesUid) {
      fail(at, `must be a SOP Instance UID, got ${describe(instanceUid)}, which is the SeriesInstanceUID it is listed under`);
      return;
    }
    const earlier = firstIndex.get(instanceUid);
    if (earlier !== undefined) {
      fail(at, `must not repeat an instance, got ${describe(instanceUid)} again (first at index ${earlier})`);
      return;
    }
    firstIndex.set(instanceUid, index);
    const otherSeries = seriesOfInstance.get(instanceUid);
    if (otherSeries !== undefined && otherSeries !== seriesUid) {
      // SOP Instance UIDs are unique in an image set: the same UID cannot be in two series.
      fail(at, `must belong to one series only, got ${describe(instanceUid)}, which is also listed under another series`);
      return;
    }
    seriesOfInstance.set(instanceUid, seriesUid);
  });
}

// ---- destination ----

function checkDestination(inputs: Json, fail: Fail): void {
  const value = inputs.destination;
  if (value === undefined || isUnknown(value)) return;
  if (!isPlainObject(value)) {
    fail("destination", `must be an object { imageSetId, versionId }, got ${describe(value)}`);
    return;
  }
  rejectUnknownKeys(value, DESTINATION_KEYS, "destination", fail);
  // Copy before normalising, so the caller's object is never modified.
  const destination: Json = { ...value };
  for (const key of DESTINATION_KEYS) if (destination[key] === null) delete destination[key];
  inputs.destination = destination;
  if (destination.imageSetId === undefined) fail("destination.imageSetId", "is required when destination is set");
  else checkId(destination.imageSetId, "destination.imageSetId", fail, true);
  normaliseVersion(destination, "versionId", "destination.versionId", fail, "is required when destination is set (the image set's current latest version)");
  const source = inputs.sourceImageSetId;
  if (typeof source === "string" && !isUnknown(source) && destination.imageSetId === source) {
    fail("destination.imageSetId", "must differ from sourceImageSetId (an image set cannot be copied into itself)");
  }
}

// ---- shared helpers ----

function rejectUnknownKeys(object: Json, known: readonly string[], base: string, fail: Fail, ignored: readonly string[] = []): void {
  for (const key of Object.keys(object)) {
    if (known.includes(key) || ignored.includes(key)) continue;
    const suggestion = closest(key, known);
    const hint = suggestion !== undefined ? `; did you mean "${suggestion}"?` : `; known properties: ${known.join(", ")}`;
    fail(base === "" ? propertyName(key) : `${base}${keyPath(key)}`, `is not a known property${hint}`);
  }
}

/** The known name a typo most likely meant: same name in another case, or a small edit distance. */
function closest(key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of known) {
    const distance = editDistance(lower, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  const tolerance = Math.max(2, Math.floor(key.length / 3));
  return bestDistance <= tolerance ? best : undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return Infinity; // far apart anyway; keeps junk keys cheap
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length];
}

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** `.name` for identifiers, `["1.2.3"]` otherwise: the dotted-path style failures use. */
function keyPath(key: string): string {
  return IDENTIFIER.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

function propertyName(key: string): string {
  return IDENTIFIER.test(key) ? key : `[${JSON.stringify(key)}]`;
}

function isPlainObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
