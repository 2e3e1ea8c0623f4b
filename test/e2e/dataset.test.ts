// hi.Dataset end to end with the real Pulumi CLI against the local service, running
// examples/dataset-curation as shipped: one manifest whose cohorts span the sample data's two patients and six studies (a seeded patient split, criteria,
// a per-study merge, chosen instances). Preview it (reads only), apply it, read the dataset
// manifest (stack output and JSON file), edit one cohort and check the pull-request summary word
// for word, apply the edit, and destroy it all.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { DatasetManifest } from "../../provider/dataset/dataset";
import { ensureBuilt } from "../support/build";
import { EXAMPLE, edited, ORIGINAL, SOP } from "../support/datasetExample";
import { croissantRecords, validateCroissant } from "../support/mlcroissant";
import { createProject, type PulumiProject } from "../support/pulumiCli";
import { instancesIn, metadataOf, type Seeded, SERIES, STUDIES, startSeeded } from "../support/seeded";

const ROOT = path.resolve(__dirname, "..", "..");
/** Patient-level values of the sample data that must never show (ids and a name part) */
const PATIENT_VALUES = ["77654033", "98890234", "Doe^", "Archibald", "Peter"];

describe("e2e: hi.Dataset, a manifest across 2 patients and 6 studies, with the real CLI", function () {
  this.timeout(600_000);
  let seeded: Seeded;
  let project: PulumiProject;
  const setsInService = () => Object.values(seeded.emu.service.state.imageSets).filter((s) => s.state !== "DELETED").length;
  const noPatientValues = (text: string, what: string) => {
    for (const v of PATIENT_VALUES) assert.ok(!text.includes(v), `${what} holds a patient-level value`);
  };

  before(async function () {
    this.timeout(20 * 60_000);
    ensureBuilt();
    seeded = await startSeeded({ profile: "fast" });
    project = await createProject("dataset", { "index.ts": fs.readFileSync(path.join(EXAMPLE, "index.ts"), "utf8"), "cohorts.yaml": ORIGINAL }, seeded.emu);
    await project.ok(["config", "set", "datastoreId", seeded.datastoreId]);
  });

  after(async () => {
    project?.remove();
    await seeded?.stop();
  });

  it("an unknown UID fails the preview, naming the file, the cohort and the field", async () => {
    project.writeFile("cohorts.yaml", edited(`        "${SERIES.mra700}.999": all\n`));
    const r = await project.run(["preview"]);
    project.writeFile("cohorts.yaml", ORIGINAL);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stdout + r.stderr,
      new RegExp(`cohorts\\.yaml: cohort "angio-views": select\\.series\\["${SERIES.mra700.replace(/\./g, "\\.")}\\.999"\\]: no primary image set`),
    );
    noPatientValues(r.stdout + r.stderr, "the error");
  });

  it("preview plans one derived image set per cohort and series, with read calls only", async () => {
    const before = setsInService();
    const r = await project.ok(["preview", "--diff"]);
    // train 4 + test 9 (the split by patient) + head-ct 1 + brain-mra 3 + localizers 4 + angio-views 1, the component and the stack
    assert.match(r.stdout, /\+ 24 to create/);
    assert.match(r.stdout + r.stderr, /dataset cohorts\.yaml: \d+ SearchImageSets(, \d+ GetImageSetMetadata)? read calls/);
    assert.equal(setsInService(), before, "a preview makes no image set");
    noPatientValues(r.stdout + r.stderr, "the preview");
  });

  it("up makes them; the dataset manifest lists every cohort's image sets, versions, UIDs and counts, also as a file", async () => {
    const r = await project.ok(["up", "--yes", "--skip-preview"]);
    noPatientValues(r.stdout + r.stderr, "the up output");
    const out = JSON.parse((await project.ok(["stack", "output", "manifest", "--json"])).stdout) as DatasetManifest;
    assert.deepEqual(JSON.parse(fs.readFileSync(path.join(project.dir, "dataset-manifest.json"), "utf8")), out);
    assert.equal(out.datastoreId, seeded.datastoreId);
    const c = out.cohorts;
    assert.deepEqual(Object.fromEntries(Object.entries(c).map(([k, v]) => [k, v.length])), {
      train: 4,
      test: 9,
      "head-ct": 1,
      "brain-mra": 3,
      localizers: 4,
      "angio-views": 1,
    });
    // the split: one patient each, every study of theirs whole
    const studies = (k: string) => new Set(c[k].map((e) => e.studyInstanceUID));
    assert.deepEqual([...studies("train")].sort(), [STUDIES.ctHead, STUDIES.crSpine].sort());
    assert.equal(studies("test").size, 4);
    assert.deepEqual(
      c["head-ct"].map((e) => e.seriesInstanceUID),
      [SERIES.ctHead],
    );
    // perStudy: one image set for the study, at its latest version, holding its three series
    const mra = c["brain-mra"];
    assert.equal(new Set(mra.map((e) => `${e.imageSetId}@${e.versionId}`)).size, 1);
    const held = instancesIn(await metadataOf(seeded.client, seeded.datastoreId, mra[0].imageSetId, mra[0].versionId));
    assert.deepEqual(Object.keys(held).sort(), mra.map((e) => e.seriesInstanceUID).sort());
    assert.deepEqual(mra.map((e) => e.instanceCount).sort(), [1, 3, 7]);
    assert.deepEqual(
      c["angio-views"].map((e) => [e.seriesInstanceUID, e.instanceCount]),
      [[SERIES.mra700, 2]],
    );
    for (const e of Object.values(c).flat()) {
      assert.match(e.imageSetId, /^[0-9a-f]{32}$/);
      const set = seeded.emu.service.state.imageSets[e.imageSetId];
      assert.equal(set.latestVersionId, e.versionId, `${e.seriesInstanceUID}: the manifest names the latest version`);
    }
    noPatientValues((await project.ok(["stack", "export"])).stdout, "the state");
    // the Croissant file: valid for mlcroissant, its image_sets records are the manifest's entries
    const croissant = path.join(project.dir, "dataset-croissant.json");
    noPatientValues(fs.readFileSync(croissant, "utf8"), "the Croissant file");
    const v = validateCroissant(croissant);
    assert.equal(v.status, 0, v.output);
    // (the stack output's cohorts are in key order, the file's in declaration order: compared as sets)
    const row = (...v: unknown[]) => JSON.stringify(v);
    assert.deepEqual(
      croissantRecords(croissant)
        .image_sets.map((r) => row(r["image_sets/cohort"], r["image_sets/image_set_id"], r["image_sets/version_id"], r["image_sets/series_instance_uid"]))
        .sort(),
      Object.entries(c)
        .flatMap(([k, list]) => list.map((e) => row(k, e.imageSetId, e.versionId, e.seriesInstanceUID)))
        .sort(),
    );
  });

  it("editing one cohort previews as exactly that change, and the PR summary says so", async () => {
    project.writeFile("cohorts.yaml", edited());
    const r = await project.ok(["preview", "--json"]);
    const file = path.join(project.dir, "preview.json");
    fs.writeFileSync(file, r.stdout);
    if (process.env.E2E_PREVIEW_JSON_OUT) fs.writeFileSync(process.env.E2E_PREVIEW_JSON_OUT, r.stdout);
    const cli = spawnSync(process.execPath, [path.join(ROOT, "provider", "bin", "pulumi-healthimaging.js"), "summarize", file], { encoding: "utf8" });
    assert.equal(cli.status, 0, cli.stderr);
    assert.equal(
      cli.stdout,
      [
        "## HealthImaging: what `pulumi up` will do",
        "",
        "| cohort | series added | series removed | series updated | series replaced | instances added | instances removed |",
        "|---|---|---|---|---|---|---|",
        "| `curated/angio-views` | 1 | 0 | 1 | 0 | 1 instance and 1 whole series | 1 instance |",
        "",
        "| image set | change | instances added | instances removed | why |",
        "|---|---|---|---|---|",
        `| \`curated/angio-views/${SERIES.mra700}\` | update | 1 instance | 1 instance | edited \`subset\` |`,
        `| \`curated/angio-views/${SERIES.mra2}\` | create | 1 whole series | none | new in the program |`,
        "",
        `<details><summary><code>curated/angio-views/${SERIES.mra700}</code>: the instances</summary>`,
        "",
        "- added:",
        `  - \`${SOP(121)}\` (series \`${SERIES.mra700}\`)`,
        "- removed:",
        `  - \`${SOP(120)}\` (series \`${SERIES.mra700}\`)`,
        "",
        "</details>",
        "",
        `<details><summary><code>curated/angio-views/${SERIES.mra2}</code>: the instances</summary>`,
        "",
        "- added:",
        `  - series \`${SERIES.mra2}\`: all instances`,
        "",
        "</details>",
        "",
        "Write calls: 2 CopyImageSet, 1 UpdateImageSetMetadata, 0 DeleteImageSet; at the rates in use (AWS's documented rate: CopyImageSet 0.25 TPS, burst 1; UpdateImageSetMetadata 10 TPS, burst 40) the calls alone take about 4 s, plus the copies' own time.",
        "",
      ].join("\n"),
    );
    noPatientValues(cli.stdout, "the summary");
  });

  it("up applies the edit; then nothing is left to change", async () => {
    await project.ok(["up", "--yes", "--skip-preview"]);
    const out = JSON.parse((await project.ok(["stack", "output", "manifest", "--json"])).stdout) as DatasetManifest;
    assert.deepEqual(
      out.cohorts["angio-views"].map((e) => [e.seriesInstanceUID, e.instanceCount]),
      [
        [SERIES.mra700, 2],
        [SERIES.mra2, 3],
      ],
    );
    await project.ok(["preview", "--expect-no-changes"]);
  });

  it("destroy deletes every image set the dataset made", async () => {
    const made = Object.values((JSON.parse((await project.ok(["stack", "output", "manifest", "--json"])).stdout) as DatasetManifest).cohorts).flat();
    await project.ok(["destroy", "--yes", "--skip-preview"]);
    for (const e of made) assert.ok([undefined, "DELETED"].includes(seeded.emu.service.state.imageSets[e.imageSetId]?.state), e.seriesInstanceUID);
  });
});
