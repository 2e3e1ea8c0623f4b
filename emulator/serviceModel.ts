// AWS's service model of HealthImaging (botocore's service-2.json, see model/service-2.md): the
// operations, their HTTP bindings and the shapes with every constraint. Routing, request parsing
// and validation read it, so the service accepts exactly what the published model allows.

import modelJson from "./model/service-2.json";

export interface MemberRef {
  shape: string;
  location?: "uri" | "querystring" | "header" | "headers" | "statusCode";
  locationName?: string;
  idempotencyToken?: boolean;
}

export interface Shape {
  type: "structure" | "list" | "map" | "string" | "integer" | "long" | "boolean" | "timestamp" | "blob" | "double" | "float";
  members?: Record<string, MemberRef>;
  required?: string[];
  payload?: string;
  union?: boolean;
  member?: MemberRef;
  key?: MemberRef;
  value?: MemberRef;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: string[];
  sensitive?: boolean;
  streaming?: boolean;
  exception?: boolean;
  error?: { httpStatusCode?: number };
}

export interface Operation {
  name: string;
  http: { method: string; requestUri: string; responseCode?: number };
  input?: { shape: string };
  output?: { shape: string };
  errors?: { shape: string }[];
}

export interface ServiceModel {
  metadata: { apiVersion: string; serviceId: string; protocol: string };
  operations: Record<string, Operation>;
  shapes: Record<string, Shape>;
}

export const SERVICE_MODEL = modelJson as unknown as ServiceModel;

export function shape(name: string): Shape {
  const s = SERVICE_MODEL.shapes[name];
  if (!s) throw new Error(`shape ${name} is not in the service model`);
  return s;
}

export function operation(name: string): Operation {
  const op = SERVICE_MODEL.operations[name];
  if (!op) throw new Error(`operation ${name} is not in the service model`);
  return op;
}

export const OPERATION_NAMES = Object.keys(SERVICE_MODEL.operations);

/** Whether the model lists `error` among the errors `op` can return. */
export function listsError(op: string, error: string): boolean {
  return (operation(op).errors ?? []).some((e) => e.shape === error);
}
