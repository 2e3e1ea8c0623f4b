// diff rules from state alone: which changes replace, which update, and what preview's unknowns do.

import assert from "node:assert/strict";
import { canonicalSubset, diffDerivedImageSet } from "../../provider/lifecycle/diff";
import type { Outputs } from "../../provider/resource/outputs";
import { UNKNOWN } from "../../provider/resource/types";

const DS = "a".repeat(32);
const SRC = "b".repeat(32);
const DEST = "c".repeat(32);

function olds(extra: Partial<Outputs> = {}): Outputs {
  return {
    datastoreId: DS,
    sourceImageSetId: SRC,
    imageSetId: DEST,
    versionId: "2",
    latestVersionId: "2",
    imageSetArn: "",
    imageSetState: "ACTIVE",
    workflowStatus: "COPIED",
    isPrimary: false,
    forced: false,
    instanceCount: 1,
    seriesCount: 1,
    sourceVersionId: "1",
    sourceVersionPinned: false,
    destinationVersionBefore: null,
    copiedInstances: { "1.2": ["1.2.3"] },
    driftVersions: [],
    missingInstances: 0,
    createdAt: "",
    updatedAt: "",
    ...extra,
  };
}

describe("provider/diffRules", () => {
  it("no change when the declared inputs match what was recorded", () => {
    assert.deepEqual(diffDerivedImageSet(olds(), { datastoreId: DS, sourceImageSetId: SRC }), { changes: false, replaces: [], deleteBeforeReplace: false });
  });

  it("replaces on identity fields, updates on the rest", () => {
    assert.deepEqual(diffDerivedImageSet(olds(), { datastoreId: DS, sourceImageSetId: DEST }).replaces, ["sourceImageSetId"]);
    assert.deepEqual(diffDerivedImageSet(olds(), { datastoreId: DS, sourceImageSetId: SRC, promoteToPrimary: true }).replaces, ["promoteToPrimary"]);
    const edited = diffDerivedImageSet(olds(), { datastoreId: DS, sourceImageSetId: SRC, subset: { series: { "1.2": "all" } } });
    assert.deepEqual([edited.changes, edited.replaces], [true, []]);
    const moved = diffDerivedImageSet(olds(), { datastoreId: DS, sourceImageSetId: SRC, endpoint: "http://127.0.0.1:1" });
    assert.deepEqual([moved.changes, moved.replaces], [true, []]);
  });

  it("a pin equal to the copied version is no change; another version replaces", () => {
    const pinnedSame = diffDerivedImageSet(olds({ sourceVersionPinned: true }), { datastoreId: DS, sourceImageSetId: SRC, sourceVersionId: "1" });
    assert.equal(pinnedSame.changes, false);
    assert.deepEqual(diffDerivedImageSet(olds(), { datastoreId: DS, sourceImageSetId: SRC, sourceVersionId: "3" }).replaces, ["sourceVersionId"]);
  });

  it("merges: a new destination version is recorded; another destination replaces, deleting first", () => {
    const merge = olds({ destination: { imageSetId: DEST, versionId: "1" }, destinationVersionBefore: "1" });
    const newer = diffDerivedImageSet(merge, { datastoreId: DS, sourceImageSetId: SRC, destination: { imageSetId: DEST, versionId: "5" } });
    assert.deepEqual([newer.changes, newer.replaces], [true, []]);
    const other = diffDerivedImageSet(merge, { datastoreId: DS, sourceImageSetId: SRC, destination: { imageSetId: "d".repeat(32), versionId: "1" } });
    assert.deepEqual([other.replaces, other.deleteBeforeReplace], [["destination"], true]);
  });

  it("preview: a destination taken from an updating resource (unknown) is not a replacement", () => {
    const merge = olds({ destination: { imageSetId: DEST, versionId: "1" } });
    const r = diffDerivedImageSet(merge, { datastoreId: DS, sourceImageSetId: SRC, destination: { imageSetId: UNKNOWN, versionId: UNKNOWN } });
    assert.deepEqual([r.changes, r.replaces], [true, []]);
  });

  it("drift found by refresh and failed copies", () => {
    assert.equal(diffDerivedImageSet(olds({ missingInstances: 1 }), { datastoreId: DS, sourceImageSetId: SRC }).changes, true);
    assert.equal(diffDerivedImageSet(olds({ driftVersions: ["3"] }), { datastoreId: DS, sourceImageSetId: SRC }).changes, true);
    assert.deepEqual(diffDerivedImageSet(olds({ workflowStatus: "COPY_FAILED" }), { datastoreId: DS, sourceImageSetId: SRC }).replaces, ["sourceImageSetId"]);
  });

  it("canonical subsets ignore order", () => {
    assert.equal(canonicalSubset({ series: { b: ["2", "1"], a: "all" } }), canonicalSubset({ series: { a: "all", b: ["1", "2"] } }));
    assert.notEqual(canonicalSubset(undefined), canonicalSubset({ series: { a: "all" } }));
  });
});
