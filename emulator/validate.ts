// Request validation. The JS SDK validates nothing client-side, so the service must: every
// failure is a ValidationException that names the member and the rule.

import { validation } from "./errors";
export { validation };

export const PATTERNS = {
  id32: /^[0-9a-z]{32}$/,
  versionId: /^\d+$/,
  jobId: /^[0-9a-z]{1,32}$/,
  name: /^[A-Za-z0-9._/#-]+$/,
  clientToken: /^[A-Za-z0-9._-]+$/,
  roleArn: /^arn:aws(-[^:]+)?:iam::[0-9]{12}:role\/.+$/,
  s3Uri: /^s3:\/\/[a-z0-9][.\-a-z0-9]{1,61}[a-z0-9](\/.*)?$/,
  accountId: /^\d{12}$/,
  arn: /^arn:aws((-us-gov)|(-iso)|(-iso-b)|(-cn))?:medical-imaging:[a-z0-9-]+:[0-9]{12}:datastore\/[0-9a-z]{32}(\/imageset\/[0-9a-z]{32})?$/,
  tagKey: /^(?!aws:)[a-zA-Z0-9+\-=._:/ ]+$/,
  dicomUid: /^[0-9.]+$/,
} as const;

const RULES: Record<keyof typeof PATTERNS, string> = {
  id32: "32 lowercase letters or digits",
  versionId: "a string of digits",
  jobId: "1-32 lowercase letters or digits",
  name: "letters, digits and ._/#-",
  clientToken: "letters, digits and ._-",
  roleArn: "an IAM role ARN",
  s3Uri: "an s3://bucket/prefix URI",
  accountId: "12 digits",
  arn: "a HealthImaging data store or image set ARN",
  tagKey: "a tag key not starting with aws:",
  dicomUid: "digits and dots",
};

function describe(value: unknown): string {
  const s = typeof value === "string" ? value : JSON.stringify(value);
  return s === undefined ? "undefined" : s.length > 80 ? `${s.slice(0, 80)}...` : s;
}

export function requireString(value: unknown, member: string): string {
  if (value === undefined || value === null) throw validation(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  if (typeof value !== "string") throw validation(`1 validation error detected: Value at '${member}' failed to satisfy constraint: Member must be a string`);
  return value;
}

export function optionalString(value: unknown, member: string): string | undefined {
  return value === undefined || value === null ? undefined : requireString(value, member);
}

export function checkPattern(value: string, member: string, pattern: keyof typeof PATTERNS, min = 1, max = Infinity): string {
  if (value.length < min || value.length > max) {
    throw validation(`1 validation error detected: Value '${describe(value)}' at '${member}' failed to satisfy constraint: Member must have length between ${min} and ${max === Infinity ? "unbounded" : max}`);
  }
  if (!PATTERNS[pattern].test(value)) {
    throw validation(`1 validation error detected: Value '${describe(value)}' at '${member}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${PATTERNS[pattern].source} (${RULES[pattern]})`);
  }
  return value;
}

export function requirePattern(value: unknown, member: string, pattern: keyof typeof PATTERNS, min?: number, max?: number): string {
  return checkPattern(requireString(value, member), member, pattern, min, max);
}

export function optionalPattern(value: unknown, member: string, pattern: keyof typeof PATTERNS, min?: number, max?: number): string | undefined {
  const s = optionalString(value, member);
  return s === undefined ? undefined : checkPattern(s, member, pattern, min, max);
}

export function requireObject(value: unknown, member: string): Record<string, unknown> {
  if (value === undefined || value === null) throw validation(`1 validation error detected: Value null at '${member}' failed to satisfy constraint: Member must not be null`);
  if (typeof value !== "object" || Array.isArray(value)) throw validation(`Value at '${member}' must be an object`);
  return value as Record<string, unknown>;
}

export function optionalObject(value: unknown, member: string): Record<string, unknown> | undefined {
  return value === undefined || value === null ? undefined : requireObject(value, member);
}

export function queryBoolean(value: string | undefined, member: string): boolean {
  if (value === undefined) return false;
  if (value === "true") return true;
  if (value === "false") return false;
  throw validation(`Value '${describe(value)}' at '${member}' failed to satisfy constraint: Member must be true or false`);
}

export function maxResults(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 50) {
    throw validation(`1 validation error detected: Value '${describe(value)}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 50`);
  }
  return n;
}

export function oneOf<T extends string>(value: unknown, member: string, allowed: readonly T[]): T {
  const s = requireString(value, member);
  if (!(allowed as readonly string[]).includes(s)) {
    throw validation(`1 validation error detected: Value '${describe(s)}' at '${member}' failed to satisfy constraint: Member must satisfy enum value set: [${allowed.join(", ")}]`);
  }
  return s as T;
}

export function tagMap(value: unknown, member: string): Record<string, string> {
  const tags = requireObject(value, member);
  for (const [k, v] of Object.entries(tags)) {
    checkPattern(k, `${member}.key`, "tagKey", 1, 128);
    if (typeof v !== "string" || v.length > 256) throw validation(`Value at '${member}.${k}' failed to satisfy constraint: Member must be a string of at most 256 characters`);
  }
  return tags as Record<string, string>;
}

/** Pagination: tokens are opaque base64 offsets; a token from another listing is rejected. */
export function paginate<T>(items: T[], max: number | undefined, nextToken: string | undefined, scope: string): { page: T[]; nextToken?: string } {
  let start = 0;
  if (nextToken !== undefined) {
    checkPattern(nextToken, "nextToken", "name", 1, 8192);
    const decoded = Buffer.from(nextToken, "base64url").toString("utf8");
    const [tokenScope, offset] = decoded.split("|");
    if (tokenScope !== scope || !/^\d+$/.test(offset ?? "")) throw validation("Invalid nextToken.");
    start = Number(offset);
  }
  const size = max ?? 50;
  const page = items.slice(start, start + size);
  const next = start + size < items.length ? Buffer.from(`${scope}|${start + size}`).toString("base64url") : undefined;
  return { page, nextToken: next };
}
