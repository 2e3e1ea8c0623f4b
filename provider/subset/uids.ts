// DICOM UIDs and the Series keys of copiableAttributes, checked the same way by `check`, the
// copiable builder and hi.Dataset's declaration. Messages quote only the offending value.

const HEALTHIMAGING_ID = /^[0-9a-z]{32}$/;
const DICOM_UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
const DICOM_UID_MAX = 64;

/** Why value is not a DICOM UID (PS3.5 §9.1), or undefined when it is one. */
export function uidProblem(value: string): string | undefined {
  if (value.length > DICOM_UID_MAX) {
    return `must be a DICOM UID of at most ${DICOM_UID_MAX} characters, got ${value.length} characters: ${describe(value)}`;
  }
  if (!DICOM_UID.test(value)) {
    return `must be a DICOM UID (digits and dots, no leading zeros in a component, e.g. "1.2.840.10008"), got ${describe(value)}`;
  }
  return undefined;
}

/** Why a Series key cannot be a SeriesInstanceUID, naming the AWS sample bugs when they are the cause. */
export function seriesKeyProblem(seriesUid: string): string | undefined {
  if (seriesUid === "imageSetId") {
    return `must be a SeriesInstanceUID, got the literal "imageSetId" (the placeholder key in AWS's CopyImageSet samples)`;
  }
  if (HEALTHIMAGING_ID.test(seriesUid) && /[a-z]/.test(seriesUid)) {
    return `must be a SeriesInstanceUID, got ${describe(seriesUid)}, which looks like a HealthImaging image set id (the bug in AWS's CopyImageSet samples)`;
  }
  return uidProblem(seriesUid);
}

/** The offending value, short, for a message. Objects and lists are named by kind, not dumped. */
export function describe(value: unknown): string {
  if (typeof value === "string") {
    const quoted = JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
    return value === "" ? "an empty string" : quoted;
  }
  if (value === null) return "null";
  if (value === undefined) return "nothing";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  if (typeof value === "number" || typeof value === "boolean") return `${typeof value} ${String(value)}`;
  return `a ${typeof value}`;
}
