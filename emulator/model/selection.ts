// Selecting instances out of a metadata document: the copiableAttributes parser and the
// document surgery (subset, merge, remove) that copy and update share.

import { validation } from "../errors";
import type { ImageSetDocument, SeriesDocument } from "./document";

export type Selection = Record<string, string[]>;

/** Everything in a document, as series -> instances. */
export function selectAll(doc: ImageSetDocument): Selection {
  const out: Selection = {};
  for (const [s, series] of Object.entries(doc.Study.Series)) out[s] = Object.keys(series.Instances);
  return out;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function checkSchemaVersion(v: unknown, member: string): void {
  if (v !== "1.1" && v !== 1.1) throw validation(`${member}.SchemaVersion must be "1.1".`);
}

/**
 * Parse copiableAttributes and check every series/instance exists in the source. Malformed
 * documents and unknown UIDs are synchronous ValidationExceptions (https://docs.aws.amazon.com/healthimaging/latest/devguide/copy-image-set.html,
 * inferred): failing fast beats a COPY_FAILED version nobody asked for.
 */
export function parseCopiableAttributes(text: string, source: ImageSetDocument): Selection {
  const member = "copiableAttributes";
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw validation(`${member} is not valid JSON.`);
  }
  if (!isObject(parsed)) throw validation(`${member} must be a JSON object.`);
  checkSchemaVersion(parsed.SchemaVersion, member);
  const study = parsed.Study;
  if (!isObject(study) || !isObject(study.Series)) throw validation(`${member}.Study.Series must be an object keyed by SeriesInstanceUID.`);
  const entries = Object.entries(study.Series);
  if (entries.length === 0) throw validation(`${member}.Study.Series must name at least one series.`);
  const selection: Selection = {};
  for (const [seriesUid, series] of entries) {
    // own keys only: "constructor" or "__proto__" must not find Object.prototype's members
    const sourceSeries = Object.hasOwn(source.Study.Series, seriesUid) ? source.Study.Series[seriesUid] : undefined;
    if (!sourceSeries) throw validation(`${member}: series ${seriesUid} is not in the source image set (Series keys must be SeriesInstanceUIDs).`);
    if (!isObject(series) || !isObject(series.Instances))
      throw validation(`${member}.Study.Series["${seriesUid}"].Instances must be an object keyed by SOPInstanceUID.`);
    const uids = Object.keys(series.Instances);
    if (uids.length === 0) throw validation(`${member}.Study.Series["${seriesUid}"].Instances must name at least one instance.`);
    for (const uid of uids) {
      if (!Object.hasOwn(sourceSeries.Instances, uid)) throw validation(`${member}: instance ${uid} is not in series ${seriesUid} of the source image set.`);
    }
    selection[seriesUid] = uids;
  }
  return selection;
}

/** The series a copiableAttributes document names; none when it is malformed (parseCopiableAttributes then says why). */
export function requestedSeries(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return isObject(parsed) && isObject(parsed.Study) && isObject(parsed.Study.Series) ? Object.keys(parsed.Study.Series) : [];
  } catch {
    return [];
  }
}

export function countFrames(doc: ImageSetDocument, selection: Selection): { instances: number; frames: number } {
  let instances = 0;
  let frames = 0;
  for (const [s, uids] of Object.entries(selection)) {
    for (const uid of uids) {
      instances++;
      frames += doc.Study.Series[s].Instances[uid].ImageFrames.length;
    }
  }
  return { instances, frames };
}

const clone = <T>(v: T): T => structuredClone(v);

/** A new image set's document: the source's Patient/Study plus the chosen series/instances. */
export function subsetDocument(source: ImageSetDocument, selection: Selection, datastoreId: string, imageSetId: string): ImageSetDocument {
  const series: Record<string, SeriesDocument> = {};
  for (const [s, uids] of Object.entries(selection)) {
    const src = source.Study.Series[s];
    series[s] = { DICOM: clone(src.DICOM), Instances: Object.fromEntries(uids.map((u) => [u, clone(src.Instances[u])])) };
  }
  return {
    SchemaVersion: "1.1",
    DatastoreID: datastoreId,
    ImageSetID: imageSetId,
    Patient: clone(source.Patient),
    Study: { DICOM: clone(source.Study.DICOM), Series: series },
  };
}

/** Merge into an existing destination; with force the destination's levels win (DG-copy). */
export function mergeDocument(dest: ImageSetDocument, source: ImageSetDocument, selection: Selection): ImageSetDocument {
  const out = clone(dest);
  for (const [s, uids] of Object.entries(selection)) {
    const src = source.Study.Series[s];
    const target = (out.Study.Series[s] ??= { DICOM: clone(src.DICOM), Instances: {} });
    for (const u of uids) target.Instances[u] = clone(src.Instances[u]);
  }
  return out;
}
