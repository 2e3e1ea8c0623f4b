import type { DicomAttributes } from "../model/document";
import { DicomImportError } from "./errors";
import type { FileMeta } from "./fileMeta";
import type { ParsedInstance } from "./types";

// ---------------------------------------------------------------------------------------------
// Validation

const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
const UID_MAX_LENGTH = 64;

const REQUIRED_UIDS = [
  ["StudyInstanceUID", "(0020,000D)"],
  ["SeriesInstanceUID", "(0020,000E)"],
  ["SOPInstanceUID", "(0008,0018)"],
  ["SOPClassUID", "(0008,0016)"],
] as const;

export type InstanceUids = Pick<ParsedInstance, "studyInstanceUID" | "seriesInstanceUID" | "sopInstanceUID" | "sopClassUID">;

export function requireUids(attributes: DicomAttributes): InstanceUids {
  const found: Record<string, string> = {};
  for (const [keyword, tag] of REQUIRED_UIDS) {
    const value = attributes[keyword];
    if (value === null || value === undefined) {
      throw new DicomImportError("MISSING_ATTRIBUTE", `Required attribute ${keyword} ${tag} is missing or empty.`);
    }
    if (typeof value !== "string") {
      throw new DicomImportError("INVALID_UID", `${keyword} ${tag} must hold exactly one UID.`);
    }
    assertValidUid(keyword, tag, value);
    found[keyword] = value;
  }
  return {
    studyInstanceUID: found.StudyInstanceUID,
    seriesInstanceUID: found.SeriesInstanceUID,
    sopInstanceUID: found.SOPInstanceUID,
    sopClassUID: found.SOPClassUID,
  };
}

/** PS3.5 §9.1 UID rules. An invalid value is quoted only when it is made of UID characters. */
export function assertValidUid(keyword: string, tag: string, uid: string): void {
  if (uid.length <= UID_MAX_LENGTH && UID_PATTERN.test(uid)) return;
  const shown = /^[0-9.]*$/.test(uid) ? `"${uid}"` : "a value with characters other than digits and dots";
  const why =
    uid.length > UID_MAX_LENGTH
      ? `is ${uid.length} characters long (at most ${UID_MAX_LENGTH} allowed)`
      : "breaks the UID syntax (digits in dot-separated components, no leading zeros, no empty components)";
  throw new DicomImportError("INVALID_UID", `${keyword} ${tag} ${why}: ${shown}.`);
}

export function consistencyWarnings(meta: FileMeta, uids: InstanceUids): string[] {
  const warnings: string[] = [];
  if (meta.mediaStorageSOPInstanceUID && meta.mediaStorageSOPInstanceUID !== uids.sopInstanceUID) {
    warnings.push(`MediaStorageSOPInstanceUID (0002,0003) ${meta.mediaStorageSOPInstanceUID} differs from SOPInstanceUID (0008,0018) ${uids.sopInstanceUID}.`);
  }
  if (meta.mediaStorageSOPClassUID && meta.mediaStorageSOPClassUID !== uids.sopClassUID) {
    warnings.push(`MediaStorageSOPClassUID (0002,0002) ${meta.mediaStorageSOPClassUID} differs from SOPClassUID (0008,0016) ${uids.sopClassUID}.`);
  }
  const levelUids = [uids.studyInstanceUID, uids.seriesInstanceUID, uids.sopInstanceUID];
  if (new Set(levelUids).size < levelUids.length) {
    warnings.push("StudyInstanceUID, SeriesInstanceUID and SOPInstanceUID are not all different.");
  }
  return warnings;
}
