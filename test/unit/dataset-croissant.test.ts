// hi.Dataset's Croissant file (provider/dataset/croissant.ts): the JSON-LD document of a manifest,
// checked field by field, then by the real mlcroissant (its validator, and the records each
// record set loads to, which must be the manifest's entries). The same checks over a dataset of
// the seeded sample data, with its patients, are in test/service/dataset-croissant.test.ts.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { DatasetManifest } from "../../provider/dataset/dataset";
import { CROISSANT_CONFORMS_TO, croissantImageSetRecords, croissantInfoProblems, croissantOf } from "../../provider/dataset/croissant";
import { croissantRecords, validateCroissant } from "../support/mlcroissant";

const id = (n: number) => String(n).padStart(32, "0");
const MANIFEST: DatasetManifest = {
  datastoreId: "d".repeat(32),
  cohorts: {
    train: [
      { imageSetId: id(1), versionId: "1", seriesInstanceUID: "1.2.3.1", studyInstanceUID: "1.2.3", instanceCount: 4 },
      { imageSetId: id(2), versionId: "2", seriesInstanceUID: "1.2.3.2", studyInstanceUID: "1.2.3", instanceCount: 1 },
    ],
    test: [{ imageSetId: id(3), versionId: "1", seriesInstanceUID: "1.2.4.1", studyInstanceUID: "1.2.4", instanceCount: 7 }],
    empty: [],
  },
};
const INFO = { license: "https://spdx.org/licenses/CC-BY-4.0.html", url: "https://example.org/curated" };
const NOW = new Date("2026-12-03T06:00:00Z");

/** The manifest's entries as (cohort, entry) pairs, the shape both sides are compared in. */
const manifestRows = (m: DatasetManifest) =>
  Object.entries(m.cohorts).flatMap(([cohort, list]) => list.map((e) => ({ cohort, datastoreId: m.datastoreId, ...e })));
const recordRows = (records: Record<string, unknown>[]) =>
  records.map((r) => ({
    cohort: r["image_sets/cohort"],
    datastoreId: r["image_sets/datastore_id"],
    imageSetId: r["image_sets/image_set_id"],
    versionId: r["image_sets/version_id"],
    seriesInstanceUID: r["image_sets/series_instance_uid"],
    studyInstanceUID: r["image_sets/study_instance_uid"],
    instanceCount: r["image_sets/instance_count"],
  }));

describe("dataset: the Croissant 1.1 file", () => {
  const doc = croissantOf("curated", MANIFEST, INFO, { cohortDescriptions: { train: "half of the patients" }, now: NOW });
  const recordSets = doc.recordSet as { "@id": string; dataType?: string; field: { "@id": string }[]; data: Record<string, unknown>[] }[];

  it("is Croissant 1.1 JSON-LD with the required dataset fields", () => {
    const context = doc["@context"] as Record<string, unknown>;
    assert.equal(context["@vocab"], "https://schema.org/");
    assert.equal(context.cr, "http://mlcommons.org/croissant/");
    assert.equal(context.conformsTo, "dct:conformsTo");
    assert.deepEqual(context.data, { "@id": "cr:data", "@type": "@json" });
    assert.equal(doc["@type"], "sc:Dataset");
    assert.equal(doc.conformsTo, CROISSANT_CONFORMS_TO);
    assert.equal(CROISSANT_CONFORMS_TO, "http://mlcommons.org/croissant/1.1");
    assert.equal(doc.name, "curated");
    assert.equal(doc.license, INFO.license);
    assert.equal(doc.url, INFO.url);
    assert.equal(doc.datePublished, "2026-12-03");
    assert.equal(doc.version, "1.0.0");
    assert.match(String(doc.citeAs), /^@misc\{curated,/);
    assert.equal(
      doc.description,
      `curated: DICOM series curated into cohorts in AWS HealthImaging data store ${"d".repeat(32)}, one image set per cohort and series. Cohorts: train (2 series: half of the patients); test (1 series); empty (0 series).`,
    );
  });

  it("the cohorts are a split record set; every manifest entry is an image_sets record naming its cohort", () => {
    assert.deepEqual(
      recordSets.map((r) => r["@id"]),
      ["cohorts", "image_sets"],
    );
    const [cohorts, imageSets] = recordSets;
    assert.equal(cohorts.dataType, "cr:Split");
    assert.deepEqual(cohorts.data, [
      { "cohorts/name": "train", "cohorts/description": "half of the patients", "cohorts/series_count": 2 },
      { "cohorts/name": "test", "cohorts/description": "", "cohorts/series_count": 1 },
      { "cohorts/name": "empty", "cohorts/description": "", "cohorts/series_count": 0 },
    ]);
    assert.deepEqual(recordRows(imageSets.data), manifestRows(MANIFEST));
    assert.deepEqual(imageSets.data, croissantImageSetRecords(MANIFEST));
    // every record has every field (Croissant's inline data requires it)
    for (const rs of recordSets) for (const row of rs.data) assert.deepEqual(Object.keys(row).sort(), rs.field.map((f) => f["@id"]).sort());
    const cohortField = imageSets.field.find((f) => f["@id"] === "image_sets/cohort") as unknown as { references: unknown };
    assert.deepEqual(cohortField.references, { field: { "@id": "cohorts/name" } });
  });

  it("given settings override the defaults", () => {
    const custom = croissantOf("curated", MANIFEST, {
      ...INFO,
      name: "Head CT 2026",
      description: "mine",
      version: "2.1.0",
      citeAs: "cite me",
      creator: "Radiology",
      datePublished: "2026-01-02",
    });
    assert.equal(custom.name, "Head CT 2026");
    assert.equal(custom.description, "mine");
    assert.equal(custom.version, "2.1.0");
    assert.equal(custom.citeAs, "cite me");
    assert.equal(custom.datePublished, "2026-01-02");
    assert.deepEqual(custom.creator, { "@type": "sc:Organization", name: "Radiology" });
  });

  it("croissantFile without a license and url is refused, naming the setting", () => {
    assert.deepEqual(croissantInfoProblems(undefined, 'Dataset "curated"'), [
      'Dataset "curated": croissant: croissantFile needs croissant: { license, url } (the data\'s license and where to read about the dataset)',
    ]);
    assert.deepEqual(croissantInfoProblems({ license: "", url: "ftp://x", datePublished: "3 Dec" }, "D"), [
      'D: croissant.license: required text (Croissant\'s required license), not ""',
      'D: croissant.url: must be an http(s) URL, not "ftp://x"',
      'D: croissant.datePublished: must be YYYY-MM-DD, not "3 Dec"',
    ]);
    assert.deepEqual(croissantInfoProblems(INFO, "D"), []);
  });

  it("mlcroissant validates it, and each record set loads to the manifest's records", function () {
    this.timeout(120_000);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "hi-croissant-"));
    try {
      const file = path.join(dir, "dataset-croissant.json");
      fs.writeFileSync(file, JSON.stringify(doc, null, 2));
      const v = validateCroissant(file);
      assert.equal(v.status, 0, v.output);
      assert.doesNotMatch(v.output, /warning|error/i, v.output);
      const records = croissantRecords(file);
      assert.deepEqual(Object.keys(records).sort(), ["cohorts", "image_sets"]);
      assert.deepEqual(records.cohorts, recordSets[0].data);
      assert.deepEqual(recordRows(records.image_sets), manifestRows(MANIFEST));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
