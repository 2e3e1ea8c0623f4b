// The dataset manifest as an MLCommons Croissant 1.1 description (JSON-LD), the format ML tools
// read (mlcroissant, TFDS's CroissantBuilder, dataset search engines):
// https://docs.mlcommons.org/croissant/docs/croissant-spec-1.1.html
//
// Two record sets, with their records inline (`data`), so the file stands alone:
//   cohorts     the splits, by Croissant's split convention (dataType cr:Split, keyed by name)
//   image_sets  one record per cohort and series: the image set, its version, the series and
//               study UIDs and the instance count, exactly the entries of the JSON manifest,
//               each with its cohort (a reference to cohorts/name)
// Only ids, UIDs, counts and the declaration's own words appear: nothing of a patient.

import type { DatasetManifest } from "./dataset";

/** What Croissant asks of a dataset that the declaration does not say. */
export interface CroissantInfo {
  /** the data's license: an SPDX URL (https://spdx.org/licenses/) or the license's name */
  license: string;
  /** where people find out about the dataset (a web page, a repository) */
  url: string;
  /** default: the hi.Dataset's name */
  name?: string;
  /** default: the cohorts and the data store, in one paragraph */
  description?: string;
  /** the dataset's own version; default "1.0.0" */
  version?: string;
  /** how to cite it (BibTeX or text); default a @misc entry naming the dataset */
  citeAs?: string;
  /** a person or organisation's name */
  creator?: string;
  /** YYYY-MM-DD; default the day the file is written (UTC) */
  datePublished?: string;
}

export const CROISSANT_CONFORMS_TO = "http://mlcommons.org/croissant/1.1";

/**
 * The JSON-LD @context of Croissant 1.1 documents (the spec's, as mlcroissant 1.1 writes it),
 * so tools that compare contexts find nothing unusual.
 */
export const CROISSANT_CONTEXT = {
  "@language": "en",
  "@vocab": "https://schema.org/",
  arrayShape: "cr:arrayShape",
  citeAs: "cr:citeAs",
  column: "cr:column",
  conformsTo: "dct:conformsTo",
  containedIn: "cr:containedIn",
  cr: "http://mlcommons.org/croissant/",
  rai: "http://mlcommons.org/croissant/RAI/",
  data: { "@id": "cr:data", "@type": "@json" },
  dataType: { "@id": "cr:dataType", "@type": "@vocab" },
  dct: "http://purl.org/dc/terms/",
  equivalentProperty: "cr:equivalentProperty",
  examples: { "@id": "cr:examples", "@type": "@json" },
  extract: "cr:extract",
  field: "cr:field",
  fileProperty: "cr:fileProperty",
  fileObject: "cr:fileObject",
  fileSet: "cr:fileSet",
  format: "cr:format",
  includes: "cr:includes",
  isArray: "cr:isArray",
  isLiveDataset: "cr:isLiveDataset",
  jsonPath: "cr:jsonPath",
  key: "cr:key",
  md5: "cr:md5",
  parentField: "cr:parentField",
  path: "cr:path",
  recordSet: "cr:recordSet",
  references: "cr:references",
  regex: "cr:regex",
  repeated: "cr:repeated",
  replace: "cr:replace",
  samplingRate: "cr:samplingRate",
  sc: "https://schema.org/",
  separator: "cr:separator",
  source: "cr:source",
  subField: "cr:subField",
  transform: "cr:transform",
} as const;

/** image_sets fields: Croissant field name -> the manifest entry's member and the schema.org type */
const IMAGE_SET_FIELDS = [
  ["image_set_id", "imageSetId", "sc:Text", "the derived image set (AWS HealthImaging image set id)"],
  ["version_id", "versionId", "sc:Text", "the image set's version holding this cohort's data"],
  ["series_instance_uid", "seriesInstanceUID", "sc:Text", "DICOM SeriesInstanceUID of the series"],
  ["study_instance_uid", "studyInstanceUID", "sc:Text", "DICOM StudyInstanceUID of the series' study"],
  ["instance_count", "instanceCount", "sc:Integer", "SOP instances of the series in the image set"],
] as const;

/** One record of the image_sets record set, as mlcroissant reads it back (field id -> value). */
export type CroissantImageSetRecord = Record<string, string | number>;

const field = (recordSet: string, name: string, dataType: string, description: string, extra: Record<string, unknown> = {}) => ({
  "@type": "cr:Field",
  "@id": `${recordSet}/${name}`,
  name,
  description,
  dataType,
  ...extra,
});

/** The records of image_sets, in the manifest's order (cohorts in declaration order, series by UID). */
export function croissantImageSetRecords(manifest: DatasetManifest): CroissantImageSetRecord[] {
  return Object.entries(manifest.cohorts).flatMap(([cohort, entries]) =>
    entries.map((e) => ({
      "image_sets/cohort": cohort,
      "image_sets/datastore_id": manifest.datastoreId,
      ...Object.fromEntries(IMAGE_SET_FIELDS.map(([name, member]) => [`image_sets/${name}`, e[member]])),
    })),
  );
}

/** The default description: what the dataset holds and where, from the declaration's words only. */
function describe(name: string, manifest: DatasetManifest, cohortDescriptions: Record<string, string | undefined>): string {
  const cohorts = Object.entries(manifest.cohorts).map(([c, list]) => {
    const words = cohortDescriptions[c];
    return `${c} (${list.length} series${words ? `: ${words}` : ""})`;
  });
  return `${name}: DICOM series curated into cohorts in AWS HealthImaging data store ${manifest.datastoreId}, one image set per cohort and series. Cohorts: ${cohorts.join("; ")}.`;
}

/** The Croissant 1.1 JSON-LD document of a dataset manifest. */
export function croissantOf(
  datasetName: string,
  manifest: DatasetManifest,
  info: CroissantInfo,
  opts: { cohortDescriptions?: Record<string, string | undefined>; now?: Date } = {},
): Record<string, unknown> {
  const descriptions = opts.cohortDescriptions ?? {};
  const name = info.name ?? datasetName;
  const cohorts = Object.keys(manifest.cohorts);
  return {
    "@context": CROISSANT_CONTEXT,
    "@type": "sc:Dataset",
    conformsTo: CROISSANT_CONFORMS_TO,
    name,
    description: info.description ?? describe(name, manifest, descriptions),
    license: info.license,
    url: info.url,
    version: info.version ?? "1.0.0",
    datePublished: info.datePublished ?? (opts.now ?? new Date()).toISOString().slice(0, 10),
    citeAs: info.citeAs ?? `@misc{${name.replace(/[^A-Za-z0-9_-]/g, "_")}, title = {${name}}, note = {AWS HealthImaging data store ${manifest.datastoreId}}}`,
    ...(info.creator ? { creator: { "@type": "sc:Organization", name: info.creator } } : {}),
    keywords: ["DICOM", "medical imaging", "AWS HealthImaging"],
    recordSet: [
      {
        "@type": "cr:RecordSet",
        "@id": "cohorts",
        name: "cohorts",
        description: "The dataset's cohorts (its splits): every image set record names one.",
        dataType: "cr:Split",
        key: { "@id": "cohorts/name" },
        field: [
          field("cohorts", "name", "sc:Text", "the cohort's name in the dataset declaration"),
          field("cohorts", "description", "sc:Text", "the cohort's description in the declaration (empty when it has none)"),
          field("cohorts", "series_count", "sc:Integer", "series (image set records) in the cohort"),
        ],
        data: cohorts.map((c) => ({
          "cohorts/name": c,
          "cohorts/description": descriptions[c] ?? "",
          "cohorts/series_count": manifest.cohorts[c].length,
        })),
      },
      {
        "@type": "cr:RecordSet",
        "@id": "image_sets",
        name: "image_sets",
        description: "One record per cohort and DICOM series: the image set holding it and the version to read (GetImageSetMetadata, GetImageFrame).",
        key: [{ "@id": "image_sets/cohort" }, { "@id": "image_sets/series_instance_uid" }],
        field: [
          field("image_sets", "cohort", "sc:Text", "the cohort (split) of the series", { references: { field: { "@id": "cohorts/name" } } }),
          field("image_sets", "datastore_id", "sc:Text", "the AWS HealthImaging data store holding the image set"),
          ...IMAGE_SET_FIELDS.map(([n, , type, description]) => field("image_sets", n, type, description)),
        ],
        data: croissantImageSetRecords(manifest),
      },
    ],
  };
}

/** Why the Croissant settings are unusable (messages for DatasetError), or [] when they are fine. */
export function croissantInfoProblems(info: unknown, where: string): string[] {
  if (typeof info !== "object" || info === null)
    return [`${where}: croissant: croissantFile needs croissant: { license, url } (the data's license and where to read about the dataset)`];
  const problems: string[] = [];
  const i = info as Record<string, unknown>;
  for (const k of ["license", "url"] as const)
    if (typeof i[k] !== "string" || !(i[k] as string).trim())
      problems.push(`${where}: croissant.${k}: required text (Croissant's required ${k}), not ${JSON.stringify(i[k])}`);
  if (typeof i.url === "string" && i.url.trim() && !/^https?:\/\/\S+$/.test(i.url))
    problems.push(`${where}: croissant.url: must be an http(s) URL, not ${JSON.stringify(i.url)}`);
  if (i.datePublished !== undefined && !(typeof i.datePublished === "string" && /^\d{4}-\d{2}-\d{2}$/.test(i.datePublished)))
    problems.push(`${where}: croissant.datePublished: must be YYYY-MM-DD, not ${JSON.stringify(i.datePublished)}`);
  for (const k of ["name", "description", "version", "citeAs", "creator"] as const)
    if (i[k] !== undefined && (typeof i[k] !== "string" || !(i[k] as string).trim()))
      problems.push(`${where}: croissant.${k}: must be non-empty text, not ${JSON.stringify(i[k])}`);
  return problems;
}
