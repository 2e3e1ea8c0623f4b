// SigV4 verification: recompute the signature of the request with the configured secret using
// @smithy/signature-v4 (the same signer the SDK uses) and compare. A missing, malformed, wrong,
// expired or foreign-account signature is a 403 and the request changes nothing.

import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { createHash, timingSafeEqual } from "node:crypto";
import { ServiceError } from "./errors";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
}

export interface IncomingSigned {
  method: string;
  /** path exactly as it arrived on the wire (still percent-encoded) */
  rawPath: string;
  query: Record<string, string | string[]>;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

const SERVICE = "medical-imaging";
const MAX_SKEW_MS = 15 * 60 * 1000;
const AUTH_PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;_.-]+),\s*Signature=([0-9a-f]{64})$/;

const denied = (type: "InvalidSignatureException" | "UnrecognizedClientException" | "AccessDeniedException", message: string) =>
  new ServiceError(type, message);

function header(h: IncomingSigned["headers"], name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? v.join(",") : v;
}

function parseAmzDate(s: string | undefined): Date | undefined {
  const m = s && /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

/**
 * `now`: the server's time, or a range of times (a test that moved the service's clock ahead
 * accepts requests signed anywhere from this machine's clock to the service's: the SDK adopts the
 * clock of the Date header it last saw, which may be an earlier setting of the service's).
 */
export async function verifySignature(req: IncomingSigned, creds: Credentials, now: number | [number, number] = Date.now()): Promise<void> {
  const authorization = header(req.headers, "authorization");
  if (!authorization) throw denied("AccessDeniedException", "Missing Authentication Token");
  const m = AUTH_PATTERN.exec(authorization);
  if (!m) throw denied("InvalidSignatureException", "Authorization header is malformed.");
  const [, accessKeyId, shortDate, region, service, signedHeaderList, signature] = m;
  if (accessKeyId !== creds.accessKeyId) throw denied("UnrecognizedClientException", "The security token included in the request is invalid.");
  if (service !== SERVICE) throw denied("InvalidSignatureException", `Credential should be scoped to correct service: '${SERVICE}'.`);
  if (region !== creds.region) throw denied("InvalidSignatureException", `Credential should be scoped to a valid region, not '${region}'.`);
  const signingDate = parseAmzDate(header(req.headers, "x-amz-date"));
  if (!signingDate) throw denied("InvalidSignatureException", "Missing or malformed X-Amz-Date header.");
  if (!signingDate.toISOString().replace(/-/g, "").startsWith(shortDate))
    throw denied("InvalidSignatureException", "Credential date does not match X-Amz-Date.");
  const [earliest, latest] = typeof now === "number" ? [now, now] : [Math.min(...now), Math.max(...now)];
  if (signingDate.getTime() < earliest - MAX_SKEW_MS || signingDate.getTime() > latest + MAX_SKEW_MS)
    throw denied("InvalidSignatureException", "Signature expired: the request date is more than 15 minutes away from the server time.");

  // The signer takes a present x-amz-content-sha256 as the payload hash without reading the body,
  // so check it here: otherwise a body swapped after signing would pass.
  const contentSha256 = header(req.headers, "x-amz-content-sha256");
  if (contentSha256 !== undefined && contentSha256 !== createHash("sha256").update(req.body).digest("hex")) {
    throw denied("InvalidSignatureException", "The provided 'x-amz-content-sha256' header does not match what was computed.");
  }

  const signed = signedHeaderList.split(";");
  const headers: Record<string, string> = {};
  for (const name of signed) {
    const value = header(req.headers, name);
    if (value === undefined) throw denied("InvalidSignatureException", `Signed header ${name} is missing.`);
    headers[name] = value;
  }
  const signer = new SignatureV4({ credentials: creds, region, service: SERVICE, sha256: Sha256, uriEscapePath: true, applyChecksum: false });
  const expected = await signer.sign(
    new HttpRequest({ method: req.method, path: req.rawPath, query: req.query, headers, body: req.body.length ? req.body : undefined }),
    { signingDate, signableHeaders: new Set(signed) },
  );
  const expectedSig = /Signature=([0-9a-f]{64})/.exec(String(expected.headers.authorization))?.[1] ?? "";
  const a = Buffer.from(expectedSig);
  const b = Buffer.from(signature);
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    throw denied(
      "InvalidSignatureException",
      "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.",
    );
  }
}
