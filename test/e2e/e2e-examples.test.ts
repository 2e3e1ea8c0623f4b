// End to end: the examples run by the real Pulumi CLI (scripts/install-pulumi.sh) against an
// in-process seeded local service on a random port, with a temporary file backend and
// PULUMI_HOME, from temporary copies of the example folders (inside the repository's ignored
// tmp/, so the copies resolve node_modules like the originals). The developer's .pulumi-local/,
// the service on port 4566 and the example folders themselves are never touched.
//
// Stack config comes from scripts/run-example.ts (the same wiring `npm run example` uses).

import { GetDatastoreCommand, GetImageSetCommand, ListImageSetVersionsCommand, SearchImageSetsCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { EXAMPLE_SERIES, prepareStack, pulumiOk } from "../../scripts/run-example";
import { installPulumi } from "../../scripts/local";
import { ensureBuilt } from "../support/build";
import { type DynamicHost, PartialFailureError, startDynamicHost } from "../support/dynamicHost";
import { instancesIn, metadataOf, SAMPLE_BUCKET, type Seeded, startSeeded } from "../support/seeded";
import { offlinePulumiEnv } from "../support/pulumiCli";
import { runProcess } from "../support/run";

const ROOT = path.resolve(__dirname, "..", "..");
const STACK = "e2e";

// Public UIDs of the pydicom sample data the examples use.
const ANGIO = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118";
const angio = (n: number) => `1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.${n}`;

describe("examples end to end (real Pulumi CLI, local service)", function () {
  this.timeout(120_000);
  let seeded: Seeded;
  let work: string;
  let env: NodeJS.ProcessEnv;

  before(async function () {
    this.timeout(600_000); // a first run may build the Pulumi CLI
    ensureBuilt();
    const bin = installPulumi();
    seeded = await startSeeded({ profile: "fast" });
    fs.mkdirSync(path.join(ROOT, "tmp"), { recursive: true });
    work = fs.mkdtempSync(path.join(ROOT, "tmp", "e2e-examples-"));
    fs.mkdirSync(path.join(work, "backend"));
    fs.mkdirSync(path.join(work, "home"));
    env = offlinePulumiEnv(bin, work, seeded.emu);
  });

  after(async () => {
    await seeded?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  /** A copy of examples/<name> without any developer stack config. */
  function copyExample(name: string): string {
    const dir = path.join(work, name);
    fs.cpSync(path.join(ROOT, "examples", name), dir, {
      recursive: true,
      filter: (src) => !/Pulumi\.(?!yaml$)[^/]*\.yaml$/.test(path.basename(src)) && path.basename(src) !== "node_modules",
    });
    return dir;
  }

  const pulumi = (dir: string, ...args: string[]) => pulumiOk([...args, "--stack", STACK], { cwd: dir, env, capture: true });
  const outputsOf = async (dir: string) => JSON.parse((await pulumi(dir, "stack", "output", "--json")).stdout);
  const contents = async (imageSetId: string) => instancesIn(await metadataOf(seeded.client, seeded.datastoreId, imageSetId));
  const liveImageSets = async () => {
    const ids: string[] = [];
    let nextToken: string | undefined;
    do {
      const page = await seeded.client.send(new SearchImageSetsCommand({ datastoreId: seeded.datastoreId, nextToken }));
      ids.push(...page.imageSetsMetadataSummaries!.map((s) => s.imageSetId!));
      nextToken = page.nextToken;
    } while (nextToken);
    return ids.sort();
  };
  const seededIds = () => seeded.seed.imageSets.map((s) => s.imageSetId).sort();

  describe("subset-into-destination", () => {
    it("copies chosen instances into a working copy of another study's image set with force, stays stable, and destroy leaves the primary set as it was", async () => {
      const dir = copyExample("subset-into-destination");
      await prepareStack("subset-into-destination", dir, seeded.seed, env, STACK);
      const primary = seeded.imageSetOfSeries(EXAMPLE_SERIES.ct5);
      const before = await metadataOf(seeded.client, seeded.datastoreId, primary);

      await pulumi(dir, "up", "--yes", "--skip-preview");
      const outputs = await outputsOf(dir);
      const destination = outputs.destinationImageSet as string;
      assert.notEqual(destination, primary, "a primary image set keeps to its series: the instances go into a working copy");
      assert.deepEqual(await liveImageSets(), [...seededIds(), destination].sort(), "one new image set: the working copy");
      assert.equal((await seeded.client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: destination }))).isPrimary, false);
      assert.equal(outputs.forced, true);
      assert.equal(outputs.versionBefore, "1");
      assert.equal(outputs.versionAfter, "2");
      const chosen = [angio(119), angio(121), angio(123)];
      assert.equal(outputs.copiedInstanceCount, chosen.length);
      assert.deepEqual(await contents(destination), { ...instancesIn(before), [ANGIO]: chosen }, "exactly the chosen instances were added");
      const after = await metadataOf(seeded.client, seeded.datastoreId, destination);
      assert.deepEqual(after.Patient, before.Patient);
      assert.deepEqual(after.Study.DICOM, before.Study.DICOM, "force keeps the destination's Study attributes");
      assert.deepEqual(await metadataOf(seeded.client, seeded.datastoreId, primary), before, "the primary image set is untouched");

      // Stable: nothing to do, before and after a refresh.
      await pulumi(dir, "preview", "--expect-no-changes");
      await pulumi(dir, "preview", "--refresh", "--expect-no-changes");

      await pulumi(dir, "destroy", "--yes", "--skip-preview");
      const versions = (await seeded.client.send(new ListImageSetVersionsCommand({ datastoreId: seeded.datastoreId, imageSetId: destination })))
        .imageSetPropertiesList!;
      assert.deepEqual(versions.map((v) => v.versionId).sort(), ["1", "2", "3"], "the merge was undone (3) before the working copy was deleted");
      const set = await seeded.client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: destination }));
      assert.equal(set.imageSetState, "DELETED");
      const primaryNow = await seeded.client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: primary }));
      assert.deepEqual([primaryNow.imageSetState, primaryNow.versionId], ["ACTIVE", "1"]);
      assert.deepEqual(await liveImageSets(), seededIds(), "no leftover image sets");
    });
  });

  // examples/dataset-curation runs end to end in test/e2e/dataset.test.ts.

  describe("pr-preview, as a repository of its own would run it", () => {
    type Step = { name?: string; id?: string; uses?: string; run?: string; with?: Record<string, string>; env?: Record<string, string> };
    const workflow = () =>
      yaml.load(fs.readFileSync(path.join(ROOT, "examples", "pr-preview", ".github", "workflows", "pulumi-preview.yml"), "utf8")) as {
        on: Record<string, unknown>;
        permissions: Record<string, string>;
        env: Record<string, string>;
        jobs: Record<string, { steps: Step[] }>;
      };
    let dir: string;
    let steps: Step[];

    /** Run a command in a folder (asynchronously: the local service answers from this very process). */
    function runCommand(command: string, args: string[], cwd: string): Promise<{ code: number | null; output: string }> {
      return runProcess(command, args, { cwd, env });
    }

    /** Run one `run:` step as GitHub Actions does (bash -e, in its working directory); returns what it wrote to GITHUB_OUTPUT. */
    async function runStep(name: string): Promise<Record<string, string>> {
      const step = steps.find((s) => s.name === name);
      assert.ok(step?.run, `the workflow has a "${name}" step that runs a command`);
      const outputs = path.join(dir, "github-output.txt");
      fs.writeFileSync(outputs, "");
      // asynchronously: the local service answers from this very process
      const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], {
        cwd: dir,
        env: { ...env, STACK, PROJECT_DIR: ".", WRITE_TPS: "0.25", GITHUB_OUTPUT: outputs },
        stdio: ["ignore", "pipe", "pipe"],
      });
      let log = "";
      child.stdout.on("data", (d) => (log += d));
      child.stderr.on("data", (d) => (log += d));
      const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
      assert.equal(code, 0, `step "${name}" failed:\n${log}`);
      return Object.fromEntries(
        fs
          .readFileSync(outputs, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((l) => l.split("=") as [string, string]),
      );
    }

    /** The comment step's script, with GitHub's context and a recording stand-in for its REST client. */
    async function commentBody(exitCode: string): Promise<string> {
      const script = steps.find((s) => (s.uses ?? "").startsWith("actions/github-script"))!.with!.script;
      const created: string[] = [];
      const github = {
        paginate: async () => [],
        rest: { issues: { listComments: {}, createComment: async (c: { body: string }) => created.push(c.body), updateComment: async () => undefined } },
      };
      const context = { payload: { pull_request: { head: { sha: "0123456789abcdef" } } }, repo: { owner: "o", repo: "r" }, issue: { number: 1 } };
      const saved = { ...process.env };
      Object.assign(process.env, { STACK, COMMENT_FILE: path.join(dir, "comment.md"), EXIT_CODE: exitCode });
      try {
        const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
        await new AsyncFunction("require", "context", "github", script)(require, context, github);
      } finally {
        process.env = saved;
      }
      assert.equal(created.length, 1);
      return created[0];
    }

    before(async function () {
      this.timeout(300_000);
      const wf = workflow();
      assert.ok(wf.on.pull_request, "runs on pull requests");
      assert.equal(wf.permissions["pull-requests"], "write");
      steps = Object.values(wf.jobs).flatMap((j) => j.steps);
      // The example folder as a repository holds it. It takes pulumi-healthimaging from npm, where
      // this checkout is not: the packed package (what `npm publish` uploads) goes into its
      // package.json and lockfile first, as `npm install <tarball>` writes them; then the workflow's
      // own `npm ci` installs from that lockfile. (test/e2e/registry.test.ts installs it by name
      // from a registry.)
      dir = path.join(work, "pr-preview");
      fs.cpSync(path.join(ROOT, "examples", "pr-preview"), dir, { recursive: true, filter: (src) => path.basename(src) !== "node_modules" });
      assert.ok(fs.existsSync(path.join(dir, "package-lock.json")) && fs.existsSync(path.join(dir, "Pulumi.prod.yaml")), "its own lockfile and stack config");
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { dependencies: Record<string, string> };
      assert.match(manifest.dependencies["pulumi-healthimaging"], /^\^\d+\.\d+\.\d+$/, "a version range from the registry, no path into this repository");
      const packed = execFileSync("npm", ["pack", "--silent", "--pack-destination", work], { cwd: path.join(ROOT, "provider"), encoding: "utf8" })
        .trim()
        .split("\n")
        .pop()!;
      const install = await runCommand("npm", ["install", "--no-audit", "--no-fund", path.join(work, packed)], dir);
      assert.equal(install.code, 0, install.output);
      await runStep("npm ci");
      assert.ok(!fs.lstatSync(path.join(dir, "node_modules", "pulumi-healthimaging")).isSymbolicLink(), "installed as a package, not a link");
      await prepareStack("pr-preview", dir, seeded.seed, env, STACK);
    });

    it("the preview step writes the summary as the comment; the comment step posts it", async () => {
      const out = await runStep("pulumi preview");
      const read = (f: string) => (fs.existsSync(path.join(dir, f)) ? fs.readFileSync(path.join(dir, f), "utf8") : "");
      assert.equal(out.exit_code, "0", `${read("comment.md")}\n${read("preview.log")}`);
      const comment = fs.readFileSync(path.join(dir, "comment.md"), "utf8");
      assert.match(comment, /^## HealthImaging: what `pulumi up` will do\n/);
      assert.match(comment, /\| `cohorts\/angio-views` \| 1 \| 0 \| 0 \| 0 \| 2 instances \| none \|/);
      assert.match(comment, /\| `cohorts\/train` \| \d+ \| 0 \| 0 \| 0 \| \d+ whole series \| none \|/);
      assert.match(comment, /Write calls: \d+ CopyImageSet, 0 UpdateImageSetMetadata, 0 DeleteImageSet/);
      const body = await commentBody(out.exit_code);
      assert.ok(body.startsWith(`<!-- pulumi-preview ${STACK} -->\n#### Pulumi preview: stack \`${STACK}\` at 0123456`));
      assert.ok(body.endsWith(comment.trimEnd()));
    });

    it("a broken manifest fails the step, and the comment carries the error, named by file, split and field", async () => {
      const manifest = path.join(dir, "cohorts.yaml");
      const original = fs.readFileSync(manifest, "utf8");
      fs.writeFileSync(manifest, original.replace("ratios: { train: 0.5, test: 0.5 }", "ratios: { train: 0.5, tset: 0.5 }"));
      try {
        const out = await runStep("pulumi preview");
        assert.notEqual(out.exit_code, "0");
        const comment = fs.readFileSync(path.join(dir, "comment.md"), "utf8");
        assert.match(comment, /cohorts\.yaml: split "ct-by-patient": ratios\.tset: "tset" is not a cohort of this dataset/);
        assert.match(await commentBody(out.exit_code), /:x: Pulumi preview failed/);
      } finally {
        fs.writeFileSync(manifest, original);
      }
    });
  });

  describe("real-aws: data store and DICOM import resources (dynamic-provider host, local service)", () => {
    let datastores: DynamicHost;
    let imports: DynamicHost;

    before(async () => {
      const { datastoreProvider, dicomImportProvider } = await import("../../examples/real-aws/providers");
      const hostEnv = {
        AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
        AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
        AWS_REGION: env.AWS_REGION,
        AWS_ENDPOINT_URL_MEDICAL_IMAGING: env.AWS_ENDPOINT_URL_MEDICAL_IMAGING,
      };
      datastores = await startDynamicHost({ provider: datastoreProvider, env: hostEnv, callTimeoutMs: 60_000 });
      imports = await startDynamicHost({ provider: dicomImportProvider, env: hostEnv, callTimeoutMs: 60_000 });
    });
    after(async () => {
      await datastores?.stop();
      await imports?.stop();
    });

    it("creates a data store, imports the DICOM files, and deletes both (image sets first)", async () => {
      const region = seeded.emu.credentials.region;
      const dsUrn = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/healthimaging:Datastore::imaging";
      const ds = await datastores.create(dsUrn, { datastoreName: "real-aws-test", region });
      assert.match(ds.id, /^[0-9a-z]{32}$/);
      assert.equal(ds.outs.datastoreStatus, "ACTIVE");
      assert.match(String(ds.outs.datastoreArn), new RegExp(`:datastore/${ds.id}$`));

      const importUrn = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/healthimaging:DicomImport::dicom";
      const inputs = {
        datastoreId: ds.id,
        region,
        dataAccessRoleArn: "arn:aws:iam::000000000000:role/import",
        inputS3Uri: `s3://${SAMPLE_BUCKET}/dicomdirtests/`,
        outputS3Uri: "s3://output/real-aws/",
      };
      const job = await imports.create(importUrn, inputs);
      assert.equal(job.outs.jobStatus, "COMPLETED");
      const imported = job.outs.imageSetIds as string[];
      assert.equal(imported.length, seeded.seed.imageSets.length, "the same files make the same image sets as the seed");
      const series = job.outs.series as Record<string, string>;
      assert.deepEqual(Object.keys(series).sort(), seeded.seed.imageSets.map((s) => s.seriesInstanceUid).sort(), "one primary image set per series");
      assert.ok(imported.includes(series[EXAMPLE_SERIES.mrAngio]));

      // The data store cannot go while it holds image sets: the error says why.
      await assert.rejects(datastores.delete(dsUrn, ds.id, ds.outs), /ConflictException.*must hold no image sets/s);

      await imports.delete(importUrn, job.id, job.outs);
      for (const imageSetId of imported) {
        const set = await seeded.client.send(new GetImageSetCommand({ datastoreId: ds.id, imageSetId }));
        assert.equal(set.imageSetState, "DELETED");
      }
      await datastores.delete(dsUrn, ds.id, ds.outs);
      const status = await seeded.client.send(new GetDatastoreCommand({ datastoreId: ds.id })).then(
        (r) => r.datastoreProperties!.datastoreStatus,
        (e: Error) => e.name,
      );
      assert.ok(status === "DELETED" || status === "ResourceNotFoundException", `data store ${ds.id}: ${status}`);
    });

    it("a failed import stays in state as a partial failure, and the next up imports again", async () => {
      const region = seeded.emu.credentials.region;
      const dsUrn = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/healthimaging:Datastore::imaging2";
      const ds = await datastores.create(dsUrn, { datastoreName: "real-aws-test-2", region });
      const urn = "urn:pulumi:dev::proj::pulumi-nodejs:dynamic/healthimaging:DicomImport::broken";
      const inputs = {
        datastoreId: ds.id,
        region,
        dataAccessRoleArn: "arn:aws:iam::000000000000:role/import",
        inputS3Uri: `s3://${SAMPLE_BUCKET}/no-such-prefix/`,
        outputS3Uri: "s3://output/real-aws-2/",
      };
      const failure = await imports.create(urn, inputs).then(
        () => assert.fail("an import of a missing prefix must fail"),
        (e: unknown) => e,
      );
      assert.ok(failure instanceof PartialFailureError, `expected a partial failure, got ${String(failure)}`);
      assert.match(failure.message, /import job [0-9a-z]{32} failed: Input s3:\/\/samples\/no-such-prefix\/ does not exist/);
      assert.equal(failure.id, failure.properties.jobId);
      assert.equal(failure.properties.jobStatus, "FAILED");
      assert.ok(failure.properties.__provider, "the state keeps the provider, so delete and refresh work");
      const diff = await imports.diff(urn, failure.id, failure.properties, inputs);
      assert.deepEqual(diff.replaces, ["inputS3Uri"], "a failed import is imported again");
      await imports.delete(urn, failure.id, failure.properties);
      await datastores.delete(dsUrn, ds.id, ds.outs);
    });
  });
});
