// Durable state in a data folder. The small state (records, pending work) is one JSON file
// replaced atomically (write temp, fsync, rename, fsync dir) after every change. Metadata
// documents and frames are immutable files written *before* the state that refers to them,
// so a kill -9 at any moment leaves either the old or the new state, never a torn one.
//
// Each document version is stored twice: whole (the gzip bytes GetImageSetMetadata returns) and
// in parts, one gzip file per series plus an index (Patient, Study attributes, series list), so
// a copy of a few series reads those series only and costs what the subset costs, not what the
// source image set costs (BENCHMARKS.md §5).

import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import type { ImageSetDocument, SeriesDocument } from "./document";
import { emptyState, type ServiceState } from "./records";

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

  constructor(readonly dir: string) {
    fs.mkdirSync(path.join(dir, "docs"), { recursive: true });
    fs.mkdirSync(path.join(dir, "frames"), { recursive: true });
    this.state = this.load();
  }

  private get statePath(): string {
    return path.join(this.dir, "state.json");
  }

  private load(): ServiceState {
    try {
      return JSON.parse(fs.readFileSync(this.statePath, "utf8")) as ServiceState;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return emptyState();
      throw new Error(`cannot read ${this.statePath}: ${(e as Error).message}`);
    }
  }

  /** Persist the current state. Call after every mutation, before answering the request. */
  commit(): void {
    atomicWrite(this.statePath, JSON.stringify(this.state));
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
