// Raw SigV4-signed HTTP requests to the local service: for requests the SDK would refuse or
// reshape client-side (malformed members, repeated query keys, empty path labels).

import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import type { RunningEmulator } from "../../emulator/server";

export interface RawRequest {
  method: string;
  /** already percent-encoded */
  path: string;
  query?: Record<string, string | string[]>;
  body?: string;
}

export interface RawResponse {
  status: number;
  errorType: string | null;
  headers: Headers;
  body: Buffer;
  text: string;
}

export async function signedRequest(emu: RunningEmulator, req: RawRequest): Promise<RawResponse> {
  const url = new URL(emu.endpoint);
  const { accessKeyId, secretAccessKey, region } = emu.credentials;
  const signer = new SignatureV4({ credentials: { accessKeyId, secretAccessKey }, region, service: "medical-imaging", sha256: Sha256 });
  const query = req.query ?? {};
  const headers: Record<string, string> = { host: url.host, ...(req.body !== undefined ? { "content-type": "application/json" } : {}) };
  const signed = await signer.sign(
    new HttpRequest({ method: req.method, protocol: "http:", hostname: url.hostname, port: Number(url.port), path: req.path, query, headers, body: req.body }),
  );
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) for (const one of Array.isArray(v) ? v : [v]) qs.append(k, one);
  const res = await fetch(`${emu.endpoint}${req.path}${qs.size ? `?${qs}` : ""}`, {
    method: req.method,
    headers: signed.headers as Record<string, string>,
    body: req.body,
  });
  const body = Buffer.from(await res.arrayBuffer());
  return { status: res.status, errorType: res.headers.get("x-amzn-errortype"), headers: res.headers, body, text: body.toString("utf8") };
}
