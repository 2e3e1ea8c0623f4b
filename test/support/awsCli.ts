// The AWS CLI (v1 from PyPI, installed by scripts/install-aws-cli.sh into a cache virtualenv)
// pointed at the local service, for tests that replay AWS's documented CLI examples.

import { execFile, execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

let installed: string | undefined;

/** Install (first time: a virtualenv + pip, about a minute) and return the path of `aws`. */
export function installAwsCli(): string {
  installed ??= execFileSync("bash", [path.join(ROOT, "scripts", "install-aws-cli.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 600_000,
  }).trim();
  return installed;
}

export interface AwsCliTarget {
  endpoint: string;
  credentials: { accessKeyId: string; secretAccessKey: string; region: string };
}

export interface AwsCliResult {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as JSON when it is JSON */
  json?: any;
}

/**
 * The environment the CLI runs in: only the emulator's credentials, no user configuration, no
 * retries, and no `runtime-` host prefix. Like the JS SDK, botocore prepends the runtime-
 * hostPrefix of the eight image set operations even to an --endpoint-url
 * (http://runtime-127.0.0.1:PORT, which does not resolve); AWS_DISABLE_HOST_PREFIX_INJECTION is
 * botocore's switch for that, the counterpart of the SDK's `disableHostPrefix: true`.
 */
export function awsCliEnv(target: AwsCliTarget): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("AWS_")) env[k] = v;
  return {
    ...env,
    AWS_ACCESS_KEY_ID: target.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: target.credentials.secretAccessKey,
    AWS_DEFAULT_REGION: target.credentials.region,
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_DISABLE_HOST_PREFIX_INJECTION: "true",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_RETRY_MODE: "standard",
    AWS_MAX_ATTEMPTS: "1",
    AWS_PAGER: "",
  };
}

/** Run `aws <args> --endpoint-url <emulator> --output json` and collect the result (never throws on a non-zero exit). */
export function awsCli(aws: string, target: AwsCliTarget, args: string[], opts: { cwd?: string } = {}): Promise<AwsCliResult> {
  return new Promise((resolve, reject) => {
    execFile(
      aws,
      [...args, "--endpoint-url", target.endpoint, "--output", "json"],
      { env: awsCliEnv(target), cwd: opts.cwd, timeout: 60_000, maxBuffer: 16 * 1024 * 1024, encoding: "utf8" },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === "number" ? err.code : -1) : 0;
        if (err && typeof err.code !== "number") return reject(err);
        let json: unknown;
        try {
          json = stdout.trim() ? JSON.parse(stdout) : undefined;
        } catch {
          json = undefined;
        }
        resolve({ code, stdout, stderr, json });
      },
    );
  });
}

/** `aws --version`, e.g. "aws-cli/1.46.3 Python/3.11.7 ..." */
export function awsCliVersion(aws: string): string {
  const out = spawnSync(aws, ["--version"], { encoding: "utf8", env: { ...process.env, AWS_CONFIG_FILE: "/dev/null" } });
  return `${out.stdout}${out.stderr}`.trim(); // older Pythons print it on stderr
}
