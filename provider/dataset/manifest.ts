// The dataset declaration: cohorts of DICOM series, chosen by UID or by criteria, optionally shared
// out by patient in seeded splits. Read from a TypeScript object or a YAML/JSON file and checked
// here, before any request: every problem names the file, the cohort (or split) and the field.
//
//   seed: "2026-11"                     # optional default seed of the splits
//   cohorts:
//     head-ct:
//       description: optional text
//       select:                          # every criterion given must match
//         studies: ["1.2.3"]             # StudyInstanceUID
//         series: ["1.2.3.4"]            # SeriesInstanceUID, or a mapping UID -> all | [SOP UIDs]
//         modality: [CT]                 # a series' Modality
//         studyDate: { from: "19950101", to: "20011231" }   # YYYYMMDD, either bound optional
//         studyDescription: head         # case-insensitive substring
//         seriesDescription: localizer   # case-insensitive substring (read from each candidate's metadata)
//         bodyPart: HEAD                 # BodyPartExamined, case-insensitive
//       imageSets: perSeries             # default; perStudy merges a study's series into one
//     train: {}                          # a cohort may get its series only from a split
//     test: {}
//   splits:
//     mr:
//       select: { modality: [MR] }
//       seed: "v1"                       # optional, else the top-level seed, else "default"
//       ratios: { train: 0.8, test: 0.2 }   # cohort -> share, by patient
//   disjoint: [head-ct, train]           # optional: no patient in two of these cohorts
//
// Quote UIDs and dates in YAML: an unquoted 1.2 is a number.

import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { uidProblem as dicomUidProblem } from "../subset/uids";

/** A whole series, or the chosen SOP Instance UIDs of it. */
export type SeriesChoice = "all" | string[];

/** Which series a cohort or split takes; every criterion given must hold (AND). */
export interface Selection {
  studies?: string[];
  /** SeriesInstanceUIDs, each whole or with chosen SOP Instance UIDs */
  series?: Record<string, SeriesChoice>;
  modality?: string[];
  studyDate?: { from?: string; to?: string };
  studyDescription?: string;
  /** compared with each candidate series' metadata (one GetImageSetMetadata per candidate) */
  seriesDescription?: string;
  bodyPart?: string;
}

/** One cohort: a description, the series it selects (unless a split feeds it), and how many image sets per study. */
export interface CohortSpec {
  description?: string;
  select?: Selection;
  /** perSeries (default): one image set per series; perStudy: a study's series merged into one */
  imageSets?: "perSeries" | "perStudy";
}

/** A split: one selection shared out among cohorts by patient, with a seed and ratios. */
export interface SplitSpec {
  select: Selection;
  seed?: string;
  /** cohort name -> share (any positive numbers; normalised) */
  ratios: Record<string, number>;
}

/** A dataset as a program or a file declares it. */
export interface DatasetSpec {
  seed?: string;
  cohorts: Record<string, CohortSpec>;
  splits?: Record<string, SplitSpec>;
  disjoint?: string[];
}

/**
 * A problem with the dataset declaration: every message names where (file, cohort or split, field).
 * A RunError, so Pulumi reports the message alone, without a stack trace.
 */
export class DatasetError extends pulumi.RunError {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : `the dataset has ${problems.length} problems:\n  ${problems.join("\n  ")}`);
    this.name = "DatasetError";
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;
const MODALITY = /^[A-Z0-9_ ]{1,16}$/;
const DATE = /^\d{8}$/;
const TOP_KEYS = ["seed", "cohorts", "splits", "disjoint"];
const COHORT_KEYS = ["description", "select", "imageSets"];
const SPLIT_KEYS = ["select", "seed", "ratios"];
const SELECT_KEYS = ["studies", "series", "modality", "studyDate", "studyDescription", "seriesDescription", "bodyPart"];

const isMapping = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v) : `${JSON.stringify(v)} (${Array.isArray(v) ? "a list" : typeof v})`);

/** Why v is not a DICOM UID, or undefined when it is one: the provider's own rule, after YAML's typing. */
function uidProblem(v: unknown): string | undefined {
  if (typeof v !== "string") return `${show(v)} is not a DICOM UID (UIDs are strings: quote them in YAML)`;
  return dicomUidProblem(v);
}

type At = (field: string, problem: string) => void;

function unknownKeys(raw: Record<string, unknown>, allowed: string[], at: At, prefix = "") {
  for (const key of Object.keys(raw)) if (!allowed.includes(key)) at(`${prefix}${key}`, `unknown field (expected one of ${allowed.join(", ")})`);
}

function uidList(v: unknown, field: string, at: At): string[] | undefined {
  if (!Array.isArray(v) || v.length === 0) return void at(field, `must be a non-empty list of UIDs, not ${show(v)}`);
  const seen = new Set<string>();
  v.forEach((uid, i) => {
    const p = uidProblem(uid);
    if (p) at(`${field}[${i}]`, p);
    else if (seen.has(uid)) at(`${field}[${i}]`, `${show(uid)} is listed twice`);
    seen.add(uid);
  });
  return v as string[];
}

function checkSelection(raw: unknown, field: string, at: At): Selection | undefined {
  if (!isMapping(raw) || Object.keys(raw).length === 0) return void at(field, `must be a mapping of criteria (${SELECT_KEYS.join(", ")}), not ${show(raw)}`);
  unknownKeys(raw, SELECT_KEYS, at, `${field}.`);
  const out: Selection = {};
  if (raw.studies !== undefined) out.studies = uidList(raw.studies, `${field}.studies`, at);
  if (raw.series !== undefined) {
    if (Array.isArray(raw.series)) {
      const list = uidList(raw.series, `${field}.series`, at);
      if (list) out.series = Object.fromEntries(list.map((u) => [u, "all" as const]));
    } else if (isMapping(raw.series) && Object.keys(raw.series).length) {
      out.series = {};
      for (const [uid, choice] of Object.entries(raw.series)) {
        const where = `${field}.series["${uid}"]`;
        const p = uidProblem(uid);
        if (p) at(where, `the key ${p}`);
        if (choice === "all") out.series[uid] = "all";
        else if (Array.isArray(choice) && choice.length) out.series[uid] = uidList(choice, where, at) ?? [];
        else at(where, `must be "all" or a non-empty list of SOP Instance UIDs, not ${show(choice)}`);
      }
    } else at(`${field}.series`, `must be a list of SeriesInstanceUIDs or a mapping of them to "all" or SOP Instance UIDs, not ${show(raw.series)}`);
  }
  if (raw.modality !== undefined) {
    const list = typeof raw.modality === "string" ? [raw.modality] : raw.modality;
    if (!Array.isArray(list) || list.length === 0 || !list.every((m) => typeof m === "string" && MODALITY.test(m)))
      at(`${field}.modality`, `must be a DICOM modality code such as CT or MR, or a non-empty list of them, not ${show(raw.modality)}`);
    else out.modality = list as string[];
  }
  if (raw.studyDate !== undefined) {
    const d = raw.studyDate;
    if (!isMapping(d) || (d.from === undefined && d.to === undefined)) at(`${field}.studyDate`, `must be a mapping with from and/or to, not ${show(d)}`);
    else {
      unknownKeys(d, ["from", "to"], at, `${field}.studyDate.`);
      for (const k of ["from", "to"] as const)
        if (d[k] !== undefined && (typeof d[k] !== "string" || !DATE.test(d[k] as string)))
          at(`${field}.studyDate.${k}`, `must be a date as YYYYMMDD in quotes, not ${show(d[k])}`);
      if (typeof d.from === "string" && typeof d.to === "string" && d.from > d.to) at(`${field}.studyDate`, `from ${d.from} is after to ${d.to}`);
      out.studyDate = { ...(d.from !== undefined ? { from: String(d.from) } : {}), ...(d.to !== undefined ? { to: String(d.to) } : {}) };
    }
  }
  for (const k of ["studyDescription", "seriesDescription", "bodyPart"] as const) {
    if (raw[k] === undefined) continue;
    if (typeof raw[k] !== "string" || !(raw[k] as string).trim()) at(`${field}.${k}`, `must be non-empty text, not ${show(raw[k])}`);
    else out[k] = raw[k] as string;
  }
  return out;
}

/** Check a dataset declaration (parsed YAML/JSON or a program's object); throws DatasetError listing every problem. */
export function validateDataset(doc: unknown, file: string): DatasetSpec {
  const problems: string[] = [];
  const atTop: At = (field, problem) => problems.push(`${file}: ${field}: ${problem}`);
  if (!isMapping(doc)) throw new DatasetError([`${file}: the dataset must be a mapping with a "cohorts" mapping, not ${show(doc)}`]);
  unknownKeys(doc, TOP_KEYS, atTop);
  const spec: DatasetSpec = { cohorts: {} };
  if (doc.seed !== undefined) {
    if (typeof doc.seed === "string" || typeof doc.seed === "number") spec.seed = String(doc.seed);
    else atTop("seed", `must be text, not ${show(doc.seed)}`);
  }
  if (!isMapping(doc.cohorts) || Object.keys(doc.cohorts).length === 0) {
    atTop("cohorts", `must be a non-empty mapping of cohort name to cohort, not ${show(doc.cohorts)}`);
  } else {
    for (const [name, raw] of Object.entries(doc.cohorts)) {
      const at: At = (field, problem) => problems.push(`${file}: cohort "${name}"${field ? `: ${field}` : ""}: ${problem}`);
      if (!NAME.test(name)) at("", "the name must be letters, digits, '-' or '_' (at most 63), starting with a letter or digit");
      const cohort = raw ?? {};
      if (!isMapping(cohort)) {
        at("", `must be a mapping (description, select, imageSets), not ${show(raw)}`);
        continue;
      }
      unknownKeys(cohort, COHORT_KEYS, at);
      const out: CohortSpec = {};
      if (cohort.description !== undefined) {
        if (typeof cohort.description === "string") out.description = cohort.description;
        else at("description", `must be text, not ${show(cohort.description)}`);
      }
      if (cohort.select !== undefined) out.select = checkSelection(cohort.select, "select", at);
      if (cohort.imageSets !== undefined) {
        if (cohort.imageSets === "perSeries" || cohort.imageSets === "perStudy") out.imageSets = cohort.imageSets;
        else at("imageSets", `must be "perSeries" or "perStudy", not ${show(cohort.imageSets)}`);
      }
      spec.cohorts[name] = out;
    }
  }
  const fed = new Set<string>();
  if (doc.splits !== undefined) {
    if (!isMapping(doc.splits)) atTop("splits", `must be a mapping of split name to split, not ${show(doc.splits)}`);
    else {
      spec.splits = {};
      for (const [name, raw] of Object.entries(doc.splits)) {
        const at: At = (field, problem) => problems.push(`${file}: split "${name}"${field ? `: ${field}` : ""}: ${problem}`);
        if (!isMapping(raw)) {
          at("", `must be a mapping with select and ratios, not ${show(raw)}`);
          continue;
        }
        unknownKeys(raw, SPLIT_KEYS, at);
        const select = checkSelection(raw.select, "select", at);
        const ratios: Record<string, number> = {};
        if (!isMapping(raw.ratios) || Object.keys(raw.ratios).length < 2)
          at("ratios", `must map at least two cohorts to their shares, e.g. { train: 0.8, test: 0.2 }, not ${show(raw.ratios)}`);
        else
          for (const [cohort, share] of Object.entries(raw.ratios)) {
            if (!(cohort in spec.cohorts)) at(`ratios.${cohort}`, `"${cohort}" is not a cohort of this dataset (add it under cohorts, e.g. ${cohort}: {})`);
            else if (fed.has(cohort)) at(`ratios.${cohort}`, `cohort "${cohort}" already takes a share of another split`);
            if (typeof share !== "number" || !(share > 0) || !Number.isFinite(share)) at(`ratios.${cohort}`, `must be a positive number, not ${show(share)}`);
            fed.add(cohort);
            ratios[cohort] = share as number;
          }
        let seed: string | undefined;
        if (raw.seed !== undefined) {
          if (typeof raw.seed === "string" || typeof raw.seed === "number") seed = String(raw.seed);
          else at("seed", `must be text, not ${show(raw.seed)}`);
        }
        if (select) spec.splits[name] = { select, ratios, ...(seed !== undefined ? { seed } : {}) };
      }
    }
  }
  for (const [name, cohort] of Object.entries(spec.cohorts))
    if (!cohort.select && !fed.has(name))
      problems.push(`${file}: cohort "${name}": select: the cohort has no series: give select, or name it in a split's ratios`);
  if (doc.disjoint !== undefined) {
    if (!Array.isArray(doc.disjoint) || doc.disjoint.length < 2 || !doc.disjoint.every((n) => typeof n === "string"))
      atTop("disjoint", `must be a list of at least two cohort names, not ${show(doc.disjoint)}`);
    else {
      for (const n of doc.disjoint as string[]) if (!(n in spec.cohorts)) atTop("disjoint", `"${n}" is not a cohort of this dataset`);
      spec.disjoint = doc.disjoint as string[];
    }
  }
  if (problems.length) throw new DatasetError(problems);
  return spec;
}

/** Read and check a dataset file (YAML, or JSON, which is YAML too). */
export function loadDataset(file: string): DatasetSpec {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8");
  } catch (e) {
    throw new DatasetError([`${file}: cannot read the dataset file: ${(e as Error).message}`]);
  }
  let doc: unknown;
  try {
    const yaml: typeof import("js-yaml") = require("js-yaml");
    doc = yaml.load(text, { filename: file });
  } catch (e) {
    throw new DatasetError([`${file}: not valid YAML/JSON: ${(e as Error).message}`]);
  }
  return validateDataset(doc, file);
}
