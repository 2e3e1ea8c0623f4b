// hi.Dataset's pure parts: the declaration's checks (every message names the file, the cohort or
// split, and the field), the seeded patient split (deterministic, stable when data is added, close
// to its ratios), and the plan (stable names, one create per added series, disjoint cohorts
// named by series and never by patient). The reads are exercised by test/e2e/dataset.test.ts.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import fc from "fast-check";
import { DatasetError, type DatasetSpec, loadDataset, type Selection, validateDataset } from "../../provider/dataset/manifest";
import { planDataset } from "../../provider/dataset/plan";
import { type FoundSeries, matches, type SeriesFinder } from "../../provider/dataset/resolve";
import { cohortAt, patientPoint, splitCohort } from "../../provider/dataset/split";

const problemsOf = (doc: unknown): string[] => {
  try {
    validateDataset(doc, "cohorts.yaml");
  } catch (e) {
    assert.ok(e instanceof DatasetError);
    return e.problems;
  }
  assert.fail("expected a DatasetError");
};

/** A finder over a fixed list of series (the plan's logic only; reads are tested end to end). */
function finderOver(series: FoundSeries[]): SeriesFinder {
  return {
    find: async (selection: Selection) => series.filter((s) => matches(s, selection)),
    document: async () => ({ Study: { DICOM: {}, Series: {} } }),
  } as unknown as SeriesFinder;
}

const series = (i: number, patient: string, study = `1.2.${patient}`, modality = "CT"): FoundSeries => ({
  seriesInstanceUid: `${study}.${i}`,
  studyInstanceUid: study,
  imageSetId: `${String(i).padStart(32, "0")}`,
  versionId: "1",
  modality,
  studyDate: "20200101",
  studyDescription: "Head CT",
  bodyPart: "HEAD",
  patientKey: `P${patient}`,
});

describe("dataset: the declaration", () => {
  it("accepts criteria, splits and disjoint cohorts", () => {
    const spec = validateDataset(
      {
        seed: 7,
        cohorts: {
          train: null,
          test: {},
          ct: { select: { modality: "CT", studyDate: { from: "20000101" } }, imageSets: "perStudy" },
          scouts: { select: { seriesDescription: "scout", bodyPart: "CHEST" } },
        },
        splits: { all: { select: { studies: ["1.2.3"] }, ratios: { train: 4, test: 1 } } },
        disjoint: ["train", "test"],
      },
      "d.yaml",
    );
    assert.equal(spec.seed, "7");
    assert.deepEqual(spec.cohorts.ct.select, { modality: ["CT"], studyDate: { from: "20000101" } });
    assert.deepEqual(spec.splits?.all.ratios, { train: 4, test: 1 });
    assert.deepEqual(spec.cohorts.scouts.select, { seriesDescription: "scout", bodyPart: "CHEST" });
  });

  it("names the file, the cohort or split, and the field of every problem at once", () => {
    const problems = problemsOf({
      cohorts: {
        a: { select: { series: [1.2] } },
        b: { select: { studyDate: { from: "2020-01-01" } }, colour: "red" },
        c: {},
        d: { select: { modality: "ct" } },
      },
      splits: { s: { select: { modality: ["MR"] }, ratios: { a: 1, nope: 1 } } },
      disjoint: ["a", "zz"],
    });
    const expected = [
      /^cohorts\.yaml: cohort "a": select\.series\[0\]: 1\.2 \(number\) is not a DICOM UID \(UIDs are strings: quote them in YAML\)$/,
      /^cohorts\.yaml: cohort "b": select\.studyDate\.from: must be a date as YYYYMMDD in quotes/,
      /^cohorts\.yaml: cohort "b": colour: unknown field/,
      /^cohorts\.yaml: cohort "c": select: the cohort has no series: give select, or name it in a split's ratios$/,
      /^cohorts\.yaml: cohort "d": select\.modality: must be a DICOM modality code/,
      /^cohorts\.yaml: split "s": ratios\.nope: "nope" is not a cohort of this dataset/,
      /^cohorts\.yaml: disjoint: "zz" is not a cohort of this dataset$/,
    ];
    for (const re of expected)
      assert.ok(
        problems.some((p) => re.test(p)),
        `${re} in:\n${problems.join("\n")}`,
      );
    assert.equal(problems.length, expected.length, problems.join("\n"));
  });

  it("a cohort takes a share of one split only; ratios are positive", () => {
    const problems = problemsOf({
      cohorts: { a: {}, b: {} },
      splits: { s1: { select: { modality: ["MR"] }, ratios: { a: 1, b: 0 } }, s2: { select: { modality: ["CT"] }, ratios: { a: 1, b: 1 } } },
    });
    assert.ok(problems.some((p) => p === 'cohorts.yaml: split "s1": ratios.b: must be a positive number, not 0 (number)'));
    assert.ok(problems.some((p) => p.startsWith('cohorts.yaml: split "s2": ratios.a: cohort "a" already takes a share of another split')));
  });

  it("a file that is not YAML, or missing, is named", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dataset-"));
    try {
      const file = path.join(dir, "bad.yaml");
      fs.writeFileSync(file, "cohorts: [unclosed\n");
      assert.throws(
        () => loadDataset(file),
        (e: Error) => e instanceof DatasetError && e.message.startsWith(`${file}: not valid YAML/JSON:`),
      );
      assert.throws(() => loadDataset(path.join(dir, "none.yaml")), /none\.yaml: cannot read the dataset file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("dataset: the patient split", () => {
  it("is deterministic: the same seed and patient give the same point and cohort", () => {
    assert.equal(patientPoint("v1", "P1"), patientPoint("v1", "P1"));
    assert.notEqual(patientPoint("v1", "P1"), patientPoint("v2", "P1"));
    assert.equal(cohortAt(0.79, { train: 0.8, test: 0.2 }), "train");
    assert.equal(cohortAt(0.8, { train: 0.8, test: 0.2 }), "test");
  });

  it("a patient's cohort does not depend on the other patients (adding data never moves anyone)", () => {
    fc.assert(
      fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 30 }), fc.array(fc.string(), { maxLength: 30 }), fc.string(), (ids, more, seed) => {
        const ratios = { train: 0.7, validation: 0.15, test: 0.15 };
        const before = ids.map((id) => splitCohort(seed, id, ratios));
        void more.map((id) => splitCohort(seed, id, ratios));
        assert.deepEqual(
          ids.map((id) => splitCohort(seed, id, ratios)),
          before,
        );
      }),
    );
  });

  it("shares out 10,000 patients within 2 points of the ratios", () => {
    const counts: Record<string, number> = { train: 0, validation: 0, test: 0 };
    for (let i = 0; i < 10_000; i++) counts[splitCohort("seed", `patient-${i}`, { train: 0.7, validation: 0.2, test: 0.1 })]++;
    assert.ok(Math.abs(counts.train / 10_000 - 0.7) < 0.02, JSON.stringify(counts));
    assert.ok(Math.abs(counts.validation / 10_000 - 0.2) < 0.02, JSON.stringify(counts));
    assert.ok(Math.abs(counts.test / 10_000 - 0.1) < 0.02, JSON.stringify(counts));
  });
});

describe("dataset: the plan", () => {
  const spec: DatasetSpec = {
    seed: "s",
    cohorts: { train: {}, test: {}, ct: { select: { modality: ["CT"], studies: ["1.2.1"] }, imageSets: "perStudy" } },
    splits: { all: { select: { studyDate: { from: "20000101" } }, ratios: { train: 1, test: 1 } } },
    disjoint: ["train", "test"],
  };
  const data = Array.from({ length: 12 }, (_, i) => series(i, String(i % 6)));

  it("names image sets <cohort>/<series>, keeps each patient in one split cohort, and merges perStudy series into the study's first", async () => {
    const plan = await planDataset(spec, finderOver(data), "d.yaml");
    assert.ok(plan.imageSets.every((p) => p.key === `${p.cohort}/${p.seriesInstanceUid}`));
    const cohortOfPatient = new Map<string, string>();
    for (const p of plan.imageSets.filter((x) => x.cohort !== "ct")) {
      const patient = data.find((d) => d.seriesInstanceUid === p.seriesInstanceUid)!.patientKey;
      assert.equal(cohortOfPatient.get(patient) ?? p.cohort, p.cohort);
      cohortOfPatient.set(patient, p.cohort);
    }
    assert.equal(plan.seriesPerCohort.train + plan.seriesPerCohort.test, 12);
    const ct = plan.imageSets.filter((p) => p.cohort === "ct");
    assert.deepEqual(
      ct.map((p) => [p.seriesInstanceUid, p.mergeInto]),
      [
        ["1.2.1.1", undefined],
        ["1.2.1.7", "ct/1.2.1.1"],
      ],
    );
  });

  it("adding a series adds exactly one image set and changes no other", async () => {
    const before = await planDataset(spec, finderOver(data), "d.yaml");
    const after = await planDataset(spec, finderOver([...data, series(99, "42")]), "d.yaml");
    const index = (p: typeof before) => new Map(p.imageSets.map((x) => [x.key, JSON.stringify(x)]));
    const [b, a] = [index(before), index(after)];
    assert.deepEqual(
      [...a.keys()].filter((k) => !b.has(k)),
      [`${after.imageSets.find((x) => x.seriesInstanceUid === "1.2.42.99")!.cohort}/1.2.42.99`],
    );
    for (const [k, v] of b) assert.equal(a.get(k), v, k);
  });

  it("a patient in two disjoint cohorts fails, named by series, never by patient", async () => {
    const overlap: DatasetSpec = {
      cohorts: { a: { select: { series: { "1.2.0.0": "all" } } }, b: { select: { series: { "1.2.0.6": "all" } } } },
      disjoint: ["a", "b"],
    };
    await assert.rejects(planDataset(overlap, finderOver(data), "d.yaml"), (e: Error) => {
      assert.equal(e.message, 'd.yaml: cohort "b": series 1.2.0.6 is of a patient who is also in cohort "a" (series 1.2.0.0), but "disjoint" lists both');
      assert.ok(!e.message.includes("P0"));
      return true;
    });
  });

  it("an unknown series or study UID fails, naming the cohort and the field", async () => {
    const unknown: DatasetSpec = { cohorts: { a: { select: { series: { "9.9": "all" } } }, b: { select: { studies: ["8.8"] } } } };
    await assert.rejects(planDataset(unknown, finderOver(data), "d.yaml"), (e: Error) => {
      assert.ok(e instanceof DatasetError);
      assert.deepEqual(e.problems, [
        'd.yaml: cohort "a": select.series["9.9"]: no primary image set of this data store holds series 9.9 (with the other criteria)',
        'd.yaml: cohort "b": select.studies: no primary image set of this data store holds a series of study 8.8 (with the other criteria)',
      ]);
      return true;
    });
  });
});
