// Read-only lookups a program can call: one image set by id, and image sets by DICOM UIDs (what a
// script made, or the series a dataset draws from). Like Pulumi's invoke functions, each comes as
// a Promise and as an Output. They return ids, UIDs, versions and states only: the search's
// Patient-level tags (name, ID, birth date) are dropped here, so they cannot reach state or logs.

import * as pulumi from "@pulumi/pulumi";
import { type Connection, imagingClient, resolveConnection, sdk } from "../service/client";
import { findImageSet } from "../service/find";
import { explainFailure } from "../service/explain";

/** Where a lookup asks: the data store, and optionally the region and endpoint (else the AWS defaults). */
export interface LookupTarget extends Connection {
  datastoreId: string;
}

/** An image set as {@link getImageSet} sees it: ids, version, state and times; no DICOM values. */
export interface ImageSetInfo {
  datastoreId: string;
  imageSetId: string;
  imageSetArn: string;
  /** the latest version */
  versionId: string;
  imageSetState: string;
  workflowStatus: string;
  isPrimary: boolean;
  createdAt: string;
  updatedAt: string;
}

/** One image set found by {@link findImageSets}: ids, version and the UIDs it was found by. */
export interface ImageSetMatch {
  imageSetId: string;
  versionId: string;
  isPrimary: boolean;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  modality: string;
  createdAt: string;
}

/** The criteria of {@link findImageSets}: at least one UID. */
export interface FindImageSetsArgs extends LookupTarget {
  studyInstanceUid?: string;
  seriesInstanceUid?: string;
  /** only primary image sets (default: both) */
  primaryOnly?: boolean;
  /** stop after this many (default 1,000) */
  limit?: number;
}

const iso = (d: Date | undefined) => (d ? d.toISOString() : "");

/** One image set by id (GetImageSet); rejects naming the id when it does not exist. */
export async function getImageSet(args: LookupTarget & { imageSetId: string; versionId?: string }): Promise<ImageSetInfo> {
  try {
    const set = await findImageSet(imagingClient(resolveConnection(args)), args.datastoreId, args.imageSetId, args.versionId);
    if (!set)
      throw new Error(
        `getImageSet: image set ${args.imageSetId}${args.versionId ? ` version ${args.versionId}` : ""} does not exist in data store ${args.datastoreId}`,
      );
    return {
      datastoreId: args.datastoreId,
      imageSetId: args.imageSetId,
      imageSetArn: set.imageSetArn ?? "",
      versionId: set.versionId ?? "",
      imageSetState: set.imageSetState ?? "",
      workflowStatus: set.imageSetWorkflowStatus ?? "",
      isPrimary: set.isPrimary ?? false,
      createdAt: iso(set.createdAt),
      updatedAt: iso(set.updatedAt),
    };
  } catch (e) {
    throw explainFailure("getImageSet", args, e);
  }
}

/**
 * Image sets by Study and/or Series Instance UID (SearchImageSets, all pages up to `limit`).
 * Exactly one filter goes on the wire: the developer guide says SearchImageSets "accepts a single
 * search query parameter" (https://docs.aws.amazon.com/healthimaging/latest/devguide/search-image-sets.html),
 * the model's SearchCriteria.filters allows 1-2. The series UID is sent when given (the more
 * selective), else the study UID; the other UID and `primaryOnly` are compared on the summaries.
 */
export async function findImageSets(args: FindImageSetsArgs): Promise<ImageSetMatch[]> {
  const { seriesInstanceUid: series, studyInstanceUid: study } = args;
  const filter = series
    ? { operator: "EQUAL" as const, values: [{ DICOMSeriesInstanceUID: series }] }
    : study
      ? { operator: "EQUAL" as const, values: [{ DICOMStudyInstanceUID: study }] }
      : undefined;
  if (!filter) throw new Error("findImageSets: give studyInstanceUid, seriesInstanceUid, or both");
  /** the study UID still to compare, when the series UID is the one sent */
  const studyToCompare = series ? study : undefined;
  const limit = args.limit ?? 1000;
  try {
    const client = imagingClient(resolveConnection(args));
    const out: ImageSetMatch[] = [];
    for await (const page of sdk().paginateSearchImageSets(
      { client, pageSize: 50, stopOnSameToken: true },
      { datastoreId: args.datastoreId, searchCriteria: { filters: [filter] } },
    )) {
      for (const s of page.imageSetsMetadataSummaries ?? []) {
        // a summary without isPrimary counts as primary (inferred: optional in the model's ImageSetsMetadataSummary)
        if (args.primaryOnly && s.isPrimary === false) continue;
        if (studyToCompare && (s.DICOMTags?.DICOMStudyInstanceUID ?? "") !== studyToCompare) continue;
        out.push({
          imageSetId: s.imageSetId ?? "",
          versionId: s.version === undefined ? "" : String(s.version),
          isPrimary: s.isPrimary ?? false,
          studyInstanceUid: s.DICOMTags?.DICOMStudyInstanceUID ?? "",
          seriesInstanceUid: s.DICOMTags?.DICOMSeriesInstanceUID ?? "",
          modality: s.DICOMTags?.DICOMSeriesModality ?? "",
          createdAt: iso(s.createdAt),
        });
      }
      if (out.length >= limit) break;
    }
    return out.slice(0, limit);
  } catch (e) {
    throw explainFailure("findImageSets", args, e);
  }
}

/** {@link getImageSet} with Inputs, for use in a program's dependency graph. */
export function getImageSetOutput(
  args: pulumi.Inputs & { [K in keyof Parameters<typeof getImageSet>[0]]: pulumi.Input<Parameters<typeof getImageSet>[0][K]> },
): pulumi.Output<ImageSetInfo> {
  return pulumi.output(args).apply((a) => getImageSet(a as Parameters<typeof getImageSet>[0]));
}

/** {@link findImageSets} with Inputs, for use in a program's dependency graph. */
export function findImageSetsOutput(
  args: pulumi.Inputs & { [K in keyof FindImageSetsArgs]: pulumi.Input<FindImageSetsArgs[K]> },
): pulumi.Output<ImageSetMatch[]> {
  return pulumi.output(args).apply((a) => findImageSets(a as FindImageSetsArgs));
}
