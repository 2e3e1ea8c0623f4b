// The shape parseDicomFile returns (re-exported by parse.ts).

import type { DicomAttributes } from "../model/document";

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
