// The real Pulumi CLI (built from Go modules by scripts/install-pulumi.sh, cached) running a
// program in a temporary project with a file backend, offline, against a local service.

import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installPulumi, ROOT } from "../../scripts/local";
import type { RunningEmulator } from "../../emulator/server";
import { awsEnv } from "./emulator";

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface PulumiProject {
  dir: string;
  env: NodeJS.ProcessEnv;
  /** run pulumi in the project; resolves when it exits (never rejects on a non-zero exit) */
  run(args: string[], opts?: { onStart?: (child: ChildProcess) => void }): Promise<CliResult>;
  /** run and require exit 0 */
  ok(args: string[]): Promise<CliResult>;
  writeFile(name: string, content: string): void;
  remove(): void;
}

let bin: string | undefined;

/**
 * Environment for a CLI run: offline, file backend and PULUMI_HOME under `dir`, AWS settings
 * pointing at the local service (when `emu` is given: else the caller sets them). Inherited PULUMI_*
 * and AWS_* variables are dropped so a developer's own settings cannot leak into a test.
 */
export function offlinePulumiEnv(binDir: string, dir: string, emu?: RunningEmulator): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("PULUMI_") && !k.startsWith("AWS_")));
  return {
    ...inherited,
    PATH: `${binDir}${path.delimiter}${process.env.PATH}`,
    PULUMI_BACKEND_URL: `file://${path.join(dir, "backend")}`,
    PULUMI_HOME: path.join(dir, "home"),
    PULUMI_CONFIG_PASSPHRASE: "",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    ...(emu ? awsEnv(emu) : {}),
  };
}

/** A new project folder holding `files`, with node_modules linked to the repository's. */
export async function createProject(name: string, files: Record<string, string>, emu: RunningEmulator, stack = "test"): Promise<PulumiProject> {
  bin ??= installPulumi();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `pulumi-${name}-`));
  fs.mkdirSync(path.join(dir, "backend"));
  fs.mkdirSync(path.join(dir, "home"));
  fs.mkdirSync(path.join(dir, "journal"));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  fs.writeFileSync(path.join(dir, "Pulumi.yaml"), `name: ${name}\nruntime:\n  name: nodejs\n  options:\n    typescript: true\nmain: index.ts\n`);
  for (const [file, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, file), content);
  const env: NodeJS.ProcessEnv = {
    ...offlinePulumiEnv(bin, dir, emu),
    PULUMI_HEALTHIMAGING_JOURNAL: path.join(dir, "journal"),
    PULUMI_HEALTHIMAGING_HOME: dir,
  };
  const run: PulumiProject["run"] = (args, opts = {}) =>
    new Promise((resolve) => {
      const child = spawn("pulumi", [...args, "--stack", stack, "--non-interactive"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
      let stdout = "";
      let stderr = "";
      child.stdout!.on("data", (d) => (stdout += d));
      child.stderr!.on("data", (d) => (stderr += d));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
      opts.onStart?.(child);
    });
  const project: PulumiProject = {
    dir,
    env,
    run,
    async ok(args) {
      const r = await run(args);
      if (r.code !== 0) throw new Error(`pulumi ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
      return r;
    },
    writeFile(file, content) {
      fs.writeFileSync(path.join(dir, file), content);
    },
    remove() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  const init = await new Promise<CliResult>((resolve) => {
    const child = spawn("pulumi", ["stack", "init", stack, "--non-interactive"], { cwd: dir, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout!.on("data", (d) => (out += d));
    child.stderr!.on("data", (d) => (out += d));
    child.on("close", (code) => resolve({ code, stdout: out, stderr: "" }));
  });
  if (init.code !== 0) throw new Error(`pulumi stack init failed: ${init.stdout}`);
  return project;
}

/** Every descendant of a process, read from /proc (children first found, then theirs). */
export function descendants(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    const p = Number(entry);
    if (!Number.isInteger(p)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ")"
      const stat = fs.readFileSync(`/proc/${p}/stat`, "utf8");
      parentOf.set(p, Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // exited meanwhile
    }
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const parent = queue.shift()!;
    for (const [p, pp] of parentOf) {
      if (pp === parent) {
        out.push(p);
        queue.push(p);
      }
    }
  }
  return out;
}

/** A process as found in /proc: its pid, its start time (so a reused pid is not taken for it) and command. */
export interface ProcessSnapshot {
  pid: number;
  startTime: string;
  command: string;
}

function statFields(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // after "pid (comm) ": state is field 3, starttime field 22
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined;
  }
}

/** Snapshots of the given pids that are running now. */
export function snapshot(pids: number[]): ProcessSnapshot[] {
  const out: ProcessSnapshot[] = [];
  for (const pid of pids) {
    const f = statFields(pid);
    if (!f) continue;
    let command = "";
    try {
      command = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
    } catch {
      // gone meanwhile
    }
    out.push({ pid, startTime: f[19], command });
  }
  return out;
}

/** The snapshotted processes still running: same pid and start time, and not a zombie (exited, waiting for a reaper). */
export function stillRunning(processes: ProcessSnapshot[]): ProcessSnapshot[] {
  return processes.filter((p) => {
    const f = statFields(p.pid);
    return f !== undefined && f[19] === p.startTime && f[0] !== "Z";
  });
}

/**
 * SIGKILL a CLI run (as a closed CI runner does) and wait up to `withinMs` for what it started to
 * exit on its own (provider/settings/engineWatch.ts); what is still running then is killed and
 * returned.
 */
export async function killCliAndWait(child: ChildProcess, run: Promise<unknown>, withinMs = 60_000): Promise<ProcessSnapshot[]> {
  const started = snapshot(descendants(child.pid!));
  process.kill(child.pid!, "SIGKILL");
  await run;
  const until = Date.now() + withinMs;
  let left = stillRunning(started);
  while (left.length > 0 && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 500));
    left = stillRunning(started);
  }
  for (const p of left) process.kill(p.pid, "SIGKILL");
  return left;
}

/**
 * Kill a CLI run and everything it started (language host, dynamic-provider host). The CLI puts
 * plugins in process groups of their own, so killing its group is not enough: every descendant is
 * found first (they are orphaned, and untraceable, once the CLI dies), then all are killed.
 */
export function killTree(child: ChildProcess): void {
  const pids = [child.pid!, ...descendants(child.pid!)];
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}
