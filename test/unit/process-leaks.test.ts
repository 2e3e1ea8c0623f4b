// The suite's leak check sees a process started by a test, also once orphaned, and not after it ends.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { processMarker, survivors, waitForSurvivors } from "../support/processLeaks";

describe("no process outlives the suite (the root hook's check)", () => {
  it("finds a marked orphan until it exits, and ignores processes of other runs", async () => {
    const id = `${processMarker.id}-probe`;
    // sh starts sleep in the background and exits: sleep is orphaned, as a killed CLI's children are
    const sh = spawn("sh", ["-c", "sleep 30 & echo $!"], { env: { ...process.env, [processMarker.name]: id }, stdio: ["ignore", "pipe", "ignore"] });
    const pid = Number((await new Promise<Buffer>((resolve) => sh.stdout.once("data", resolve))).toString().trim());
    try {
      const deadline = Date.now() + 5_000;
      // until sh has exited and sleep (its orphan) is the only marked process
      const onlySleep = () => {
        const left = survivors(id);
        return left.length === 1 && left[0].pid === pid && left[0].command === "sleep 30";
      };
      while (!onlySleep() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(
        survivors(id).map((p) => [p.pid, p.command]),
        [[pid, "sleep 30"]],
      );
      assert.equal(
        survivors().some((p) => p.pid === pid),
        false,
        "another run's id is not this run's",
      );
    } finally {
      process.kill(pid, "SIGKILL");
    }
    assert.deepEqual(await waitForSurvivors(5_000, id), []);
  });
});
