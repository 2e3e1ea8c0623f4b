// A newcomer's path, on a fresh clone, with the commands the README gives and nothing else:
// clone → npm install → npm start → each local example (`npm run example -- <name> up`) →
// npm test → npm run destroy, after which `git status` shows what it showed after the clone and
// no process of it runs. Only the port moves (a free one), so a developer's own service is never
// touched. The clone is of HEAD: commit before running this file alone.
//
// `npm test` runs as typed (type check, lint, build, the examples' type check), with its mocha
// narrowed by `-- --grep` to one unit test: the whole suite inside the suite would double CI's time,
// and what a newcomer's earlier steps can break is the lint and type checks of files they wrote.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { freePort } from "../support/emulator";
import { runProcess } from "../support/run";

const ROOT = path.resolve(__dirname, "..", "..");
/** The examples `npm run example` runs against the local service (pr-preview and real-aws live outside it). */
const LOCAL_EXAMPLES = ["subset-into-destination", "dataset-curation"];

interface Run {
  code: number | null;
  output: string;
}

describe("a newcomer's path on a fresh clone: npm install, npm start, the examples, npm test, npm run destroy", function () {
  this.timeout(900_000);
  let clone: string;
  let port: number;
  let env: NodeJS.ProcessEnv;
  let statusAfterClone: string;
  let ignoredBeforeStart: string[];

  const run = (command: string, args: string[], cwd = clone): Promise<Run> => runProcess(command, args, { cwd, env });
  const npm = (...args: string[]) => run("npm", args);
  const gitStatus = async () => (await run("git", ["status", "--porcelain", "--untracked-files=all"])).output;
  /**
   * Ignored files and folders, minus what is documented to stay: the seeded data
   * (.healthimaging-local/), the file backend (.pulumi-local/) and real-aws's own node_modules,
   * which npm test's type check of the examples installs.
   */
  const ignoredFiles = async () =>
    (await run("git", ["status", "--porcelain", "--ignored"])).output
      .split("\n")
      .filter((l) => l.startsWith("!! ") && !/^!! (\.healthimaging-local|\.pulumi-local|examples\/real-aws\/node_modules)\//.test(l));
  const servicePid = () => path.join(clone, ".healthimaging-local", "service.pid");

  before(async () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), "hi-newcomer-"));
    clone = path.join(parent, "pulumi-healthimaging");
    port = await freePort();
    // A newcomer's shell: no AWS or Pulumi settings of the test run, only the port moved.
    env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("AWS_") && !k.startsWith("PULUMI_") && !k.startsWith("npm_")));
    env.HEALTHIMAGING_PORT = String(port);
    env.PULUMI_HEALTHIMAGING_HOME = process.env.PULUMI_HEALTHIMAGING_HOME; // the test run's (test/support/isolatedHome.ts)
    const cloned = await run("git", ["clone", "--quiet", ROOT, clone], parent);
    assert.equal(cloned.code, 0, cloned.output);
    statusAfterClone = await gitStatus();
  });

  after(() => {
    // a failed step may leave the background service running
    if (fs.existsSync(servicePid())) {
      try {
        process.kill(Number(fs.readFileSync(servicePid(), "utf8")), "SIGKILL");
      } catch {
        // already gone
      }
    }
    fs.rmSync(path.dirname(clone), { recursive: true, force: true });
  });

  it("npm install installs and builds both packages", async () => {
    const r = await npm("install", "--no-audit", "--no-fund");
    assert.equal(r.code, 0, r.output);
    for (const built of ["provider/dist/index.js", "emulator/dist/server.js"]) assert.ok(fs.existsSync(path.join(clone, built)), `${built} is built`);
    ignoredBeforeStart = await ignoredFiles();
  });

  it("npm start runs the quickstart against the local service it starts", async () => {
    const r = await npm("start");
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /started in the background/);
    assert.match(r.output, /"ctCopyImageSetId":/);
  });

  for (const name of LOCAL_EXAMPLES) {
    it(`npm run example -- ${name} up, then a preview with no changes`, async () => {
      const up = await npm("run", "example", "--", name, "up");
      assert.equal(up.code, 0, up.output);
      const again = await npm("run", "example", "--", name, "preview", "--expect-no-changes");
      assert.equal(again.code, 0, again.output);
    });
  }

  it("npm test passes on the clone as the earlier steps left it (lint and type checks see every file they wrote)", async () => {
    const r = await npm("test", "--", "--grep", "rounds durations to what a reader needs");
    assert.equal(r.code, 0, r.output);
    assert.match(r.output, /1 passing/);
  });

  it("npm run destroy tears everything down: git status as after the clone, the service stopped", async () => {
    const r = await npm("run", "destroy");
    assert.equal(r.code, 0, r.output);
    assert.equal(await gitStatus(), statusAfterClone, "git status shows what it showed after the clone");
    assert.deepEqual(await ignoredFiles(), ignoredBeforeStart, "no ignored file is left either (example outputs, stack files)");
    assert.equal(fs.existsSync(servicePid()), false, "the service's pid file is gone");
    await assert.rejects(fetch(`http://127.0.0.1:${port}/_emulator/health`), "the service is stopped");
  });
});
