// No process may outlive the suite. Every process a test starts (services, the Pulumi CLI, language
// hosts, dynamic providers) inherits a marker in its environment, even when it is orphaned; after the
// last test the root hook waits briefly for stragglers, then kills any that remain and fails the run,
// naming them.

import * as fs from "node:fs";

const MARKER = "HEALTHIMAGING_TEST_RUN";
const runId = process.env[MARKER] && process.env.HEALTHIMAGING_TEST_RUN_OWNER === String(process.pid) ? process.env[MARKER] : `${process.pid}-${Date.now()}`;
process.env[MARKER] = runId;
process.env.HEALTHIMAGING_TEST_RUN_OWNER = String(process.pid);

/** A process still carrying this run's marker. */
export interface Survivor {
  pid: number;
  command: string;
}

/** Processes other than this one whose environment carries the marker (optionally another run's id). */
export function survivors(id: string = runId): Survivor[] {
  const needle = Buffer.from(`\0${MARKER}=${id}\0`);
  const out: Survivor[] = [];
  for (const entry of fs.readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const environ = Buffer.concat([Buffer.from([0]), fs.readFileSync(`/proc/${pid}/environ`)]);
      if (!environ.includes(needle)) continue;
      const command = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      if (command) out.push({ pid, command }); // an empty cmdline is a zombie already exiting
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return out;
}

/** Waits up to graceMs for marked processes to exit; returns the ones that did not. */
export async function waitForSurvivors(graceMs: number, id: string = runId): Promise<Survivor[]> {
  const deadline = Date.now() + graceMs;
  let left = survivors(id);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    left = survivors(id);
  }
  return left;
}

/** The marker's name and this run's id, for tests of this check. */
export const processMarker = { name: MARKER, id: runId };

export const mochaHooks = {
  async afterAll(this: Mocha.Context) {
    this.timeout(30_000);
    const left = await waitForSurvivors(10_000);
    if (left.length === 0) return;
    for (const p of left) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    throw new Error(`${left.length} process(es) outlived the test suite (now killed):\n${left.map((p) => `  ${p.pid} ${p.command.slice(0, 200)}`).join("\n")}`);
  },
};
