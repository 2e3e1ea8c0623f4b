// From a checked declaration and the data store's series to the derived image sets to declare: one
// per cohort and series, named "<cohort>/<SeriesInstanceUID>" so that adding a series previews as
// one create and nothing else moves. Every problem found here (a UID the data store does not
// have, a selection that matches nothing, a patient in two disjoint cohorts) fails the preview,
// naming the cohort and the field, and never a patient.

import type { Subset } from "../resource/types";
import { DatasetError, type DatasetSpec, type SeriesChoice, type Selection } from "./manifest";
import { bySeriesUid, type FoundSeries, type SeriesFinder } from "./resolve";
import { splitCohort } from "./split";

/** One derived image set of the dataset. */
export interface PlannedImageSet {
  /** "<cohort>/<SeriesInstanceUID>": the child resource's name after the dataset's */
  key: string;
  cohort: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
  sourceImageSetId: string;
  subset: Subset;
  /** perStudy: the key of the study's first series, which this one is merged into */
  mergeInto?: string;
}

export interface DatasetPlan {
  imageSets: PlannedImageSet[];
  /** cohort -> number of series (for messages) */
  seriesPerCohort: Record<string, number>;
  /** cohort -> its description in the declaration, if any (the Croissant file's words) */
  descriptions: Record<string, string | undefined>;
}

const DEFAULT_SEED = "default";

interface Member {
  series: FoundSeries;
  choice: SeriesChoice;
}

/** Resolve every selection, share out the splits and check the result; throws DatasetError. */
export async function planDataset(spec: DatasetSpec, finder: SeriesFinder, file: string): Promise<DatasetPlan> {
  const problems: string[] = [];
  const members = new Map<string, Map<string, Member>>(Object.keys(spec.cohorts).map((c) => [c, new Map()]));
  const add = (cohort: string, series: FoundSeries, choice: SeriesChoice) => members.get(cohort)!.set(series.seriesInstanceUid, { series, choice });

  const resolveSelection = async (selection: Selection, where: string): Promise<FoundSeries[]> => {
    const found = await finder.find(selection);
    const uids = new Set(found.map((s) => s.seriesInstanceUid));
    const studies = new Set(found.map((s) => s.studyInstanceUid));
    for (const uid of Object.keys(selection.series ?? {}))
      if (!uids.has(uid)) problems.push(`${where}.series["${uid}"]: no primary image set of this data store holds series ${uid} (with the other criteria)`);
    for (const uid of selection.studies ?? [])
      if (!studies.has(uid))
        problems.push(`${where}.studies: no primary image set of this data store holds a series of study ${uid} (with the other criteria)`);
    if (found.length === 0 && !selection.series && !selection.studies)
      problems.push(`${where}: no series of this data store matches ${JSON.stringify(selection)}`);
    // Chosen SOP instances must exist: an unknown UID fails here, at preview, not in CopyImageSet.
    await Promise.all(
      found.map(async (s) => {
        const choice = selection.series?.[s.seriesInstanceUid];
        if (!Array.isArray(choice)) return;
        const doc = await finder.document(s.imageSetId);
        const have = doc.Study.Series[s.seriesInstanceUid]?.Instances ?? {};
        const missing = choice.filter((u) => !(u in have));
        if (missing.length) problems.push(`${where}.series["${s.seriesInstanceUid}"]: not in this series (image set ${s.imageSetId}): ${missing.join(", ")}`);
      }),
    );
    return found;
  };

  const cohortJobs = Object.entries(spec.cohorts).map(async ([name, cohort]) => {
    if (!cohort.select) return;
    for (const s of await resolveSelection(cohort.select, `${file}: cohort "${name}": select`))
      add(name, s, cohort.select.series?.[s.seriesInstanceUid] ?? "all");
  });
  const splitJobs = Object.entries(spec.splits ?? {}).map(async ([name, split]) => {
    const seed = split.seed ?? spec.seed ?? DEFAULT_SEED;
    for (const s of await resolveSelection(split.select, `${file}: split "${name}": select`))
      add(splitCohort(seed, s.patientKey, split.ratios), s, split.select.series?.[s.seriesInstanceUid] ?? "all");
  });
  await Promise.all([...cohortJobs, ...splitJobs]);

  const sorted = new Map([...members].map(([cohort, m]) => [cohort, [...m.values()].sort((a, b) => bySeriesUid(a.series, b.series))]));
  // No patient in two of the disjoint cohorts (train/test leakage). Named by series, never by patient.
  const owner = new Map<string, { cohort: string; series: string }>();
  for (const cohort of spec.disjoint ?? [])
    for (const { series } of sorted.get(cohort)!) {
      const other = owner.get(series.patientKey);
      if (other && other.cohort !== cohort)
        problems.push(
          `${file}: cohort "${cohort}": series ${series.seriesInstanceUid} is of a patient who is also in cohort "${other.cohort}" (series ${other.series}), but "disjoint" lists both`,
        );
      else owner.set(series.patientKey, { cohort, series: series.seriesInstanceUid });
    }
  for (const [cohort, m] of members)
    if (m.size === 0 && !spec.cohorts[cohort].select)
      problems.push(`${file}: cohort "${cohort}": its split gave it no patient; change the split's seed or ratios`);
  if (problems.length) throw new DatasetError([...new Set(problems)].sort());

  const imageSets: PlannedImageSet[] = [];
  const seriesPerCohort: Record<string, number> = {};
  for (const [cohort, list] of sorted) {
    seriesPerCohort[cohort] = list.length;
    const firstOfStudy = new Map<string, string>();
    for (const { series, choice } of list) {
      const key = `${cohort}/${series.seriesInstanceUid}`;
      const planned: PlannedImageSet = {
        key,
        cohort,
        seriesInstanceUid: series.seriesInstanceUid,
        studyInstanceUid: series.studyInstanceUid,
        sourceImageSetId: series.imageSetId,
        subset: { series: { [series.seriesInstanceUid]: choice } },
      };
      if (spec.cohorts[cohort].imageSets === "perStudy") {
        const base = firstOfStudy.get(series.studyInstanceUid);
        if (base) planned.mergeInto = base;
        else firstOfStudy.set(series.studyInstanceUid, key);
      }
      imageSets.push(planned);
    }
  }
  const descriptions = Object.fromEntries(Object.entries(spec.cohorts).map(([c, cohort]) => [c, cohort.description]));
  return { imageSets, seriesPerCohort, descriptions };
}
