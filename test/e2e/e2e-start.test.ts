// The main job as a user runs it: `npm start` (scripts/start.ts) twice, then `npm run destroy`
// (scripts/destroy.ts), with the real Pulumi CLI and the local service in the background. Only
// the places change: a free port, and the service's data and the stack's state in temporary
// folders instead of the repository's `.healthimaging-local/` and `.pulumi-local/`. Afterwards the
// checkout is as before, ignored files included: destroy removes the stacks (and their
// Pulumi.<stack>.yaml) and the files the examples wrote.

import { GetImageSetCommand, ListImageSetVersionsCommand, MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator } from "../../emulator/server";
import { installPulumi } from "../../scripts/local";
import { ensureBuilt } from "../support/build";
import { freePort } from "../support/emulator";
import { instancesIn, metadataOf } from "../support/seeded";
import { runProcess } from "../support/run";

const ROOT = path.resolve(__dirname, "..", "..");

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe("npm start and npm run destroy: the main job, end to end", function () {
  this.timeout(600_000);
  const stack = `e2estart${process.pid}`;
  let dir: string;
  let port: number;
  let env: NodeJS.ProcessEnv;
  let outputs: Record<string, string | number>;

  const exampleStack = `e2eex${process.pid}`;
  let firstStart: Run;
  const run = (command: string, args: string[], runEnv: NodeJS.ProcessEnv): Promise<Run> => runProcess(command, args, { cwd: ROOT, env: runEnv });
  /** The indented lines start.ts prints under a heading, exactly as a user would paste them. */
  const printedLines = (text: string, heading: RegExp): string[] => {
    const lines = text.split("\n");
    const start = lines.findIndex((l) => heading.test(l));
    assert.ok(start >= 0, `no heading ${heading} in:\n${text}`);
    const block: string[] = [];
    for (const line of lines.slice(start + 1)) {
      if (!line.startsWith("  ")) break;
      block.push(line.trim());
    }
    return block;
  };
  /** The user's environment: the test's moved folders and port, but no AWS settings of its own. */
  const userEnv = (): NodeJS.ProcessEnv =>
    Object.fromEntries(
      Object.entries(env).filter(([k]) => (!k.startsWith("AWS_") && !k.startsWith("PULUMI_")) || ["PULUMI_LOCAL_DIR", "PULUMI_HEALTHIMAGING_HOME"].includes(k)),
    );
  const script = (name: "start" | "destroy" | "run-example", ...args: string[]): Promise<Run> =>
    runProcess(process.execPath, ["-r", "ts-node/register/transpile-only", path.join("scripts", `${name}.ts`), ...args], { cwd: ROOT, env });
  const client = () =>
    new MedicalImagingClient({
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      credentials: { accessKeyId: "test", secretAccessKey: "test" },
      disableHostPrefix: true,
    });
  /** The stack outputs start.ts prints last, as pretty JSON on stdout. */
  const printedOutputs = (r: Run) => JSON.parse(r.stdout.slice(r.stdout.lastIndexOf("\n{\n") + 1)) as Record<string, string | number>;
  const servicePid = () => path.join(dir, "local", "service.pid");
  /** Untracked and ignored files of the checkout, as `git status` lists them. */
  const checkoutFiles = () => execFileSync("git", ["status", "--porcelain", "--ignored"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
  const manifestFile = path.join("examples", "dataset-curation", "dataset-manifest.json");
  let filesBefore: string[];

  before(async () => {
    ensureBuilt();
    // what destroy removes cannot be compared: a manifest of an earlier run is gone afterwards
    filesBefore = checkoutFiles().filter((line) => !line.endsWith(manifestFile));
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hi-start-"));
    port = await freePort();
    env = {
      ...process.env,
      HEALTHIMAGING_PORT: String(port),
      HEALTHIMAGING_LOCAL_DIR: path.join(dir, "local"),
      PULUMI_LOCAL_DIR: path.join(dir, "pulumi"),
      PULUMI_STACK_NAME: stack,
      PULUMI_HEALTHIMAGING_HOME: path.join(dir, "home"),
      PULUMI_EXAMPLE_STACK: exampleStack,
    };
  });
  after(() => {
    // a failed test may leave the background service running
    if (fs.existsSync(servicePid())) {
      try {
        process.kill(Number(fs.readFileSync(servicePid(), "utf8")), "SIGKILL");
      } catch {
        // already gone
      }
    }
    fs.rmSync(path.join(ROOT, `Pulumi.${stack}.yaml`), { force: true });
    fs.rmSync(path.join(ROOT, "examples", "subset-into-destination", `Pulumi.${exampleStack}.yaml`), { force: true });
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("starts the service, seeds it, and up makes the quickstart's copy, subset and merge", async () => {
    const r = await script("start");
    firstStart = r;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /started in the background/);
    outputs = printedOutputs(r);
    const c = client();
    const datastoreId = JSON.parse(fs.readFileSync(path.join(dir, "local", "seed.json"), "utf8")).datastoreId as string;
    for (const id of [outputs.ctCopyImageSetId, outputs.angioImageSetId, outputs.mergedIntoImageSetId]) {
      const set = await c.send(new GetImageSetCommand({ datastoreId, imageSetId: String(id) }));
      assert.equal(set.imageSetState, "ACTIVE", `${id}: ${set.imageSetState}/${set.imageSetWorkflowStatus}`);
    }
    assert.ok(Number(outputs.ctCopyInstances) > 0 && Number(outputs.angioInstances) > 0);
    assert.equal(outputs.mergedIntoImageSetId, outputs.angioImageSetId);
    assert.equal(outputs.mergedVersionId, "2", "the merge made the subset's image set's second version");
    const held = Object.values(instancesIn(await metadataOf(c, datastoreId, String(outputs.angioImageSetId)))).flat().length;
    assert.equal(held, Number(outputs.angioInstances) + Number(outputs.mergedInstances), "the subset's instances plus the merged ones");
    assert.match(r.stderr, /aws medical-imaging get-image-set/, "it says how to look at the result");
  });

  it("the AWS CLI commands npm start prints work when pasted into a shell", async () => {
    const aws = execFileSync("bash", [path.join(ROOT, "scripts", "install-aws-cli.sh")], { encoding: "utf8" }).trim();
    const lines = printedLines(firstStart.stderr, /^Inspect them with the AWS CLI/);
    assert.equal(lines.length, 3, lines.join("\n"));
    assert.doesNotMatch(lines.join("\n"), /\.\.\./, "no elided arguments");
    const r = await run("bash", ["-ec", lines.join("\n")], {
      ...userEnv(),
      PATH: `${path.dirname(aws)}${path.delimiter}${process.env.PATH}`,
      AWS_CONFIG_FILE: "/dev/null",
      AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const [got, versions] = r.stdout.split(/\n(?=\{)/).map((j) => JSON.parse(j));
    assert.equal(got.imageSetId, outputs.angioImageSetId);
    assert.ok(versions.imageSetPropertiesList.length >= 2, "the merge made a second version");
  });

  it("the drift check npm start prints passes when pasted: source scripts/pulumi-env.sh, then pulumi preview --refresh --expect-no-changes", async () => {
    const [line] = printedLines(firstStart.stderr, /^Check that nothing drifted/);
    assert.match(line, /^source scripts\/pulumi-env\.sh && pulumi preview --refresh --expect-no-changes/);
    const r = await run("bash", ["-c", line], { ...userEnv(), HEALTHIMAGING_PORT: String(port) });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /4 unchanged/);
  });

  it("npm run example makes an example stack that npm run destroy will tear down too", async () => {
    const r = await script("run-example", "subset-into-destination", "up");
    assert.equal(r.code, 0, r.stdout + r.stderr);
  });

  it("a second npm start finds the service running and the data seeded, and changes nothing", async () => {
    const r = await script("start");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /already running/);
    assert.match(r.stdout, /Resources:\s+4 unchanged\s/, "the three image sets and the stack");
    assert.doesNotMatch(r.stdout, /\b(created|updated|replaced|deleted)\b/);
    assert.deepEqual(printedOutputs(r), outputs);
  });

  it("npm run destroy deletes the copies, undoes the merge and stops the service; the data stays", async () => {
    // what `npm run example -- dataset-curation` writes (its up takes minutes at 0.25 TPS, so a stand-in)
    fs.writeFileSync(path.join(ROOT, manifestFile), "{}\n");
    const r = await script("destroy");
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stderr, /stopped/);
    assert.match(r.stderr, /pulumi destroy \(examples\/subset-into-destination, stack /, "the example stack is torn down too");
    assert.equal(fs.existsSync(path.join(ROOT, "examples", "subset-into-destination", `Pulumi.${exampleStack}.yaml`)), false, "and removed");
    assert.equal(fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`)), false, "the quickstart stack is removed, not left empty");
    const stacksLeft = await run("pulumi", ["stack", "ls", "--json"], {
      ...env,
      PATH: `${installPulumi()}${path.delimiter}${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${path.join(dir, "pulumi", "backend")}`,
      PULUMI_HOME: path.join(dir, "pulumi", "home"),
      PULUMI_CONFIG_PASSPHRASE: "",
      PULUMI_SKIP_UPDATE_CHECK: "true",
    });
    assert.deepEqual(JSON.parse(stacksLeft.stdout), [], stacksLeft.stderr);
    assert.match(r.stderr, /^removed examples\/dataset-curation\/dataset-manifest\.json$/m);
    assert.deepEqual(checkoutFiles(), filesBefore, "git status --porcelain --ignored is as before npm start");
    await assert.rejects(fetch(`http://127.0.0.1:${port}/_emulator/health`), "the service is stopped");
    // Look at what it left, with the service started again on the same data folder.
    const emu = await startEmulator({ port, dataDir: path.join(dir, "local", "data"), profile: "fast" });
    try {
      const c = client();
      const datastoreId = JSON.parse(fs.readFileSync(path.join(dir, "local", "seed.json"), "utf8")).datastoreId as string;
      const copy = await c.send(new GetImageSetCommand({ datastoreId, imageSetId: String(outputs.ctCopyImageSetId) }));
      assert.equal(copy.imageSetState, "DELETED");
      const merged = await c.send(new GetImageSetCommand({ datastoreId, imageSetId: String(outputs.mergedIntoImageSetId) }));
      assert.equal(merged.imageSetState, "DELETED", "the subset's image set (the merge's destination, made by this stack) is deleted too");
      const versions = await c.send(new ListImageSetVersionsCommand({ datastoreId, imageSetId: String(outputs.mergedIntoImageSetId) }));
      // 1 the subset copy, 2 the merge, 3 the merge reverted, before the delete
      assert.deepEqual((versions.imageSetPropertiesList ?? []).map((v) => v.versionId).sort(), ["1", "2", "3"], "the merge was undone before the delete");
    } finally {
      await emu.stop();
    }
  });
});
