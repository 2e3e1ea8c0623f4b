// Installable outside this repository: each example's README is the test script. Both packages are
// published to a local npm registry by the release workflow's own publish step (test/support/registry.ts:
// Verdaccio, proxying everything else to the npm registry), the example folder is copied as a clone
// holds it (its tracked files) to a temporary folder outside the repository, and the README's two
// marked shell blocks run word for word with npm_config_registry pointing at the local registry:
//   <!-- recipe: service -->  installs healthimaging-local from the registry, seeds it with the
//                             pydicom sample studies and serves it (left running, in the background);
//   <!-- recipe: steps -->    installs pulumi-healthimaging from the registry and runs the real
//                             Pulumi CLI (file backend, offline) against that service.
// Two substitutions only: the README's port 4566 becomes a free port (other tests may hold 4566),
// and Debian's pydicom path becomes this machine's when it differs (PYDICOM_TEST_FILES).
// Afterwards the service and the registry are stopped, no process is left (test/support/processLeaks.ts
// also checks), and the temporary folders are removed.

import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { installPulumi } from "../../scripts/local";
import { ensureBuilt } from "../support/build";
import { freePort, sleep } from "../support/emulator";
import { descendants, offlinePulumiEnv, snapshot, stillRunning } from "../support/pulumiCli";
import { type LocalRegistry, startRegistry } from "../support/registry";
import { pydicomTestFiles } from "../support/sampleData";
import { runProcess } from "../support/run";

const ROOT = path.resolve(__dirname, "..", "..");
const README_PORT = "4566";
const README_DICOM = "/usr/lib/python3/dist-packages/pydicom/data/test_files";

/** The shell block that follows `<!-- recipe: <name> ... -->` in a README. */
function recipeBlock(readme: string, name: string): string {
  const marker = new RegExp(`<!-- recipe: ${name}\\b[^>]*-->\\s*\`\`\`(?:sh|bash)\\n([\\s\\S]*?)\`\`\``);
  const m = marker.exec(readme);
  assert.ok(m, `the README marks a \`\`\`sh block with <!-- recipe: ${name} -->`);
  return m[1];
}

/** The example folder as a clone of the repository holds it: its tracked (or new, not ignored) files. */
function copyAsCloned(example: string, to: string): void {
  const files = execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z", "--", `examples/${example}`], {
    cwd: ROOT,
    encoding: "utf8",
  })
    .split("\0")
    .filter((f) => f && fs.existsSync(path.join(ROOT, f)));
  assert.ok(files.length > 0);
  for (const f of files) {
    const target = path.join(to, path.relative(path.join("examples", example), f));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), target);
  }
}

interface Running {
  child: ChildProcess;
  output: () => string;
  stop(): Promise<void>;
}

/** Runs the service block in the background and waits for the service's first line (its endpoint, as JSON). */
async function startServiceBlock(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Running & { endpoint: string }> {
  const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
  let stdout = "";
  let all = "";
  child.stdout!.on("data", (d) => {
    stdout += d;
    all += d;
  });
  child.stderr!.on("data", (d) => (all += d));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  const stop = async () => {
    const pids = snapshot([child.pid!, ...descendants(child.pid!)]);
    try {
      process.kill(-child.pid!, "SIGTERM"); // the block's group: bash, npm exec and the service
    } catch {
      // gone already
    }
    const deadline = Date.now() + 10_000;
    while (stillRunning(pids).length > 0 && Date.now() < deadline) await sleep(100);
    for (const p of stillRunning(pids)) {
      try {
        process.kill(p.pid, "SIGKILL");
      } catch {
        // gone meanwhile
      }
    }
    await Promise.race([exited, sleep(2_000)]);
  };
  const deadline = Date.now() + 300_000;
  for (;;) {
    const line = stdout.split("\n").find((l) => l.startsWith("{") && l.includes('"endpoint"'));
    if (line) return { child, output: () => all, stop, endpoint: (JSON.parse(line) as { endpoint: string }).endpoint };
    if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
      await stop();
      assert.fail(`the service block ${child.exitCode !== null ? `exited ${child.exitCode}` : "did not start the service in 300 s"}:\n${all}`);
    }
    await sleep(200);
  }
}

function runBlock(script: string, cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return runProcess("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], { cwd, env });
}

const EXAMPLES: { name: string; check: (dir: string, output: string) => void }[] = [
  {
    name: "pr-preview",
    check(dir) {
      const comment = fs.readFileSync(path.join(dir, "comment.md"), "utf8");
      assert.match(comment, /^## HealthImaging: what `pulumi up` will do\n/);
      assert.match(comment, /\| `cohorts\/angio-views` \| 1 \| 0 \| 0 \| 0 \| 2 instances \| none \|/);
      assert.match(comment, /Write calls: \d+ CopyImageSet, 0 UpdateImageSetMetadata, 0 DeleteImageSet/);
      // the README's summary command is the workflow's own
      const wf = yaml.load(fs.readFileSync(path.join(dir, ".github", "workflows", "pulumi-preview.yml"), "utf8")) as {
        jobs: Record<string, { steps: { name?: string; run?: string }[] }>;
      };
      const step = Object.values(wf.jobs)
        .flatMap((j) => j.steps)
        .find((s) => s.name === "pulumi preview");
      assert.ok(step?.run?.includes("pulumi preview --json --stack"));
      assert.ok(step?.run?.includes("npx --no-install pulumi-healthimaging summarize preview.json"));
    },
  },
  {
    name: "dataset-curation",
    check(_dir, output) {
      const manifest = JSON.parse(output.slice(output.indexOf('{\n  "datastoreId"'), output.indexOf("\n}\n") + 2)) as {
        cohorts: Record<string, { imageSetId: string; instanceCount: number }[]>;
      };
      assert.deepEqual(
        Object.fromEntries(Object.entries(manifest.cohorts).map(([c, series]) => [c, series.length])),
        { "angio-views": 1, "brain-mra": 3, "head-ct": 1, localizers: 4, test: 9, train: 4 },
        "the README's cohorts, by series",
      );
      assert.equal(new Set(manifest.cohorts["brain-mra"].map((s) => s.imageSetId)).size, 1, "brain-mra: the study's 3 series in one image set");
      assert.equal(manifest.cohorts["angio-views"][0].instanceCount, 2);
      assert.match(output, /\+ 24 to create/, "the README's preview: 22 derived image sets, the dataset and the stack");
      assert.match(output, /Resources:\s*\n\s*- \d+ deleted/, "destroy removed them");
    },
  },
  {
    name: "subset-into-destination",
    check(_dir, output) {
      assert.match(output, /copiedInstanceCount\s*: 3/);
      assert.match(output, /versionAfter\s*: "2"/);
      assert.match(output, /Resources:\s*\n\s*- 3 deleted/, "destroy removed the copy, the working copy and the stack");
    },
  },
];

describe("installable outside this repository: each example's README, word for word, from a local npm registry", function () {
  this.timeout(900_000);
  let registry: LocalRegistry;
  let pulumiBin: string;
  const version = (JSON.parse(fs.readFileSync(path.join(ROOT, "provider", "package.json"), "utf8")) as { version: string }).version;

  before(async function () {
    this.timeout(900_000); // a first run may build the Pulumi CLI
    ensureBuilt();
    pulumiBin = installPulumi();
    registry = await startRegistry();
    console.log(`      published to ${registry.url}: ${registry.published.join(", ")}`);
  });
  after(async () => {
    await registry?.stop();
  });

  it("the release workflow's publish step, run again, skips the versions already published", async () => {
    const output = await registry.publishAsWorkflow();
    assert.match(output, new RegExp(`pulumi-healthimaging@${version.replaceAll(".", "\\.")} is already on npm`));
    assert.match(output, new RegExp(`healthimaging-local@${version.replaceAll(".", "\\.")} is already on npm`));
  });

  it("examples/pr-preview's committed lockfile installs from the registry with `npm ci`, the workflow's first step", async () => {
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "hi-readme-lockfile-"));
    try {
      copyAsCloned("pr-preview", work);
      const r = await runBlock("npm ci", work, { ...process.env, ...registry.npmEnv, TMPDIR: os.tmpdir() });
      assert.equal(r.code, 0, r.output);
      const installed = path.join(work, "node_modules", "pulumi-healthimaging");
      assert.ok(!fs.lstatSync(installed).isSymbolicLink());
      assert.equal(JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")).version, version);
      assert.ok(fs.existsSync(path.join(installed, "dist", "index.js")));
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });

  for (const { name, check } of EXAMPLES)
    it(`examples/${name}: the README's service and steps blocks`, async () => {
      const readme = fs.readFileSync(path.join(ROOT, "examples", name, "README.md"), "utf8");
      const port = String(await freePort());
      const dicom = pydicomTestFiles();
      const local = (block: string) => block.replaceAll(README_PORT, port).replaceAll(README_DICOM, dicom);
      const service = local(recipeBlock(readme, "service"));
      const steps = local(recipeBlock(readme, "steps"));
      assert.ok(!/\.\.\/\.\.\/|provider\/|emulator\//.test(steps), "the steps name no path inside this repository");

      const work = fs.mkdtempSync(path.join(os.tmpdir(), `hi-readme-${name}-`));
      assert.ok(path.relative(ROOT, work).startsWith(".."), "outside the repository");
      const dir = path.join(work, name);
      copyAsCloned(name, dir);
      fs.mkdirSync(path.join(work, "tmp"));
      fs.mkdirSync(path.join(work, "home"));
      const env: NodeJS.ProcessEnv = {
        ...offlinePulumiEnv(pulumiBin, work),
        PATH: [pulumiBin, path.dirname(process.execPath), process.env.PATH].join(path.delimiter),
        ...registry.npmEnv,
        PULUMI_HEALTHIMAGING_HOME: path.join(work, "home"),
        TMPDIR: path.join(work, "tmp"),
      };
      let running: (Running & { endpoint: string }) | undefined;
      try {
        const t0 = Date.now();
        running = await startServiceBlock(service, work, env);
        assert.equal(running.endpoint, `http://127.0.0.1:${port}`);
        const t1 = Date.now();
        const r = await runBlock(steps, dir, env);
        assert.equal(r.code, 0, `the steps failed:\n${r.output}\n--- service:\n${running.output()}`);
        console.log(`      service block ${((t1 - t0) / 1000).toFixed(0)} s, steps ${((Date.now() - t1) / 1000).toFixed(0)} s`);

        // both packages came from the registry, as published: no link into this checkout
        for (const [folder, pkg] of [
          [dir, "pulumi-healthimaging"],
          [path.join(work, "local-service"), "healthimaging-local"],
        ]) {
          const installed = path.join(folder, "node_modules", pkg);
          assert.ok(!fs.lstatSync(installed).isSymbolicLink(), `${pkg} is installed, not linked`);
          assert.equal(JSON.parse(fs.readFileSync(path.join(installed, "package.json"), "utf8")).version, version);
          const lock = JSON.parse(fs.readFileSync(path.join(folder, "package-lock.json"), "utf8")) as { packages: Record<string, { resolved?: string }> };
          assert.equal(lock.packages[`node_modules/${pkg}`].resolved, `${registry.url}${pkg}/-/${pkg}-${version}.tgz`, `${pkg} from the local registry`);
        }
        check(dir, r.output);
      } finally {
        await running?.stop();
        fs.rmSync(work, { recursive: true, force: true });
      }
    });
});
