// The pieces `npm start` and `npm run destroy` share: the Pulumi CLI, the offline Pulumi
// environment, the local HealthImaging service running in the background, and its seeded data.

import { GetDatastoreCommand, MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { execFileSync, spawn, type SpawnSyncOptions, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { seed, type SeedResult } from "../emulator/seed";
import type { HealthReport } from "../emulator/portInUse";
import { seedClient } from "../emulator/seedClient";

export const ROOT = path.resolve(__dirname, "..");
// Where the service keeps its data and the Pulumi stack its state; the e2e test moves both.
export const LOCAL_DIR = process.env.HEALTHIMAGING_LOCAL_DIR ?? path.join(ROOT, ".healthimaging-local");
const PULUMI_STATE_DIR = process.env.PULUMI_LOCAL_DIR ?? path.join(ROOT, ".pulumi-local");
export const PORT = Number(process.env.HEALTHIMAGING_PORT ?? 4566);
export const ENDPOINT = `http://127.0.0.1:${PORT}`;
export const CREDENTIALS = { accessKeyId: "test", secretAccessKey: "test", region: "us-east-1" };
const SEED_FILE = path.join(LOCAL_DIR, "seed.json");
const PID_FILE = path.join(LOCAL_DIR, "service.pid");

export const say = (message: string) => process.stderr.write(`\n==> ${message}\n`);

/** The bin folder holding pulumi (built from Go modules the first time; cached afterwards). */
export function installPulumi(): string {
  return execFileSync("bash", [path.join(ROOT, "scripts", "install-pulumi.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

/** The pydicom sample files (installs Debian's python3-pydicom when missing). */
export function sampleFiles(): string {
  return execFileSync("bash", [path.join(ROOT, "scripts", "install-test-data.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
}

/** Environment for the Pulumi CLI: offline, file backend and home inside the repo, local service. */
export function pulumiEnv(bin: string): NodeJS.ProcessEnv {
  const state = PULUMI_STATE_DIR;
  fs.mkdirSync(path.join(state, "backend"), { recursive: true });
  fs.mkdirSync(path.join(state, "home"), { recursive: true });
  return {
    ...process.env,
    PATH: `${bin}${path.delimiter}${process.env.PATH}`,
    PULUMI_BACKEND_URL: `file://${path.join(state, "backend")}`,
    PULUMI_HOME: path.join(state, "home"),
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    AWS_ACCESS_KEY_ID: CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: CREDENTIALS.secretAccessKey,
    AWS_REGION: CREDENTIALS.region,
    AWS_ENDPOINT_URL_MEDICAL_IMAGING: ENDPOINT,
  };
}

/** Run pulumi with output shown; throws when it fails. */
export function pulumi(env: NodeJS.ProcessEnv, args: string[], opts: SpawnSyncOptions = {}): string {
  const r = spawnSync("pulumi", args, { cwd: ROOT, env, encoding: "utf8", stdio: ["ignore", opts.stdio === "pipe" ? "pipe" : "inherit", "inherit"], ...opts });
  if (r.status !== 0) throw new Error(`pulumi ${args.join(" ")} failed (exit ${r.status})`);
  return typeof r.stdout === "string" ? r.stdout : "";
}

/**
 * Shell lines that look at image sets with the AWS CLI against the local service, printed by
 * `npm start` and run as printed by test/e2e/e2e-start.test.ts. The CLI must not add the
 * `runtime-` host prefix of HealthImaging's data-plane operations to a local endpoint
 * (https://docs.aws.amazon.com/sdkref/latest/guide/feature-endpoints.html: service-specific
 * endpoint variables; AWS_DISABLE_HOST_PREFIX_INJECTION is botocore's switch for the prefix).
 */
export function awsCliHint(datastoreId: string, imageSets: { get: string; versions: string }): string[] {
  return [
    `export AWS_ACCESS_KEY_ID=${CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${CREDENTIALS.secretAccessKey} AWS_REGION=${CREDENTIALS.region} AWS_DEFAULT_REGION=${CREDENTIALS.region} AWS_ENDPOINT_URL_MEDICAL_IMAGING=${ENDPOINT} AWS_DISABLE_HOST_PREFIX_INJECTION=true`,
    `aws medical-imaging get-image-set --datastore-id ${datastoreId} --image-set-id ${imageSets.get}`,
    `aws medical-imaging list-image-set-versions --datastore-id ${datastoreId} --image-set-id ${imageSets.versions}`,
  ];
}

/** The shell line that checks the deployed stack matches the program and the service (printed by `npm start`). */
export function previewHint(stack: string): string {
  return `source scripts/pulumi-env.sh && pulumi preview --refresh --expect-no-changes --stack ${stack}`;
}

export function client(): MedicalImagingClient {
  return new MedicalImagingClient({ endpoint: ENDPOINT, region: CREDENTIALS.region, credentials: CREDENTIALS, disableHostPrefix: true });
}

/** What the service on PORT says about itself, or undefined when none answers. */
async function health(): Promise<HealthReport | undefined> {
  try {
    const res = await fetch(`${ENDPOINT}/_emulator/health`);
    return res.ok ? ((await res.json()) as HealthReport) : undefined;
  } catch {
    return undefined;
  }
}
const healthy = async () => (await health()) !== undefined;

/** Start the local service in the background unless it already runs; it keeps running after we exit. */
export async function ensureService(): Promise<"started" | "running"> {
  const running = await health();
  if (running) {
    // a service another checkout (or a hand-started serve) runs: its data and lifetime are not ours
    const ours = path.resolve(LOCAL_DIR, "data");
    if (running.dataDir && path.resolve(running.dataDir) !== ours) {
      process.stderr.write(
        `note: the service on port ${PORT} (pid ${running.pid}) keeps its data in ${running.dataDir}, not ${ours}; npm run destroy will not stop it (HEALTHIMAGING_PORT picks another port)\n`,
      );
    }
    return "running";
  }
  const s3Root = path.join(LOCAL_DIR, "s3");
  fs.mkdirSync(path.join(s3Root, "samples"), { recursive: true });
  const link = path.join(s3Root, "samples", "dicomdirtests");
  if (!fs.existsSync(link)) fs.symlinkSync(path.join(sampleFiles(), "dicomdirtests"), link);
  const logFile = path.join(LOCAL_DIR, "service.log");
  const log = fs.openSync(logFile, "a");
  const child = spawn(
    process.execPath,
    [path.join(ROOT, "emulator", "dist", "cli.js"), "serve", "--port", String(PORT), "--data", path.join(LOCAL_DIR, "data"), "--s3-root", s3Root],
    { cwd: ROOT, detached: true, stdio: ["ignore", log, log] },
  );
  let exited = false;
  child.once("exit", () => (exited = true));
  child.unref();
  fs.writeFileSync(PID_FILE, String(child.pid));
  for (let i = 0; i < 100 && !exited; i++) {
    if (await healthy()) return "started";
    await new Promise((r) => setTimeout(r, 100));
  }
  if (exited) fs.rmSync(PID_FILE, { force: true });
  // the service's own one-line reason (port or data folder in use, ...) is the log's last line
  const reason = fs.readFileSync(logFile, "utf8").trim().split("\n").at(-1) ?? "";
  throw new Error(`the local service did not start${reason ? `: ${reason}` : ""} (log: ${logFile})`);
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Stop the service `npm start` started and wait until it is gone (its data folder's lock released). */
export async function stopService(): Promise<boolean> {
  if (!fs.existsSync(PID_FILE)) return false;
  const pid = Number(fs.readFileSync(PID_FILE, "utf8"));
  fs.rmSync(PID_FILE);
  try {
    process.kill(pid, "SIGTERM");
  } catch {
    return false;
  }
  for (let i = 0; i < 100 && isAlive(pid); i++) await new Promise((r) => setTimeout(r, 100));
  return true;
}

/** Seed once: the import result is kept, and reused while its data store exists. */
export async function ensureSeeded(): Promise<SeedResult> {
  if (fs.existsSync(SEED_FILE)) {
    const previous = JSON.parse(fs.readFileSync(SEED_FILE, "utf8")) as SeedResult;
    try {
      const ds = await client().send(new GetDatastoreCommand({ datastoreId: previous.datastoreId }));
      // a seed made before image sets were per series names no series: seed again
      if (ds.datastoreProperties?.datastoreStatus === "ACTIVE" && previous.imageSets.some((s) => s.seriesInstanceUid)) return previous;
    } catch {
      // the data store is gone (data folder removed): seed again
    }
  }
  const result = await seed(seedClient({ endpoint: ENDPOINT, region: CREDENTIALS.region, credentials: CREDENTIALS }), {
    inputS3Uri: "s3://samples/dicomdirtests/",
    outputS3Uri: "s3://samples/import-output/",
    datastoreName: "quickstart",
  });
  fs.writeFileSync(SEED_FILE, JSON.stringify(result, null, 2));
  return result;
}

/**
 * SeriesInstanceUIDs of the sample series the quickstart uses (public sample data). An import
 * makes one primary image set per series
 * (https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-image-sets.html).
 */
export const QUICKSTART_SERIES = {
  /** the CT HEAD/BRAIN study's only series */
  ct: "1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.2",
  /** the Brain-MRA study's angiography series (7 instances) */
  mrAngio: "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118",
  /** the same study's localizer series (1 instance) */
  mrLocalizer: "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.15",
};

/** The primary image set of a seeded series. */
export function imageSetOf(result: SeedResult, seriesInstanceUid: string): string {
  const set = result.imageSets.find((s) => s.seriesInstanceUid === seriesInstanceUid && s.isPrimary);
  if (!set) throw new Error(`the seeded data has no image set for series ${seriesInstanceUid}`);
  return set.imageSetId;
}
