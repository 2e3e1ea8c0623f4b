// The shapes of a selection of instances, and the preview's unknown value, which may stand
// anywhere in one while another resource's output is not known yet.

/** A whole series, or the chosen SOP Instance UIDs of it. */
export type SeriesSelection = "all" | string[];

/** Which part of the source to copy, keyed by SeriesInstanceUID. */
export interface Subset {
  series: Record<string, SeriesSelection>;
}

/** SeriesInstanceUID -> SOP Instance UIDs. A resolved subset, and what a copy actually copied. */
export type InstancesBySeries = Record<string, string[]>;

/**
 * The value the engine sends during preview for anything derived from an unknown output,
 * whatever the field's type (https://github.com/pulumi/pulumi/issues/6310).
 */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): value is typeof UNKNOWN {
  return value === UNKNOWN;
}

/** True when the sentinel appears anywhere inside value (object keys included). */
export function containsUnknown(value: unknown): boolean {
  if (isUnknown(value)) return true;
  if (Array.isArray(value)) return value.some(containsUnknown);
  if (typeof value === "object" && value !== null) {
    return Object.entries(value).some(([k, v]) => isUnknown(k) || containsUnknown(v));
  }
  return false;
}
