// What every handler receives and returns. The server has already parsed the request into the
// operation's input and validated it against the service model; handlers read `input`, call the
// model, and shape the response exactly as the SDK expects it on the wire.

import type { OperationInput } from "../request";
import type { Service } from "../model/service";

export interface RequestContext {
  svc: Service;
  params: Record<string, string>;
  query: URLSearchParams;
  body: Buffer;
  /** the operation's input, valid for the service model */
  input: OperationInput;
}

export interface HandlerResponse {
  status?: number;
  json?: unknown;
  body?: Buffer;
  headers?: Record<string, string>;
}

export type Handler = (ctx: RequestContext) => HandlerResponse | Promise<HandlerResponse>;

/** Typed reads of validated input members (the model guarantees type and presence of required ones). */
export const str = (ctx: RequestContext, member: string) => ctx.input[member] as string;
export const optStr = (ctx: RequestContext, member: string) => ctx.input[member] as string | undefined;
export const optInt = (ctx: RequestContext, member: string) => ctx.input[member] as number | undefined;
export const flag = (ctx: RequestContext, member: string) => ctx.input[member] === true;
export const obj = (ctx: RequestContext, member: string) => ctx.input[member] as Record<string, unknown> | undefined;

/** Epoch milliseconds -> epoch seconds (fractional), the restJson1 default timestamp format. */
export const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

/** Drop undefined members so the JSON carries only what is set. */
export function compact<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
