// Durable state in a data folder. The records (data stores, image sets, jobs) and the pending
// work live in a snapshot, state.json, plus a journal, journal.ndjson: each commit appends one
// line holding the records it changed (whole) and the pending list, and fsyncs it before the
// request is answered. Loading replays the journal over the snapshot; a torn last line (a kill
// -9 mid-append) is dropped, as its request was never answered. When the journal outgrows the
// snapshot, the snapshot is rewritten (write temp, fsync, rename, fsync dir) and the journal
// emptied. A commit so costs what it changed, not the whole state: at 20,000 image sets a
// whole-state rewrite per write (12 MB) was what set the pace of a 10,000-copy dataset.
// Replaying an old journal over a newer snapshot (a kill between the two steps) is harmless:
// every line holds whole records, so each ends at its last, newest value.
// Metadata documents and frames are immutable files written *before* the state that refers to
// them, so a kill -9 at any moment leaves either the old or the new state, never a torn one.
//
// Each document version is stored twice: whole (the gzip bytes GetImageSetMetadata returns) and
// in parts, one gzip file per series plus an index (Patient, Study attributes, series list), so
// a copy of a few series reads those series only and costs what the subset costs, not what the
// source image set costs (BENCHMARKS.md §5).

import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import type { ImageSetDocument, SeriesDocument } from "./document";
import { type DatastoreRecord, emptyState, type ImageSetRecord, type JobRecord, type PendingWork, type ServiceState } from "./records";

/** A record a commit saves. */
export type Changed = ImageSetRecord | DatastoreRecord | JobRecord;

/** One journal line: the records a commit changed, by id, and the pending work after it. */
interface JournalEntry {
  imageSets?: Record<string, ImageSetRecord>;
  datastores?: Record<string, DatastoreRecord>;
  jobs?: Record<string, JobRecord>;
  pending: PendingWork[];
}

/** The journal is folded into the snapshot when it is larger than this and than the snapshot. */
const JOURNAL_MIN_COMPACT_BYTES = 8 * 1024 * 1024;

/** The parts' index: everything of a document but its series, and the series in part order. */
interface PartsIndex {
  head: Omit<ImageSetDocument, "Study">;
  studyDicom: ImageSetDocument["Study"]["DICOM"];
  series: string[];
}

export class Store {
  state: ServiceState;
  private docCache = new Map<string, ImageSetDocument>();
  private static readonly DOC_CACHE_LIMIT = 64;
  /** records changed since the last commit that no commit named yet (read touches) */
  private dirty = new Set<Changed>();
  private journalFd: number;
  private journalBytes: number;
  private snapshotBytes: number;
  private commitListeners: ((changed: Changed[] | "everything") => void)[] = [];

  constructor(readonly dir: string) {
    fs.mkdirSync(path.join(dir, "docs"), { recursive: true });
    fs.mkdirSync(path.join(dir, "frames"), { recursive: true });
    const loaded = loadState(dir);
    this.state = loaded.state;
    this.snapshotBytes = loaded.snapshotBytes;
    this.journalFd = fs.openSync(journalPath(dir), "a");
    this.journalBytes = fs.fstatSync(this.journalFd).size;
  }

  /** Told what each commit changed (the search index follows it). */
  onCommit(listener: (changed: Changed[] | "everything") => void): void {
    this.commitListeners.push(listener);
  }

  /** A change to save with the next commit, not at once (a read's touch). */
  changed(record: Changed): void {
    this.dirty.add(record);
  }

  /**
   * Persist the records a mutation changed (and those marked `changed`) with the pending work.
   * Call after every mutation, before answering the request.
   */
  commit(...records: Changed[]): void {
    for (const r of records) this.dirty.add(r);
    const entry: JournalEntry = { pending: this.state.pending };
    for (const r of this.dirty) {
      if ("jobId" in r) (entry.jobs ??= {})[r.jobId] = r;
      else if ("imageSetId" in r) (entry.imageSets ??= {})[r.imageSetId] = r;
      else (entry.datastores ??= {})[r.datastoreId] = r;
    }
    const changed = [...this.dirty];
    this.dirty.clear();
    const line = Buffer.from(`${JSON.stringify(entry)}\n`);
    fs.writeSync(this.journalFd, line);
    fs.fdatasyncSync(this.journalFd);
    this.journalBytes += line.length;
    for (const listener of this.commitListeners) listener(changed);
    if (this.journalBytes > Math.max(JOURNAL_MIN_COMPACT_BYTES, this.snapshotBytes)) this.writeSnapshot();
  }

  /** Persist the whole state as the snapshot and empty the journal (after changes too many to name). */
  commitAll(): void {
    this.writeSnapshot();
    for (const listener of this.commitListeners) listener("everything");
  }

  private writeSnapshot(): void {
    this.dirty.clear();
    const text = JSON.stringify(this.state);
    atomicWrite(path.join(this.dir, "state.json"), text);
    this.snapshotBytes = Buffer.byteLength(text);
    fs.ftruncateSync(this.journalFd, 0);
    fs.fsyncSync(this.journalFd);
    this.journalBytes = 0;
  }

  /** Release the journal's file (the service stopped). */
  close(): void {
    fs.closeSync(this.journalFd);
  }

  writeDocument(doc: ImageSetDocument, versionId: string): void {
    const file = this.docPath(doc.ImageSetID, versionId);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.writeParts(doc, versionId);
    atomicWrite(file, zlib.gzipSync(JSON.stringify(doc)));
    this.remember(`${doc.ImageSetID}/${versionId}`, doc);
  }

  /** Series parts first, the index last: whoever finds the index finds every part it names. */
  private writeParts(doc: ImageSetDocument, versionId: string): void {
    const dir = this.partsDir(doc.ImageSetID, versionId);
    fs.mkdirSync(dir, { recursive: true });
    const series = Object.keys(doc.Study.Series);
    for (const [n, uid] of series.entries()) atomicWrite(path.join(dir, `${n}.json.gz`), zlib.gzipSync(JSON.stringify(doc.Study.Series[uid])));
    const { Study, ...head } = doc;
    const index: PartsIndex = { head, studyDicom: Study.DICOM, series };
    atomicWrite(path.join(dir, "index.json"), JSON.stringify(index));
  }

  /**
   * The document with only the named series (those it has) under Study.Series: what a copy of a
   * subset needs, read from the parts. Callers must not mutate it. Versions stored before parts
   * existed are read whole.
   */
  readDocumentSeries(imageSetId: string, versionId: string, seriesUids: string[]): ImageSetDocument {
    const cached = this.docCache.get(`${imageSetId}/${versionId}`);
    if (cached) return cached;
    const dir = this.partsDir(imageSetId, versionId);
    let index: PartsIndex;
    try {
      index = JSON.parse(fs.readFileSync(path.join(dir, "index.json"), "utf8")) as PartsIndex;
    } catch {
      return this.readDocument(imageSetId, versionId);
    }
    const series: Record<string, SeriesDocument> = {};
    for (const uid of new Set(seriesUids)) {
      const n = index.series.indexOf(uid);
      if (n >= 0) series[uid] = JSON.parse(zlib.gunzipSync(fs.readFileSync(path.join(dir, `${n}.json.gz`))).toString("utf8"));
    }
    return { ...index.head, Study: { DICOM: index.studyDicom, Series: series } } as ImageSetDocument;
  }

  /** The gzip bytes exactly as GetImageSetMetadata returns them. */
  readDocumentGzip(imageSetId: string, versionId: string): Buffer {
    return fs.readFileSync(this.docPath(imageSetId, versionId));
  }

  /** Parsed document; callers must not mutate it (it is cached). */
  readDocument(imageSetId: string, versionId: string): ImageSetDocument {
    const key = `${imageSetId}/${versionId}`;
    const cached = this.docCache.get(key);
    if (cached) return cached;
    const doc = JSON.parse(zlib.gunzipSync(this.readDocumentGzip(imageSetId, versionId)).toString("utf8"));
    this.remember(key, doc);
    return doc;
  }

  writeFrame(frameId: string, bytes: Buffer): void {
    const file = this.framePath(frameId);
    if (!fs.existsSync(file)) atomicWrite(file, bytes);
  }

  readFrame(frameId: string): Buffer | undefined {
    try {
      return fs.readFileSync(this.framePath(frameId));
    } catch {
      return undefined;
    }
  }

  private remember(key: string, doc: ImageSetDocument): void {
    this.docCache.set(key, doc);
    if (this.docCache.size > Store.DOC_CACHE_LIMIT) {
      const oldest = this.docCache.keys().next().value;
      if (oldest !== undefined) this.docCache.delete(oldest);
    }
  }

  private docPath(imageSetId: string, versionId: string): string {
    return path.join(this.dir, "docs", imageSetId, `${versionId}.json.gz`);
  }

  private partsDir(imageSetId: string, versionId: string): string {
    return path.join(this.dir, "docs", imageSetId, `${versionId}.parts`);
  }

  private framePath(frameId: string): string {
    return path.join(this.dir, "frames", frameId);
  }
}

function journalPath(dir: string): string {
  return path.join(dir, "journal.ndjson");
}

/** The state a data folder holds: the snapshot with the journal replayed over it (also for tests). */
export function readStoredState(dir: string): ServiceState {
  return loadState(dir).state;
}

function loadState(dir: string): { state: ServiceState; snapshotBytes: number } {
  const snapshot = path.join(dir, "state.json");
  let state: ServiceState;
  let snapshotBytes = 0;
  try {
    const text = fs.readFileSync(snapshot, "utf8");
    snapshotBytes = Buffer.byteLength(text);
    state = JSON.parse(text) as ServiceState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`cannot read ${snapshot}: ${(e as Error).message}`);
    state = emptyState();
  }
  let lines: string[];
  try {
    lines = fs.readFileSync(journalPath(dir), "utf8").split("\n");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return { state, snapshotBytes };
    throw e;
  }
  for (const [n, line] of lines.entries()) {
    if (line === "") continue;
    let entry: JournalEntry;
    try {
      entry = JSON.parse(line) as JournalEntry;
    } catch (e) {
      // only the last line can be torn (its commit never returned); any other is damage
      if (n >= lines.length - 2) break;
      throw new Error(`cannot read ${journalPath(dir)} line ${n + 1}: ${(e as Error).message}`);
    }
    Object.assign(state.imageSets, entry.imageSets);
    Object.assign(state.datastores, entry.datastores);
    Object.assign(state.jobs, entry.jobs);
    state.pending = entry.pending;
  }
  return { state, snapshotBytes };
}

export function atomicWrite(file: string, data: string | Buffer): void {
  const tmp = `${file}.${process.pid}.tmp`;
  const fd = fs.openSync(tmp, "w");
  try {
    fs.writeSync(fd, typeof data === "string" ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dirFd = fs.openSync(path.dirname(file), "r");
  try {
    fs.fsyncSync(dirFd);
  } finally {
    fs.closeSync(dirFd);
  }
}
