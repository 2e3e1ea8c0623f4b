// From a subset to the documents CopyImageSet and UpdateImageSetMetadata take.
//
// AWS's own samples key copiableAttributes by the image set id (Java) or by the literal
// "imageSetId" (Python, JS), which the service cannot honour (https://docs.aws.amazon.com/healthimaging/latest/devguide/copy-image-set.html, code examples).
// Here Series keys only ever come from the source's metadata document, and the builders refuse
// anything that is not a DICOM UID, so those documents cannot be produced.

import type { ImageSetMetadata } from "./metadataDocument";
import { type InstancesBySeries, type Subset, isUnknown } from "./types";
import { seriesKeyProblem, uidProblem } from "./uids";

/** Only the Study part of a GetImageSetMetadata document is needed here. */
export type SeriesSource = Pick<ImageSetMetadata, "Study">;

/** CopiableAttributes length limit in the service model. */
export const COPIABLE_ATTRIBUTES_MAX_CHARS = 260_000;
/** Default quota: image frames copied per CopyImageSet request (adjustable per account). */
export const DEFAULT_MAX_FRAMES_PER_COPY = 1_000;

/** The frames-per-copy quota in force: PULUMI_HEALTHIMAGING_MAX_FRAMES_PER_COPY (a raised quota), else the default. */
export function maxFramesPerCopy(env: NodeJS.ProcessEnv = process.env): number {
  return Number(env.PULUMI_HEALTHIMAGING_MAX_FRAMES_PER_COPY ?? DEFAULT_MAX_FRAMES_PER_COPY);
}
/** Default quota: UpdateImageSetMetadata payload (adjustable per account). */
export const UPDATE_PAYLOAD_MAX_BYTES = 10 * 1024;

/** Every series and its instances, in document order. */
export function instancesOf(document: SeriesSource): InstancesBySeries {
  const out: InstancesBySeries = {};
  for (const [seriesUid, series] of Object.entries(document.Study.Series)) {
    out[seriesUid] = Object.keys(series.Instances ?? {});
  }
  return out;
}

/**
 * Expands "all" and checks that every named series and instance exists in the source.
 * No subset means the whole source. Errors name the missing UID only.
 */
export function resolveSubset(subset: Subset | undefined, source: SeriesSource): InstancesBySeries {
  if (subset === undefined) return instancesOf(source);
  const resolved: InstancesBySeries = {};
  for (const [seriesUid, selection] of Object.entries(subset.series)) {
    assertSeriesKey(seriesUid);
    const series = own(source.Study.Series, seriesUid);
    if (series === undefined) throw new Error(`subset: series ${JSON.stringify(seriesUid)} is not in the source image set`);
    const available = series.Instances ?? {};
    if (selection === "all") {
      const all = Object.keys(available);
      if (all.length === 0) throw new Error(`subset: series ${JSON.stringify(seriesUid)} has no instances in the source image set`);
      resolved[seriesUid] = all;
      continue;
    }
    assertInstanceList(seriesUid, selection);
    for (const instanceUid of selection) {
      if (own(available, instanceUid) === undefined) {
        throw new Error(`subset: instance ${JSON.stringify(instanceUid)} is not in series ${JSON.stringify(seriesUid)} of the source image set`);
      }
    }
    resolved[seriesUid] = [...selection];
  }
  return resolved;
}

/** CopyImageSet `copiableAttributes`: SchemaVersion "1.1" as in the CLI's working example. */
export function buildCopiableAttributes(resolved: InstancesBySeries): string {
  const text = JSON.stringify({ SchemaVersion: "1.1", Study: { Series: seriesSkeleton(resolved) } });
  if (text.length > COPIABLE_ATTRIBUTES_MAX_CHARS) {
    throw new Error(
      `copiableAttributes would be ${text.length} characters, more than the service's ${COPIABLE_ATTRIBUTES_MAX_CHARS}; ` +
        `split the subset across several resources`,
    );
  }
  return text;
}

/** UpdateImageSetMetadata `removableAttributes` that removes these instances (number SchemaVersion, as in the CLI example). */
export function buildRemovableAttributes(resolved: InstancesBySeries): string {
  return JSON.stringify({ SchemaVersion: 1.1, Study: { Series: seriesSkeleton(resolved) } });
}

/**
 * The same removal split into documents of at most maxBytes each (the update payload quota),
 * for undoing a merge of more instances than one update may carry.
 */
export function buildRemovableAttributeBatches(resolved: InstancesBySeries, maxBytes = UPDATE_PAYLOAD_MAX_BYTES): string[] {
  seriesSkeleton(resolved); // validates everything up front
  maxBytes = removableJsonBudget(maxBytes);
  const overhead = '{"SchemaVersion":1.1,"Study":{"Series":{}}}'.length;
  const batches: InstancesBySeries[] = [];
  let batch: InstancesBySeries = {};
  let size = overhead;
  for (const [seriesUid, instances] of Object.entries(resolved)) {
    const seriesCost = JSON.stringify(seriesUid).length + ':{"Instances":{}},'.length;
    for (const instanceUid of instances) {
      const instanceCost = JSON.stringify(instanceUid).length + ":{},".length;
      const cost = instanceCost + (batch[seriesUid] ? 0 : seriesCost);
      if (overhead + seriesCost + instanceCost > maxBytes) throw new Error(`removableAttributes: ${maxBytes} bytes cannot hold even one instance`);
      if (size + cost > maxBytes) {
        batches.push(batch);
        batch = {};
        size = overhead;
      }
      size += instanceCost + (batch[seriesUid] ? 0 : seriesCost);
      (batch[seriesUid] ??= []).push(instanceUid);
    }
  }
  if (Object.keys(batch).length > 0) batches.push(batch);
  return batches.map(buildRemovableAttributes);
}

/** Bytes of the request body around the removableAttributes blob, with room to spare. */
export const UPDATE_ENVELOPE_MARGIN_BYTES = 512;

/**
 * How long a removableAttributes JSON may be so that the request stays under the payload quota:
 * the blob travels base64-encoded in the JSON body (restJson1 blobs,
 * https://smithy.io/2.0/aws/protocols/aws-restjson1-protocol.html), 4 bytes per 3, inside an envelope.
 */
export function removableJsonBudget(payloadQuotaBytes: number): number {
  return Math.floor(((payloadQuotaBytes - UPDATE_ENVELOPE_MARGIN_BYTES) / 4) * 3);
}

/** Image frames the copy would move, to check the per-copy frame quota before calling the service. */
export function countFrames(resolved: InstancesBySeries, source: SeriesSource): number {
  let frames = 0;
  for (const [seriesUid, instances] of Object.entries(resolved)) {
    const series = own(source.Study.Series, seriesUid);
    if (series === undefined) throw new Error(`series ${JSON.stringify(seriesUid)} is not in the source image set`);
    for (const instanceUid of instances) {
      const instance = own(series.Instances ?? {}, instanceUid);
      if (instance === undefined) {
        throw new Error(`instance ${JSON.stringify(instanceUid)} is not in series ${JSON.stringify(seriesUid)} of the source image set`);
      }
      frames += instance.ImageFrames?.length ?? 0; // non-image instances (e.g. SR) carry no frames
    }
  }
  return frames;
}

// ---- shared ----

/** `{"<Series>":{"Instances":{"<SOP>":{}}}}`, after refusing anything that is not a clean selection. */
function seriesSkeleton(resolved: InstancesBySeries): Record<string, { Instances: Record<string, Record<string, never>> }> {
  const entries = Object.entries(resolved);
  if (entries.length === 0) throw new Error("no instances selected: a copy or removal needs at least one series");
  const skeleton: Record<string, { Instances: Record<string, Record<string, never>> }> = {};
  for (const [seriesUid, instances] of entries) {
    assertSeriesKey(seriesUid);
    assertInstanceList(seriesUid, instances);
    const map: Record<string, Record<string, never>> = {};
    for (const instanceUid of instances) map[instanceUid] = {};
    skeleton[seriesUid] = { Instances: map };
  }
  return skeleton;
}

function assertSeriesKey(seriesUid: string): void {
  const problem = isUnknown(seriesUid) ? "must be known (got the preview's unknown value)" : seriesKeyProblem(seriesUid);
  if (problem !== undefined) throw new Error(`Series key ${problem}`);
}

function assertInstanceList(seriesUid: string, instances: unknown): asserts instances is string[] {
  const where = `series ${JSON.stringify(seriesUid)}`;
  if (!Array.isArray(instances) || instances.length === 0) throw new Error(`${where}: must list at least one SOP Instance UID`);
  const seen = new Set<string>();
  for (const instanceUid of instances) {
    if (typeof instanceUid !== "string") throw new Error(`${where}: SOP Instance UIDs must be strings`);
    const problem = isUnknown(instanceUid) ? "must be known (got the preview's unknown value)" : uidProblem(instanceUid);
    if (problem !== undefined) throw new Error(`${where}: SOP Instance UID ${problem}`);
    if (seen.has(instanceUid)) throw new Error(`${where}: SOP Instance UID ${JSON.stringify(instanceUid)} is listed twice`);
    seen.add(instanceUid);
  }
}

/** An own property only: keys like "constructor" must not find Object.prototype members. */
function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
