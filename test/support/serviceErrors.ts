// Assertions on errors the local service returns through the real SDK.

import assert from "node:assert/strict";

export type SdkError = Error & { $metadata?: { httpStatusCode?: number; attempts?: number } };

/** A well-formed id that names nothing. */
export const UNKNOWN_ID = "0123456789abcdef0123456789abcdef";

/** JSON as the bytes the SDK's blob members take. */
export const jsonBytes = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));

/** Awaits a rejection and checks the service error name, HTTP status and (optionally) message. */
export async function expectError(p: Promise<unknown>, name: string, status: number, message?: RegExp): Promise<SdkError> {
  let caught: SdkError | undefined;
  try {
    await p;
  } catch (e) {
    caught = e as SdkError;
  }
  assert.ok(caught, `expected ${name} but the call succeeded`);
  assert.equal(caught.name, name, `expected ${name}, got ${caught.name}: ${caught.message}`);
  assert.equal(caught.$metadata?.httpStatusCode, status);
  if (message) assert.match(caught.message, message);
  return caught;
}
