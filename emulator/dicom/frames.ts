import type { DicomAttributes } from "../model/document";
import { EXPLICIT_BE, EXPLICIT_LE, EXTENDED_OFFSET_TABLE, IMPLICIT_LE, NATIVE_SYNTAXES, PIXEL_DATA } from "./constants";
import type { DcmjsDataset, DcmjsElement } from "./dcmjsReader";
import { DicomImportError } from "./errors";
import type { PixelLayout } from "./types";

// ---------------------------------------------------------------------------------------------
// Pixel data → frames

export function pixelLayout(attributes: DicomAttributes, transferSyntaxUID: string): PixelLayout {
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

export function extractFrames(bytes: Buffer, dict: DcmjsDataset, pixel: PixelLayout, transferSyntaxUID: string): Buffer[] {
  const fragments = (dict[PIXEL_DATA].Value ?? []) as ArrayBuffer[];
  return pixel.encapsulated
    ? encapsulatedFrames(
        fragments.map((f) => Buffer.from(f)),
        pixel.numberOfFrames,
        dict[EXTENDED_OFFSET_TABLE],
      )
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
      bytesPerSample === 1
        ? frame[at]
        : bytesPerSample === 2
          ? pixel.bigEndian
            ? frame.readUInt16BE(at)
            : frame.readUInt16LE(at)
          : pixel.bigEndian
            ? frame.readUInt32BE(at)
            : frame.readUInt32LE(at);
    // keep only the stored bits (the high bits may hold overlays), then sign-extend if signed
    const stored = bitsStored === 32 ? raw : raw % (mask + 1);
    const value = pixel.pixelRepresentation === 1 && stored >= signBit ? stored - 2 * signBit : stored;
    if (value < min) min = value;
    if (value > max) max = value;
  }
  return { min, max };
}
