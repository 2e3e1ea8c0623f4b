// End to end: the examples run by the real Pulumi CLI (scripts/install-pulumi.sh) against an
// in-process seeded local service on a random port, with a temporary file backend and
// PULUMI_HOME, from temporary copies of the example folders (inside the repository's ignored
// tmp/, so the copies resolve node_modules like the originals). The developer's .pulumi-local/,
// the service on port 4566 and the example folders themselves are never touched.
//
// Stack config comes from scripts/run-example.ts (the same wiring `npm run example` uses).

import { GetDatastoreCommand, GetImageSetCommand, ListImageSetVersionsCommand, SearchImageSetsCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { EXAMPLE_SERIES, prepareStack, type PulumiRun, pulumiOk, runPulumi } from "../../scripts/run-example";
import { installPulumi } from "../../scripts/local";
import { ensureBuilt } from "../support/build";
import { type DynamicHost, PartialFailureError, startDynamicHost } from "../support/dynamicHost";
import { instancesIn, metadataOf, SAMPLE_BUCKET, type Seeded, startSeeded } from "../support/seeded";
import { offlinePulumiEnv } from "../support/pulumiCli";

const ROOT = path.resolve(__dirname, "..", "..");
const STACK = "e2e";

// Public UIDs of the pydicom sample data the examples use.
const ANGIO = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118";
const angio = (n: number) => `1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.${n}`;
const HEAD_CT_SERIES = "1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.2";

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
  const pulumiRaw = (dir: string, ...args: string[]) => runPulumi([...args, "--stack", STACK], { cwd: dir, env, capture: true });
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
  const both = (run: PulumiRun) => run.stdout + run.stderr;

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

  describe("dataset-curation", () => {
    let dir: string;
    let manifest: string;
    let original: string;

    before(() => {
      dir = copyExample("dataset-curation");
      manifest = path.join(dir, "cohorts.yaml");
      original = fs.readFileSync(manifest, "utf8");
    });

    /** The edit the README shows: move one instance from train to validation; head-ct takes a CT series of another study. */
    function editManifest(text: string): string {
      const moved = `        - "${angio(122)}"\n`;
      assert.equal(text.split(moved).length, 2, "the manifest lists instance 122 once");
      let edited = text.replace(moved, "");
      edited = edited.replace(`        - "${angio(123)}"\n`, `${moved}        - "${angio(123)}"\n`);
      const oldSource = `source: { seriesInstanceUid: "${HEAD_CT_SERIES}" }`;
      assert.ok(edited.includes(oldSource));
      return edited.replace(oldSource, `source: { seriesInstanceUid: "${EXAMPLE_SERIES.ct5}" }`);
    }

    it("up: one derived image set per cohort, holding exactly the cohort's instances", async () => {
      await prepareStack("dataset-curation", dir, seeded.seed, env, STACK);
      await pulumi(dir, "up", "--yes", "--skip-preview");
      const { cohorts } = await outputsOf(dir);
      assert.deepEqual(Object.keys(cohorts).sort(), ["head-ct", "test", "train", "validation"]);
      const mra = seeded.imageSetOfSeries(EXAMPLE_SERIES.mrAngio);
      assert.equal(
        seeded.imageSetsOfStudy(seeded.seed.imageSets.find((s) => s.imageSetId === mra)!.studyInstanceUid!).length,
        3,
        "the study has three image sets",
      );
      assert.equal(cohorts.train.sourceImageSetId, mra, "found by StudyInstanceUID: the study's image set holding the series");
      assert.equal(cohorts["head-ct"].sourceImageSetId, seeded.imageSetOfSeries(HEAD_CT_SERIES), "found by SeriesInstanceUID");
      assert.deepEqual(await contents(cohorts.train.imageSetId), { [ANGIO]: [119, 120, 121, 122].map(angio) });
      assert.deepEqual(await contents(cohorts.validation.imageSetId), { [ANGIO]: [123, 124].map(angio) });
      assert.deepEqual(await contents(cohorts.test.imageSetId), { [ANGIO]: [angio(125)] });
      assert.deepEqual(Object.keys(await contents(cohorts["head-ct"].imageSetId)), [HEAD_CT_SERIES], "modality CT picked the CT series");
      assert.equal(new Set(Object.values(cohorts).map((c) => (c as { imageSetId: string }).imageSetId)).size, 4);
    });

    it("a broken manifest stops the preview with the file, cohort and field of each problem", async () => {
      const broken = original
        .replace(`        - "${angio(124)}"\n`, "        - 1.5\n")
        .replace("    modality: CT\n", "    modality: CT\n    seriez: {}\n")
        .replace("disjoint: [train, validation, test]", "disjoint: [train, validation, tset]");
      fs.writeFileSync(manifest, broken);
      try {
        const run = await pulumiRaw(dir, "preview");
        assert.notEqual(run.code, 0);
        const out = both(run);
        assert.match(
          out,
          /cohorts\.yaml: cohort "validation": series\["1\.3\.6\.1\.4\.1\.5962\.1\.1\.0\.0\.0\.1196533885\.18148\.0\.118"\]\[1\]: 1\.5 \(number\) is not a DICOM UID \(UIDs are strings: quote them in YAML\)/,
        );
        assert.match(out, /cohorts\.yaml: cohort "head-ct": seriez: unknown field/);
        assert.match(out, /cohorts\.yaml: disjoint: "tset" is not a cohort of this manifest/);
        assert.doesNotMatch(out, /at Object\.|at async/, "a manifest error is a message, not a stack trace");

        // Valid YAML, but a selection the data store does not have, and a leak between disjoint cohorts.
        fs.writeFileSync(
          manifest,
          original.replace(`        - "${angio(125)}"\n`, `        - "${angio(125)}"\n        - "${angio(119)}"\n        - "${angio(99)}"\n`),
        );
        const unresolved = both(await pulumiRaw(dir, "preview"));
        assert.match(
          unresolved,
          /cohorts\.yaml: cohort "test": series\["[0-9.]+"\]: not in this series of source image set [0-9a-z]{32}: 1\.3\.6\.1\.4\.1\.5962\.1\.1\.0\.0\.0\.1196533885\.18148\.0\.99/,
        );
        assert.match(
          unresolved,
          /cohorts\.yaml: cohort "test": SOP instance 1\.3\.6\.1\.4\.1\.5962\.1\.1\.0\.0\.0\.1196533885\.18148\.0\.119 is also in cohort "train", but "disjoint" lists both/,
        );
      } finally {
        fs.writeFileSync(manifest, original);
      }
    });

    it("preview of a manifest edit shows exactly the changed cohorts; up applies it", async () => {
      const { cohorts: before } = await outputsOf(dir);
      fs.writeFileSync(manifest, editManifest(original));

      const text = await pulumi(dir, "preview", "--diff", "--color", "never");
      if (process.env.E2E_PREVIEW_OUT) fs.writeFileSync(process.env.E2E_PREVIEW_OUT, text.stdout);
      assert.match(text.stdout, /~ pulumi-nodejs:dynamic\/healthimaging:DerivedImageSet: \(update\)\n\s+\[id=[0-9a-z]{32}\]\n\s+\[urn=[^\]]+::train\]/);
      assert.match(text.stdout, /~ pulumi-nodejs:dynamic\/healthimaging:DerivedImageSet: \(update\)\n\s+\[id=[0-9a-z]{32}\]\n\s+\[urn=[^\]]+::validation\]/);
      assert.match(text.stdout, /\+-pulumi-nodejs:dynamic\/healthimaging:DerivedImageSet: \(replace\)\n\s+\[id=[0-9a-z]{32}\]\n\s+\[urn=[^\]]+::head-ct\]/);
      assert.doesNotMatch(text.stdout, /::test\]/, "the untouched cohort is not in the diff");
      assert.match(text.stdout, /~ 2 to update\n\s+\+-1 to replace\n\s+3 changes\. 2 unchanged/);

      const jsonText = (await pulumi(dir, "preview", "--diff", "--json")).stdout;
      if (process.env.E2E_PREVIEW_JSON_OUT) fs.writeFileSync(process.env.E2E_PREVIEW_JSON_OUT, jsonText);
      const json = JSON.parse(jsonText);
      const ops = Object.fromEntries(
        (json.steps as { op: string; urn: string }[]).filter((s) => s.urn.includes("DerivedImageSet::")).map((s) => [s.urn.split("::").pop()!, s.op]),
      );
      assert.deepEqual(ops, { train: "update", validation: "update", "head-ct": "replace" });
      assert.deepEqual(json.changeSummary, { same: 2, update: 2, replace: 1 });

      await pulumi(dir, "up", "--yes", "--skip-preview");
      const { cohorts: after } = await outputsOf(dir);
      assert.equal(after.train.imageSetId, before.train.imageSetId, "updated in place");
      assert.equal(after.validation.imageSetId, before.validation.imageSetId, "updated in place");
      assert.equal(after.test.imageSetId, before.test.imageSetId);
      assert.notEqual(after["head-ct"].imageSetId, before["head-ct"].imageSetId, "replaced");
      assert.deepEqual(await contents(after.train.imageSetId), { [ANGIO]: [119, 120, 121].map(angio) });
      assert.deepEqual(await contents(after.validation.imageSetId), { [ANGIO]: [122, 123, 124].map(angio) });
      assert.deepEqual(
        await contents(after["head-ct"].imageSetId),
        await contents(seeded.imageSetOfSeries(EXAMPLE_SERIES.ct5)),
        "the CT series of the other study",
      );
      assert.ok(!(await liveImageSets()).includes(before["head-ct"].imageSetId), "the replaced image set is deleted");
      await pulumi(dir, "preview", "--expect-no-changes");
    });

    it("destroy leaves only the seeded image sets", async () => {
      await pulumi(dir, "destroy", "--yes", "--skip-preview");
      assert.deepEqual(await liveImageSets(), seededIds());
    });
  });

  describe("pr-preview", () => {
    it("the workflow previews pull requests with --diff and comments the output; the program previews", async () => {
      const workflow = yaml.load(fs.readFileSync(path.join(ROOT, "examples", "pr-preview", ".github", "workflows", "pulumi-preview.yml"), "utf8")) as {
        on: Record<string, unknown>;
        permissions: Record<string, string>;
        jobs: Record<string, { steps: { name?: string; uses?: string; run?: string; with?: Record<string, string> }[] }>;
      };
      assert.ok(workflow.on.pull_request, "runs on pull requests");
      assert.equal(workflow.permissions["pull-requests"], "write");
      const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
      const preview = steps.findIndex((s) => /pulumi preview --diff\b/.test(s.run ?? ""));
      const comment = steps.findIndex((s) => (s.uses ?? "").startsWith("actions/github-script") && /createComment/.test(s.with?.script ?? ""));
      assert.ok(preview >= 0 && comment > preview, "a comment step follows the preview step");

      if (!fs.existsSync(path.join(work, "dataset-curation"))) copyExample("dataset-curation"); // pr-preview imports ../dataset-curation/curation
      const dir = copyExample("pr-preview");
      await prepareStack("pr-preview", dir, seeded.seed, env, STACK);
      const run = await pulumi(dir, "preview", "--diff", "--color", "never");
      for (const cohort of ["train", "test", "localizers"])
        assert.match(run.stdout, new RegExp(`\\+ pulumi-nodejs:dynamic/healthimaging:DerivedImageSet: \\(create\\)\\n\\s+\\[urn=[^\\]]+::${cohort}\\]`));
      assert.match(run.stdout, /\+ 4 to create/);
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
