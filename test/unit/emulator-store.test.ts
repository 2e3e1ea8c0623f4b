// The local service's durable store (emulator/model/store.ts): a commit appends the records it
// names to the journal, loading replays the journal over the snapshot, a torn last line is
// dropped, the journal is folded into the snapshot when it outgrows it, and an old journal
// replayed over a newer snapshot leaves the newest records.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ImageSetRecord } from "../../emulator/model/records";
import { readStoredState, Store } from "../../emulator/model/store";

function imageSet(id: string, versions = 1): ImageSetRecord {
  return {
    imageSetId: id,
    datastoreId: "d".repeat(32),
    imageSetArn: `arn:${id}`,
    state: "ACTIVE",
    workflowStatus: "CREATED",
    latestVersionId: String(versions),
    isPrimary: true,
    createdAt: 1,
    updatedAt: 1,
    tags: {},
    versions: Array.from({ length: versions }, (_, i) => ({
      versionId: String(i + 1),
      workflowStatus: "CREATED" as const,
      createdAt: 1,
      updatedAt: 1,
      isPrimary: true,
      docVersionId: String(i + 1),
    })),
    studyInstanceUid: "1.2.3",
  };
}

describe("emulator store: snapshot and journal", () => {
  let dir: string;
  let store: Store | undefined;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hi-store-"));
  });
  afterEach(() => {
    store?.close();
    store = undefined;
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const journal = () => fs.readFileSync(path.join(dir, "journal.ndjson"), "utf8");

  it("a commit appends only the records it names (and those marked changed), and a reload sees them", () => {
    store = new Store(dir);
    for (let i = 0; i < 50; i++) store.state.imageSets[`s${i}`] = imageSet(`s${i}`);
    store.commitAll();
    const a = store.state.imageSets.s1;
    a.workflowStatus = "COPYING";
    const b = store.state.imageSets.s2;
    b.lastAccessedAt = 42;
    store.changed(b);
    store.state.pending.push({ kind: "delete", id: "w1", dueAt: 5, datastoreId: a.datastoreId, imageSetId: "s1" });
    store.commit(a);
    const lines = journal().trim().split("\n");
    assert.equal(lines.length, 1);
    assert.deepEqual(Object.keys(JSON.parse(lines[0]).imageSets).sort(), ["s1", "s2"], "the line holds the two changed records, not all 50");
    assert.deepEqual(readStoredState(dir), JSON.parse(JSON.stringify(store.state)));
  });

  it("a torn last line (a kill mid-append) is dropped; a damaged line before it is an error naming the file and line", () => {
    store = new Store(dir);
    store.state.imageSets.x = imageSet("x");
    store.commit(store.state.imageSets.x);
    store.close();
    store = undefined;
    fs.appendFileSync(path.join(dir, "journal.ndjson"), '{"imageSets":{"y":{"imageSetId"');
    assert.deepEqual(Object.keys(readStoredState(dir).imageSets), ["x"]);
    fs.appendFileSync(path.join(dir, "journal.ndjson"), '\n{"pending":[]}\n');
    assert.throws(() => readStoredState(dir), /journal\.ndjson line 2/);
  });

  it("the journal is folded into the snapshot once it outgrows it; replaying the old journal over the new snapshot keeps the newest records", () => {
    store = new Store(dir);
    const set = imageSet("big", 1);
    store.state.imageSets.big = set;
    let old = "";
    // ~9 MB of journal: past the 8 MB floor, so one fold happens
    for (let v = 2; fs.statSync(path.join(dir, "state.json"), { throwIfNoEntry: false }) === undefined && v < 20_000; v++) {
      set.versions.push({ ...set.versions[0], versionId: String(v), docVersionId: String(v) });
      set.latestVersionId = String(v);
      old = fs.existsSync(path.join(dir, "journal.ndjson")) ? journal() : "";
      store.commit(set);
    }
    assert.ok(fs.existsSync(path.join(dir, "state.json")), "the snapshot was written");
    assert.equal(journal(), "", "the journal was emptied");
    const expected = JSON.parse(JSON.stringify(store.state));
    assert.deepEqual(readStoredState(dir), expected);
    // a kill between writing the snapshot and emptying the journal: the journal as it was then
    // (with the line of the commit that folded it) replays over the new snapshot harmlessly
    assert.notEqual(old, "");
    fs.writeFileSync(path.join(dir, "journal.ndjson"), `${old}${JSON.stringify({ imageSets: { big: set }, pending: [] })}\n`);
    assert.deepEqual(readStoredState(dir), expected);
  });
});
