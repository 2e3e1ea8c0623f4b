// The two decisions the preview and `up` share: will a merge be refused (subset/mergeCheck.ts), and
// what `up` does about drift (recovery/driftDecision.ts). Pure, so every case is cheap to pin.

import assert from "node:assert/strict";
import { decideDrift } from "../../provider/recovery/driftDecision";
import { forceToSend, levelDifferences, mergeRefusal } from "../../provider/subset/mergeCheck";
import type { ImageSetMetadata } from "../../provider/subset/metadataDocument";

const doc = (patient: Record<string, unknown>, study: Record<string, unknown>, series: Record<string, Record<string, unknown>>): ImageSetMetadata => ({
  Patient: { DICOM: patient },
  Study: {
    DICOM: study,
    Series: Object.fromEntries(Object.entries(series).map(([uid, d]) => [uid, { DICOM: d, Instances: { [`${uid}.1`]: { ImageFrames: [{}] } } }])),
  },
});
const SECRET = "Doe^Jane";
const source = doc({ PatientName: SECRET, PatientID: "P1" }, { StudyDescription: "CT" }, { "1.2.3": { Modality: "CT" } });
const selection = { "1.2.3": ["1.2.3.1"] };
const none = { force: false, mergeAcrossPatients: false };

describe("merge rules: what a merge needs, decided before anything is sent", () => {
  it("the same Patient, Study and Series: no refusal, and force is not sent", () => {
    const d = levelDifferences(
      source,
      doc({ PatientName: `${SECRET} `, PatientID: "P1" }, { StudyDescription: "CT" }, { "1.2.3": { Modality: "CT" } }),
      selection,
    );
    assert.equal(mergeRefusal(d, none, "dest"), undefined, "trailing padding is no difference");
    assert.equal(forceToSend(d), false);
  });

  it("a Patient difference is refused even with force, names the attributes only, and does not suggest force", () => {
    const d = levelDifferences(
      source,
      doc({ PatientName: "Roe^Richard", PatientID: "P2" }, { StudyDescription: "CT" }, { "1.2.3": { Modality: "CT" } }),
      selection,
    );
    const refusal = mergeRefusal(d, { force: true, mergeAcrossPatients: false }, "dest");
    assert.equal(refusal?.property, "mergeAcrossPatients");
    assert.match(refusal!.reason, /Patient attributes differ .*\(PatientID, PatientName\)/);
    assert.match(refusal!.reason, /refused even with `force`/);
    assert.doesNotMatch(refusal!.reason, /set `force: true`|force: true/);
    assert.ok(!refusal!.reason.includes(SECRET) && !refusal!.reason.includes("P2"), "no values in the message");
    assert.equal(mergeRefusal(d, { force: false, mergeAcrossPatients: true }, "dest"), undefined, "the explicit input allows it");
    assert.equal(forceToSend(d), true, "and the service then needs force on the wire");
  });

  it("a Study or Series difference (or a series the destination lacks) needs force, named by attribute", () => {
    const d = levelDifferences(source, doc({ PatientName: SECRET, PatientID: "P1" }, { StudyDescription: "MR" }, { "9.9": { Modality: "CT" } }), selection);
    const refusal = mergeRefusal(d, none, "dest");
    assert.equal(refusal?.property, "force");
    assert.match(refusal!.reason, /Study \(StudyDescription\); series 1\.2\.3 is not in it/);
    assert.equal(mergeRefusal(d, { force: true, mergeAcrossPatients: false }, "dest"), undefined);
  });
});

describe("drift decision: the preview's words are what `up` does", () => {
  const edit = { versionId: "3", status: "UPDATED" };
  it("a colleague's edit alone, onDrift keep: the latest becomes the baseline, and revert is offered", () => {
    const d = decideDrift("set", "2", { outside: [edit], byStack: [], latestVersionId: "3", summary: "Study.StudyDescription changed" }, "keep");
    assert.deepEqual(d.action, { kind: "keep", baseline: "3" });
    assert.match(
      d.words,
      /version 3 \(UPDATED\) made outside this stack \(Study\.StudyDescription changed\); onDrift is "keep" \(set onDrift: "revert" to revert to version 2\)/,
    );
  });
  it("a colleague's edit alone, onDrift revert: reverts to the baseline", () => {
    const d = decideDrift("set", "2", { outside: [edit], byStack: [], latestVersionId: "3" }, "revert");
    assert.deepEqual(d.action, { kind: "revert", to: "2" });
    assert.match(d.words, /`pulumi up` reverts it to version 2/);
  });
  it("after another resource's merge: the merge is not the colleague's, and a revert is refused", () => {
    const d = decideDrift("set", "1", { outside: [edit], byStack: ["2"], latestVersionId: "3" }, "revert");
    assert.deepEqual(d.action, { kind: "keep", baseline: "3" });
    assert.match(
      d.words,
      /version 3 \(UPDATED\) made outside this stack; version 2 made by other resources of this stack; onDrift is "revert", but a revert to version 1 would also undo/,
    );
    assert.doesNotMatch(d.words, /reverts it/);
  });
  it("imported data is never reverted, and keep does not offer a revert it would refuse", () => {
    const d = decideDrift("set", "1", { outside: [{ versionId: "2", status: "IMPORTED" }], byStack: [], latestVersionId: "2" }, "keep");
    assert.deepEqual(d.action, { kind: "keep", baseline: "2" });
    assert.doesNotMatch(d.words, /set onDrift/);
    assert.equal(decideDrift("set", "1", { outside: [], byStack: ["2"], latestVersionId: "2" }).action.kind, "none");
  });
});
