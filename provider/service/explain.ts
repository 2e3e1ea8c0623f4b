// Failures that are about where the provider talks to, not about the image set: say which endpoint,
// region and credentials it used and which setting changes them, in one line, instead of an SDK
// stack message. Used by every provider method, and by check (preview) to name the input to fix.

import { type Connection, resolveConnection } from "./client";
import { PartialFailure, type ServiceErrorLike } from "./errors";

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "EHOSTUNREACH", "ETIMEDOUT"]);
const SIGNATURE_ERRORS = new Set([
  "InvalidSignatureException",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "InvalidClientTokenId",
  "IncompleteSignature",
  "ExpiredTokenException",
]);
/** The SDK's own timeouts (connectionTimeout / requestTimeout of the client's request handler). */
const TIMEOUT_ERRORS = new Set(["TimeoutError", "RequestTimeout"]);

/** A connection, signing or credentials failure: the setting to fix, and a one-line message naming it. */
export interface ConnectionProblem {
  setting: "endpoint" | "region" | "credentials";
  message: string;
}

/** Undefined when the failure is not about the connection (the caller keeps the service's message). */
export function connectionProblem(settings: Connection, e: unknown): ConnectionProblem | undefined {
  let where: string;
  let region: string;
  try {
    const conn = resolveConnection(settings);
    where = conn.endpoint ?? `the AWS endpoint of ${conn.region}`;
    region = conn.region;
  } catch (noRegion) {
    return { setting: "region", message: (noRegion as Error).message };
  }
  const err = e as ServiceErrorLike & { code?: string; cause?: { code?: string } };
  const code = err?.code ?? err?.cause?.code;
  const endpointSetting = settings.endpoint ? "the resource's `endpoint` input" : "AWS_ENDPOINT_URL_MEDICAL_IMAGING (or the resource's `endpoint` input)";
  if (((code && CONNECTION_CODES.has(code)) || TIMEOUT_ERRORS.has(err?.name ?? "")) && err.$metadata?.httpStatusCode === undefined) {
    return {
      setting: "endpoint",
      message: `could not connect to ${where} (${code ?? err.name}). Check ${endpointSetting}, and that the service is reachable.`,
    };
  }
  const regionSource = settings.region ? "the resource's `region` input" : process.env.AWS_REGION ? "AWS_REGION" : "AWS_DEFAULT_REGION";
  if (err?.name === "CredentialsProviderError") {
    return {
      setting: "credentials",
      message: `no AWS credentials found for ${where}: the default AWS chain found none (set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run where an IAM role is attached).`,
    };
  }
  if (err?.name && SIGNATURE_ERRORS.has(err.name)) {
    const regionWrong = /region/i.test(err.message ?? "");
    return {
      setting: regionWrong ? "region" : "credentials",
      message: `${err.name}: ${(err.message ?? "").trim()} The request was signed for region ${region} (from ${regionSource}) with the credentials of the default AWS chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, ...); check that ${regionWrong ? `${regionSource} names the region of` : "they are valid for"} the endpoint ${where}.`,
    };
  }
  return undefined;
}

/** A clearer error for connection and signing failures; any other error is returned as it was. */
export function explainFailure(operation: string, settings: Connection, e: unknown): unknown {
  if (e instanceof PartialFailure) return e;
  const problem = connectionProblem(settings, e);
  return problem ? new Error(`${operation}: ${problem.message}`) : e;
}
