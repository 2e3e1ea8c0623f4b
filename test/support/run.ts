// One way for tests to run a command to its end and keep what it printed.

import { type SpawnOptions, spawn } from "node:child_process";

/** A finished process: its exit code and what it printed. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  /** stdout and stderr interleaved as they arrived, as a terminal would show them */
  output: string;
}

/** Runs `command` with no stdin and resolves when it has exited and closed its output. */
export function runProcess(command: string, args: string[], opts: SpawnOptions = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    const done: Finished = { code: null, stdout: "", stderr: "", output: "" };
    child.stdout?.on("data", (d) => {
      done.stdout += d;
      done.output += d;
    });
    child.stderr?.on("data", (d) => {
      done.stderr += d;
      done.output += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ ...done, code }));
  });
}
