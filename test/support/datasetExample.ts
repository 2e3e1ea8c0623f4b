// examples/dataset-curation as the dataset e2e tests use it: its cohorts.yaml as shipped, and the
// edit of one cohort (angio-views) both the perSeries and the perCohort tests apply.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { SERIES } from "./seeded";

/** The example's folder (index.ts, cohorts.yaml). */
export const EXAMPLE = path.resolve(__dirname, "..", "..", "examples", "dataset-curation");
/** A SOPInstanceUID of the sample data, by its last component. */
export const SOP = (n: number) => `1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.${n}`;
/** The example's cohorts.yaml as shipped. */
export const ORIGINAL = fs.readFileSync(path.join(EXAMPLE, "cohorts.yaml"), "utf8");
/** angio-views' series as shipped: two chosen instances of MRA 700. */
export const ANGIO_BEFORE = `        "${SERIES.mra700}":
          - "${SOP(119)}"
          - "${SOP(120)}"
`;
/**
 * The edit of one cohort: angio-views swaps one instance (an update of that image set or member)
 * and takes a second series whole (a new one).
 */
export const ANGIO_AFTER = `        "${SERIES.mra700}":
          - "${SOP(119)}"
          - "${SOP(121)}"
        "${SERIES.mra2}": all
`;
/** cohorts.yaml with angio-views' series replaced by `replacement` (default: the edit, ANGIO_AFTER). */
export const edited = (replacement: string = ANGIO_AFTER) => {
  assert.equal(ORIGINAL.split(ANGIO_BEFORE).length, 2, "the example's angio-views cohort is as this test expects");
  return ORIGINAL.replace(ANGIO_BEFORE, replacement);
};
