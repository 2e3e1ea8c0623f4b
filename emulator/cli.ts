#!/usr/bin/env node
// healthimaging-local: `serve` runs the local HealthImaging service; `seed` imports a folder of
// DICOM files into a new data store and prints the ids as JSON.

import { Command, InvalidArgumentError } from "commander";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROFILES } from "./limits";
import { seed } from "./seed";
import { seedClient } from "./seedClient";
import { DEFAULT_CREDENTIALS, type EmulatorOptions, startEmulator } from "./server";

/** A numeric option's parser: its value as a number when `valid`, else commander's error saying what it `must` be. */
const numberOption = (valid: (n: number) => boolean, must: string) => (v: string) => {
  const n = Number(v);
  if (!valid(n)) throw new InvalidArgumentError(must);
  return n;
};
const int = numberOption((n) => Number.isInteger(n) && n >= 0, "must be a non-negative integer");
const days = numberOption((n) => Number.isFinite(n) && n >= 0, "must be a non-negative number of days");
const positive = numberOption((n) => Number.isFinite(n) && n > 0, "must be a positive number");

// commander hands options over untyped; each is checked as it is read
// biome-ignore lint/suspicious/noExplicitAny: commander option values
function serviceOptions(o: Record<string, any>): EmulatorOptions {
  if (!(o.profile in PROFILES)) throw new InvalidArgumentError(`--profile must be one of ${Object.keys(PROFILES).join(", ")}`);
  const timings = Object.fromEntries(
    Object.entries({
      copyMsBase: o.copyMsBase,
      copyMsPerInstance: o.copyMsPerInstance,
      updateMs: o.updateMs,
      deleteMs: o.deleteMs,
      importMsBase: o.importMsBase,
    }).filter(([, v]) => v !== undefined),
  );
  return {
    port: o.port,
    host: o.host,
    dataDir: path.resolve(o.data),
    s3Root: o.s3Root ? path.resolve(o.s3Root) : undefined,
    // commander turns --no-rate-limits into rateLimits: false; the profile's table is replaced, not merged
    profile: o.rateLimits === false ? { ...PROFILES[o.profile as keyof typeof PROFILES], rateLimits: {} } : o.profile,
    timings,
    rateScale: o.rateScale,
    credentials: { accessKeyId: o.accessKey, secretAccessKey: o.secretKey, region: o.region },
    accountId: o.accountId,
    auth: o.auth,
    controlApi: o.controlApi,
    archiveAfterMs: o.archiveAfterDays === undefined ? undefined : o.archiveAfterDays * 24 * 3600 * 1000,
    log: o.log,
  };
}

function withServiceOptions(cmd: Command): Command {
  return cmd
    .option("--data <dir>", "data folder (state survives restarts)", ".healthimaging-local")
    .option("--s3-root <dir>", "folder standing in for S3: s3://bucket/prefix/ is <dir>/bucket/prefix/")
    .option("--profile <name>", "realistic (documented rate limits, copies take seconds) or fast", "realistic")
    .option("--copy-ms-base <n>", "copy duration: fixed part (ms)", int)
    .option("--copy-ms-per-instance <n>", "copy duration: per instance copied (ms)", int)
    .option("--update-ms <n>", "metadata update duration (ms)", int)
    .option("--delete-ms <n>", "delete duration (ms)", int)
    .option("--import-ms-base <n>", "import job duration: fixed part (ms)", int)
    .option("--no-rate-limits", "disable per-operation rate limits")
    .option("--rate-scale <n>", "run the rate table n times faster (time-scaled tests; the provider's PULUMI_HEALTHIMAGING_RATE_TABLE_SCALE)", positive)
    .option("--access-key <id>", "access key id requests must be signed with", DEFAULT_CREDENTIALS.accessKeyId)
    .option("--secret-key <secret>", "secret access key", DEFAULT_CREDENTIALS.secretAccessKey)
    .option("--region <region>", "region requests must be signed for", DEFAULT_CREDENTIALS.region)
    .option("--account-id <id>", "account id in ARNs", "000000000000")
    .option("--no-auth", "accept unsigned requests")
    .option("--control-api", "expose /_emulator/* test controls (faults, rate limits, clock)")
    .option("--archive-after-days <n>", "days without a touch before an image set is in the archive tier (default 30, as documented)", days)
    .option("--log", "log one line per request");
}

const program = new Command("healthimaging-local").description("A local AWS HealthImaging-compatible service");

withServiceOptions(program.command("serve").description("run the service"))
  .option("--port <n>", "port (0 picks a free one)", int, 4566)
  .option("--host <host>", "address to bind (loopback by default)", "127.0.0.1")
  .action(async (o) => {
    const emu = await startEmulator(serviceOptions(o));
    process.stdout.write(`${JSON.stringify({ endpoint: emu.endpoint, dataDir: emu.dataDir, region: emu.credentials.region, profile: o.profile })}\n`);
    process.stderr.write(`HealthImaging local service listening on ${emu.endpoint} (data: ${emu.dataDir})\n`);
    const shutdown = () => void emu.stop().then(() => process.exit(0));
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
  });

withServiceOptions(program.command("seed").description("import a folder of DICOM files into a new data store; prints ids as JSON"))
  .argument("[folder]", "folder of DICOM Part-10 files (in-process mode)")
  .option("--endpoint <url>", "seed a running service instead (then give --input-s3-uri under its --s3-root)")
  .option("--input-s3-uri <uri>", "s3:// URI of the files, for --endpoint")
  .option("--output-s3-uri <uri>", "s3:// URI for the job output", "s3://healthimaging-local-output/seed/")
  .option("--name <name>", "data store name")
  .action(async (folder: string | undefined, o) => {
    const credentials = { accessKeyId: o.accessKey, secretAccessKey: o.secretKey };
    if (o.endpoint) {
      if (!o.inputS3Uri) throw new InvalidArgumentError("--input-s3-uri is required with --endpoint");
      const client = seedClient({ endpoint: o.endpoint, region: o.region, credentials });
      const result = await seed(client, { inputS3Uri: o.inputS3Uri, outputS3Uri: o.outputS3Uri, datastoreName: o.name });
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    if (!folder) throw new InvalidArgumentError("give a folder of DICOM files, or --endpoint with --input-s3-uri");
    // In-process: the folder becomes s3://healthimaging-local-input/seed/ of a private S3 root.
    const s3Root = o.s3Root ? path.resolve(o.s3Root) : fs.mkdtempSync(path.join(os.tmpdir(), "healthimaging-s3-"));
    fs.mkdirSync(path.join(s3Root, "healthimaging-local-input"), { recursive: true });
    const link = path.join(s3Root, "healthimaging-local-input", "seed");
    fs.rmSync(link, { force: true, recursive: false });
    fs.symlinkSync(path.resolve(folder), link);
    const emu = await startEmulator({ ...serviceOptions({ ...o, s3Root }), port: 0, rateLimits: {} });
    try {
      const client = seedClient({ endpoint: emu.endpoint, region: o.region, credentials });
      const result = await seed(client, { inputS3Uri: "s3://healthimaging-local-input/seed/", outputS3Uri: o.outputS3Uri, datastoreName: o.name });
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    } finally {
      await emu.stop();
    }
  });

program.parseAsync().catch((e: Error) => {
  process.stderr.write(`healthimaging-local: ${e.message}\n`);
  process.exit(1);
});
