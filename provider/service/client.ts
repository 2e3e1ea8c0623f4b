// SDK clients. The SDK is required lazily, inside functions, so the serialized provider stays a
// few KB and emits a plain require("@aws-sdk/client-medical-imaging") (https://www.pulumi.com/docs/iac/concepts/resources/dynamic-providers/).
// Clients are cached per process: one adaptive retry limiter per endpoint is shared by every
// resource of a `pulumi up`.

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { processState } from "../settings/processState";

export interface Connection {
  region?: string;
  endpoint?: string;
}

export interface ResolvedConnection {
  region: string;
  endpoint?: string;
}

export function resolveConnection(c: Connection, env: NodeJS.ProcessEnv = process.env): ResolvedConnection {
  const region = c.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  if (!region) throw new Error("No AWS region: set the resource's `region`, the aws:region config, or AWS_REGION.");
  const endpoint = c.endpoint ?? env.AWS_ENDPOINT_URL_MEDICAL_IMAGING ?? env.AWS_ENDPOINT_URL;
  return endpoint ? { region, endpoint } : { region };
}

/**
 * kind "read": SDK retries (adaptive mode) for reads and idempotent writes.
 * kind "once": exactly one attempt, for CopyImageSet, which has no idempotency token: its
 * retries are decided by the caller, who knows whether the request may have reached the service.
 * Its retry mode is "standard": in "adaptive" mode the SDK switches on its own client-side rate
 * limiter at the first ThrottlingException even with one attempt, and copies would then queue in
 * it after the provider's pacer (pace.ts) let them go, late and bunched (BENCHMARKS.md §2).
 */
export function imagingClient(conn: ResolvedConnection, kind: "read" | "once" = "read"): MedicalImagingClient {
  const clients = processState().clients;
  const key = `${kind}|${conn.region}|${conn.endpoint ?? ""}`;
  let client = clients.get(key);
  if (!client) {
    const sdk: typeof import("@aws-sdk/client-medical-imaging") = require("@aws-sdk/client-medical-imaging");
    client = new sdk.MedicalImagingClient({
      region: conn.region,
      ...(conn.endpoint ? { endpoint: conn.endpoint, disableHostPrefix: true } : {}),
      retryMode: kind === "once" ? "standard" : "adaptive",
      maxAttempts: kind === "once" ? 1 : Number(process.env.PULUMI_HEALTHIMAGING_MAX_ATTEMPTS ?? 8),
    });
    clients.set(key, client);
  }
  return client;
}

/** The SDK module, required lazily. */
export function sdk(): typeof import("@aws-sdk/client-medical-imaging") {
  return require("@aws-sdk/client-medical-imaging");
}
