// A private npm registry for a test: Verdaccio (scripts/install-verdaccio.sh, cached outside the
// repository) on a free loopback port, its storage in a temporary folder, proxying every other
// package to the npm registry this machine uses. Both packages are published to it by
// .github/workflows/release.yml's own publish step (`npm publish --provenance --access public` in
// provider/ and emulator/, each built by its prepack script), run with bash minus --provenance,
// which needs GitHub's OIDC token. Installs that set npm_config_registry to `url` then get this
// checkout's packages by name, exactly as users will get the released ones from npm.

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { freePort, sleep } from "./emulator";
import { runProcess } from "./run";

const ROOT = path.resolve(__dirname, "..", "..");
/** The packages the release publishes: served only from the local registry, never proxied. */
export const PUBLISHED = ["provider", "emulator"] as const;

export interface LocalRegistry {
  /** http://127.0.0.1:<port>/ */
  url: string;
  /** npm settings for an install from it (npm_config_registry; the user's npm cache is kept) */
  npmEnv: Record<string, string>;
  /** name@version of each package published to it */
  published: string[];
  /** run the release workflow's publish step against this registry; returns its output */
  publishAsWorkflow(): Promise<string>;
  stop(): Promise<void>;
}

function run(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv }): Promise<{ code: number | null; output: string }> {
  return runProcess(command, args, opts);
}

/**
 * The `run:` script of .github/workflows/release.yml's "npm publish --provenance" step, without
 * `--provenance` (it needs GitHub's OIDC token), and the version it publishes (provider/package.json's).
 */
export function workflowPublishStep(): { script: string; version: string } {
  const workflow = yaml.load(fs.readFileSync(path.join(ROOT, ".github", "workflows", "release.yml"), "utf8")) as {
    jobs: Record<string, { steps: { name?: string; run?: string }[] }>;
  };
  const step = Object.values(workflow.jobs)
    .flatMap((j) => j.steps)
    .find((s) => s.name === "npm publish --provenance");
  if (!step?.run?.includes("npm publish --provenance --access public")) throw new Error('release.yml has no "npm publish --provenance" step');
  const version = JSON.parse(fs.readFileSync(path.join(ROOT, "provider", "package.json"), "utf8")).version as string;
  return { script: step.run.replaceAll(" --provenance", ""), version };
}

/** Starts Verdaccio and publishes provider/ and emulator/ to it with the release workflow's step (unless `publish: false`). */
export async function startRegistry(opts: { publish?: boolean } = {}): Promise<LocalRegistry> {
  const verdaccio = execFileSync("bash", [path.join(ROOT, "scripts", "install-verdaccio.sh")], { encoding: "utf8" }).trim();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hi-registry-"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const uplink = execFileSync("npm", ["config", "get", "registry"], { encoding: "utf8" }).trim() || "https://registry.npmjs.org/";
  // One publisher, with a password checked by the htpasswd plugin ({SHA}: SHA-1, base64)
  const password = createHash("sha256").update(dir).digest("hex").slice(0, 24);
  fs.writeFileSync(path.join(dir, "htpasswd"), `release:{SHA}${createHash("sha1").update(password).digest("base64")}:autocreated 2026-01-01\n`);
  const own = PUBLISHED.map((p) => JSON.parse(fs.readFileSync(path.join(ROOT, p, "package.json"), "utf8")).name as string);
  fs.writeFileSync(
    path.join(dir, "config.yaml"),
    [
      `storage: ${JSON.stringify(path.join(dir, "storage"))}`,
      "auth:",
      "  htpasswd:",
      `    file: ${JSON.stringify(path.join(dir, "htpasswd"))}`,
      "    max_users: -1",
      "uplinks:",
      "  npmjs:",
      `    url: ${JSON.stringify(uplink)}`,
      "    timeout: 60s",
      "    maxage: 30m",
      "packages:",
      // this checkout's packages come from here only: never a same-named package from the uplink
      ...own.flatMap((name) => [`  ${JSON.stringify(name)}:`, "    access: $all", "    publish: $authenticated"]),
      '  "**":',
      "    access: $all",
      "    publish: $authenticated",
      "    proxy: npmjs",
      "server:",
      "  keepAliveTimeout: 60",
      "logs: { type: stdout, format: pretty, level: warn }",
      "",
    ].join("\n"),
  );
  // the publisher's npm settings: this registry's credentials only
  const npmrc = path.join(dir, "publish.npmrc");
  fs.writeFileSync(npmrc, `//127.0.0.1:${port}/:_auth=${Buffer.from(`release:${password}`).toString("base64")}\n`);

  const child: ChildProcess = spawn(verdaccio, ["--config", path.join(dir, "config.yaml"), "--listen", `127.0.0.1:${port}`], {
    cwd: dir,
    env: { ...process.env, NODE_OPTIONS: "" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let log = "";
  child.stdout!.on("data", (d) => (log = (log + d).slice(-20_000)));
  child.stderr!.on("data", (d) => (log = (log + d).slice(-20_000)));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const done = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
      if (!done) {
        child.kill("SIGKILL");
        await exited;
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`verdaccio exited (${child.exitCode}):\n${log}`);
      const up = await fetch(`${url}-/ping`).then(
        (r) => r.ok,
        () => false,
      );
      if (up) break;
      if (Date.now() > deadline) throw new Error(`verdaccio did not answer on ${url} within 60 s:\n${log}`);
      await sleep(200);
    }
  } catch (e) {
    await stop();
    throw e;
  }

  const npmEnv = {
    npm_config_registry: url,
    // lockfiles name where each package came from, so a test can tell this registry served it
    npm_config_omit_lockfile_registry_resolved: "false",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
  };
  const published: string[] = [];
  const registry: LocalRegistry = {
    url,
    npmEnv,
    published,
    async publishAsWorkflow() {
      const { script, version } = workflowPublishStep();
      const r = await run("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
        cwd: ROOT,
        env: { ...process.env, ...npmEnv, npm_config_userconfig: npmrc, GITHUB_REF_NAME: `v${version}`, NODE_AUTH_TOKEN: "" },
      });
      if (r.code !== 0) throw new Error(`the release workflow's publish step failed against ${url}:\n${r.output}\n${log}`);
      for (const p of PUBLISHED) {
        const name = JSON.parse(fs.readFileSync(path.join(ROOT, p, "package.json"), "utf8")).name as string;
        if (!published.includes(`${name}@${version}`)) published.push(`${name}@${version}`);
      }
      return r.output;
    },
    stop,
  };
  if (opts.publish !== false) {
    try {
      await registry.publishAsWorkflow();
    } catch (e) {
      await stop();
      throw e;
    }
  }
  return registry;
}
