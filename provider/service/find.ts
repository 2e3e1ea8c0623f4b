// Reads: image sets, their versions, metadata documents and tags. Not-found becomes undefined,
// the way terraform-provider-aws's find* functions return NotFound for the caller to decide.

import type { GetImageSetCommandOutput, ImageSetProperties, ImageSetsMetadataSummary, MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { gunzipSync } from "node:zlib";
import type { ImageSetMetadata } from "../subset/metadataDocument";
import { sdk } from "./client";
import { isNotFound } from "./errors";

export type ImageSet = GetImageSetCommandOutput;

export async function findImageSet(client: MedicalImagingClient, datastoreId: string, imageSetId: string, versionId?: string): Promise<ImageSet | undefined> {
  try {
    const out = await client.send(new (sdk().GetImageSetCommand)({ datastoreId, imageSetId, versionId }));
    return out.imageSetState === "DELETED" ? undefined : out;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export async function findMetadata(client: MedicalImagingClient, datastoreId: string, imageSetId: string, versionId?: string): Promise<ImageSetMetadata> {
  const out = await client.send(new (sdk().GetImageSetMetadataCommand)({ datastoreId, imageSetId, versionId }));
  const bytes = Buffer.from(await out.imageSetMetadataBlob!.transformToByteArray());
  // The Node client hands back the gzip bytes as stored (https://docs.aws.amazon.com/healthimaging/latest/devguide/get-image-set-metadata.html).
  const text = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes).toString("utf8") : bytes.toString("utf8");
  return JSON.parse(text) as ImageSetMetadata;
}

/** Every version of an image set, oldest first. */
export async function listVersions(client: MedicalImagingClient, datastoreId: string, imageSetId: string): Promise<ImageSetProperties[]> {
  const all: ImageSetProperties[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(new (sdk().ListImageSetVersionsCommand)({ datastoreId, imageSetId, nextToken, maxResults: 50 }));
    all.push(...(page.imageSetPropertiesList ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return all.sort((a, b) => Number(a.versionId) - Number(b.versionId));
}

export async function listTags(client: MedicalImagingClient, arn: string): Promise<Record<string, string>> {
  const out = await client.send(new (sdk().ListTagsForResourceCommand)({ resourceArn: arn }));
  return out.tags ?? {};
}

/**
 * Every image set of the data store with this SeriesInstanceUID, all pages. One filter on the wire:
 * AWS's guide says SearchImageSets "accepts a single search query parameter"
 * (https://docs.aws.amazon.com/healthimaging/latest/devguide/search-image-sets.html) while the model
 * allows two (SearchCriteria.filters); one works under both readings, the rest is the caller's.
 */
export async function* imageSetsOfSeries(
  client: MedicalImagingClient,
  datastoreId: string,
  seriesInstanceUid: string,
): AsyncGenerator<ImageSetsMetadataSummary> {
  const pages = sdk().paginateSearchImageSets(
    { client, pageSize: 50, stopOnSameToken: true },
    { datastoreId, searchCriteria: { filters: [{ operator: "EQUAL", values: [{ DICOMSeriesInstanceUID: seriesInstanceUid }] }] } },
  );
  for await (const page of pages) yield* page.imageSetsMetadataSummaries ?? [];
}
