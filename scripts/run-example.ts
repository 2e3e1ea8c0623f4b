// `npm run example -- <name> [command] [extra pulumi args]`: run one of the examples against the
// local HealthImaging service, offline.
//
//   npm run example -- subset-into-destination              # pulumi up --yes
//   npm run example -- dataset-curation preview --diff
//   npm run example -- dataset-curation config set manifest my-cohorts.yaml
//   npm run example -- subset-into-destination destroy
//
// Starts the local service in the background unless it runs (scripts/local.ts; `npm run destroy`
// stops it), seeds it once, selects the example's stack (`local`, file backend under
// .pulumi-local/), sets the ids the example needs from the seeded sample data (other config you
// set is left alone), and runs pulumi in examples/<name>/. Any pulumi command can follow the name;
// up, destroy and refresh get --yes. examples/real-aws is for AWS only (see its README).

import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { SeedResult } from "../emulator/seed";
import { ENDPOINT, ensureSeeded, ensureService, installPulumi, pulumiEnv, ROOT, say } from "./local";

export const EXAMPLES_DIR = path.join(ROOT, "examples");
/** The examples' stack (`PULUMI_EXAMPLE_STACK` moves it; `npm run destroy` tears it down in every example). */
export const STACK = process.env.PULUMI_EXAMPLE_STACK ?? "local";

/**
 * SeriesInstanceUIDs (public sample data) the examples take their image sets from: an import
 * makes one primary image set per series
 * (https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-image-sets.html).
 */
export const EXAMPLE_SERIES = {
  /** the Brain-MRA study's angiography series, 7 instances */
  mrAngio: "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118",
  /** a CT series (5 instances) of another study of the same patient */
  ct5: "1.3.6.1.4.1.5962.1.1.0.0.0.1194734704.16302.0.6",
};

function primarySet(seeded: SeedResult, seriesInstanceUid: string): { imageSetId: string; versionId: string } {
  const set = seeded.imageSets.find((s) => s.seriesInstanceUid === seriesInstanceUid && s.isPrimary);
  if (!set) throw new Error(`the seeded data has no primary image set of series ${seriesInstanceUid}`);
  return set;
}

/** Stack config each local example needs, from the seeded data store (project-scoped keys). */
export const EXAMPLE_CONFIG: Record<string, (seeded: SeedResult) => Record<string, string>> = {
  // the destination is a primary image set, so the example copies into a working copy of it
  "subset-into-destination": (seeded) => ({
    datastoreId: seeded.datastoreId,
    sourceImageSetId: primarySet(seeded, EXAMPLE_SERIES.mrAngio).imageSetId,
    destinationImageSetId: primarySet(seeded, EXAMPLE_SERIES.ct5).imageSetId,
  }),
  // Both curate from a manifest whose sources are DICOM UIDs: only the data store is needed.
  "dataset-curation": (seeded) => ({ datastoreId: seeded.datastoreId }),
  "pr-preview": (seeded) => ({ datastoreId: seeded.datastoreId }),
};

/**
 * Files an example's program writes into its folder on `pulumi up` (git-ignored there). A destroy
 * does not run the program, so `npm run example -- <name> destroy` and `npm run destroy` remove
 * them. test/unit/example-outputs.test.ts checks every `manifestFile` of the examples is listed.
 */
export const EXAMPLE_OUTPUT_FILES: Record<string, string[]> = {
  "dataset-curation": ["dataset-manifest.json", "dataset-croissant.json"],
};

/** Removes the files an example's program wrote (after its stack is destroyed). */
export function removeOutputs(name: string): void {
  for (const file of EXAMPLE_OUTPUT_FILES[name] ?? []) {
    const where = path.join(EXAMPLES_DIR, name, file);
    if (!fs.existsSync(where)) continue;
    fs.rmSync(where, { force: true });
    process.stderr.write(`removed ${path.relative(ROOT, where)}\n`);
  }
}

export interface PulumiRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run pulumi asynchronously (the local service may live in this very process, so the event loop
 * must keep running). With `capture`, output is collected; otherwise it goes to the terminal.
 */
export function runPulumi(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; capture?: boolean }): Promise<PulumiRun> {
  return new Promise((resolve, reject) => {
    const child = spawn("pulumi", args, {
      cwd: opts.cwd,
      env: opts.env,
      stdio: ["ignore", opts.capture ? "pipe" : "inherit", opts.capture ? "pipe" : "inherit"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout?.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** Like runPulumi, but throws (with the captured output) when pulumi fails. */
export async function pulumiOk(args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; capture?: boolean }): Promise<PulumiRun> {
  const run = await runPulumi(args, opts);
  if (run.code !== 0) throw new Error(`pulumi ${args.join(" ")} failed (exit ${run.code})\n${run.stdout}${run.stderr}`);
  return run;
}

/** Select (creating if needed) the stack in an example folder and write the config the seeded data gives it. */
export async function prepareStack(name: string, dir: string, seeded: SeedResult, env: NodeJS.ProcessEnv, stack = STACK): Promise<void> {
  const config = EXAMPLE_CONFIG[name];
  if (!config) throw new Error(`no local configuration for example ${name}`);
  const opts = { cwd: dir, env, capture: true };
  await pulumiOk(["stack", "select", stack, "--create"], opts);
  const pairs = Object.entries(config(seeded)).flatMap(([k, v]) => ["--plaintext", `${k}=${v}`]);
  await pulumiOk(["config", "set-all", "--stack", stack, ...pairs], opts);
}

/** The pulumi arguments for `npm run example -- <name> <command> [extra]`. */
export function pulumiArgs(command: string, extra: string[], stack = STACK): string[] {
  const args = [command, ...extra];
  if (["up", "update", "destroy", "refresh"].includes(command) && !extra.includes("--yes") && !extra.includes("-y")) args.push("--yes");
  if (!extra.includes("--stack") && !extra.includes("-s")) args.push("--stack", stack);
  return args;
}

function usage(): string {
  const names = Object.keys(EXAMPLE_CONFIG).join(", ");
  return `usage: npm run example -- <name> [up|preview|destroy|refresh|...] [pulumi args]\n  examples: ${names}\n  (real-aws runs on AWS only: see examples/real-aws/README.md)`;
}

async function main(argv: string[]): Promise<number> {
  const [name, command = "up", ...extra] = argv;
  if (!name || name === "--help" || name === "-h") {
    process.stderr.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  if (name === "real-aws") {
    process.stderr.write(
      "examples/real-aws needs AWS credentials and the aws provider plugin; it cannot run against the local service.\nSee examples/real-aws/README.md (CI type-checks it: npm run typecheck:examples).\n",
    );
    return 2;
  }
  const dir = path.join(EXAMPLES_DIR, name);
  if (!EXAMPLE_CONFIG[name] || !fs.existsSync(path.join(dir, "Pulumi.yaml"))) {
    process.stderr.write(`unknown example "${name}"\n${usage()}\n`);
    return 2;
  }

  say("Pulumi CLI");
  const env = pulumiEnv(installPulumi());
  say(`Local HealthImaging service at ${ENDPOINT}`);
  process.stderr.write((await ensureService()) === "started" ? "started in the background (stop it with npm run destroy)\n" : "already running\n");
  const seeded = await ensureSeeded();
  process.stderr.write(`data store ${seeded.datastoreId}: ${seeded.imageSets.length} seeded image sets\n`);

  say(`examples/${name}: stack ${STACK}`);
  await prepareStack(name, dir, seeded, env);
  const args = pulumiArgs(command, extra);
  say(`pulumi ${args.join(" ")}`);
  const { code } = await runPulumi(args, { cwd: dir, env });
  if (command === "destroy" && code === 0) removeOutputs(name);
  return code;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: Error) => {
      process.stderr.write(`\nnpm run example failed: ${e.message}\n`);
      process.exit(1);
    },
  );
}
