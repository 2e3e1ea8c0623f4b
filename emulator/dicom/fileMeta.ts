import { MEDIA_STORAGE_DIRECTORY } from "./constants";
import { DicomImportError } from "./errors";
import { assertValidUid } from "./uids";

// ---------------------------------------------------------------------------------------------
// File meta information. Read by hand (it is always explicit VR little endian) so that broken
// headers and DICOMDIRs are reported precisely instead of through dcmjs's TypeErrors.

export interface FileMeta {
  transferSyntaxUID: string;
  mediaStorageSOPClassUID?: string;
  mediaStorageSOPInstanceUID?: string;
}

const LONG_LENGTH_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);

export function readFileMeta(bytes: Buffer): FileMeta {
  if (bytes.length < 132 || bytes.toString("latin1", 128, 132) !== "DICM") {
    throw new DicomImportError("NOT_PART10", "Not a DICOM Part-10 file: the 128-byte preamble and DICM prefix are missing.");
  }
  if (bytes.length < 140 || bytes.readUInt16LE(132) !== 0x0002 || bytes.readUInt16LE(134) !== 0x0000) {
    throw new DicomImportError("BAD_FILE_META", "File meta information does not start with FileMetaInformationGroupLength (0002,0000).");
  }
  const values = new Map<string, string>();
  let offset = 132;
  while (offset + 8 <= bytes.length && bytes.readUInt16LE(offset) === 0x0002) {
    const tag = `0002${bytes
      .readUInt16LE(offset + 2)
      .toString(16)
      .padStart(4, "0")
      .toUpperCase()}`;
    const vr = bytes.toString("latin1", offset + 4, offset + 6);
    let length: number;
    if (LONG_LENGTH_VRS.has(vr)) {
      if (offset + 12 > bytes.length) break;
      length = bytes.readUInt32LE(offset + 8);
      offset += 12;
    } else {
      length = bytes.readUInt16LE(offset + 6);
      offset += 8;
    }
    if (offset + length > bytes.length) {
      throw new DicomImportError("BAD_FILE_META", `File meta information is truncated at element (0002,${tag.slice(4)}).`);
    }
    if (vr === "UI") values.set(tag, bytes.toString("latin1", offset, offset + length).replace(/[\0 ]+$/, ""));
    offset += length;
  }
  const transferSyntaxUID = values.get("00020010");
  if (!transferSyntaxUID) {
    throw new DicomImportError("NO_TRANSFER_SYNTAX", "File meta information has no TransferSyntaxUID (0002,0010).");
  }
  assertValidUid("TransferSyntaxUID", "(0002,0010)", transferSyntaxUID);
  const mediaStorageSOPClassUID = values.get("00020002");
  if (mediaStorageSOPClassUID === MEDIA_STORAGE_DIRECTORY) {
    throw new DicomImportError(
      "NOT_AN_INSTANCE",
      `Not a SOP instance: MediaStorageSOPClassUID (0002,0002) is ${MEDIA_STORAGE_DIRECTORY} (Media Storage Directory, a DICOMDIR).`,
    );
  }
  return { transferSyntaxUID, mediaStorageSOPClassUID, mediaStorageSOPInstanceUID: values.get("00020003") };
}
