// HTTP request -> operation input, by the model's restJson1 bindings: `uri` members from the path
// labels, `querystring` members from the query (lists repeated, integers and booleans as text),
// the `payload` member from the whole JSON body, other members from the body's keys. Values that
// do not convert (maxResults=abc) are kept as text so the validator names the member.

import { validation } from "./errors";
import { operation, shape } from "./serviceModel";

export type OperationInput = Record<string, unknown>;

function queryValue(type: string, raw: string): unknown {
  if (type === "integer" || type === "long") return /^-?\d+$/.test(raw) ? Number(raw) : raw;
  if (type === "boolean") return raw === "true" ? true : raw === "false" ? false : raw;
  return raw;
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString("utf8"));
  } catch {
    throw validation("The request body is not valid JSON.");
  }
}

export function parseInput(operationName: string, params: Record<string, string>, query: URLSearchParams, body: Buffer): OperationInput {
  const op = operation(operationName);
  if (!op.input) return {};
  const inputShape = shape(op.input.shape);
  const input: OperationInput = {};
  const payload = inputShape.payload;
  let json: Record<string, unknown> = {};
  if (!payload && body.length > 0) {
    const parsed = parseJson(body);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw validation("The request body must be a JSON object.");
    json = parsed as Record<string, unknown>;
  }
  for (const [name, ref] of Object.entries(inputShape.members ?? {})) {
    const where = ref.locationName ?? name;
    const memberShape = shape(ref.shape);
    let value: unknown;
    if (ref.location === "uri") value = params[where] === "" ? undefined : params[where];
    else if (ref.location === "querystring") {
      const all = query.getAll(where);
      if (all.length > 0)
        value = memberShape.type === "list" ? all.map((v) => queryValue(shape(memberShape.member!.shape).type, v)) : queryValue(memberShape.type, all[0]);
    } else if (ref.location)
      continue; // header bindings: none in this model's inputs
    else if (name === payload) {
      if (body.length > 0) value = memberShape.type === "blob" ? body : parseJson(body);
    } else value = json[name];
    if (value !== undefined) input[name] = value;
  }
  return input;
}
