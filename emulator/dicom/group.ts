// Groups parsed instances into image sets the way a HealthImaging import does today: one primary
// image set per DICOM series ("image sets ... resemble a DICOM Series",
// https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-image-sets.html).
// An instance whose grouping elements (model/grouping.ts) conflict with its series' primary set,
// or with its study's other series, goes to a non-primary set of that series instead
// (https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-import-jobs.html).
// An instance seen twice without conflict overwrites the earlier copy (the later file wins).

import * as zlib from "node:zlib";
import type { DicomAttributes, ImageFrameDocument, ImageSetDocument, InstanceDocument } from "../model/document";
import { groupingConflict } from "../model/grouping";
import { type ParsedInstance, pixelValueRange } from "./parse";

export type ImportedDocument = Omit<ImageSetDocument, "DatastoreID" | "ImageSetID">;

export interface ImportedImageSet {
  document: ImportedDocument;
  /** frame bytes by ImageFrames[].ID */
  frames: Map<string, Buffer>;
  isPrimary: boolean;
  /** distinct SOP instances in the set (an overwritten instance counts once) */
  instanceCount: number;
}

/** Image sets in order of first appearance; frame IDs are drawn from newId() in input order. */
export function groupIntoImageSets(instances: ParsedInstance[], newId: () => string): ImportedImageSet[] {
  const sets: ImportedImageSet[] = [];
  const setsBySeries = new Map<string, ImportedImageSet[]>(); // primary (if any) first, then non-primary in creation order
  const primaryByStudy = new Map<string, ImportedImageSet>(); // first primary set of each study: the study's reference levels
  for (const instance of instances) {
    const candidates = setsBySeries.get(instance.seriesInstanceUID) ?? [];
    let target = candidates.find((set) => joinConflict(set, instance) === undefined);
    if (!target) {
      const sibling = primaryByStudy.get(instance.studyInstanceUID);
      const isPrimary = !candidates.some((c) => c.isPrimary) && (!sibling || studyConflict(sibling, instance) === undefined);
      target = emptyImageSet(isPrimary);
      candidates.push(target);
      setsBySeries.set(instance.seriesInstanceUID, candidates);
      if (isPrimary && !sibling) primaryByStudy.set(instance.studyInstanceUID, target);
      sets.push(target);
    }
    addInstance(target, instance, newId);
  }
  return sets;
}

/**
 * Why an instance cannot join an image set, or undefined when it can (names keywords, never
 * values). The same SOP Instance UID is no conflict: the newer copy overwrites the older one.
 */
export function joinConflict(set: Pick<ImportedImageSet, "document">, instance: ParsedInstance): string | undefined {
  const series = set.document.Study.Series[instance.seriesInstanceUID];
  if (!series) return `SeriesInstanceUID ${instance.seriesInstanceUID} is not in the image set`;
  return studyConflict(set, instance) ?? groupingConflict("Series", series.DICOM, instance.series);
}

/** Patient- or Study-level grouping conflict between an instance and an image set of its study. */
export function studyConflict(set: Pick<ImportedImageSet, "document">, instance: ParsedInstance): string | undefined {
  return groupingConflict("Patient", set.document.Patient.DICOM, instance.patient) ?? groupingConflict("Study", set.document.Study.DICOM, instance.study);
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
  // the set keeps the level values it has and gains the missing ones (model/grouping.ts)
  fillMissing(document.Patient.DICOM, instance.patient);
  fillMissing(document.Study.DICOM, instance.study);
  const series = (document.Study.Series[instance.seriesInstanceUID] ??= { DICOM: {}, Instances: {} });
  fillMissing(series.DICOM, instance.series);
  const previous = series.Instances[instance.sopInstanceUID];
  if (previous) for (const frame of previous.ImageFrames) set.frames.delete(frame.ID);
  else set.instanceCount++;
  series.Instances[instance.sopInstanceUID] = instanceDocument(instance, set.frames, newId);
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
