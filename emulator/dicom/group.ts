// Groups parsed instances into image sets the way a HealthImaging import does (healthimaging-api.md
// §3.3, §4.5): one primary image set per study holding all its series; an instance that conflicts
// with that set (Patient/Study/Series-level attributes differ, or its SOP Instance UID is already
// there) goes to a non-primary image set of the same study instead.

import * as zlib from "node:zlib";
import { differingKeywords } from "../model/consistency";
import { DicomAttributes, ImageFrameDocument, ImageSetDocument, InstanceDocument } from "../model/document";
import { ParsedInstance, pixelValueRange } from "./parse";

export type ImportedDocument = Omit<ImageSetDocument, "DatastoreID" | "ImageSetID">;

export interface ImportedImageSet {
  document: ImportedDocument;
  /** frame bytes by ImageFrames[].ID */
  frames: Map<string, Buffer>;
  isPrimary: boolean;
  instanceCount: number;
}

/** Image sets in order of first appearance; frame IDs are drawn from newId() in input order. */
export function groupIntoImageSets(instances: ParsedInstance[], newId: () => string): ImportedImageSet[] {
  const sets: ImportedImageSet[] = [];
  const setsByStudy = new Map<string, ImportedImageSet[]>(); // primary first, then non-primary in creation order
  for (const instance of instances) {
    const candidates = setsByStudy.get(instance.studyInstanceUID) ?? [];
    let target = candidates.find((set) => joinConflict(set, instance) === undefined);
    if (!target) {
      target = emptyImageSet(candidates.length === 0);
      candidates.push(target);
      setsByStudy.set(instance.studyInstanceUID, candidates);
      sets.push(target);
    }
    addInstance(target, instance, newId);
  }
  return sets;
}

/** Why an instance cannot join an image set, or undefined when it can (names keywords, never values). */
export function joinConflict(set: Pick<ImportedImageSet, "document">, instance: ParsedInstance): string | undefined {
  const { Patient, Study } = set.document;
  const series = Study.Series[instance.seriesInstanceUID];
  if (series?.Instances[instance.sopInstanceUID]) return `SOPInstanceUID ${instance.sopInstanceUID} is already in the image set`;
  const levels: [string, DicomAttributes, DicomAttributes][] = [
    ["Patient", Patient.DICOM, instance.patient],
    ["Study", Study.DICOM, instance.study],
  ];
  if (series) levels.push(["Series", series.DICOM, instance.series]);
  for (const [level, existing, incoming] of levels) {
    const differing = differingKeywords(existing, incoming);
    if (differing.length) return `${level}-level attributes differ: ${differing.join(", ")}`;
  }
  return undefined;
}

function emptyImageSet(isPrimary: boolean): ImportedImageSet {
  return {
    document: { SchemaVersion: "1.1", Patient: { DICOM: {} }, Study: { DICOM: {}, Series: {} } },
    frames: new Map(),
    isPrimary,
    instanceCount: 0,
  };
}

function addInstance(set: ImportedImageSet, instance: ParsedInstance, newId: () => string): void {
  const { document } = set;
  // consistent values compare equal after normalisation, so filling in missing keys loses nothing
  fillMissing(document.Patient.DICOM, instance.patient);
  fillMissing(document.Study.DICOM, instance.study);
  const series = (document.Study.Series[instance.seriesInstanceUID] ??= { DICOM: {}, Instances: {} });
  fillMissing(series.DICOM, instance.series);
  series.Instances[instance.sopInstanceUID] = instanceDocument(instance, set.frames, newId);
  set.instanceCount++;
}

function fillMissing(target: DicomAttributes, source: DicomAttributes): void {
  for (const [key, value] of Object.entries(source)) if (!(key in target)) target[key] = value;
}

function instanceDocument(instance: ParsedInstance, frames: Map<string, Buffer>, newId: () => string): InstanceDocument {
  const imageFrames = instance.frames.map((bytes): ImageFrameDocument => {
    const id = newId();
    frames.set(id, bytes);
    const range = instance.pixel ? pixelValueRange(bytes, instance.pixel) : undefined;
    return {
      ID: id,
      PixelDataChecksumFromBaseToFullResolution: [{ Width: instance.pixel?.columns ?? 0, Height: instance.pixel?.rows ?? 0, Checksum: zlib.crc32(bytes) }],
      ...(range && { MinPixelValue: range.min, MaxPixelValue: range.max }),
      FrameSizeInBytes: bytes.length,
    };
  });
  return {
    DICOM: { ...instance.instance },
    DICOMVRs: { ...instance.vrs },
    StoredTransferSyntaxUID: instance.transferSyntaxUID,
    ChecksumType: "DECOMPRESSED",
    ImageFrames: imageFrames,
  };
}
