import { createHash } from "node:crypto";
import { conflict, notFound, validation } from "../errors";
import { copyImageSet } from "../model/copy";
import { deleteImageSet } from "../model/deleteImageSet";
import { matcher, parseFilters, type SearchSort, seriesFilter, sorter } from "../model/search";
import { searchIndex } from "../model/searchIndex";
import { updateImageSetMetadata } from "../model/update";
import { paginate } from "../validate";
import { type RequestContext, compact, flag, obj, optInt, optStr, seconds, str as member } from "./context";
import type { ImageSetRecord } from "../model/records";
import { accessProperties, getImageSetResponse, imageSetProperties, versionItem } from "./render";

function ids(ctx: RequestContext, imageSetMember = "imageSetId") {
  return { datastoreId: member(ctx, "datastoreId"), imageSetId: member(ctx, imageSetMember) };
}

const versionQuery = (ctx: RequestContext) => optStr(ctx, "versionId");

/**
 * A read of the image set's data (GetImageSetMetadata, GetImageFrame) is a touch: the set is in
 * Frequent Access again (model/tiers.ts, documented). GetImageSet and searches are not.
 */
function accessed(ctx: RequestContext, set: ImageSetRecord): void {
  ctx.svc.touch(set);
}

export function handleGetImageSet(ctx: RequestContext) {
  const { datastoreId, imageSetId } = ids(ctx);
  const set = ctx.svc.imageSet(datastoreId, imageSetId);
  return { json: getImageSetResponse(ctx.svc, set, ctx.svc.version(set, versionQuery(ctx))) };
}

export function handleGetImageSetMetadata(ctx: RequestContext) {
  const { datastoreId, imageSetId } = ids(ctx);
  const set = ctx.svc.imageSet(datastoreId, imageSetId, true);
  const version = ctx.svc.version(set, versionQuery(ctx));
  if (version.workflowStatus === "COPYING" || version.workflowStatus === "UPDATING" || version.workflowStatus === "UPDATING_FOR_STUDY_CONSISTENCY") {
    throw conflict(`Version ${version.versionId} of image set ${imageSetId} is still ${version.workflowStatus}.`);
  }
  const body = ctx.svc.store.readDocumentGzip(imageSetId, version.docVersionId);
  accessed(ctx, set);
  return { body, headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" } };
}

const FRAME_CONTENT_TYPES: Record<string, string> = {
  "1.2.840.10008.1.2": "application/octet-stream",
  "1.2.840.10008.1.2.1": "application/octet-stream",
  "1.2.840.10008.1.2.2": "application/octet-stream",
  "1.2.840.10008.1.2.1.99": "application/octet-stream",
  "1.2.840.10008.1.2.4.50": "image/jpeg",
  "1.2.840.10008.1.2.4.91": "image/j2c",
  "1.2.840.10008.1.2.4.90": "image/j2c",
  "1.2.840.10008.1.2.4.100": "video/mpeg",
  "1.2.840.10008.1.2.4.102": "video/mp4",
  "1.2.840.10008.1.2.4.103": "video/mp4",
  "1.2.840.10008.1.2.4.107": "video/H256",
  "1.2.840.10008.1.2.4.203": "image/jphc",
  "1.2.840.10008.1.2.4.112": "image/jxl",
};

export function handleGetImageFrame(ctx: RequestContext) {
  const { datastoreId, imageSetId } = ids(ctx);
  const frameId = obj(ctx, "imageFrameInformation")!.imageFrameId as string;
  const set = ctx.svc.imageSet(datastoreId, imageSetId, true);
  const doc = ctx.svc.store.readDocument(imageSetId, ctx.svc.version(set).docVersionId);
  for (const series of Object.values(doc.Study.Series)) {
    for (const instance of Object.values(series.Instances)) {
      if (!instance.ImageFrames.some((f) => f.ID === frameId)) continue;
      const bytes = ctx.svc.store.readFrame(frameId);
      if (!bytes) break;
      accessed(ctx, set);
      return { body: bytes, headers: { "Content-Type": FRAME_CONTENT_TYPES[instance.StoredTransferSyntaxUID] ?? "image/jph" } };
    }
  }
  throw notFound(`Image frame ${frameId} does not exist in image set ${imageSetId}.`);
}

export function handleListImageSetVersions(ctx: RequestContext) {
  const { datastoreId, imageSetId } = ids(ctx);
  const set = ctx.svc.imageSet(datastoreId, imageSetId);
  const newestFirst = [...set.versions].reverse();
  const { page, nextToken } = paginate(newestFirst, optInt(ctx, "maxResults"), optStr(ctx, "nextToken"), `versions:${imageSetId}`);
  return { json: compact({ imageSetPropertiesList: page.map((v) => versionItem(set, v)), nextToken }) };
}

export function handleCopyImageSet(ctx: RequestContext) {
  const { datastoreId, imageSetId } = ids(ctx, "sourceImageSetId");
  const info = obj(ctx, "copyImageSetInformation")!;
  const source = info.sourceImageSet as { latestVersionId: string; DICOMCopies?: { copiableAttributes: string } };
  const destination = info.destinationImageSet as { imageSetId: string; latestVersionId: string } | undefined;
  const result = copyImageSet(ctx.svc, {
    datastoreId,
    sourceImageSetId: imageSetId,
    sourceLatestVersionId: source.latestVersionId,
    copiableAttributes: source.DICOMCopies?.copiableAttributes,
    destination: destination && { imageSetId: destination.imageSetId, latestVersionId: destination.latestVersionId },
    force: flag(ctx, "force"),
    promoteToPrimary: flag(ctx, "promoteToPrimary"),
  });
  return {
    json: {
      datastoreId,
      sourceImageSetProperties: imageSetProperties(result.source),
      destinationImageSetProperties: imageSetProperties(result.destination),
    },
  };
}

/** A blob member, base64 on the wire (its encoding and size are checked by the validator). */
const blob = (value: unknown): Buffer | undefined => (typeof value === "string" ? Buffer.from(value, "base64") : undefined);

export function handleUpdateImageSetMetadata(ctx: RequestContext) {
  const { datastoreId, imageSetId } = ids(ctx);
  const body = obj(ctx, "updateImageSetMetadataUpdates")!;
  const updates = body.DICOMUpdates as Record<string, unknown> | undefined;
  if (updates && updates.updatableAttributes == null && updates.removableAttributes == null) {
    throw validation("updateImageSetMetadataUpdates.DICOMUpdates must contain updatableAttributes or removableAttributes.");
  }
  const set = updateImageSetMetadata(ctx.svc, {
    datastoreId,
    imageSetId,
    latestVersionId: member(ctx, "latestVersionId"),
    force: flag(ctx, "force"),
    updatable: blob(updates?.updatableAttributes),
    removable: blob(updates?.removableAttributes),
    revertToVersionId: body.revertToVersionId as string | undefined,
    includeStudyImageSets: flag(ctx, "includeStudyImageSets"),
  });
  return {
    json: compact({
      datastoreId,
      imageSetId,
      latestVersionId: set.latestVersionId,
      imageSetState: set.state,
      imageSetWorkflowStatus: set.workflowStatus,
      createdAt: seconds(set.createdAt),
      updatedAt: seconds(set.updatedAt),
    }),
  };
}

export function handleDeleteImageSet(ctx: RequestContext) {
  const { datastoreId, imageSetId } = ids(ctx);
  const set = deleteImageSet(ctx.svc, datastoreId, imageSetId);
  return { json: { datastoreId, imageSetId, imageSetState: set.state, imageSetWorkflowStatus: set.workflowStatus } };
}

const str = (v: unknown) => (v === null || v === undefined ? undefined : String(v).trim());
const int = (v: unknown) => (v === null || v === undefined || v === "" || Number.isNaN(Number(v)) ? undefined : Math.trunc(Number(v)));

export function handleSearchImageSets(ctx: RequestContext) {
  const datastoreId = member(ctx, "datastoreId");
  ctx.svc.datastore(datastoreId);
  const criteria = obj(ctx, "searchCriteria") ?? {};
  const sortBody = criteria.sort as SearchSort | undefined;
  const sort: SearchSort = sortBody ? { sortField: sortBody.sortField, sortOrder: sortBody.sortOrder } : { sortField: "updatedAt", sortOrder: "DESC" };
  const filters = parseFilters(criteria.filters);
  const matches = matcher(filters);
  const max = optInt(ctx, "maxResults");
  // the token is bound to these exact criteria (a digest of the whole body, not a prefix of it)
  const criteriaDigest = createHash("sha256").update(ctx.body).digest("base64url").slice(0, 22);
  const index = searchIndex(ctx.svc);
  const found = index.sortedMatches(`${datastoreId}:${criteriaDigest}`, () =>
    index.candidates(datastoreId, seriesFilter(filters)).filter(matches).sort(sorter(sort)),
  );
  const { page, nextToken } = paginate(found, max, optStr(ctx, "nextToken"), `search:${datastoreId}:${criteriaDigest}`);
  return {
    json: compact({
      imageSetsMetadataSummaries: page.map(({ set, doc }) => {
        const study = doc.Study.DICOM;
        const series = Object.values(doc.Study.Series);
        const first = series[0]?.DICOM ?? {};
        return compact({
          imageSetId: set.imageSetId,
          version: Number(set.latestVersionId),
          createdAt: seconds(set.createdAt),
          updatedAt: seconds(set.updatedAt),
          ...accessProperties(ctx.svc, set),
          isPrimary: set.isPrimary,
          DICOMTags: compact({
            DICOMPatientId: str(doc.Patient.DICOM.PatientID),
            DICOMPatientName: str(doc.Patient.DICOM.PatientName),
            DICOMPatientBirthDate: str(doc.Patient.DICOM.PatientBirthDate),
            DICOMPatientSex: str(doc.Patient.DICOM.PatientSex),
            DICOMStudyInstanceUID: str(study.StudyInstanceUID),
            DICOMStudyId: str(study.StudyID),
            DICOMStudyDescription: str(study.StudyDescription),
            DICOMNumberOfStudyRelatedSeries: series.length,
            DICOMNumberOfStudyRelatedInstances: series.reduce((n, s) => n + Object.keys(s.Instances).length, 0),
            DICOMAccessionNumber: str(study.AccessionNumber),
            DICOMSeriesInstanceUID: series.length === 1 ? str(first.SeriesInstanceUID) : undefined,
            DICOMSeriesModality: series.length === 1 ? str(first.Modality) : undefined,
            DICOMSeriesBodyPart: series.length === 1 ? str(first.BodyPartExamined) : undefined,
            DICOMSeriesNumber: series.length === 1 ? int(first.SeriesNumber) : undefined,
            DICOMStudyDate: str(study.StudyDate),
            DICOMStudyTime: str(study.StudyTime),
          }),
        });
      }),
      sort: sortBody ? sort : undefined,
      nextToken,
    }),
  };
}
