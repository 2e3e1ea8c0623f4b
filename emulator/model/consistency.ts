// Patient/Study/Series consistency between a copy's source and an existing destination
// (https://docs.aws.amazon.com/healthimaging/latest/devguide/copy-image-set.html). The exact attribute set AWS compares is not documented; we
// compare every attribute present on either side of a level, after normalising values
// (trailing spaces trimmed, missing == null == ""), and keep the messages free of values.

import type { DicomAttributes, ImageSetDocument } from "./document";

export function normaliseValue(v: unknown): string {
  if (v === undefined || v === null || v === "") return "";
  if (typeof v === "string") return v.replace(/[\s\0]+$/, "");
  if (Array.isArray(v) && v.length === 0) return "";
  return JSON.stringify(v);
}

/** Keywords whose values differ between two attribute maps. */
export function differingKeywords(a: DicomAttributes, b: DicomAttributes): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => normaliseValue(a[k]) !== normaliseValue(b[k])).sort();
}

export interface MergeProblem {
  message: string;
}

/**
 * Why merging the chosen series/instances of `source` into `dest` must fail without force, or
 * undefined when it is consistent. Messages follow the one real AWS message known:
 * "INVALID_REQUEST:  Series of SourceImageSet and DestinationImageSet don't match."
 */
export function mergeConflict(
  source: ImageSetDocument,
  dest: ImageSetDocument,
  selection: Record<string, string[]>,
  options: { allowNewSeries?: boolean } = {},
): string | undefined {
  const patient = differingKeywords(source.Patient.DICOM, dest.Patient.DICOM);
  if (patient.length) return `INVALID_REQUEST:  Patient of SourceImageSet and DestinationImageSet don't match (${patient.join(", ")}).`;
  const study = differingKeywords(source.Study.DICOM, dest.Study.DICOM);
  if (study.length) return `INVALID_REQUEST:  Study of SourceImageSet and DestinationImageSet don't match (${study.join(", ")}).`;
  for (const seriesUid of Object.keys(selection)) {
    const destSeries = dest.Study.Series[seriesUid];
    if (!destSeries && options.allowNewSeries) continue;
    if (!destSeries)
      return `INVALID_REQUEST:  Series of SourceImageSet and DestinationImageSet don't match (series ${seriesUid} is not in DestinationImageSet).`;
    const series = differingKeywords(source.Study.Series[seriesUid].DICOM, destSeries.DICOM);
    if (series.length) return `INVALID_REQUEST:  Series of SourceImageSet and DestinationImageSet don't match (${series.join(", ")}).`;
  }
  return undefined;
}

/** SOP Instance UIDs must be unique within an image set: even `force` does not allow duplicates. */
export function duplicateInstance(dest: ImageSetDocument, selection: Record<string, string[]>): string | undefined {
  const existing = new Set<string>();
  for (const s of Object.values(dest.Study.Series)) for (const uid of Object.keys(s.Instances)) existing.add(uid);
  for (const uids of Object.values(selection)) {
    for (const uid of uids) {
      if (existing.has(uid)) return `INVALID_REQUEST:  SOP Instance UID ${uid} already exists in DestinationImageSet.`;
    }
  }
  return undefined;
}
