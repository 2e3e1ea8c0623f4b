// Request validation against AWS's service model, the way moto checks requests: the parsed input
// of an operation is walked along its shapes and every broken constraint (required member, type,
// length, pattern, enum, value range, list/map size, union) becomes one line of a single
// ValidationException that names the member by its path, e.g.
// `importConfiguration.dicomJsonMetadataImportConfiguration.dicomMetadataMappings[0].studyInstanceUID`.
// The JS SDK validates nothing client-side, so the service must. Messages follow AWS's wording
// ("1 validation error detected: Value '…' at '…' failed to satisfy constraint: Member must …");
// values of members the model marks sensitive (patient data, copiableAttributes) are not echoed.

import { validation } from "./errors";
import { patternMatcher } from "./patterns";
import { type Shape, operation, shape } from "./serviceModel";
export { validation };

const MAX_LISTED = 10;

function describe(value: unknown): string {
  const s = typeof value === "string" ? value : Buffer.isBuffer(value) ? `<${value.length} bytes>` : JSON.stringify(value);
  return s === undefined ? "undefined" : s.length > 80 ? `${s.slice(0, 80)}...` : s;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !Buffer.isBuffer(v);
const absent = (v: unknown) => v === undefined || v === null;

export const childPath = (path: string, member: string) => (path ? `${path}.${member}` : member);

function bounds(s: Shape, what: "length" | "value"): string | undefined {
  if (s.min !== undefined && s.max !== undefined) return `Member must have ${what} between ${s.min} and ${s.max}`;
  if (s.min !== undefined) return `Member must have ${what} greater than or equal to ${s.min}`;
  if (s.max !== undefined) return `Member must have ${what} less than or equal to ${s.max}`;
  return undefined;
}

const outside = (s: Shape, n: number) => (s.min !== undefined && n < s.min) || (s.max !== undefined && n > s.max);

/** Base64 text -> bytes, or undefined when it is not base64 (restJson1 sends blobs as base64). */
function base64Bytes(v: unknown): Buffer | undefined {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v !== "string" || v.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) return undefined;
  return Buffer.from(v, "base64");
}

/** The first constraint a scalar value breaks (type, then length/range, then enum/pattern), as AWS words it. */
function scalarProblem(s: Shape, v: unknown): string | undefined {
  switch (s.type) {
    case "string":
      if (typeof v !== "string") return "Member must be a string";
      if (outside(s, v.length)) return bounds(s, "length");
      if (s.enum && !s.enum.includes(v)) return `Member must satisfy enum value set: [${s.enum.join(", ")}]`;
      if (s.pattern !== undefined && !patternMatcher(s.pattern)(v)) return `Member must satisfy regular expression pattern: ${s.pattern}`;
      return undefined;
    case "integer":
    case "long":
      if (typeof v !== "number" || !Number.isSafeInteger(v)) return "Member must be an integer";
      return outside(s, v) ? bounds(s, "value") : undefined;
    case "double":
    case "float":
      if (typeof v !== "number" || !Number.isFinite(v)) return "Member must be a number";
      return outside(s, v) ? bounds(s, "value") : undefined;
    case "boolean":
      return typeof v === "boolean" ? undefined : "Member must be a boolean";
    case "timestamp":
      return typeof v === "number" && Number.isFinite(v) ? undefined : "Member must be a timestamp in epoch seconds";
    case "blob": {
      const bytes = base64Bytes(v);
      if (!bytes) return "Member must be base64 encoded";
      return outside(s, bytes.length) ? bounds(s, "length") : undefined;
    }
    default:
      return undefined;
  }
}

function line(path: string, value: unknown, s: Shape, constraint: string): string {
  const shown = absent(value) ? "Value null" : s.sensitive ? "Value" : `Value '${describe(value)}'`;
  return `${shown} at '${path}' failed to satisfy constraint: ${constraint}`;
}

const orList = (names: string[]) => (names.length < 2 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names[names.length - 1]}`);

/** Appends to `out` one line per constraint that `value` (of shape `shapeName`, at `path`) breaks. */
export function shapeProblems(shapeName: string, value: unknown, path: string, out: string[]): void {
  const s = shape(shapeName);
  switch (s.type) {
    case "structure": {
      if (!isObject(value)) {
        out.push(line(path, value, s, "Member must be a structure"));
        return;
      }
      const members = s.members ?? {};
      for (const name of s.required ?? []) {
        if (absent(value[name])) out.push(line(childPath(path, name), undefined, s, "Member must not be null"));
      }
      if (s.union) {
        const set = Object.keys(members).filter((name) => !absent(value[name]));
        if (set.length !== 1) out.push(line(path, value, { ...s, sensitive: true }, `Member must have exactly one of ${orList(Object.keys(members))} set`));
      }
      // unknown members are ignored, as AWS does (a newer client may send members this model lacks)
      for (const [name, ref] of Object.entries(members)) {
        if (!absent(value[name])) shapeProblems(ref.shape, value[name], childPath(path, name), out);
      }
      return;
    }
    case "list": {
      if (!Array.isArray(value)) {
        out.push(line(path, value, s, "Member must be a list"));
        return;
      }
      if (outside(s, value.length)) out.push(line(path, value, { ...s, sensitive: true }, bounds(s, "length")!));
      value.forEach((item, i) => {
        if (absent(item)) out.push(line(`${path}[${i}]`, item, s, "Member must not be null"));
        else shapeProblems(s.member!.shape, item, `${path}[${i}]`, out);
      });
      return;
    }
    case "map": {
      if (!isObject(value)) {
        out.push(line(path, value, s, "Member must be a map"));
        return;
      }
      const entries = Object.entries(value);
      if (outside(s, entries.length)) out.push(line(path, value, { ...s, sensitive: true }, bounds(s, "length")!));
      const keyShape = shape(s.key!.shape);
      const valueShape = shape(s.value!.shape);
      for (const [k, v] of entries) {
        const keyProblem = scalarProblem(keyShape, k);
        if (keyProblem) out.push(line(path, k, keyShape, `Map keys must satisfy constraint: [${keyProblem}]`));
        if (valueShape.type === "structure" || valueShape.type === "list" || valueShape.type === "map") shapeProblems(s.value!.shape, v, `${path}.${k}`, out);
        else {
          const valueProblem = absent(v) ? "Member must not be null" : scalarProblem(valueShape, v);
          if (valueProblem) out.push(line(path, v, valueShape, `Map value must satisfy constraint: [${valueProblem}]`));
        }
      }
      return;
    }
    default: {
      const problem = scalarProblem(s, value);
      if (problem) out.push(line(path, value, s, problem));
    }
  }
}

/** Throws one ValidationException listing every constraint of the model that `input` breaks. */
export function validateInput(operationName: string, input: Record<string, unknown>): void {
  const op = operation(operationName);
  if (!op.input) return;
  const problems: string[] = [];
  shapeProblems(op.input.shape, input, "", problems);
  if (problems.length === 0) return;
  const n = problems.length;
  throw validation(`${n} validation error${n === 1 ? "" : "s"} detected: ${problems.slice(0, MAX_LISTED).join("; ")}`);
}

/** Pagination: tokens are opaque base64 offsets; a token from another listing is rejected. */
export function paginate<T>(items: T[], max: number | undefined, nextToken: string | undefined, scope: string): { page: T[]; nextToken?: string } {
  let start = 0;
  if (nextToken !== undefined) {
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
