// Failures that are about where the provider talks to, not about the image set: say which endpoint,
// region and credentials it used and which setting changes them, instead of an SDK stack message.

import { type Connection, resolveConnection } from "./client";
import { PartialFailure, type ServiceErrorLike } from "./errors";

const CONNECTION_CODES = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "ECONNRESET", "EHOSTUNREACH", "ETIMEDOUT"]);
const SIGNATURE_ERRORS = new Set([
  "InvalidSignatureException",
  "UnrecognizedClientException",
  "SignatureDoesNotMatch",
  "InvalidClientTokenId",
  "IncompleteSignature",
]);

/** A clearer error for connection and signing failures; any other error is returned as it was. */
export function explainFailure(operation: string, settings: Connection, e: unknown): unknown {
  if (e instanceof PartialFailure) return e;
  let where: string;
  let region: string;
  try {
    const conn = resolveConnection(settings);
    where = conn.endpoint ?? `the AWS endpoint of ${conn.region}`;
    region = conn.region;
  } catch {
    return e; // no region at all: resolveConnection's own message already says what to set
  }
  const err = e as ServiceErrorLike & { code?: string; cause?: { code?: string } };
  const code = err?.code ?? err?.cause?.code;
  if (code && CONNECTION_CODES.has(code) && err.$metadata?.httpStatusCode === undefined) {
    const setting = settings.endpoint ? "the resource's `endpoint` input" : "AWS_ENDPOINT_URL_MEDICAL_IMAGING (or the resource's `endpoint` input)";
    return new Error(`${operation}: could not connect to ${where} (${code}). Check ${setting}, and that the service is reachable.`);
  }
  if (err?.name && SIGNATURE_ERRORS.has(err.name)) {
    const source = settings.region ? "the resource's `region` input" : process.env.AWS_REGION ? "AWS_REGION" : "AWS_DEFAULT_REGION";
    return new Error(
      `${operation}: ${err.name}: ${err.message ?? ""} The request was signed for region ${region} (from ${source}) with the credentials of the default AWS chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, ...); check that both match the endpoint ${where}.`,
    );
  }
  return e;
}
