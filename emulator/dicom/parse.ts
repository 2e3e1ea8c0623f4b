// Reads one DICOM Part-10 file into the shape HealthImaging stores: attributes split into
// Patient/Study/Series/Instance levels (https://docs.aws.amazon.com/healthimaging/latest/devguide/get-image-set-metadata.html, value conventions) plus the
// pixel data cut into frames. Rejects what a real importer would reject, with messages that
// name rules, tags and UIDs but never patient values.

import { convertDataset, splitIntoLevels } from "./attributes";
import { PIXEL_DATA } from "./constants";
import { readWithDcmjs } from "./dcmjsReader";
import { readFileMeta } from "./fileMeta";
import { extractFrames, pixelLayout } from "./frames";
import type { ParsedInstance } from "./types";
import { consistencyWarnings, requireUids } from "./uids";

export { DicomImportError } from "./errors";
export type { DicomRule } from "./errors";
export type { Level, ParsedInstance, PixelLayout } from "./types";
export { pixelValueRange } from "./frames";

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
