// An earlier version of the provider package, built from git history (scripts/build-old-provider.sh,
// cached by commit), installed into a Pulumi test project in place of the repository's, and the
// switch back to the current one: what an upgrade test needs to make a stack with a released version.

import { execFileSync, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { PulumiProject } from "./pulumiCli";

const ROOT = path.resolve(__dirname, "..", "..");
const PACKAGE = "pulumi-healthimaging";

/** The released versions an upgrade test starts from: the last commit of each (package.json says that version there). */
export const RELEASES = { "0.2.0": "cf473ca" } as const;

/**
 * The packed package (`npm pack` tarball) of provider/ at `commit`. Throws, with the script's reason
 * (e.g. a shallow clone without that commit), when it cannot be built; never skips.
 */
export function oldProviderTarball(commit: string): string {
  const r = spawnSync("bash", [path.join(ROOT, "scripts", "build-old-provider.sh"), commit], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`cannot build the provider at commit ${commit} (scripts/build-old-provider.sh exited ${r.status}):\n${r.stderr}`);
  const tarball = r.stdout.trim();
  if (!fs.existsSync(tarball)) throw new Error(`scripts/build-old-provider.sh printed ${JSON.stringify(tarball)}, which is no file:\n${r.stderr}`);
  return tarball;
}

/** A file as it stood at `commit` (e.g. an example's program for that version). */
export function fileAt(commit: string, file: string): string {
  return execFileSync("git", ["show", `${commit}:${file}`], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

interface Manifest {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
}

/**
 * Installs `tarball` as the project's pulumi-healthimaging, as a user's `npm install` of that
 * version leaves it: the project's node_modules becomes a folder holding the package unpacked, next
 * to links to every other package of the repository's node_modules (the one @pulumi/pulumi, the
 * TypeScript and ts-node the program runs with). A dependency of the old package that the
 * repository's node_modules does not satisfy is installed with npm from the registry, under the
 * package (where npm puts a version the project's own cannot serve). Returns its package.json.
 */
export function installProviderTarball(project: PulumiProject, tarball: string): Manifest {
  const modules = path.join(project.dir, "node_modules");
  fs.rmSync(modules, { recursive: true, force: true });
  fs.mkdirSync(modules);
  const shared = path.join(ROOT, "node_modules");
  for (const entry of fs.readdirSync(shared)) {
    if (entry === PACKAGE || entry === ".package-lock.json") continue;
    fs.symlinkSync(path.join(shared, entry), path.join(modules, entry));
  }
  const dir = path.join(modules, PACKAGE);
  fs.mkdirSync(dir);
  execFileSync("tar", ["-xzf", tarball, "-C", dir, "--strip-components=1"], { stdio: ["ignore", "ignore", "pipe"] });
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as Manifest;
  const missing = unsatisfied(manifest.dependencies ?? {});
  if (missing.length > 0) {
    const r = spawnSync(
      "npm",
      ["install", "--no-save", "--no-package-lock", "--no-audit", "--no-fund", "--omit=dev", "--omit=peer", "--ignore-scripts", ...missing],
      { cwd: dir, encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`npm install ${missing.join(" ")} for ${manifest.name}@${manifest.version} failed:\n${r.stdout}\n${r.stderr}`);
  }
  return manifest;
}

/** The dependencies ("name@range") the repository's node_modules has no version of in range. */
function unsatisfied(dependencies: Record<string, string>): string[] {
  const semver = require(require.resolve("semver", { paths: [path.join(ROOT, "node_modules", "@pulumi", "pulumi")] })) as {
    satisfies(version: string, range: string): boolean;
  };
  return Object.entries(dependencies)
    .filter(([name, range]) => {
      const file = path.join(ROOT, "node_modules", name, "package.json");
      return !fs.existsSync(file) || !semver.satisfies((JSON.parse(fs.readFileSync(file, "utf8")) as Manifest).version, range);
    })
    .map(([name, range]) => `${name}@${range}`);
}

/** Back to the repository's provider: node_modules linked as createProject links it. */
export function useCurrentProvider(project: PulumiProject): void {
  const modules = path.join(project.dir, "node_modules");
  fs.rmSync(modules, { recursive: true, force: true });
  fs.symlinkSync(path.join(ROOT, "node_modules"), modules, "dir");
}

/** Where the project's program (and the dynamic-provider host, which requires it by name from there) loads pulumi-healthimaging from. */
export function providerIn(project: PulumiProject): { dir: string; version: string } {
  // resolved by hand: require.resolve caches what it found for the same paths, and the project changes
  const dir = fs.realpathSync(path.join(project.dir, "node_modules", PACKAGE));
  return { dir, version: (JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as Manifest).version };
}

/** A load of pulumi-healthimaging's code by a Node process of a CLI run: which file, by which process. */
export interface ProviderLoad {
  pid: number;
  /** the process's main script: the program's language host, or the dynamic-provider host (cmd/dynamic-provider) */
  main: string;
  /** the file loaded (real path) */
  file: string;
}

/**
 * Records every file of a pulumi-healthimaging package that a Node process of the project's CLI
 * runs loads (a module required with NODE_OPTIONS, appending to a file): what proves which version's
 * code the program and the dynamic-provider host ran. Call the returned function to stop and read.
 */
export function traceProviderLoads(project: PulumiProject): () => ProviderLoad[] {
  const log = path.join(project.dir, "provider-loads.jsonl");
  const hook = path.join(project.dir, "trace-provider-loads.js");
  fs.writeFileSync(
    hook,
    `const Module = require("module");
const fs = require("fs");
const resolve = Module._resolveFilename;
Module._resolveFilename = function (...args) {
  const file = resolve.apply(this, args);
  if (/[\\\\/]dist[\\\\/]lifecycle[\\\\/]provider\\.js$/.test(file))
    fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify({ pid: process.pid, main: process.argv[1] ?? "", file }) + "\\n");
  return file;
};
`,
  );
  const before = project.env.NODE_OPTIONS;
  project.env.NODE_OPTIONS = `${before ? `${before} ` : ""}--require ${hook}`;
  return () => {
    if (before === undefined) delete project.env.NODE_OPTIONS;
    else project.env.NODE_OPTIONS = before;
    const lines = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
    fs.rmSync(log, { force: true });
    fs.rmSync(hook, { force: true });
    return [...new Set(lines)].map((l) => JSON.parse(l) as ProviderLoad);
  };
}
