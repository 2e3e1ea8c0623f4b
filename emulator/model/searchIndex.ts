// What SearchImageSets reads, kept current from the store's commits instead of rebuilt per page.
// At 16,000 image sets, filtering and sorting the whole data store for every page (~80 ms) made
// a 577-page dataset preview take 50 s, and the per-series lookup each copy makes stalled the
// service's event loop during an up (BENCHMARKS.md §7). Now:
// - a series UID names the image sets that hold it (an EQUAL DICOMSeriesInstanceUID filter reads
//   those, not the data store);
// - the sorted matches of one criteria body are kept until the next commit, so page n of a
//   paginated search costs its page.
// Every mutation commits before its request is answered (model/store.ts), and each commit names
// the records it changed: the index follows those.

import type { ImageSetDocument } from "./document";
import type { ImageSetRecord } from "./records";
import type { Candidate } from "./search";
import type { Service } from "./service";
import type { Changed } from "./store";

/** Sorted match lists kept at once (one per criteria body being paged through). */
const SORTED_LIMIT = 32;

interface View {
  docVersionId: string;
  doc: ImageSetDocument;
}

export class SearchIndex {
  /** per image set, what a search reads of its current document version */
  private views = new Map<string, View>();
  /** series UID → image sets whose indexed version holds it */
  private bySeries = new Map<string, Set<string>>();
  private sorted = new Map<string, Candidate[]>();
  private stale: Set<string> | "everything" = "everything";

  constructor(private readonly svc: Service) {
    svc.store.onCommit((changed) => this.changed(changed));
  }

  private changed(changed: Changed[] | "everything"): void {
    this.sorted.clear();
    if (changed === "everything" || this.stale === "everything") {
      this.stale = "everything";
      return;
    }
    for (const r of changed) if ("imageSetId" in r && !("jobId" in r)) this.stale.add(r.imageSetId);
  }

  /**
   * The live image sets of the data store that may match (all of them, or those holding the
   * series a filter names), with their search views. Callers filter them exactly.
   */
  candidates(datastoreId: string, seriesUid?: string): Candidate[] {
    this.catchUp();
    const ids = seriesUid === undefined ? this.views.keys() : (this.bySeries.get(seriesUid) ?? []);
    const out: Candidate[] = [];
    for (const id of ids) {
      const set = this.svc.state.imageSets[id];
      if (set && set.datastoreId === datastoreId && set.state !== "DELETED") out.push({ set, doc: this.view(set) });
    }
    return out;
  }

  /** The sorted matches for `key` (a criteria body of this data store), computed once until the next commit. */
  sortedMatches(key: string, compute: () => Candidate[]): Candidate[] {
    let found = this.sorted.get(key);
    if (!found) {
      if (this.sorted.size >= SORTED_LIMIT) this.sorted.delete(this.sorted.keys().next().value as string);
      found = compute();
      this.sorted.set(key, found);
    }
    return found;
  }

  private catchUp(): void {
    if (this.stale === "everything") {
      // an import: check every set's version (a view is re-read only when its version moved)
      for (const set of Object.values(this.svc.state.imageSets)) this.index(set);
    } else {
      for (const id of this.stale) {
        const set = this.svc.state.imageSets[id];
        if (set) this.index(set);
      }
    }
    this.stale = new Set();
  }

  /** (Re)index a set under its current version's series; deleted sets keep no views. */
  private index(set: ImageSetRecord): void {
    const old = this.views.get(set.imageSetId);
    if (set.state === "DELETED") {
      if (old) this.unindex(set.imageSetId, old);
      return;
    }
    const docVersionId = this.svc.version(set).docVersionId;
    if (old?.docVersionId === docVersionId) return;
    if (old) this.unindex(set.imageSetId, old);
    const view = { docVersionId, doc: searchView(this.svc, set.imageSetId, docVersionId) };
    this.views.set(set.imageSetId, view);
    for (const uid of Object.keys(view.doc.Study.Series)) {
      let ids = this.bySeries.get(uid);
      if (!ids) this.bySeries.set(uid, (ids = new Set()));
      ids.add(set.imageSetId);
    }
  }

  private unindex(imageSetId: string, view: View): void {
    this.views.delete(imageSetId);
    for (const uid of Object.keys(view.doc.Study.Series)) this.bySeries.get(uid)?.delete(imageSetId);
  }

  /** The indexed view; re-read if the set moved on without a commit naming it (defensive: callers commit). */
  private view(set: ImageSetRecord): ImageSetDocument {
    const docVersionId = this.svc.version(set).docVersionId;
    const view = this.views.get(set.imageSetId);
    if (view?.docVersionId === docVersionId) return view.doc;
    this.index(set);
    return (this.views.get(set.imageSetId) as View).doc;
  }
}

/**
 * What a search reads of a document: the Patient, Study and Series attributes and the instance
 * UIDs (for the counts), not the instances' attributes and frames.
 */
function searchView(svc: Service, imageSetId: string, docVersionId: string): ImageSetDocument {
  const doc = svc.store.readDocument(imageSetId, docVersionId);
  const series = Object.fromEntries(
    Object.entries(doc.Study.Series).map(([uid, s]) => [uid, { ...s, Instances: Object.fromEntries(Object.keys(s.Instances).map((i) => [i, {}])) }]),
  );
  return { ...doc, Study: { ...doc.Study, Series: series } } as ImageSetDocument;
}

const indexes = new WeakMap<Service, SearchIndex>();

/** The service's search index, made on its first search. */
export function searchIndex(svc: Service): SearchIndex {
  let index = indexes.get(svc);
  if (!index) indexes.set(svc, (index = new SearchIndex(svc)));
  return index;
}
