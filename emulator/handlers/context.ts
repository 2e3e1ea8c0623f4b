// What every handler receives and returns. Handlers parse and validate the request, call the
// model, and shape the response exactly as the SDK expects it on the wire.

import { validation } from "../errors";
import { Service } from "../model/service";

export interface RequestContext {
  svc: Service;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Buffer;
}

export interface HandlerResponse {
  status?: number;
  json?: unknown;
  body?: Buffer;
  headers?: Record<string, string>;
}

export type Handler = (ctx: RequestContext) => HandlerResponse | Promise<HandlerResponse>;

/** The JSON body; the SDK sends `{}` for an omitted payload and nothing for label-only calls. */
export function jsonBody(ctx: RequestContext): Record<string, unknown> {
  if (ctx.body.length === 0) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(ctx.body.toString("utf8"));
  } catch {
    throw validation("The request body is not valid JSON.");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw validation("The request body must be a JSON object.");
  return parsed as Record<string, unknown>;
}

export function queryValue(ctx: RequestContext, name: string): string | undefined {
  return ctx.query.get(name) ?? undefined;
}

/** Epoch milliseconds -> epoch seconds (fractional), the restJson1 default timestamp format. */
export const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

/** Drop undefined members so the JSON carries only what is set. */
export function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
