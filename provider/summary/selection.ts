// The instances a derived image set declares, by series, and what one declaration has that another
// has not: the summary compares instances as sets (a reordered list is no change). And the cohort a
// hi.Dataset's image set belongs to, by its name.

export type Selection = Record<string, "all" | string[]>;

export const seriesOf = (inputs: Record<string, unknown> | undefined): Selection | "everything" => {
  const subset = inputs?.subset as { series?: Selection } | undefined;
  return subset?.series ?? "everything";
};

/** What `to` has that `from` has not, by series; a whole series compares as "all". */
export function selectionMinus(to: Selection | "everything", from: Selection | "everything"): Selection {
  if (to === "everything") return from === "everything" ? {} : { "(the whole source)": "all" };
  const out: Selection = {};
  for (const [series, sel] of Object.entries(to)) {
    const other = from === "everything" ? "all" : from[series];
    if (sel === "all") {
      if (other !== "all") out[series] = "all";
      continue;
    }
    if (other === "all") continue;
    const have = new Set(other ?? []);
    const extra = sel.filter((u) => !have.has(u));
    if (extra.length) out[series] = extra;
  }
  return out;
}

/** A hi.Dataset child's name (dataset/dataset.ts): "<dataset>/<cohort>/<SeriesInstanceUID>". */
const DATASET_CHILD = /^(.+\/[A-Za-z0-9][A-Za-z0-9_-]*)\/[0-9.]+$/;

/** "<dataset>/<cohort>" of a hi.Dataset's image set (a CohortImageSets member's too); undefined for others. */
export const cohortOf = (name: string): string | undefined => DATASET_CHILD.exec(name)?.[1];
