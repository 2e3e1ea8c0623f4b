// Will the service refuse this merge, and which input allows it? One rule, used by the preview
// (lifecycle/preflight.ts) and right before every CopyImageSet into an existing image set
// (service/copy.ts), so a green preview and the send cannot disagree, and a refused merge is never
// sent (the service would record it as a COPY_FAILED version on the destination).
//
// AWS: `force` "will force the CopyImageSet operation, even if Patient, Study, or Series level
// metadata are mismatched across the sourceImageSet and destinationImageSet"
// (https://docs.aws.amazon.com/healthimaging/latest/APIReference/API_CopyImageSet.html). Which
// attributes it compares is not documented: inferred, every attribute present on either side of a
// level, values compared after trimming trailing padding (what the local service does too).
//
// Our own rule on top: a Patient mismatch files one patient's images under another patient's
// header, so `force` alone does not allow it; only `mergeAcrossPatients: true` does.
// Messages name attributes only, never values.

import type { ImageSetMetadata } from "./metadataDocument";
import type { InstancesBySeries } from "./types";

type Attributes = Record<string, unknown> | undefined;

function normalised(v: unknown): string {
  if (v === undefined || v === null || v === "") return "";
  if (typeof v === "string") return v.replace(/[\s\0]+$/, "");
  if (Array.isArray(v) && v.length === 0) return "";
  return JSON.stringify(v);
}

/** Names of the attributes whose values differ between two attribute maps. */
export function differingAttributes(a: Attributes, b: Attributes): string[] {
  const keys = new Set([...Object.keys(a ?? {}), ...Object.keys(b ?? {})]);
  return [...keys].filter((k) => normalised(a?.[k]) !== normalised(b?.[k])).sort();
}

/** What differs between the source and the destination, level by level (names only). */
export interface LevelDifferences {
  patient: string[];
  study: string[];
  /** per series the copy brings: differing attribute names, or "new" when the destination lacks it */
  series: Record<string, string[] | "new">;
}

export function levelDifferences(source: ImageSetMetadata, destination: ImageSetMetadata, selection: InstancesBySeries): LevelDifferences {
  const series: LevelDifferences["series"] = {};
  for (const uid of Object.keys(selection)) {
    const there = destination.Study.Series[uid];
    if (!there) series[uid] = "new";
    else {
      const names = differingAttributes(source.Study.Series[uid]?.DICOM, there.DICOM);
      if (names.length) series[uid] = names;
    }
  }
  return {
    patient: differingAttributes(source.Patient?.DICOM, destination.Patient?.DICOM),
    study: differingAttributes(source.Study.DICOM, destination.Study.DICOM),
    series,
  };
}

/** What the merge is allowed to override. */
export interface MergePermissions {
  force: boolean;
  mergeAcrossPatients: boolean;
}

/** A refusal: the input that must change, and why (one line, attribute names only). */
export interface MergeRefusal {
  property: "force" | "mergeAcrossPatients";
  reason: string;
}

/**
 * Why this merge must not be sent, or undefined when it may be. `force` on the wire is then
 * `forceToSend`: true when any level differs (the service refuses otherwise), false when none does.
 */
export function mergeRefusal(d: LevelDifferences, allowed: MergePermissions, destinationImageSetId: string): MergeRefusal | undefined {
  if (d.patient.length && !allowed.mergeAcrossPatients) {
    return {
      property: "mergeAcrossPatients",
      reason: `the source's Patient attributes differ from those of the destination image set ${destinationImageSetId} (${d.patient.join(", ")}): the merge would file one patient's images under another patient's header, so it is refused even with \`force\`. Merge into an image set of the same patient; only if this is really meant (e.g. a corrected patient record) set \`mergeAcrossPatients: true\``,
    };
  }
  const study = d.study.length ? [`Study (${d.study.join(", ")})`] : [];
  const series = Object.entries(d.series).map(([uid, names]) => (names === "new" ? `series ${uid} is not in it` : `Series ${uid} (${names.join(", ")})`));
  if ((study.length || series.length) && !allowed.force) {
    return {
      property: "force",
      reason: `the merge into image set ${destinationImageSetId} needs \`force: true\`: ${[...study, ...series].join("; ")} differ from the destination's, and CopyImageSet refuses such a merge without force (with force the destination's attributes are kept)`,
    };
  }
  return undefined;
}

/** Whether the copy must carry `force` for the service to accept it. */
export function forceToSend(d: LevelDifferences): boolean {
  return d.patient.length > 0 || d.study.length > 0 || Object.keys(d.series).length > 0;
}
