// Reads one DICOM Part-10 file into the shape HealthImaging stores: attributes split into
// Patient/Study/Series/Instance levels (healthimaging-api.md §6 value conventions) plus the
// pixel data cut into frames. Rejects what a real importer would reject, with messages that
// name rules, tags and UIDs but never patient values.

import dcmjs from "dcmjs";
import levelsJson from "./levels.json";
import { DicomAttributes } from "../model/document";

// dcmjs logs through loglevel ("Invalid vr type xs - using US" on implicit-VR files).
dcmjs.log.getLogger("validation.dcmjs").setLevel("silent");
dcmjs.log.setLevel("silent");

const { DicomMessage, DicomMetaDictionary } = dcmjs.data;

type DcmjsElement = { vr: string; Value?: unknown[]; _rawValue?: unknown };
type DcmjsDataset = Record<string, DcmjsElement>;

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

// ---------------------------------------------------------------------------------------------
// Result types

export type Level = "Patient" | "Study" | "Series" | "Instance";

export interface PixelLayout {
  rows: number;
  columns: number;
  samplesPerPixel: number;
  bitsAllocated: number;
  bitsStored: number;
  pixelRepresentation: number;
  numberOfFrames: number;
  /** compressed (encapsulated) transfer syntax: frames are opaque codestreams */
  encapsulated: boolean;
  bigEndian: boolean;
  /** native YBR_FULL_422 stores two samples per pixel, not three (PS3.3 C.7.6.3.1.2) */
  chromaSubsampled: boolean;
}

export interface ParsedInstance {
  studyInstanceUID: string;
  seriesInstanceUID: string;
  sopInstanceUID: string;
  sopClassUID: string;
  transferSyntaxUID: string;
  patient: DicomAttributes;
  study: DicomAttributes;
  series: DicomAttributes;
  instance: DicomAttributes;
  /** VRs of private and unknown elements, keyed by their 8-hex tag (the document's DICOMVRs) */
  vrs: Record<string, string>;
  /** one buffer per frame, as stored (native bytes or one encapsulated codestream) */
  frames: Buffer[];
  pixel?: PixelLayout;
  /** oddities a real importer accepts (e.g. file meta and dataset disagree) */
  warnings: string[];
}

// ---------------------------------------------------------------------------------------------
// Constants

const MEDIA_STORAGE_DIRECTORY = "1.2.840.10008.1.3.10";
const IMPLICIT_LE = "1.2.840.10008.1.2";
const EXPLICIT_LE = "1.2.840.10008.1.2.1";
const DEFLATED_LE = "1.2.840.10008.1.2.1.99";
const EXPLICIT_BE = "1.2.840.10008.1.2.2";
const NATIVE_SYNTAXES = new Set([IMPLICIT_LE, EXPLICIT_LE, DEFLATED_LE, EXPLICIT_BE]);

const PIXEL_DATA = "7FE00010";
const EXTENDED_OFFSET_TABLE = "7FE00001";
const BINARY_VRS = new Set(["OB", "OW", "OD", "OF", "OL", "OV", "UN"]);
const NUMERIC_VRS = new Set(["US", "SS", "UL", "SL", "FL", "FD", "SV", "UV"]);

const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
const UID_MAX_LENGTH = 64;

const REQUIRED_UIDS = [
  ["StudyInstanceUID", "(0020,000D)"],
  ["SeriesInstanceUID", "(0020,000E)"],
  ["SOPInstanceUID", "(0008,0018)"],
  ["SOPClassUID", "(0008,0016)"],
] as const;

const LEVEL_OF_KEYWORD: ReadonlyMap<string, Level> = new Map(
  (["Patient", "Study", "Series"] as const).flatMap((level) => levelsJson.levels[level].map((e) => [e.keyword, level] as const)),
);

// ---------------------------------------------------------------------------------------------
// Entry point

export function parseDicomFile(bytes: Buffer): ParsedInstance {
  const meta = readFileMeta(bytes);
  const { meta: metaDataset, dict } = readWithDcmjs(bytes);

  const vrs: Record<string, string> = {};
  const metaAttributes = convertDataset(metaDataset, vrs);
  const attributes = convertDataset(dict, vrs);
  const uids = requireUids(attributes);

  const pixel = dict[PIXEL_DATA] ? pixelLayout(attributes, meta.transferSyntaxUID) : undefined;
  const frames = pixel ? extractFrames(bytes, dict, pixel, meta.transferSyntaxUID) : [];

  const levels = splitIntoLevels({ ...metaAttributes, ...attributes });
  return {
    ...uids,
    transferSyntaxUID: meta.transferSyntaxUID,
    patient: levels.Patient,
    study: levels.Study,
    series: levels.Series,
    instance: levels.Instance,
    vrs,
    frames,
    pixel,
    warnings: consistencyWarnings(meta, uids),
  };
}

// ---------------------------------------------------------------------------------------------
// File meta information. Read by hand (it is always explicit VR little endian) so that broken
// headers and DICOMDIRs are reported precisely instead of through dcmjs's TypeErrors.

interface FileMeta {
  transferSyntaxUID: string;
  mediaStorageSOPClassUID?: string;
  mediaStorageSOPInstanceUID?: string;
}

const LONG_LENGTH_VRS = new Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]);

function readFileMeta(bytes: Buffer): FileMeta {
  if (bytes.length < 132 || bytes.toString("latin1", 128, 132) !== "DICM") {
    throw new DicomImportError("NOT_PART10", "Not a DICOM Part-10 file: the 128-byte preamble and DICM prefix are missing.");
  }
  if (bytes.length < 140 || bytes.readUInt16LE(132) !== 0x0002 || bytes.readUInt16LE(134) !== 0x0000) {
    throw new DicomImportError("BAD_FILE_META", "File meta information does not start with FileMetaInformationGroupLength (0002,0000).");
  }
  const values = new Map<string, string>();
  let offset = 132;
  while (offset + 8 <= bytes.length && bytes.readUInt16LE(offset) === 0x0002) {
    const tag = `0002${bytes.readUInt16LE(offset + 2).toString(16).padStart(4, "0").toUpperCase()}`;
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

// ---------------------------------------------------------------------------------------------
// dcmjs

function readWithDcmjs(bytes: Buffer): { meta: DcmjsDataset; dict: DcmjsDataset } {
  // Small Buffers share a pool, so hand dcmjs a copy of exactly this file's bytes.
  const arrayBuffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  try {
    const parsed = DicomMessage.readFile(arrayBuffer, { ignoreErrors: false, noCopy: false });
    return { meta: parsed.meta as DcmjsDataset, dict: parsed.dict as DcmjsDataset };
  } catch (err) {
    throw new DicomImportError("UNREADABLE", `DICOM data set cannot be read: ${describeParserError(err)}.`);
  }
}

/**
 * dcmjs's own wording, minus anything that could echo an element value ("Not a number: <value>",
 * "value: <value>"), so patient data never reaches a failure report.
 */
function describeParserError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const firstLine = message.split("\n")[0].replace(/\.$/, "");
  const redacted = firstLine.replace(/(Not a number:|value:)[^,]*/gi, "$1 <redacted>");
  return redacted.length > 200 ? `${redacted.slice(0, 200)}…` : redacted || "unknown parser error";
}

// ---------------------------------------------------------------------------------------------
// Attribute conversion: dcmjs's tag-keyed DICOM JSON model → HealthImaging's keyword-keyed values.
// Done from the un-naturalized dataset because it still carries every VR and the raw IS/DS strings.

function convertDataset(dataset: DcmjsDataset, vrs: Record<string, string>): DicomAttributes {
  const out: DicomAttributes = {};
  for (const tag of Object.keys(dataset).sort()) {
    const element = dataset[tag];
    if (tag === PIXEL_DATA || tag.endsWith("0000") || BINARY_VRS.has(element.vr)) continue; // pixels live in frames; group lengths carry nothing
    const keyword = keywordOf(tag);
    if (!keyword) vrs[tag] = element.vr;
    out[keyword ?? tag] = convertValue(tag, element, vrs);
  }
  return out;
}

/** Standard keyword, or undefined for private and unknown elements (which keep their 8-hex tag). */
function keywordOf(tag: string): string | undefined {
  const group = parseInt(tag.slice(0, 4), 16);
  if (group % 2 === 1) return undefined;
  const entry = DicomMetaDictionary.dictionary[DicomMetaDictionary.punctuateTag(tag)];
  return entry?.name ? entry.name.replace(/^RETIRED_/, "") : undefined;
}

function convertValue(tag: string, element: DcmjsElement, vrs: Record<string, string>): unknown {
  const values = valuesOf(tag, element, vrs);
  const meaningful = values.filter((v) => v !== null && v !== undefined && v !== "");
  if (meaningful.length === 0) return null;
  return values.length === 1 ? values[0] : values;
}

function valuesOf(tag: string, element: DcmjsElement, vrs: Record<string, string>): unknown[] {
  const value = element.Value ?? [];
  switch (element.vr) {
    case "SQ":
      return value.map((item) => convertDataset(item as DcmjsDataset, vrs));
    case "PN":
      return value.map(personNameString);
    case "AT":
      return value.map((v) => (typeof v === "number" ? v.toString(16).padStart(8, "0").toUpperCase() : v));
    case "UI":
      // dcmjs deletes characters that are not digits or dots ("1.2.x" reads as "1.2."): validate what the file says
      return rawStrings(element, /[\0 ]+$/) ?? value;
    case "IS":
    case "DS":
      // keep the DICOM string form (the real service does: "SeriesNumber": "1 ")
      return rawStrings(element) ?? value.map((v) => (v === null || v === undefined ? null : String(v)));
    default:
      if (tag === "00080005") return rawStrings(element) ?? value; // dcmjs rewrites the character set to ISO_IR 192 after decoding
      if (NUMERIC_VRS.has(element.vr)) return value.map(jsonSafeNumber);
      return value;
  }
}

function rawStrings(element: DcmjsElement, padding = /\0+$/): unknown[] | undefined {
  const raw = element._rawValue;
  if (Array.isArray(raw)) return raw.map((v) => (typeof v === "string" ? v.replace(padding, "") : v));
  if (typeof raw === "string") return raw === "" ? [] : raw.split("\\");
  return undefined;
}

/** PN in its DICOM string form: "Alphabetic=Ideographic=Phonetic", trailing empty groups dropped. */
function personNameString(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === "string") return v;
  const pn = v as { Alphabetic?: string; Ideographic?: string; Phonetic?: string };
  return [pn.Alphabetic ?? "", pn.Ideographic ?? "", pn.Phonetic ?? ""].join("=").replace(/=+$/, "");
}

function jsonSafeNumber(v: unknown): unknown {
  if (typeof v === "bigint") return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  return v;
}

function splitIntoLevels(attributes: DicomAttributes): Record<Level, DicomAttributes> {
  const out: Record<Level, DicomAttributes> = { Patient: {}, Study: {}, Series: {}, Instance: {} };
  for (const [key, value] of Object.entries(attributes)) out[LEVEL_OF_KEYWORD.get(key) ?? "Instance"][key] = value;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Validation

type InstanceUids = Pick<ParsedInstance, "studyInstanceUID" | "seriesInstanceUID" | "sopInstanceUID" | "sopClassUID">;

function requireUids(attributes: DicomAttributes): InstanceUids {
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
function assertValidUid(keyword: string, tag: string, uid: string): void {
  if (uid.length <= UID_MAX_LENGTH && UID_PATTERN.test(uid)) return;
  const shown = /^[0-9.]*$/.test(uid) ? `"${uid}"` : "a value with characters other than digits and dots";
  const why =
    uid.length > UID_MAX_LENGTH
      ? `is ${uid.length} characters long (at most ${UID_MAX_LENGTH} allowed)`
      : "breaks the UID syntax (digits in dot-separated components, no leading zeros, no empty components)";
  throw new DicomImportError("INVALID_UID", `${keyword} ${tag} ${why}: ${shown}.`);
}

function consistencyWarnings(meta: FileMeta, uids: InstanceUids): string[] {
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

// ---------------------------------------------------------------------------------------------
// Pixel data → frames

function pixelLayout(attributes: DicomAttributes, transferSyntaxUID: string): PixelLayout {
  const rows = requirePositiveInteger(attributes, "Rows", "(0028,0010)");
  const columns = requirePositiveInteger(attributes, "Columns", "(0028,0011)");
  const bitsAllocated = requirePositiveInteger(attributes, "BitsAllocated", "(0028,0100)");
  const samplesPerPixel = optionalPositiveInteger(attributes, "SamplesPerPixel", "(0028,0002)") ?? 1;
  const numberOfFrames = optionalPositiveInteger(attributes, "NumberOfFrames", "(0028,0008)") ?? 1;
  const bitsStored = optionalPositiveInteger(attributes, "BitsStored", "(0028,0101)") ?? bitsAllocated;
  const pixelRepresentation = attributes.PixelRepresentation === 1 ? 1 : 0;
  return {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    pixelRepresentation,
    numberOfFrames,
    encapsulated: !NATIVE_SYNTAXES.has(transferSyntaxUID),
    bigEndian: transferSyntaxUID === EXPLICIT_BE,
    chromaSubsampled: attributes.PhotometricInterpretation === "YBR_FULL_422",
  };
}

function requirePositiveInteger(attributes: DicomAttributes, keyword: string, tag: string): number {
  const value = optionalPositiveInteger(attributes, keyword, tag);
  if (value === undefined) {
    throw new DicomImportError("INVALID_PIXEL_ATTRIBUTES", `PixelData is present but ${keyword} ${tag} is missing or empty.`);
  }
  return value;
}

/** US values arrive as numbers, IS values as their raw strings ("1A" must not pass as 1). */
function optionalPositiveInteger(attributes: DicomAttributes, keyword: string, tag: string): number | undefined {
  const value = attributes[keyword];
  if (value === null || value === undefined) return undefined;
  const n = typeof value === "number" ? value : typeof value === "string" && /^\s*\+?\d+\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1) {
    throw new DicomImportError("INVALID_PIXEL_ATTRIBUTES", `${keyword} ${tag} must be a single positive integer.`);
  }
  return n;
}

function extractFrames(bytes: Buffer, dict: DcmjsDataset, pixel: PixelLayout, transferSyntaxUID: string): Buffer[] {
  const fragments = (dict[PIXEL_DATA].Value ?? []) as ArrayBuffer[];
  return pixel.encapsulated
    ? encapsulatedFrames(fragments.map((f) => Buffer.from(f)), pixel.numberOfFrames, dict[EXTENDED_OFFSET_TABLE])
    : nativeFrames(bytes, Buffer.from(fragments[0] ?? new ArrayBuffer(0)), pixel, transferSyntaxUID);
}

function nativeFrames(file: Buffer, data: Buffer, pixel: PixelLayout, transferSyntaxUID: string): Buffer[] {
  const samplesStored = pixel.chromaSubsampled && pixel.samplesPerPixel === 3 ? 2 : pixel.samplesPerPixel;
  const frameBits = pixel.rows * pixel.columns * samplesStored * pixel.bitsAllocated;
  const neededBytes = Math.ceil((frameBits * pixel.numberOfFrames) / 8);
  // dcmjs pads a short PixelData value with zeros, so also compare its declared end with the file's.
  if (data.length < neededBytes || pixelDataRunsPastEnd(file, data.length, transferSyntaxUID)) {
    throw new DicomImportError(
      "TRUNCATED_PIXEL_DATA",
      `PixelData (7FE0,0010) is truncated: ${pixel.numberOfFrames} frame(s) of ${pixel.rows}x${pixel.columns}x${samplesStored} samples at ${pixel.bitsAllocated} bits need ${neededBytes} bytes.`,
    );
  }
  const frames: Buffer[] = [];
  for (let i = 0; i < pixel.numberOfFrames; i++) {
    frames.push(frameBits % 8 === 0 ? Buffer.from(data.subarray((i * frameBits) / 8, ((i + 1) * frameBits) / 8)) : copyBits(data, i * frameBits, frameBits));
  }
  return frames;
}

/** Bit-packed frames (BitsAllocated 1) need not start on a byte boundary; DICOM packs LSB first. */
function copyBits(data: Buffer, startBit: number, bitCount: number): Buffer {
  const out = Buffer.alloc(Math.ceil(bitCount / 8));
  for (let i = 0; i < bitCount; i++) {
    const bit = (data[(startBit + i) >> 3] >> ((startBit + i) & 7)) & 1;
    out[i >> 3] |= bit << (i & 7);
  }
  return out;
}

/**
 * Whether the top-level PixelData element, as declared in the raw file, ends past the file's end.
 * Finds the element header whose declared length matches what dcmjs read. Deflated files are
 * not searchable (the inflater fails on truncation anyway).
 */
function pixelDataRunsPastEnd(file: Buffer, declaredLength: number, transferSyntaxUID: string): boolean {
  if (![IMPLICIT_LE, EXPLICIT_LE, EXPLICIT_BE].includes(transferSyntaxUID)) return false;
  const bigEndian = transferSyntaxUID === EXPLICIT_BE;
  const tagBytes = Buffer.from(bigEndian ? [0x7f, 0xe0, 0x00, 0x10] : [0xe0, 0x7f, 0x10, 0x00]);
  const readU32 = (at: number) => (bigEndian ? file.readUInt32BE(at) : file.readUInt32LE(at));
  let valueEnd: number | undefined;
  for (let at = file.indexOf(tagBytes, 132); at >= 0; at = file.indexOf(tagBytes, at + 1)) {
    let headerEnd: number;
    let length: number;
    if (transferSyntaxUID === IMPLICIT_LE) {
      if (at + 8 > file.length) break;
      length = readU32(at + 4);
      headerEnd = at + 8;
    } else {
      if (at + 12 > file.length) break;
      if (!["OB", "OW"].includes(file.toString("latin1", at + 4, at + 6))) continue;
      length = readU32(at + 8);
      headerEnd = at + 12;
    }
    if (length === declaredLength) valueEnd = headerEnd + length;
  }
  return valueEnd !== undefined && valueEnd > file.length;
}

/**
 * One buffer per frame from an encapsulated PixelData. dcmjs returns one buffer per frame when
 * there is a Basic Offset Table, but one per fragment when there is none.
 */
function encapsulatedFrames(fragments: Buffer[], numberOfFrames: number, extendedOffsetTable?: DcmjsElement): Buffer[] {
  if (fragments.length === 0) {
    throw new DicomImportError("FRAME_MISMATCH", "Encapsulated PixelData (7FE0,0010) holds no fragments.");
  }
  if (fragments.length === numberOfFrames) return fragments;
  if (numberOfFrames === 1) return [Buffer.concat(fragments)];
  const grouped = extendedOffsetTable ? groupByExtendedOffsets(fragments, extendedOffsetTable) : undefined;
  if (grouped?.length === numberOfFrames) return grouped;
  throw new DicomImportError(
    "FRAME_MISMATCH",
    `Encapsulated PixelData (7FE0,0010) has ${fragments.length} fragments for NumberOfFrames (0028,0008) ${numberOfFrames}, and no offset table maps fragments to frames.`,
  );
}

/** Extended Offset Table (7FE0,0001): 64-bit offsets of each frame's first fragment item. */
function groupByExtendedOffsets(fragments: Buffer[], table: DcmjsElement): Buffer[] | undefined {
  const raw = (table.Value ?? [])[0];
  if (!(raw instanceof ArrayBuffer) || raw.byteLength % 8 !== 0) return undefined;
  const view = new DataView(raw);
  const frameStarts = new Set<number>();
  for (let i = 0; i < raw.byteLength; i += 8) frameStarts.add(Number(view.getBigUint64(i, true)));
  const frames: Buffer[][] = [];
  let itemOffset = 0; // offset of each fragment's item header from the first fragment item
  for (const fragment of fragments) {
    if (frameStarts.has(itemOffset) || frames.length === 0) frames.push([]);
    frames[frames.length - 1].push(fragment);
    itemOffset += 8 + fragment.length;
  }
  return frames.length === frameStarts.size ? frames.map((parts) => Buffer.concat(parts)) : undefined;
}

/**
 * Smallest and largest stored pixel value of a native single-sample frame, or undefined when that is
 * not cheap to know (compressed, colour, bit-packed or float data).
 */
export function pixelValueRange(frame: Buffer, pixel: PixelLayout): { min: number; max: number } | undefined {
  if (pixel.encapsulated || pixel.samplesPerPixel !== 1 || ![8, 16, 32].includes(pixel.bitsAllocated)) return undefined;
  const bytesPerSample = pixel.bitsAllocated / 8;
  const count = Math.floor(frame.length / bytesPerSample);
  if (count === 0) return undefined;
  const bitsStored = Math.min(pixel.bitsStored, pixel.bitsAllocated);
  const mask = bitsStored === 32 ? 0xffffffff : 2 ** bitsStored - 1;
  const signBit = 2 ** (bitsStored - 1);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < count; i++) {
    const at = i * bytesPerSample;
    const raw =
      bytesPerSample === 1 ? frame[at] : bytesPerSample === 2 ? (pixel.bigEndian ? frame.readUInt16BE(at) : frame.readUInt16LE(at)) : pixel.bigEndian ? frame.readUInt32BE(at) : frame.readUInt32LE(at);
    // keep only the stored bits (the high bits may hold overlays), then sign-extend if signed
    const stored = bitsStored === 32 ? raw : raw % (mask + 1);
    const value = pixel.pixelRepresentation === 1 && stored >= signBit ? stored - 2 * signBit : stored;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return { min, max };
}
