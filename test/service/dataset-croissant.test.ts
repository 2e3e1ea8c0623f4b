// The Croissant file of a dataset over the seeded sample data (2 real, de-identified patients):
// examples/dataset-curation/cohorts.yaml resolved against the local service, its manifest written
// as Croissant 1.1, then read back by the real mlcroissant. The file validates, every record set
// loads, the image_sets records are the manifest's entries, and no patient name, id or birth date
// of the seeded DICOM appears in it. (The derived image sets themselves are made by `pulumi up`
// in test/e2e/dataset.test.ts; here the manifest names the source image sets, which is all the
// Croissant file's shape depends on.)

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { type DatasetEntry, manifestOf } from "../../provider/dataset/dataset";
import { croissantOf } from "../../provider/dataset/croissant";
import { loadDataset } from "../../provider/dataset/manifest";
import { planDataset } from "../../provider/dataset/plan";
import { SeriesFinder } from "../../provider/dataset/resolve";
import { croissantRecords, validateCroissant } from "../support/mlcroissant";
import { patientValues, type Seeded, startSeeded } from "../support/seeded";

const COHORTS = path.resolve(__dirname, "..", "..", "examples", "dataset-curation", "cohorts.yaml");

describe("dataset: the Croissant file of the seeded sample data, read by mlcroissant", function () {
  this.timeout(180_000);
  let seeded: Seeded;
  let dir: string;

  before(async () => {
    seeded = await startSeeded({ profile: "fast" });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hi-croissant-"));
  });
  after(async () => {
    await seeded?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("validates, loads every record set to the manifest's entries, and holds no patient value", async () => {
    const spec = loadDataset(COHORTS);
    const finder = new SeriesFinder(seeded.client, seeded.datastoreId);
    const plan = await planDataset(spec, finder, "cohorts.yaml");
    const entries: (DatasetEntry & { cohort: string })[] = await Promise.all(
      plan.imageSets.map(async (p) => {
        const doc = await finder.document(p.sourceImageSetId);
        const all = Object.keys(doc.Study.Series[p.seriesInstanceUid].Instances).length;
        const chosen = p.subset.series?.[p.seriesInstanceUid];
        return {
          cohort: p.cohort,
          imageSetId: p.sourceImageSetId,
          versionId: "1",
          seriesInstanceUID: p.seriesInstanceUid,
          studyInstanceUID: p.studyInstanceUid,
          instanceCount: Array.isArray(chosen) ? chosen.length : all,
        };
      }),
    );
    const manifest = manifestOf(seeded.datastoreId, plan, entries);
    const file = path.join(dir, "dataset-croissant.json");
    const doc = croissantOf(
      "curated",
      manifest,
      { license: "https://spdx.org/licenses/MIT.html", url: "https://example.org/curated" },
      { cohortDescriptions: plan.descriptions },
    );
    fs.writeFileSync(file, JSON.stringify(doc, null, 2));

    const v = validateCroissant(file);
    assert.equal(v.status, 0, v.output);
    assert.doesNotMatch(v.output, /warning|error/i, v.output);

    const records = croissantRecords(file);
    assert.deepEqual(
      records.cohorts.map((r) => [r["cohorts/name"], r["cohorts/series_count"]]),
      Object.entries(manifest.cohorts).map(([c, list]) => [c, list.length]),
    );
    assert.deepEqual(
      records.image_sets.map((r) => [
        r["image_sets/cohort"],
        r["image_sets/datastore_id"],
        r["image_sets/image_set_id"],
        r["image_sets/version_id"],
        r["image_sets/series_instance_uid"],
        r["image_sets/study_instance_uid"],
        r["image_sets/instance_count"],
      ]),
      Object.entries(manifest.cohorts).flatMap(([c, list]) =>
        list.map((e) => [c, manifest.datastoreId, e.imageSetId, e.versionId, e.seriesInstanceUID, e.studyInstanceUID, e.instanceCount]),
      ),
    );
    assert.equal(records.image_sets.length, 22, "the example's 22 derived image sets");

    const values = await patientValues(seeded);
    assert.ok(values.length >= 4, `the seeded data has patient names, ids and birth dates (${values.length} values)`);
    const text = fs.readFileSync(file, "utf8");
    for (const value of values) assert.ok(!text.includes(value), "the Croissant file holds a patient-level value of the seeded DICOM");
    assert.ok(!JSON.stringify(records).includes("Patient"), "no patient field");
  });
});
