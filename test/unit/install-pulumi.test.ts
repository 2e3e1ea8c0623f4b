// scripts/install-pulumi.sh tells the truth before a 10-minute first build: no Go (or a Go too
// old) fails in one line naming the Go version needed and how to install it, with nothing left in
// the cache; while Go runs, a progress line appears at least every PROGRESS_EVERY seconds
// (scripts/progress.sh). No build is started here: the cached CLI is never touched.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "../../scripts/local";

const SCRIPT = path.join(ROOT, "scripts", "install-pulumi.sh");
// pkg/v3's go.mod at the @pulumi/pulumi version in node_modules (the script's table has it)
const GO_NEEDED = "1.26.6";

/** Runs the script with a temporary cache, a PATH with node and the base system only (no go, no pulumi). */
function runInstall(tmp: string, env: Record<string, string>) {
  return spawnSync("bash", [SCRIPT], {
    encoding: "utf8",
    env: {
      HOME: tmp,
      PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin`,
      PULUMI_HI_CACHE: path.join(tmp, "cache"),
      GOPROXY: "off", // the Go version comes from the script's table, not the network
      HEALTHIMAGING_TEST_RUN: process.env.HEALTHIMAGING_TEST_RUN ?? "",
      ...env,
    },
  });
}

describe("scripts/install-pulumi.sh before a build", function () {
  this.timeout(30_000);
  let tmp: string;
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "install-pulumi-"));
  });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("without Go: one line naming the Go version needed and where to get it; no cache folder made", () => {
    const r = runInstall(tmp, { GO: path.join(tmp, "no-go-here") });
    assert.equal(r.status, 1, r.stderr);
    assert.equal(r.stdout, "");
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], /^\[install-pulumi\] ERROR: building Pulumi CLI v\d+\.\d+\.\d+ needs Go, and there is none/);
    assert.ok(lines[0].includes(`Go >= ${GO_NEEDED}`), lines[0]);
    assert.ok(lines[0].includes(`https://go.dev/dl/go${GO_NEEDED}.linux-`), lines[0]);
    assert.ok(lines[0].includes("apt-get install golang-go"), lines[0]);
    assert.equal(fs.existsSync(path.join(tmp, "cache")), false);
  });

  it("with a Go older than pkg/v3's go.mod needs: says which it found and which it needs", () => {
    const fakeGo = path.join(tmp, "go");
    fs.writeFileSync(fakeGo, '#!/bin/sh\ncase "$1" in version) echo "go version go1.19.8 linux/amd64" ;; env) echo go1.19.8 ;; esac\n', { mode: 0o755 });
    const r = runInstall(tmp, { GO: fakeGo });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.ok(lines[0].includes(`needs Go >= ${GO_NEEDED}, and ${fakeGo} is go1.19.8`), lines[0]);
  });
});

describe("scripts/progress.sh: with_progress", function () {
  this.timeout(30_000);

  it("prints what runs, the elapsed time and its last output line every PROGRESS_EVERY seconds, and stops its ticker", () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "progress-"));
    try {
      const log = path.join(tmp, "build.log");
      const script = `source ${JSON.stringify(path.join(ROOT, "scripts", "progress.sh"))}
with_progress "compiling pulumi (1 of 2)" ${JSON.stringify(log)} bash -c 'for i in 1 2 3; do echo "github.com/pulumi/pkg$i"; sleep 1; done'
echo "ticker=$PROGRESS_TICKER_PID"`;
      const r = spawnSync("bash", ["-c", script], { encoding: "utf8", env: { ...process.env, PROGRESS_EVERY: "1" } });
      assert.equal(r.status, 0, r.stderr);
      const ticks = r.stderr.split("\n").filter((l) => l.includes("compiling pulumi (1 of 2): 0m0"));
      assert.ok(ticks.length >= 2, r.stderr);
      assert.match(ticks.at(-1)!, /lines of output, last: github\.com\/pulumi\/pkg\d$/);
      assert.equal(r.stdout.trim(), "ticker=", "the ticker is stopped when the command ends");
      assert.equal(fs.readFileSync(log, "utf8").split("\n").length, 4);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });

  it("on failure: returns the command's exit code and prints the end of its log", () => {
    const log = path.join(os.tmpdir(), `progress-${process.pid}.log`);
    const script = `source ${JSON.stringify(path.join(ROOT, "scripts", "progress.sh"))}
with_progress "go get" ${JSON.stringify(log)} bash -c 'echo "go: module not found" >&2; exit 3' || echo "rc=$?"`;
    try {
      const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
      assert.equal(r.stdout.trim(), "rc=3");
      assert.match(r.stderr, /go get failed after 0m0\ds; last lines of .*:\ngo: module not found\n$/);
    } finally {
      fs.rmSync(log, { force: true });
    }
  });
});
