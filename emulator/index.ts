// healthimaging-local: a local AWS HealthImaging-compatible service, for programs and tests.
// `startEmulator` runs it in-process; `seed` imports DICOM files into a new data store, through a
// `seedClient` that waits out the service's rate quotas.
export { DEFAULT_ACCOUNT_ID, DEFAULT_CREDENTIALS, startEmulator } from "./server";
export type { EmulatorOptions, RunningEmulator } from "./server";
export { seed } from "./seed";
export type { SeedResult } from "./seed";
export { seedClient } from "./seedClient";
export type { SeedClientOptions } from "./seedClient";
