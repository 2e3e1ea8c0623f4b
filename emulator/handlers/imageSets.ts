import { createHash } from "node:crypto";
import { conflict, notFound, validation } from "../errors";
import { copyImageSet } from "../model/copy";
import { deleteImageSet } from "../model/deleteImageSet";
import { matcher, parseFilters, searchCandidates, SearchSort, sorter } from "../model/search";
import { updateImageSetMetadata } from "../model/update";
import { maxResults, oneOf, optionalObject, paginate, queryBoolean, requireObject, requirePattern, requireString } from "../validate";
import { RequestContext, compact, jsonBody, queryValue, seconds } from "./context";
import { getImageSetResponse, imageSetProperties, versionItem } from "./render";

function ids(ctx: RequestContext, imageSetParam = "imageSetId") {
  return {
    datastoreId: requirePattern(ctx.params.datastoreId, "datastoreId", "id32"),
    imageSetId: requirePattern(ctx.params[imageSetParam], imageSetParam, "id32"),
  };
}

function versionQuery(ctx: RequestContext): string | undefined {
  const v = queryValue(ctx, "version");
  return v === undefined ? undefined : requirePattern(v, "versionId", "versionId");
}

export function handleGetImageSet(ctx: RequestContext) {
  const { datastoreId, imageSetId } = ids(ctx);
  const set = ctx.svc.imageSet(datastoreId, imageSetId);
  return { json: getImageSetResponse(set, ctx.svc.version(set, versionQuery(ctx))) };
}

export function handleGetImageSetMetadata(ctx: RequestContext) {
  const { datastoreId, imageSetId } = ids(ctx);
  const set = ctx.svc.imageSet(datastoreId, imageSetId, true);
  const version = ctx.svc.version(set, versionQuery(ctx));
  if (version.workflowStatus === "COPYING" || version.workflowStatus === "UPDATING" || version.workflowStatus === "UPDATING_FOR_STUDY_CONSISTENCY") {
    throw conflict(`Version ${version.versionId} of image set ${imageSetId} is still ${version.workflowStatus}.`);
  }
  return {
    body: ctx.svc.store.readDocumentGzip(imageSetId, version.docVersionId),
    headers: { "Content-Type": "application/json", "Content-Encoding": "gzip" },
  };
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
  const frameId = requirePattern(jsonBody(ctx).imageFrameId, "imageFrameInformation.imageFrameId", "id32");
  const set = ctx.svc.imageSet(datastoreId, imageSetId, true);
  const doc = ctx.svc.store.readDocument(imageSetId, ctx.svc.version(set).docVersionId);
  for (const series of Object.values(doc.Study.Series)) {
    for (const instance of Object.values(series.Instances)) {
      if (!instance.ImageFrames.some((f) => f.ID === frameId)) continue;
      const bytes = ctx.svc.store.readFrame(frameId);
      if (!bytes) break;
      return { body: bytes, headers: { "Content-Type": FRAME_CONTENT_TYPES[instance.StoredTransferSyntaxUID] ?? "image/jph" } };
    }
  }
  throw notFound(`Image frame ${frameId} does not exist in image set ${imageSetId}.`);
}

export function handleListImageSetVersions(ctx: RequestContext) {
  const { datastoreId, imageSetId } = ids(ctx);
  const set = ctx.svc.imageSet(datastoreId, imageSetId);
  const newestFirst = [...set.versions].reverse();
  const { page, nextToken } = paginate(newestFirst, maxResults(queryValue(ctx, "maxResults")), queryValue(ctx, "nextToken"), `versions:${imageSetId}`);
  return { json: compact({ imageSetPropertiesList: page.map((v) => versionItem(set, v)), nextToken }) };
}

export function handleCopyImageSet(ctx: RequestContext) {
  const { datastoreId, imageSetId } = ids(ctx, "sourceImageSetId");
  const body = jsonBody(ctx);
  const source = requireObject(body.sourceImageSet, "copyImageSetInformation.sourceImageSet");
  const copies = optionalObject(source.DICOMCopies, "copyImageSetInformation.sourceImageSet.DICOMCopies");
  let copiableAttributes: string | undefined;
  if (copies) {
    copiableAttributes = requireString(copies.copiableAttributes, "copyImageSetInformation.sourceImageSet.DICOMCopies.copiableAttributes");
    if (copiableAttributes.length < 1 || copiableAttributes.length > 260000) throw validation("Value at 'copiableAttributes' failed to satisfy constraint: Member must have length between 1 and 260000");
  }
  const destinationBody = optionalObject(body.destinationImageSet, "copyImageSetInformation.destinationImageSet");
  const destination = destinationBody && {
    imageSetId: requirePattern(destinationBody.imageSetId, "copyImageSetInformation.destinationImageSet.imageSetId", "id32"),
    latestVersionId: requirePattern(destinationBody.latestVersionId, "copyImageSetInformation.destinationImageSet.latestVersionId", "versionId"),
  };
  const result = copyImageSet(ctx.svc, {
    datastoreId,
    sourceImageSetId: imageSetId,
    sourceLatestVersionId: requirePattern(source.latestVersionId, "copyImageSetInformation.sourceImageSet.latestVersionId", "versionId"),
    copiableAttributes,
    destination,
    force: queryBoolean(queryValue(ctx, "force"), "force"),
    promoteToPrimary: queryBoolean(queryValue(ctx, "promoteToPrimary"), "promoteToPrimary"),
  });
  return {
    json: {
      datastoreId,
      sourceImageSetProperties: imageSetProperties(result.source),
      destinationImageSetProperties: imageSetProperties(result.destination),
    },
  };
}

function blob(value: unknown, member: string): Buffer | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) throw validation(`Value at '${member}' must be base64 encoded.`);
  const bytes = Buffer.from(value, "base64");
  if (bytes.length < 1 || bytes.length > 30000) throw validation(`Value at '${member}' failed to satisfy constraint: Member must have length between 1 and 30000`);
  return bytes;
}

export function handleUpdateImageSetMetadata(ctx: RequestContext) {
  const { datastoreId, imageSetId } = ids(ctx);
  const latestVersionId = requirePattern(queryValue(ctx, "latestVersion"), "latestVersionId", "versionId");
  const body = jsonBody(ctx);
  const updates = optionalObject(body.DICOMUpdates, "updateImageSetMetadataUpdates.DICOMUpdates");
  if (updates && updates.updatableAttributes === undefined && updates.removableAttributes === undefined) {
    throw validation("updateImageSetMetadataUpdates.DICOMUpdates must contain updatableAttributes or removableAttributes.");
  }
  const revert = body.revertToVersionId === undefined ? undefined : requirePattern(body.revertToVersionId, "updateImageSetMetadataUpdates.revertToVersionId", "versionId");
  const set = updateImageSetMetadata(ctx.svc, {
    datastoreId,
    imageSetId,
    latestVersionId,
    force: queryBoolean(queryValue(ctx, "force"), "force"),
    updatable: blob(updates?.updatableAttributes, "updatableAttributes"),
    removable: blob(updates?.removableAttributes, "removableAttributes"),
    revertToVersionId: revert,
    includeStudyImageSets: queryBoolean(queryValue(ctx, "includeStudyImageSets"), "includeStudyImageSets"),
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
  const datastoreId = requirePattern(ctx.params.datastoreId, "datastoreId", "id32");
  ctx.svc.datastore(datastoreId);
  const criteria = jsonBody(ctx);
  const sortBody = optionalObject(criteria.sort, "searchCriteria.sort");
  const sort: SearchSort = sortBody
    ? {
        sortField: oneOf(sortBody.sortField, "searchCriteria.sort.sortField", ["updatedAt", "createdAt", "DICOMStudyDateAndTime"]),
        sortOrder: oneOf(sortBody.sortOrder, "searchCriteria.sort.sortOrder", ["ASC", "DESC"]),
      }
    : { sortField: "updatedAt", sortOrder: "DESC" };
  const matches = matcher(parseFilters(criteria.filters));
  const max = maxResults(queryValue(ctx, "maxResults"));
  const found = searchCandidates(ctx.svc, datastoreId).filter(matches).sort(sorter(sort));
  // the token is bound to these exact criteria (a digest of the whole body, not a prefix of it)
  const criteriaDigest = createHash("sha256").update(ctx.body).digest("base64url").slice(0, 22);
  const { page, nextToken } = paginate(found, max, queryValue(ctx, "nextToken"), `search:${datastoreId}:${criteriaDigest}`);
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
