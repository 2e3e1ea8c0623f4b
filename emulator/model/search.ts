// SearchImageSets (https://docs.aws.amazon.com/healthimaging/latest/APIReference/API_SearchImageSets.html): up to two filters, EQUAL for ids/UIDs/isPrimary,
// BETWEEN (or EQUAL) for dates; deleted sets never appear; default sort updatedAt DESC.

import { validation } from "../errors";
import type { ImageSetDocument } from "./document";
import type { ImageSetRecord } from "./records";

export interface SearchFilter {
  operator: "EQUAL" | "BETWEEN";
  values: Record<string, unknown>[];
}

export interface SearchSort {
  sortField: "updatedAt" | "createdAt" | "DICOMStudyDateAndTime";
  sortOrder: "ASC" | "DESC";
}

const STRING_KEYS = ["DICOMPatientId", "DICOMAccessionNumber", "DICOMStudyId", "DICOMStudyInstanceUID", "DICOMSeriesInstanceUID"] as const;
const DATE_KEYS = ["createdAt", "updatedAt", "DICOMStudyDateAndTime"] as const;
const ALL_KEYS = [...STRING_KEYS, ...DATE_KEYS, "isPrimary"] as const;

export interface Candidate {
  set: ImageSetRecord;
  doc: ImageSetDocument;
}

const str = (v: unknown): string => (v === null || v === undefined ? "" : String(v).trim());

/** Study date+time as a sortable number (YYYYMMDDhhmmss.ffffff); missing time means 00:00. */
export function studyDateTime(date: unknown, time: unknown): number {
  const d = str(date).replace(/\D/g, "").padEnd(8, "0").slice(0, 8);
  const t = str(time).split(".")[0].replace(/\D/g, "").padEnd(6, "0").slice(0, 6);
  return Number(`${d}${t}`);
}

function valueKey(value: Record<string, unknown>, member: string): (typeof ALL_KEYS)[number] {
  const keys = Object.keys(value);
  if (keys.length !== 1 || !(ALL_KEYS as readonly string[]).includes(keys[0])) {
    throw validation(`${member} must have exactly one of ${ALL_KEYS.join(", ")}.`);
  }
  return keys[0] as (typeof ALL_KEYS)[number];
}

/** A filter value as the candidates' values compare. Types and lengths were checked against the service model. */
function comparable(key: string, raw: unknown, member: string): number | string | boolean {
  if (key === "createdAt" || key === "updatedAt") return (raw as number) * 1000;
  if (key === "DICOMStudyDateAndTime") {
    const v = raw as Record<string, unknown> | null;
    if (!v || typeof v.DICOMStudyDate !== "string" || !/^\d{8}$/.test(v.DICOMStudyDate))
      throw validation(`${member}.DICOMStudyDateAndTime.DICOMStudyDate must be YYYYMMDD.`);
    if (v.DICOMStudyTime !== undefined && (typeof v.DICOMStudyTime !== "string" || !/^\d{0,6}(\.\d{0,6})?$/.test(v.DICOMStudyTime)))
      throw validation(`${member}.DICOMStudyDateAndTime.DICOMStudyTime must be HHmmss.FFFFFF.`);
    return studyDateTime(v.DICOMStudyDate, v.DICOMStudyTime);
  }
  return raw as string | boolean;
}

function actual(key: string, c: Candidate): (number | string | boolean)[] {
  const study = c.doc.Study.DICOM;
  switch (key) {
    case "createdAt":
      return [c.set.createdAt];
    case "updatedAt":
      return [c.set.updatedAt];
    case "DICOMStudyDateAndTime":
      return [studyDateTime(study.StudyDate, study.StudyTime)];
    case "isPrimary":
      return [c.set.isPrimary];
    case "DICOMPatientId":
      return [str(c.doc.Patient.DICOM.PatientID)];
    case "DICOMAccessionNumber":
      return [str(study.AccessionNumber)];
    case "DICOMStudyId":
      return [str(study.StudyID)];
    case "DICOMStudyInstanceUID":
      return [str(study.StudyInstanceUID)];
    case "DICOMSeriesInstanceUID":
      return Object.keys(c.doc.Study.Series);
    default:
      return [];
  }
}

/** `raw` is valid for the service model (1-2 filters of 1-2 values, a known operator); the rest is checked here. */
export function parseFilters(raw: unknown): SearchFilter[] {
  if (raw === undefined) return [];
  return (raw as SearchFilter[]).map(({ operator, values }, i) => {
    const member = `searchCriteria.filters[${i}]`;
    if (operator === "EQUAL" && values.length !== 1) throw validation(`${member}: EQUAL takes exactly one value.`);
    if (operator === "BETWEEN" && values.length !== 2) throw validation(`${member}: BETWEEN takes (lowerBound, upperBound).`);
    return { operator, values };
  });
}

export function matcher(filters: SearchFilter[]): (c: Candidate) => boolean {
  const tests = filters.map((f, i) => {
    const member = `searchCriteria.filters[${i}].values`;
    const keys = f.values.map((v, j) => valueKey(v ?? {}, `${member}[${j}]`));
    const key = keys[0];
    if (keys.some((k) => k !== key)) throw validation(`${member}: both bounds must use the same attribute.`);
    if (f.operator === "BETWEEN" && !(DATE_KEYS as readonly string[]).includes(key))
      throw validation(`${member}: BETWEEN is only supported for createdAt, updatedAt and DICOMStudyDateAndTime.`);
    const bounds = f.values.map((v, j) => comparable(key, v[key], `${member}[${j}]`));
    if (f.operator === "EQUAL") return (c: Candidate) => actual(key, c).some((a) => a === bounds[0]);
    return (c: Candidate) => actual(key, c).some((a) => a >= bounds[0] && a <= bounds[1]);
  });
  return (c) => tests.every((t) => t(c));
}

export function sorter(sort: SearchSort): (a: Candidate, b: Candidate) => number {
  const value = (c: Candidate) =>
    sort.sortField === "DICOMStudyDateAndTime" ? studyDateTime(c.doc.Study.DICOM.StudyDate, c.doc.Study.DICOM.StudyTime) : c.set[sort.sortField];
  const sign = sort.sortOrder === "ASC" ? 1 : -1;
  return (a, b) => sign * (value(a) - value(b)) || a.set.imageSetId.localeCompare(b.set.imageSetId);
}

/** The series UID an EQUAL DICOMSeriesInstanceUID filter names (the index then reads only its image sets). */
export function seriesFilter(filters: SearchFilter[]): string | undefined {
  const f = filters.find((x) => x.operator === "EQUAL" && typeof x.values[0]?.DICOMSeriesInstanceUID === "string");
  return f?.values[0].DICOMSeriesInstanceUID as string | undefined;
}
