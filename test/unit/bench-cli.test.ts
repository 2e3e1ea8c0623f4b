// `npm run bench` is a command line like any other: --help answers without measuring, a bad option
// is refused with the usage, and neither touches the tracked report (only --write rewrites it).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const TRACKED = [path.join(ROOT, "BENCHMARKS.md"), path.join(ROOT, "bench", "last-run.json")];
const bench = (...args: string[]) =>
  spawnSync(process.execPath, ["-r", "ts-node/register/transpile-only", path.join(ROOT, "bench", "index.ts"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 30_000,
  });

describe("npm run bench: its command line", function () {
  this.timeout(60_000);
  const trackedMtimes = () => TRACKED.map((f) => fs.statSync(f).mtimeMs);

  it("--help prints the options, including --write, and measures nothing", () => {
    const mtimes = trackedMtimes();
    const r = bench("--help");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^usage: npm run bench/);
    assert.match(r.stdout, /--write/);
    assert.doesNotMatch(r.stderr, /figure/);
    assert.deepEqual(trackedMtimes(), mtimes);
  });

  it("an unknown option or part is refused with the usage (exit 2), writing nothing", () => {
    const mtimes = trackedMtimes();
    for (const args of [["--bogus"], ["--only", "wait,nonsense"]]) {
      const r = bench(...args);
      assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, /usage: npm run bench/);
    }
    assert.match(bench("--only", "nonsense").stderr, /--only: unknown part nonsense/);
    assert.deepEqual(trackedMtimes(), mtimes);
  });
});
