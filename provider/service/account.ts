// Which account a write rate belongs to, without an extra call: AWS's limits are per account and
// Region, so a rate learned with one account's credentials must not be used for another's.
// The access key id of the credentials the SDK client signs with carries the account: in keys of
// the current format (AKIA…/ASIA…, fifth character not I or J), bits 1-40 of the base32-decoded
// part after the prefix are the account id — what sts:GetAccessKeyInfo returns for it (publicly
// documented by Aidan Steele, "Account IDs in AWS access keys", 2020; inferred, AWS does not
// document the encoding). Keys of the older format get a stable hash of the key id instead (the
// same key finds its rate again; another key of the same account relearns it). Never the key
// itself: the rates file holds no credential.

import { createHash } from "node:crypto";
import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const CURRENT_FORMAT = /^(AKIA|ASIA)[A-HK-Z2-7][A-Z2-7]{15}$/;

/** The 12-digit account of a current-format access key id, else undefined. */
export function accountOfAccessKeyId(accessKeyId: string): string | undefined {
  if (!CURRENT_FORMAT.test(accessKeyId)) return undefined;
  let bits = 0n;
  for (const c of accessKeyId.slice(4)) bits = bits * 32n + BigInt(BASE32.indexOf(c));
  const first48 = bits >> 32n; // 16 chars × 5 bits = 80 bits; the first 6 bytes
  return ((first48 & 0x7fffffffff80n) >> 7n).toString().padStart(12, "0");
}

/** "account <12 digits>", or "key <hash>" for a key of the older format. */
export function identityOfAccessKeyId(accessKeyId: string): string {
  const account = accountOfAccessKeyId(accessKeyId);
  return account ? `account ${account}` : `key ${createHash("sha256").update(accessKeyId).digest("hex").slice(0, 16)}`;
}

/**
 * The identity of the credentials a client signs with, from the SDK's own (cached) credential
 * provider: no call beyond what signing the next request makes anyway. Undefined when there are none.
 */
export async function identityOfClient(client: MedicalImagingClient): Promise<string | undefined> {
  try {
    const provider = client.config.credentials as unknown as () => Promise<{ accessKeyId?: string }>;
    const credentials = await provider();
    return credentials.accessKeyId ? identityOfAccessKeyId(credentials.accessKeyId) : undefined;
  } catch {
    return undefined; // no credentials: the request fails with the SDK's own message
  }
}
