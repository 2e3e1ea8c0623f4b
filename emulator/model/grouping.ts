// The DICOM elements HealthImaging uses to group imported P10 objects into image sets
// (https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-image-sets.html,
// "DICOM elements used when creating image sets"). Imported data conflicts with a primary image
// set when one of these differs; other Patient/Study/Series attributes may differ without making
// the data non-primary, and the image set keeps the values it has (inferred: the guide lists
// these elements only and does not say which values win).

import { normaliseValue } from "./consistency";
import type { DicomAttributes, ImageSetDocument } from "./document";

export const GROUPING_ELEMENTS = {
  Patient: ["PatientID"],
  Study: ["StudyDate", "AccessionNumber", "StudyInstanceUID", "StudyID"],
  Series: ["SeriesInstanceUID", "SeriesNumber"],
} as const;

export type GroupingLevel = keyof typeof GROUPING_ELEMENTS;

/** Which grouping elements of a level differ (names keywords, never values), or undefined. */
export function groupingConflict(level: GroupingLevel, existing: DicomAttributes, incoming: DicomAttributes): string | undefined {
  const differing = GROUPING_ELEMENTS[level].filter((k) => normaliseValue(existing[k]) !== normaliseValue(incoming[k]));
  return differing.length ? `${level}-level grouping elements differ: ${differing.join(", ")}` : undefined;
}

type Levels = Pick<ImageSetDocument, "Patient" | "Study">;

/** Patient/Study grouping conflict between two documents, and Series for a series both hold. */
export function documentGroupingConflict(incoming: Levels, existing: Levels, seriesUid?: string): string | undefined {
  const patient = groupingConflict("Patient", existing.Patient.DICOM, incoming.Patient.DICOM);
  const study = patient ?? groupingConflict("Study", existing.Study.DICOM, incoming.Study.DICOM);
  if (study || seriesUid === undefined) return study;
  const [a, b] = [existing.Study.Series[seriesUid], incoming.Study.Series[seriesUid]];
  return a && b ? groupingConflict("Series", a.DICOM, b.DICOM) : undefined;
}
