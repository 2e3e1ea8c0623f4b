// Why a file is rejected: the rule it breaks, in a message that names rules, tags and UIDs but
// never patient values.

// ---------------------------------------------------------------------------------------------
// Errors

export type DicomRule =
  | "NOT_PART10"
  | "BAD_FILE_META"
  | "NO_TRANSFER_SYNTAX"
  | "NOT_AN_INSTANCE"
  | "UNREADABLE"
  | "MISSING_ATTRIBUTE"
  | "INVALID_UID"
  | "INVALID_PIXEL_ATTRIBUTES"
  | "TRUNCATED_PIXEL_DATA"
  | "FRAME_MISMATCH";

/** A file HealthImaging would not import. The message holds rules, tags and UIDs only. */
export class DicomImportError extends Error {
  constructor(
    readonly rule: DicomRule,
    message: string,
  ) {
    super(message);
    this.name = "DicomImportError";
  }
}
