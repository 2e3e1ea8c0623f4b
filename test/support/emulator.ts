// Start the local service in-process for a test file and build real SDK clients against it.

import { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import * as net from "node:net";
import { type EmulatorOptions, type RunningEmulator, startEmulator } from "../../emulator/server";

export async function startTestEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  return startEmulator({ profile: "fast", ...opts });
}

export function sdkClient(emu: RunningEmulator, overrides: Partial<ConstructorParameters<typeof MedicalImagingClient>[0]> = {}): MedicalImagingClient {
  return new MedicalImagingClient({
    endpoint: emu.endpoint,
    region: emu.credentials.region,
    credentials: { accessKeyId: emu.credentials.accessKeyId, secretAccessKey: emu.credentials.secretAccessKey },
    disableHostPrefix: true,
    maxAttempts: 1,
    ...overrides,
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll until `probe` returns a value (not undefined), or fail after `timeoutMs`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, timeoutMs = 10000, intervalMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/** A TCP port free on loopback right now (for a service started in another process). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

/** The AWS settings a provider process needs to reach the local service (directly, or through a proxy's endpoint). */
export function awsEnv(emu: RunningEmulator, endpoint = emu.endpoint): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: emu.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: emu.credentials.secretAccessKey,
    AWS_REGION: emu.credentials.region,
    AWS_ENDPOINT_URL_MEDICAL_IMAGING: endpoint,
  };
}

/** Adds ?includeStudyImageSets=true to the signed request: SDK 3.958.0 does not model the flag yet. */
export function withIncludeStudyImageSets(client: MedicalImagingClient): MedicalImagingClient {
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { query?: Record<string, string> };
      request.query = { ...request.query, includeStudyImageSets: "true" };
      return next(args);
    },
    { step: "build", name: "includeStudyImageSets" },
  );
  return client;
}
