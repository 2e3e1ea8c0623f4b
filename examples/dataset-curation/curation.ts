// Dataset curation from a declarative manifest: one DerivedImageSet per cohort.
//
// The manifest (YAML or JSON) names each cohort's source image set by DICOM UID, resolved with
// SearchImageSets when the program runs, and what to copy from it: series (whole, or chosen SOP
// instances) or every series of some modalities (read from the source's metadata). Because the
// manifest holds DICOM UIDs only, the same file works on any data store that imported the same
// studies: the local service or AWS. Editing it and running `pulumi preview` shows exactly which
// cohorts change: a changed selection updates that cohort's image set in place, a changed source
// replaces it, and untouched cohorts stay as they are.
//
//   cohorts:
//     train:
//       description: optional text
//       source: { studyInstanceUid: "1.2.3" }     # or seriesInstanceUid, or imageSetId
//                                                 # (a study: its image set holding the series below)
//       series:                                   # exactly one of series / modality
//         "1.2.3.4": all
//         "1.2.3.5": ["1.2.3.5.1", "1.2.3.5.2"]
//     localizers:
//       source: { seriesInstanceUid: "1.2.3.4" }
//       modality: [MR]
//   disjoint: [train, validation, test]           # optional: no SOP instance in two of these
//
// Quote UIDs in YAML: an unquoted 1.2 is a number.

import { GetImageSetMetadataCommand, MedicalImagingClient, SearchImageSetsCommand, type SearchImageSetsCommandInput } from "@aws-sdk/client-medical-imaging";
import * as pulumi from "@pulumi/pulumi";
import * as yaml from "js-yaml";
import * as fs from "node:fs";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import * as hi from "pulumi-healthimaging";

export type SourceRef = { studyInstanceUid: string } | { seriesInstanceUid: string } | { imageSetId: string };

export interface Cohort {
  name: string;
  description?: string;
  source: SourceRef;
  /** SeriesInstanceUID -> "all" or SOP Instance UIDs */
  series?: Record<string, "all" | string[]>;
  /** every series whose Modality is one of these */
  modality?: string[];
}

export interface Manifest {
  /** the file it was read from, as given (for messages) */
  file: string;
  cohorts: Cohort[];
  disjoint: string[];
}

/** A manifest problem: every message names the file, the cohort and the field. */
export class ManifestError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `the manifest has ${problems.length} problems:\n  ${problems.join("\n  ")}`);
    this.name = "ManifestError";
  }
}

const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
const IMAGE_SET_ID = /^[0-9a-z]{32}$/;
const COHORT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const MODALITY = /^[A-Z0-9_ ]{1,16}$/;
const SOURCE_KEYS = ["studyInstanceUid", "seriesInstanceUid", "imageSetId"] as const;
const COHORT_KEYS = ["description", "source", "series", "modality"];

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : `${JSON.stringify(v)} (${Array.isArray(v) ? "a list" : typeof v})`);

function uidProblem(v: unknown): string | undefined {
  if (typeof v !== "string") return `${show(v)} is not a DICOM UID (UIDs are strings: quote them in YAML)`;
  if (v.length > 64 || !UID.test(v)) return `${show(v)} is not a DICOM UID (digits and dots, at most 64 characters, no leading zeros)`;
  return undefined;
}

/** Check a parsed manifest; throws ManifestError listing every problem. */
export function validateManifest(doc: unknown, file: string): Manifest {
  const problems: string[] = [];
  const at = (where: string, problem: string) => problems.push(`${file}: ${where}: ${problem}`);
  if (!isMapping(doc)) throw new ManifestError([`${file}: the manifest must be a mapping with a "cohorts" mapping, not ${show(doc)}`]);
  for (const key of Object.keys(doc)) if (key !== "cohorts" && key !== "disjoint") at(key, `unknown field (expected "cohorts" and optionally "disjoint")`);
  const cohorts: Cohort[] = [];
  if (!isMapping(doc.cohorts) || Object.keys(doc.cohorts).length === 0) {
    at("cohorts", `must be a non-empty mapping of cohort name to cohort, not ${show(doc.cohorts)}`);
  } else {
    for (const [name, raw] of Object.entries(doc.cohorts)) {
      const where = (field?: string) => `cohort "${name}"${field ? `: ${field}` : ""}`;
      if (!COHORT_NAME.test(name)) at(where(), "the name must be letters, digits, '-' or '_' (at most 63), starting with a letter or digit");
      if (!isMapping(raw)) {
        at(where(), `must be a mapping with source and series or modality, not ${show(raw)}`);
        continue;
      }
      for (const key of Object.keys(raw)) if (!COHORT_KEYS.includes(key)) at(where(key), `unknown field (expected one of ${COHORT_KEYS.join(", ")})`);
      const cohort: Cohort = { name, source: { imageSetId: "" } };
      if (raw.description !== undefined) {
        if (typeof raw.description === "string") cohort.description = raw.description;
        else at(where("description"), `must be a string, not ${show(raw.description)}`);
      }

      const source = raw.source;
      if (!isMapping(source)) {
        at(where("source"), `must be a mapping with one of ${SOURCE_KEYS.join(", ")}, not ${show(source)}`);
      } else {
        const keys = Object.keys(source);
        for (const key of keys)
          if (!(SOURCE_KEYS as readonly string[]).includes(key)) at(where(`source.${key}`), `unknown field (expected one of ${SOURCE_KEYS.join(", ")})`);
        const given = SOURCE_KEYS.filter((k) => source[k] !== undefined);
        if (given.length !== 1) at(where("source"), `give exactly one of ${SOURCE_KEYS.join(", ")} (found ${given.length ? given.join(", ") : "none"})`);
        else if (given[0] === "imageSetId") {
          if (typeof source.imageSetId !== "string" || !IMAGE_SET_ID.test(source.imageSetId))
            at(where("source.imageSetId"), `${show(source.imageSetId)} is not an image set id (32 lowercase letters and digits)`);
          else cohort.source = { imageSetId: source.imageSetId };
        } else {
          const problem = uidProblem(source[given[0]]);
          if (problem) at(where(`source.${given[0]}`), problem);
          else
            cohort.source =
              given[0] === "studyInstanceUid"
                ? { studyInstanceUid: source.studyInstanceUid as string }
                : { seriesInstanceUid: source.seriesInstanceUid as string };
        }
      }

      if ((raw.series === undefined) === (raw.modality === undefined)) at(where(), 'give exactly one of "series" (by UID) or "modality"');
      if (raw.series !== undefined) {
        if (!isMapping(raw.series) || Object.keys(raw.series).length === 0) {
          at(where("series"), `must be a non-empty mapping of SeriesInstanceUID to "all" or a list of SOP Instance UIDs, not ${show(raw.series)}`);
        } else {
          cohort.series = {};
          for (const [seriesUid, selection] of Object.entries(raw.series)) {
            const field = `series["${seriesUid}"]`;
            const problem = uidProblem(seriesUid);
            if (problem) at(where(field), `the key ${problem}`);
            if (selection === "all") {
              cohort.series[seriesUid] = "all";
            } else if (Array.isArray(selection) && selection.length > 0) {
              const seen = new Set<string>();
              selection.forEach((uid, i) => {
                const p = uidProblem(uid);
                if (p) at(where(`${field}[${i}]`), p);
                else if (seen.has(uid as string)) at(where(`${field}[${i}]`), `${show(uid)} is listed twice`);
                seen.add(uid as string);
              });
              cohort.series[seriesUid] = selection as string[];
            } else {
              at(where(field), `must be "all" or a non-empty list of SOP Instance UIDs, not ${show(selection)}`);
            }
          }
        }
      }
      if (raw.modality !== undefined) {
        const list = typeof raw.modality === "string" ? [raw.modality] : raw.modality;
        if (!Array.isArray(list) || list.length === 0 || !list.every((m) => typeof m === "string" && MODALITY.test(m))) {
          at(where("modality"), `must be a DICOM modality code such as CT or MR, or a non-empty list of them, not ${show(raw.modality)}`);
        } else {
          cohort.modality = list as string[];
        }
      }
      cohorts.push(cohort);
    }
  }

  let disjoint: string[] = [];
  if (doc.disjoint !== undefined) {
    const names = new Set(cohorts.map((c) => c.name));
    if (!Array.isArray(doc.disjoint) || doc.disjoint.length < 2 || !doc.disjoint.every((n) => typeof n === "string")) {
      at("disjoint", `must be a list of at least two cohort names, not ${show(doc.disjoint)}`);
    } else {
      for (const n of doc.disjoint as string[]) if (!names.has(n)) at("disjoint", `"${n}" is not a cohort of this manifest`);
      disjoint = doc.disjoint as string[];
    }
  }
  if (problems.length) throw new ManifestError(problems);
  return { file, cohorts, disjoint };
}

/** Read and check a manifest file (YAML, or JSON, which is YAML too). */
export function loadManifest(file: string): Manifest {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new ManifestError([`${file}: cannot read the manifest: ${(e as Error).message}`]);
  }
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: file });
  } catch (e) {
    throw new ManifestError([`${file}: not valid YAML/JSON: ${(e as Error).message}`]);
  }
  return validateManifest(doc, file);
}

// ---- resolution against the data store (program time, read-only calls) ----------------------

interface SourceDocument {
  Study: { Series: Record<string, { DICOM: Record<string, unknown>; Instances: Record<string, unknown> }> };
}

export interface ResolvedCohort {
  cohort: Cohort;
  sourceImageSetId: string;
  subset: { series: Record<string, "all" | string[]> };
  /** series UID -> SOP Instance UIDs the cohort will hold */
  instances: Record<string, string[]>;
}

/** The SDK client for program-time reads: AWS, or the service at AWS_ENDPOINT_URL_MEDICAL_IMAGING. */
export function imagingClient(region: string | undefined): MedicalImagingClient {
  const endpoint = process.env.AWS_ENDPOINT_URL_MEDICAL_IMAGING;
  // disableHostPrefix: the runtime operations carry a `runtime-` host prefix that a custom endpoint lacks
  return new MedicalImagingClient({ region, ...(endpoint ? { endpoint, disableHostPrefix: true } : {}) });
}

async function findPrimary(
  client: MedicalImagingClient,
  datastoreId: string,
  key: "DICOMStudyInstanceUID" | "DICOMSeriesInstanceUID",
  uid: string,
): Promise<string[]> {
  const ids: string[] = [];
  let nextToken: string | undefined;
  do {
    const input: SearchImageSetsCommandInput = {
      datastoreId,
      nextToken,
      searchCriteria: {
        filters: [
          { operator: "EQUAL", values: [key === "DICOMStudyInstanceUID" ? { DICOMStudyInstanceUID: uid } : { DICOMSeriesInstanceUID: uid }] },
          { operator: "EQUAL", values: [{ isPrimary: true }] },
        ],
      },
    };
    const page = await client.send(new SearchImageSetsCommand(input));
    ids.push(...(page.imageSetsMetadataSummaries ?? []).map((s) => s.imageSetId!));
    nextToken = page.nextToken;
  } while (nextToken);
  return ids;
}

async function metadata(client: MedicalImagingClient, datastoreId: string, imageSetId: string): Promise<SourceDocument> {
  const out = await client.send(new GetImageSetMetadataCommand({ datastoreId, imageSetId }));
  const bytes = Buffer.from(await out.imageSetMetadataBlob!.transformToByteArray());
  const json = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes;
  return JSON.parse(json.toString("utf8")) as SourceDocument;
}

/** The series of a source document that a cohort asks for: those it names, or those of its modality. */
function cohortSeriesIn(doc: SourceDocument, cohort: Cohort): string[] {
  const series = Object.entries(doc.Study.Series);
  if (cohort.series) return series.map(([uid]) => uid).filter((uid) => uid in cohort.series!);
  return series.filter(([, s]) => cohort.modality!.includes(String(s.DICOM.Modality ?? "").trim())).map(([uid]) => uid);
}

/** Find each cohort's source and check its selection against the source's metadata. */
export async function resolveCohorts(manifest: Manifest, client: MedicalImagingClient, datastoreId: string): Promise<ResolvedCohort[]> {
  const problems: string[] = [];
  const docs = new Map<string, Promise<SourceDocument>>();
  const docOf = (imageSetId: string): Promise<SourceDocument> => {
    if (!docs.has(imageSetId)) docs.set(imageSetId, metadata(client, datastoreId, imageSetId));
    return docs.get(imageSetId)!;
  };
  const resolved: ResolvedCohort[] = [];
  for (const cohort of manifest.cohorts) {
    const where = (field: string) => `${manifest.file}: cohort "${cohort.name}": ${field}`;
    let sourceImageSetId: string;
    const ref = cohort.source;
    try {
      if ("imageSetId" in ref) {
        sourceImageSetId = ref.imageSetId;
      } else {
        const [field, key, uid] =
          "studyInstanceUid" in ref
            ? (["source.studyInstanceUid", "DICOMStudyInstanceUID", ref.studyInstanceUid] as const)
            : (["source.seriesInstanceUid", "DICOMSeriesInstanceUID", ref.seriesInstanceUid] as const);
        let found = await findPrimary(client, datastoreId, key, uid);
        // An import makes one primary image set per series, so a study has several: the cohort's
        // source is the one holding its series (or its modality's series).
        if (key === "DICOMStudyInstanceUID" && found.length > 1) {
          const wanted = await Promise.all(found.map(async (id) => (cohortSeriesIn(await docOf(id), cohort).length ? id : undefined)));
          found = wanted.filter((id): id is string => id !== undefined);
        }
        if (found.length !== 1) {
          problems.push(
            `${where(field)}: ${found.length ? `${found.length} primary image sets match (${found.join(", ")}); a cohort copies from one image set (one per series): name it with source.seriesInstanceUid or source.imageSetId` : `no primary image set in data store ${datastoreId} holds ${uid}${key === "DICOMStudyInstanceUID" ? " and the cohort's series" : ""}`}`,
          );
          continue;
        }
        sourceImageSetId = found[0];
      }
      const doc = await docOf(sourceImageSetId);
      const series = doc.Study.Series;
      const instances: Record<string, string[]> = {};
      const subset: Record<string, "all" | string[]> = {};
      if (cohort.series) {
        for (const [seriesUid, selection] of Object.entries(cohort.series)) {
          const field = `series["${seriesUid}"]`;
          if (!series[seriesUid]) {
            problems.push(`${where(field)}: series ${seriesUid} is not in source image set ${sourceImageSetId}`);
            continue;
          }
          const available = Object.keys(series[seriesUid].Instances);
          if (selection !== "all") {
            const missing = selection.filter((uid) => !available.includes(uid));
            if (missing.length) problems.push(`${where(field)}: not in this series of source image set ${sourceImageSetId}: ${missing.join(", ")}`);
          }
          subset[seriesUid] = selection;
          instances[seriesUid] = selection === "all" ? available : selection;
        }
      } else {
        const wanted = cohort.modality!;
        for (const [seriesUid, s] of Object.entries(series)) {
          if (wanted.includes(String(s.DICOM.Modality ?? "").trim())) {
            subset[seriesUid] = "all";
            instances[seriesUid] = Object.keys(s.Instances);
          }
        }
        if (!Object.keys(subset).length)
          problems.push(`${where("modality")}: source image set ${sourceImageSetId} has no series of modality ${wanted.join(" or ")}`);
      }
      resolved.push({ cohort, sourceImageSetId, subset: { series: subset }, instances });
    } catch (e) {
      const err = e as Error;
      problems.push(`${where("source")}: ${err.name}: ${err.message}`);
    }
  }

  // No SOP instance may be in two of the disjoint cohorts (e.g. train/validation/test leakage).
  const owner = new Map<string, string>();
  for (const r of resolved.filter((r) => manifest.disjoint.includes(r.cohort.name))) {
    for (const uid of Object.values(r.instances).flat()) {
      const other = owner.get(uid);
      if (other && other !== r.cohort.name)
        problems.push(`${manifest.file}: cohort "${r.cohort.name}": SOP instance ${uid} is also in cohort "${other}", but "disjoint" lists both`);
      owner.set(uid, r.cohort.name);
    }
  }
  if (problems.length) throw new ManifestError(problems);
  return resolved;
}

export interface CurateOptions {
  /** manifest path, relative to the project folder */
  manifest: string;
  datastoreId: string;
  region?: string;
}

export interface CohortOutputs {
  imageSetId: pulumi.Output<string>;
  sourceImageSetId: string;
  seriesCount: pulumi.Output<number>;
  instanceCount: pulumi.Output<number>;
}

/** Declare one DerivedImageSet per cohort of the manifest; returns the stack outputs per cohort. */
export async function curate(opts: CurateOptions): Promise<Record<string, CohortOutputs>> {
  const manifest = loadManifest(opts.manifest);
  const cohorts = await resolveCohorts(manifest, imagingClient(opts.region), opts.datastoreId);
  const outputs: Record<string, CohortOutputs> = {};
  for (const { cohort, sourceImageSetId, subset } of cohorts) {
    const set = new hi.DerivedImageSet(cohort.name, { datastoreId: opts.datastoreId, sourceImageSetId, subset, region: opts.region });
    outputs[cohort.name] = { imageSetId: set.imageSetId, sourceImageSetId, seriesCount: set.seriesCount, instanceCount: set.instanceCount };
  }
  return outputs;
}

/**
 * curate(), with manifest problems reported as the Pulumi runtime reports a RunError (logged
 * without a stack trace, then exit code 32: "error already reported"), but directly: a rejected
 * async program takes @pulumi/pulumi 3.248 ~15 s of CPU before it exits.
 */
export async function curateOrReport(opts: CurateOptions): Promise<Record<string, CohortOutputs>> {
  try {
    return await curate(opts);
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e;
    await pulumi.log.error(e.message);
    process.exit(32);
  }
}

/** The manifest path from config (default cohorts.yaml), as written: relative paths are from the project folder. */
export function manifestPath(config: pulumi.Config): string {
  const file = config.get("manifest") ?? "cohorts.yaml";
  return path.isAbsolute(file) ? file : path.normalize(file);
}
