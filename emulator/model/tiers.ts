// Storage tiers (intelligent tiering). An image set starts in Frequent Access, moves to Archive
// Instant Access after 30 consecutive days without a touch, and back on the next touch
// (https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-storage-tiers.html).
// Touches: StartDICOMImportJob, GetImageSetMetadata, GetImageFrame, CopyImageSet and
// UpdateImageSetMetadata; for a copy "only the replicated image sets are tiered up", and with a
// destination "the destination image set is tiered up": the copy's source is not
// (https://docs.aws.amazon.com/healthimaging/latest/devguide/cost-optimization.html). GetImageSet,
// SearchImageSets, ListImageSetVersions, data store and tagging actions are no touches.
//
// The tier is derived from the last touch and the service's clock when it is asked for, so no
// timer moves anything; tests age image sets by moving the service's clock (Service.advanceClock,
// POST /_emulator/clock) or by a shorter archive delay (EmulatorOptions.archiveAfterMs).

import type { ImageSetRecord } from "./records";

export type StorageTier = "FREQUENT_ACCESS" | "ARCHIVE_INSTANT_ACCESS";

/** 30 consecutive days without a touch (documented). */
export const ARCHIVE_AFTER_MS = 30 * 24 * 3600 * 1000;

/** When the image set was last touched (its creation until then). */
export const lastTouched = (set: ImageSetRecord): number => set.lastAccessedAt ?? set.createdAt;

/** The image set's tier at `now`. */
export function storageTier(set: ImageSetRecord, now: number, archiveAfterMs = ARCHIVE_AFTER_MS): StorageTier {
  return now - lastTouched(set) >= archiveAfterMs ? "ARCHIVE_INSTANT_ACCESS" : "FREQUENT_ACCESS";
}

/**
 * A touch at `now`. Returns whether it moved the image set out of the archive tier: that change
 * is worth saving at once, while a touch of a set already in Frequent Access is saved with the
 * next commit (a read stays cheap).
 */
export function touch(set: ImageSetRecord, now: number, archiveAfterMs = ARCHIVE_AFTER_MS): boolean {
  const wasArchived = storageTier(set, now, archiveAfterMs) === "ARCHIVE_INSTANT_ACCESS";
  set.lastAccessedAt = now;
  return wasArchived;
}
