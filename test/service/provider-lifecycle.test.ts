// DerivedImageSet through Pulumi's real dynamic-provider host (gRPC) against the seeded local
// service: check, create (full / "all" series / instances), diff, update in place, read, delete.

import { GetImageSetCommand, ListImageSetVersionsCommand, UpdateImageSetMetadataCommand, DeleteImageSetCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import { metadataOf, instancesIn, multiSeriesCopy, SERIES } from "../support/seeded";
import { type ProviderFixture, startProviderFixture } from "../support/providerFixture";
import { eventually } from "../support/emulator";

describe("provider: DerivedImageSet lifecycle through the dynamic-provider host", function () {
  this.timeout(60_000);
  let fx: ProviderFixture;
  let ctHead: string;
  let brainMra: string;
  let mraSeries: Record<string, string[]>;

  before(async () => {
    fx = await startProviderFixture();
    ctHead = fx.seeded.imageSetOfSeries(SERIES.ctHead);
    // a source with several series: the MRA study's three series merged into one non-primary set
    brainMra = await multiSeriesCopy(fx.seeded, [SERIES.mra1, SERIES.mra2, SERIES.mra700]);
    mraSeries = instancesIn(await metadataOf(fx.seeded.client, fx.datastoreId, brainMra));
  });
  after(async () => fx?.stop());

  const state = async (imageSetId: string) => fx.seeded.client.send(new GetImageSetCommand({ datastoreId: fx.datastoreId, imageSetId }));

  it("keeps the serialized provider small", () => {
    assert.ok(fx.host.providerBytes > 0 && fx.host.providerBytes <= 16 * 1024, `${fx.host.providerBytes} bytes`);
  });

  it("check reports every bad field by name, without the network", async () => {
    const r = await fx.host.check(
      fx.urn("bad"),
      {},
      { datastoreId: "nope", sourceImageSetId: ctHead, subset: { series: { "1.2.03": "all" } }, destination: { imageSetId: ctHead } },
    );
    const props = r.failures.map((f) => f.property).sort();
    // destination.imageSetId: same as the source; versionId: missing; the UID has a leading zero
    assert.deepEqual(props, ["datastoreId", "destination.imageSetId", "destination.versionId", 'subset.series["1.2.03"]']);
    assert.ok(r.failures.every((f) => f.reason.length > 10));
  });

  it("creates a full copy and waits until it is ACTIVE", async () => {
    const { id, outs } = await fx.create("full", { datastoreId: fx.datastoreId, sourceImageSetId: ctHead });
    assert.equal(id, outs.imageSetId);
    assert.equal(outs.imageSetState, "ACTIVE");
    assert.equal(outs.workflowStatus, "COPIED");
    assert.equal(outs.versionId, "1");
    assert.equal(outs.sourceVersionId, "1");
    assert.equal(outs.instanceCount, 4);
    assert.equal(outs.seriesCount, 1);
    assert.equal(outs.isPrimary, false);
    assert.match(String(outs.createdAt), /^\d{4}-\d\d-\d\dT/);
    const set = await state(id);
    assert.equal(set.imageSetState, "ACTIVE");
    const copy = instancesIn(await metadataOf(fx.seeded.client, fx.datastoreId, id));
    assert.deepEqual(copy, instancesIn(await metadataOf(fx.seeded.client, fx.datastoreId, ctHead)));
  });

  it('copies a whole series with "all" and chosen instances of another', async () => {
    const [s1, s2] = Object.keys(mraSeries).sort((a, b) => mraSeries[a].length - mraSeries[b].length);
    const chosen = mraSeries[Object.keys(mraSeries).find((s) => mraSeries[s].length === 7)!].slice(0, 2);
    const big = Object.keys(mraSeries).find((s) => mraSeries[s].length === 7)!;
    const { id, outs } = await fx.create("subset", {
      datastoreId: fx.datastoreId,
      sourceImageSetId: brainMra,
      subset: { series: { [s2]: "all", [big]: chosen } },
    });
    const copy = instancesIn(await metadataOf(fx.seeded.client, fx.datastoreId, id));
    assert.deepEqual(copy, { [s2]: mraSeries[s2], [big]: [...chosen].sort() });
    assert.equal(outs.instanceCount, mraSeries[s2].length + 2);
    assert.ok(!copy[s1]);
  });

  it("diff: same inputs -> no change; subset edit -> update; new source -> replace", async () => {
    const inputs = { datastoreId: fx.datastoreId, sourceImageSetId: ctHead };
    const { id, outs } = await fx.create("diffs", inputs);
    const same = await fx.host.diff(fx.urn("diffs"), id, outs, { ...inputs, ownerTag: "proj/dev/diffs" });
    assert.equal(same.changes, "none");
    const series = Object.keys(instancesIn(await metadataOf(fx.seeded.client, fx.datastoreId, ctHead)))[0];
    const edited = await fx.host.diff(fx.urn("diffs"), id, outs, { ...inputs, subset: { series: { [series]: "all" } } });
    assert.equal(edited.changes, "some");
    assert.deepEqual(edited.replaces, []);
    const moved = await fx.host.diff(fx.urn("diffs"), id, outs, { ...inputs, sourceImageSetId: brainMra });
    assert.deepEqual(moved.replaces, ["sourceImageSetId"]);
    const pinned = await fx.host.diff(fx.urn("diffs"), id, outs, { ...inputs, sourceVersionId: "2" });
    assert.deepEqual(pinned.replaces, ["sourceVersionId"]);
  });

  it("updates a subset in place: removes dropped instances and copies added ones", async () => {
    const big = Object.keys(mraSeries).find((s) => mraSeries[s].length === 7)!;
    const all = mraSeries[big];
    const inputs = { datastoreId: fx.datastoreId, sourceImageSetId: brainMra, subset: { series: { [big]: all.slice(0, 3) } } };
    const { id, outs } = await fx.create("inplace", inputs);
    const next = { ...inputs, subset: { series: { [big]: [...all.slice(1, 3), ...all.slice(4, 6)] } } };
    const { diff, outs: updated } = await fx.change("inplace", id, outs, next);
    assert.equal(diff.changes, "some");
    assert.ok(updated);
    const copy = instancesIn(await metadataOf(fx.seeded.client, fx.datastoreId, id));
    assert.deepEqual(copy, { [big]: [...all.slice(1, 3), ...all.slice(4, 6)].sort() });
    assert.equal(updated.instanceCount, copy[big].length, "the count follows; the instances themselves are not kept in state");
    assert.equal(updated.copiedInstances, undefined);
    assert.equal(updated.imageSetId, id);
    assert.ok(Number(updated.versionId) > Number(outs.versionId));
  });

  const editStudyDescription = async (id: string, latestVersionId: string) => {
    await fx.seeded.client.send(
      new UpdateImageSetMetadataCommand({
        datastoreId: fx.datastoreId,
        imageSetId: id,
        latestVersionId,
        updateImageSetMetadataUpdates: {
          DICOMUpdates: {
            updatableAttributes: new TextEncoder().encode(JSON.stringify({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "EDITED" } } })),
          },
        },
      }),
    );
    await eventually(async () => ((await state(id)).imageSetState === "ACTIVE" ? true : undefined));
  };

  it("refresh finds a colleague's metadata fix and says what changed; by default (onDrift keep) the next update keeps it", async () => {
    const inputs = { datastoreId: fx.datastoreId, sourceImageSetId: ctHead };
    const { id, outs } = await fx.create("drift-keep", inputs);
    await editStudyDescription(id, String(outs.versionId));
    const read = await fx.host.read(fx.urn("drift-keep"), id, outs);
    assert.equal(read.id, id);
    assert.deepEqual(read.props.driftVersions, ["2"]);
    assert.equal(read.props.latestVersionId, "2");
    assert.equal(read.props.driftSummary, "Study.StudyDescription changed; instances 0 added, 0 removed");
    assert.doesNotMatch(JSON.stringify(read.props), /EDITED/, "names, never values");
    const { diff, outs: kept } = await fx.change("drift-keep", id, read.props, inputs);
    assert.equal(diff.changes, "some", "the preview shows an update");
    await fx.host.waitForOutput(
      /image set \w+: version 2 \(UPDATED\) made outside this stack \(Study\.StudyDescription changed; instances 0 added, 0 removed\); onDrift is "keep" \(set onDrift: "revert" to revert to version 1\): `pulumi up` keeps version 2 as the new baseline/,
      5000,
    );
    assert.equal(kept!.versionId, "2", "the colleague's version is the new baseline");
    assert.equal((await metadataOf(fx.seeded.client, fx.datastoreId, id)).Study.DICOM.StudyDescription, "EDITED", "the fix is kept");
    assert.equal((await state(id)).versionId, "2", "no API write");
    const again = await fx.host.read(fx.urn("drift-keep"), id, kept!);
    assert.deepEqual(again.props.driftVersions, []);
  });

  it("with onDrift revert, the next update reverts the out-of-band change", async () => {
    const inputs = { datastoreId: fx.datastoreId, sourceImageSetId: ctHead, onDrift: "revert" };
    const { id, outs } = await fx.create("drift", inputs);
    await editStudyDescription(id, String(outs.versionId));
    const read = await fx.host.read(fx.urn("drift"), id, outs);
    assert.deepEqual(read.props.driftVersions, ["2"]);
    const { diff, outs: repaired } = await fx.change("drift", id, read.props, inputs);
    assert.equal(diff.changes, "some");
    assert.equal(repaired!.versionId, "3");
    const doc = await metadataOf(fx.seeded.client, fx.datastoreId, id);
    assert.notEqual(doc.Study.DICOM.StudyDescription, "EDITED");
    const again = await fx.host.read(fx.urn("drift"), id, repaired!);
    assert.deepEqual(again.props.driftVersions, []);
  });

  it("refresh drops an image set deleted out of band", async () => {
    const { id, outs } = await fx.create("gone", { datastoreId: fx.datastoreId, sourceImageSetId: ctHead });
    await fx.seeded.client.send(new DeleteImageSetCommand({ datastoreId: fx.datastoreId, imageSetId: id }));
    const read = await fx.host.read(fx.urn("gone"), id, outs);
    assert.equal(read.id, "");
  });

  it("delete removes a new image set and waits until it is DELETED", async () => {
    const { id, outs } = await fx.create("todelete", { datastoreId: fx.datastoreId, sourceImageSetId: ctHead });
    await fx.host.delete(fx.urn("todelete"), id, outs);
    const set = await state(id);
    assert.equal(set.imageSetState, "DELETED");
    // deleting again (already gone) is success
    await fx.host.delete(fx.urn("todelete"), id, outs);
  });

  it("pinning a source version that is not the latest fails with a clear message and copies nothing", async () => {
    const before = (await fx.seeded.client.send(new ListImageSetVersionsCommand({ datastoreId: fx.datastoreId, imageSetId: ctHead }))).imageSetPropertiesList!
      .length;
    await assert.rejects(
      fx.create("stale", { datastoreId: fx.datastoreId, sourceImageSetId: ctHead, sourceVersionId: "7" }),
      /sourceVersionId.*pins version 7.*at version 1/,
    );
    const after = (await fx.seeded.client.send(new ListImageSetVersionsCommand({ datastoreId: fx.datastoreId, imageSetId: ctHead }))).imageSetPropertiesList!
      .length;
    assert.equal(after, before);
  });
});
