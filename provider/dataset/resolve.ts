// Program-time reads that turn selections into series: SearchImageSets for the primary image set of
// each series (one per series since 2025,
// https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-image-sets.html), and
// GetImageSetMetadata only where a cohort names SOP instances (to check they exist). Read-only:
// a preview makes no write call. Patient ids are read for the splits and kept in memory only.

import type { ImageSetsMetadataSummary, MedicalImagingClient, SearchImageSetsCommandInput } from "@aws-sdk/client-medical-imaging";
import { sdk } from "../service/client";
import { findMetadata } from "../service/find";
import type { Selection } from "./manifest";

/** A series as the data store holds it, with what the criteria compare. */
export interface FoundSeries {
  seriesInstanceUid: string;
  studyInstanceUid: string;
  /** the primary image set holding the series */
  imageSetId: string;
  versionId: string;
  modality: string;
  studyDate: string;
  studyDescription: string;
  bodyPart: string;
  /** the patient's id, or the study UID where the data has none: for splits, never stored */
  patientKey: string;
}

/** GetImageSetMetadata calls in flight for one criterion (its quota is 50 TPS by default) */
const METADATA_READS_AT_ONCE = 10;

type Filter = NonNullable<NonNullable<SearchImageSetsCommandInput["searchCriteria"]>["filters"]>[number];

/** Reads with memoised queries: cohorts that share criteria search once. */
export class SeriesFinder {
  private readonly searches = new Map<string, Promise<FoundSeries[]>>();
  private readonly metadata = new Map<string, ReturnType<typeof findMetadata>>();
  /** API calls made, by operation (for the bench and the logs; no values) */
  readonly calls: Record<string, number> = {};

  constructor(
    private readonly client: MedicalImagingClient,
    private readonly datastoreId: string,
  ) {}

  private count(op: string) {
    this.calls[op] = (this.calls[op] ?? 0) + 1;
  }

  /** The latest metadata document of an image set (memoised). */
  document(imageSetId: string): ReturnType<typeof findMetadata> {
    let doc = this.metadata.get(imageSetId);
    if (!doc) {
      this.count("GetImageSetMetadata");
      doc = findMetadata(this.client, this.datastoreId, imageSetId);
      this.metadata.set(imageSetId, doc);
    }
    return doc;
  }

  /** Every primary series a selection matches, by series UID order. */
  async find(selection: Selection): Promise<FoundSeries[]> {
    // One filter per SearchImageSets call: the developer guide says the action "accepts a single
    // search query parameter" (https://docs.aws.amazon.com/healthimaging/latest/devguide/search-image-sets.html)
    // while the model's SearchCriteria.filters allows 1-2; one is what both accept. It is the most
    // selective criterion the API filters on (a series UID, else a study UID, else the study-date
    // range, else isPrimary alone); every other criterion, isPrimary included, is compared here on
    // the summaries (searchAll, matches).
    const queries: Filter[] = selection.series
      ? Object.keys(selection.series).map((uid) => ({ operator: "EQUAL", values: [{ DICOMSeriesInstanceUID: uid }] }))
      : selection.studies
        ? selection.studies.map((uid) => ({ operator: "EQUAL", values: [{ DICOMStudyInstanceUID: uid }] }))
        : selection.studyDate
          ? [
              {
                operator: "BETWEEN",
                values: [
                  // an open bound becomes a far date (inferred: the docs give no range; 1900 keeps clear of year 1)
                  { DICOMStudyDateAndTime: { DICOMStudyDate: selection.studyDate.from ?? "19000101" } },
                  { DICOMStudyDateAndTime: { DICOMStudyDate: selection.studyDate.to ?? "99991231", DICOMStudyTime: "235959.999999" } },
                ],
              },
            ]
          : [undefined as unknown as Filter];
    const pages = await Promise.all(queries.map((q) => this.search(q)));
    const seen = new Map<string, FoundSeries>();
    for (const s of pages.flat()) if (matches(s, selection)) seen.set(s.seriesInstanceUid, s);
    const found = [...seen.values()].sort(bySeriesUid);
    return selection.seriesDescription ? this.describedAs(found, selection.seriesDescription) : found;
  }

  /**
   * The series whose SeriesDescription holds `part`. SearchImageSets' DICOMTags have no series
   * description (ImageSetsMetadataSummary in the service model), so each candidate's metadata is
   * read, ten at a time: criteria the search can filter on narrow the candidates first.
   */
  private async describedAs(found: FoundSeries[], part: string): Promise<FoundSeries[]> {
    const keep: FoundSeries[] = [];
    for (let i = 0; i < found.length; i += METADATA_READS_AT_ONCE) {
      const batch = found.slice(i, i + METADATA_READS_AT_ONCE);
      const docs = await Promise.all(batch.map((s) => this.document(s.imageSetId)));
      batch.forEach((s, j) => {
        if (includes(String(docs[j].Study.Series[s.seriesInstanceUid]?.DICOM?.SeriesDescription ?? ""), part)) keep.push(s);
      });
    }
    return keep;
  }

  private search(filter: Filter | undefined): Promise<FoundSeries[]> {
    const key = JSON.stringify(filter ?? null);
    let found = this.searches.get(key);
    if (!found) {
      found = this.searchAll(filter);
      this.searches.set(key, found);
    }
    return found;
  }

  private async searchAll(filter: Filter | undefined): Promise<FoundSeries[]> {
    // exactly one filter (see find): isPrimary only when no criterion narrows the search
    const filters: Filter[] = [filter ?? { operator: "EQUAL", values: [{ isPrimary: true }] }];
    const out: FoundSeries[] = [];
    // pages until the service gives no nextToken (or the same one twice: a bound on a looping service)
    const pages = sdk().paginateSearchImageSets(
      { client: this.client, pageSize: 50, stopOnSameToken: true },
      { datastoreId: this.datastoreId, searchCriteria: { filters } },
    );
    for await (const page of pages) {
      this.count("SearchImageSets");
      for (const summary of page.imageSetsMetadataSummaries ?? []) {
        // isPrimary is compared here: the filter sent is a UID or date one unless nothing else was
        // given. A summary without isPrimary counts as primary, as the search with the isPrimary
        // filter treated it (inferred: ImageSetsMetadataSummary.isPrimary is optional in the model).
        if (summary.isPrimary === false) continue;
        out.push(...(await this.seriesOf(summary)));
      }
    }
    return out;
  }

  /**
   * The series of one summary. A per-series image set names its series in DICOMTags; one without
   * DICOMSeriesInstanceUID (an image set from before per-series imports, holding a whole study,
   * inferred) is read to list its series, each of which becomes a source of its own.
   */
  private async seriesOf(summary: ImageSetsMetadataSummary): Promise<FoundSeries[]> {
    const tags = summary.DICOMTags ?? {};
    const base = {
      imageSetId: summary.imageSetId ?? "",
      versionId: summary.version === undefined ? "" : String(summary.version),
      studyInstanceUid: tags.DICOMStudyInstanceUID ?? "",
      studyDate: tags.DICOMStudyDate ?? "",
      studyDescription: tags.DICOMStudyDescription ?? "",
    };
    if (tags.DICOMSeriesInstanceUID && tags.DICOMPatientId !== undefined)
      return [
        {
          ...base,
          seriesInstanceUid: tags.DICOMSeriesInstanceUID,
          modality: tags.DICOMSeriesModality ?? "",
          bodyPart: tags.DICOMSeriesBodyPart ?? "",
          patientKey: tags.DICOMPatientId || base.studyInstanceUid,
        },
      ];
    const doc = await this.document(base.imageSetId);
    const patientId = String(doc.Patient?.DICOM?.PatientID ?? tags.DICOMPatientId ?? "");
    const study = doc.Study.DICOM;
    const studyInstanceUid = base.studyInstanceUid || String(study.StudyInstanceUID ?? "");
    return Object.entries(doc.Study.Series).map(([uid, s]) => ({
      ...base,
      studyInstanceUid,
      studyDate: base.studyDate || String(study.StudyDate ?? ""),
      studyDescription: base.studyDescription || String(study.StudyDescription ?? ""),
      seriesInstanceUid: uid,
      modality: String(s.DICOM?.Modality ?? "").trim(),
      bodyPart: String(s.DICOM?.BodyPartExamined ?? "").trim(),
      patientKey: patientId || studyInstanceUid,
    }));
  }
}

/** Series in UID order, by code unit (the same on every machine and locale). */
export const bySeriesUid = (a: { seriesInstanceUid: string }, b: { seriesInstanceUid: string }) =>
  a.seriesInstanceUid < b.seriesInstanceUid ? -1 : a.seriesInstanceUid > b.seriesInstanceUid ? 1 : 0;

const includes = (text: string, part: string) => text.toLowerCase().includes(part.trim().toLowerCase());

/** Whether a series meets every criterion of a selection. */
export function matches(s: FoundSeries, sel: Selection): boolean {
  if (sel.series && !(s.seriesInstanceUid in sel.series)) return false;
  if (sel.studies && !sel.studies.includes(s.studyInstanceUid)) return false;
  if (sel.modality && !sel.modality.includes(s.modality.trim())) return false;
  if (sel.studyDate?.from && !(s.studyDate >= sel.studyDate.from)) return false;
  if (sel.studyDate?.to && !(s.studyDate && s.studyDate <= sel.studyDate.to)) return false;
  if (sel.studyDescription && !includes(s.studyDescription, sel.studyDescription)) return false;
  if (sel.bodyPart && s.bodyPart.trim().toLowerCase() !== sel.bodyPart.trim().toLowerCase()) return false;
  return true;
}
