// The service core shared by the operation modules: the durable store, ids, lookups that raise
// the right errors, and the runner that finishes asynchronous work (also after a restart).

import * as crypto from "node:crypto";
import { notFound } from "../errors";
import type { Profile } from "../limits";
import { Faults } from "../faults";
import { ARCHIVE_AFTER_MS, type StorageTier, storageTier, touch } from "./tiers";
import type { DatastoreRecord, ImageSetRecord, PendingWork, VersionRecord } from "./records";
import { type Changed, Store } from "./store";

export interface ServiceOptions {
  dataDir: string;
  s3Root?: string;
  profile: Profile;
  region: string;
  accountId: string;
  /** refuse a second copy from a source that is already being copied (inferred: the docs are silent; refusing is the safe reading) */
  lockSourceDuringCopy: boolean;
  /** days without a touch before an image set is in the archive tier, in ms (model/tiers.ts; default the documented 30 days) */
  archiveAfterMs?: number;
}

/** Finishes a piece of work; returns the records it changed, or "everything" (an import) for a whole snapshot. */
type Completion = (svc: Service, work: PendingWork) => Changed[] | "everything";

export class Service {
  readonly store: Store;
  readonly faults = new Faults();
  private timers = new Map<string, NodeJS.Timeout>();
  private completions = new Map<PendingWork["kind"], Completion>();
  private stopped = false;
  /** how far the service's clock is ahead of this machine's (tests age image sets with advanceClock) */
  private clockOffsetMs = 0;

  constructor(readonly options: ServiceOptions) {
    this.store = new Store(options.dataDir);
  }

  get state() {
    return this.store.state;
  }

  get profile(): Profile {
    return this.options.profile;
  }

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  /** Move the service's clock forward (test control): timestamps and tiers from now on see it. */
  advanceClock(ms: number): number {
    if (!(ms >= 0)) throw new Error(`advanceClock: ${ms} is not a non-negative number of milliseconds`);
    this.clockOffsetMs += ms;
    return this.now();
  }

  /** The image set's storage tier now (model/tiers.ts). */
  storageTier(set: ImageSetRecord): StorageTier {
    return storageTier(set, this.now(), this.options.archiveAfterMs ?? ARCHIVE_AFTER_MS);
  }

  /**
   * A touch (import, metadata or frame read, copy into it, metadata update): Frequent Access again.
   * Saved at once when it brings the set back from the archive tier, else with the next commit.
   */
  touch(set: ImageSetRecord): void {
    if (touch(set, this.now(), this.options.archiveAfterMs ?? ARCHIVE_AFTER_MS)) this.store.commit(set);
    else this.store.changed(set);
  }

  newId(): string {
    return crypto.randomBytes(16).toString("hex");
  }

  datastoreArn(datastoreId: string): string {
    return `arn:aws:medical-imaging:${this.options.region}:${this.options.accountId}:datastore/${datastoreId}`;
  }

  imageSetArn(datastoreId: string, imageSetId: string): string {
    return `${this.datastoreArn(datastoreId)}/imageset/${imageSetId}`;
  }

  /** An existing, not deleted data store. */
  datastore(datastoreId: string): DatastoreRecord {
    const ds = this.state.datastores[datastoreId];
    if (!ds || ds.datastoreStatus === "DELETED") throw notFound(`Datastore ${datastoreId} does not exist.`);
    return ds;
  }

  /** An image set of the data store (deleted ones included unless `live`). */
  imageSet(datastoreId: string, imageSetId: string, live = false): ImageSetRecord {
    this.datastore(datastoreId);
    const set = this.state.imageSets[imageSetId];
    if (!set || set.datastoreId !== datastoreId || (live && set.state === "DELETED")) {
      throw notFound(`Image set ${imageSetId} does not exist in datastore ${datastoreId}.`);
    }
    return set;
  }

  version(set: ImageSetRecord, versionId?: string): VersionRecord {
    const id = versionId ?? set.latestVersionId;
    const v = set.versions.find((x) => x.versionId === id);
    if (!v) throw notFound(`Version ${id} of image set ${set.imageSetId} does not exist.`);
    return v;
  }

  // ---- asynchronous work ----

  onComplete(kind: PendingWork["kind"], completion: Completion): void {
    this.completions.set(kind, completion);
  }

  /** Record work (the caller commits), and arrange for it to finish at its due time. */
  enqueue(work: PendingWork): void {
    this.state.pending.push(work);
    this.arm(work);
  }

  /** After a restart: finish overdue work now, the rest when due. Nothing stays LOCKED forever. */
  resumePending(): void {
    for (const work of [...this.state.pending]) this.arm(work);
  }

  private arm(work: PendingWork): void {
    if (this.stopped) return;
    const delay = Math.max(0, work.dueAt - this.now());
    const timer = setTimeout(() => this.finish(work.id), delay);
    this.timers.set(work.id, timer);
  }

  private finish(workId: string): void {
    this.timers.delete(workId);
    const index = this.state.pending.findIndex((w) => w.id === workId);
    if (index < 0) return;
    const [work] = this.state.pending.splice(index, 1);
    const completion = this.completions.get(work.kind);
    if (!completion) throw new Error(`no completion for ${work.kind}`);
    const changed = completion(this, work);
    if (changed === "everything") this.store.commitAll();
    else this.store.commit(...changed);
  }

  /** Finish every pending item at once (tests and `stop({ drain: true })`). */
  drain(): void {
    for (const work of [...this.state.pending]) {
      clearTimeout(this.timers.get(work.id));
      this.finish(work.id);
    }
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
    this.store.close();
  }
}
