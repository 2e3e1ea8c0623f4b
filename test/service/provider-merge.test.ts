// Merges into an existing destination through the real dynamic-provider host: consistency
// failure surfaced with the service's message, force, concurrent merges into one destination,
// and delete undoing exactly what the merge added (revert, or removal when others merged since).

import { ListImageSetVersionsCommand, SearchImageSetsCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import { instancesIn, metadataOf, SERIES } from "../support/seeded";
import { type ProviderFixture, startProviderFixture } from "../support/providerFixture";

describe("provider: merges into a destination", function () {
  this.timeout(60_000);
  let fx: ProviderFixture;
  /** the image sets (one per series) of the MRA study's 7-instance and 3-instance series */
  let mra: string;
  let mraSmall: string;
  let series: Record<string, string[]>;
  const big = SERIES.mra700;
  const small = SERIES.mra2;

  before(async () => {
    fx = await startProviderFixture();
    mra = fx.seeded.imageSetOfSeries(big);
    mraSmall = fx.seeded.imageSetOfSeries(small);
    series = {
      ...instancesIn(await metadataOf(fx.seeded.client, fx.datastoreId, mra)),
      ...instancesIn(await metadataOf(fx.seeded.client, fx.datastoreId, mraSmall)),
    };
    assert.deepEqual([series[big].length, series[small].length], [7, 3]);
  });
  after(async () => fx?.stop());

  const contents = async (id: string) => instancesIn(await metadataOf(fx.seeded.client, fx.datastoreId, id));
  const imageSetCount = async () =>
    (await fx.seeded.client.send(new SearchImageSetsCommand({ datastoreId: fx.datastoreId }))).imageSetsMetadataSummaries!.length;

  /** A destination owned by its own resource: the first 2 instances of the big series. */
  async function base(name: string) {
    return fx.create(name, { datastoreId: fx.datastoreId, sourceImageSetId: mra, subset: { series: { [big]: series[big].slice(0, 2) } } });
  }

  it("merges more instances of the same series without force", async () => {
    const dest = await base("base-a");
    const before = await imageSetCount();
    const { id, outs } = await fx.create("merge-a", {
      datastoreId: fx.datastoreId,
      sourceImageSetId: mra,
      subset: { series: { [big]: series[big].slice(2, 4) } },
      destination: { imageSetId: dest.id, versionId: dest.outs.versionId },
    });
    assert.equal(id, `${dest.id}/merge/2`);
    assert.equal(outs.imageSetId, dest.id);
    assert.equal(outs.destinationVersionBefore, "1");
    assert.equal(outs.versionId, "2");
    assert.deepEqual(await contents(dest.id), { [big]: series[big].slice(0, 4).sort() });
    assert.equal(await imageSetCount(), before, "a merge creates no image set");
  });

  it("refuses a merge of another series without force before sending it, at check and at create: the destination keeps no failed version", async () => {
    const dest = await base("base-b");
    const inputs = {
      datastoreId: fx.datastoreId,
      sourceImageSetId: mraSmall,
      subset: { series: { [small]: "all" } },
      destination: { imageSetId: dest.id, versionId: "1" },
    };
    const refusal = new RegExp(`needs \`force: true\`: series ${small.replace(/\./g, "\\.")} is not in it differ`);
    // check (what `pulumi preview` runs) reads both image sets and names the input
    const checked = await fx.host.check(fx.urn("merge-b"), {}, inputs);
    assert.equal(checked.failures.length, 1);
    assert.equal(checked.failures[0].property, "force");
    assert.match(checked.failures[0].reason, refusal);
    // with the reads turned off, create applies the same rule right before sending
    await assert.rejects(fx.create("merge-b", { ...inputs, checkWithService: false }), (e: Error) => {
      assert.equal(e.name, "DynamicHostError", "a refused merge is not a partial resource");
      assert.match(e.message, refusal);
      return true;
    });
    assert.deepEqual(await contents(dest.id), { [big]: series[big].slice(0, 2).sort() });
    // fixing the program (force) converges
    const { outs } = await fx.create("merge-b", { ...inputs, force: true });
    assert.equal(outs.forced, true);
    assert.deepEqual(await contents(dest.id), { [big]: series[big].slice(0, 2).sort(), [small]: [...series[small]].sort() });
    const versions = await fx.seeded.client.send(new ListImageSetVersionsCommand({ datastoreId: fx.datastoreId, imageSetId: dest.id }));
    assert.deepEqual(
      versions.imageSetPropertiesList!.map((v) => v.ImageSetWorkflowStatus),
      ["COPIED", "COPIED"],
      "nothing was sent for the refused merge",
    );
  });

  it("serialises concurrent merges into one destination: every instance exactly once", async () => {
    const dest = await base("base-c");
    const rest = series[big].slice(2);
    const merges = rest.map((uid, i) =>
      fx.create(`merge-c${i}`, {
        datastoreId: fx.datastoreId,
        sourceImageSetId: mra,
        subset: { series: { [big]: [uid] } },
        destination: { imageSetId: dest.id, versionId: dest.outs.versionId },
      }),
    );
    const results = await Promise.all(merges);
    assert.deepEqual(await contents(dest.id), { [big]: [...series[big]].sort() });
    const versionsMade = results.map((r) => r.outs.versionId).sort();
    assert.deepEqual(versionsMade, ["2", "3", "4", "5", "6"]);
    assert.deepEqual(results.map((r) => r.outs.destinationVersionBefore).sort(), ["1", "2", "3", "4", "5"]);
  });

  it("delete undoes a merge by reverting when nothing else changed the destination", async () => {
    const dest = await base("base-d");
    const merge = await fx.create("merge-d", {
      datastoreId: fx.datastoreId,
      sourceImageSetId: mra,
      subset: { series: { [big]: series[big].slice(2, 5) } },
      destination: { imageSetId: dest.id, versionId: "1" },
    });
    await fx.host.delete(fx.urn("merge-d"), merge.id, merge.outs);
    assert.deepEqual(await contents(dest.id), { [big]: series[big].slice(0, 2).sort() });
    const versions = await fx.seeded.client.send(new ListImageSetVersionsCommand({ datastoreId: fx.datastoreId, imageSetId: dest.id }));
    assert.equal(versions.imageSetPropertiesList![0].ImageSetWorkflowStatus, "UPDATED", "undone by a revert (a new version)");
    assert.equal(versions.imageSetPropertiesList![0].versionId, "3");
  });

  it("delete removes exactly the merged instances when another merge came after it", async () => {
    const dest = await base("base-e");
    const first = await fx.create("merge-e1", {
      datastoreId: fx.datastoreId,
      sourceImageSetId: mra,
      subset: { series: { [big]: series[big].slice(2, 4) } },
      destination: { imageSetId: dest.id, versionId: "1" },
    });
    await fx.create("merge-e2", {
      datastoreId: fx.datastoreId,
      sourceImageSetId: mra,
      subset: { series: { [big]: series[big].slice(4, 6) } },
      destination: { imageSetId: dest.id, versionId: "2" },
    });
    await fx.host.delete(fx.urn("merge-e1"), first.id, first.outs);
    assert.deepEqual(await contents(dest.id), { [big]: [...series[big].slice(0, 2), ...series[big].slice(4, 6)].sort() });
    // the user's destination image set itself is never deleted
    assert.ok(await contents(dest.id));
  });

  it("a new destination version is recorded, not a replacement (the chaining trap)", async () => {
    const dest = await base("base-f");
    const merge = await fx.create("merge-f", {
      datastoreId: fx.datastoreId,
      sourceImageSetId: mra,
      subset: { series: { [big]: series[big].slice(2, 3) } },
      destination: { imageSetId: dest.id, versionId: "1" },
    });
    const diff = await fx.host.diff(fx.urn("merge-f"), merge.id, merge.outs, {
      datastoreId: fx.datastoreId,
      sourceImageSetId: mra,
      subset: { series: { [big]: series[big].slice(2, 3) } },
      destination: { imageSetId: dest.id, versionId: "2" },
      ownerTag: "proj/dev/merge-f",
    });
    assert.deepEqual(diff.replaces, []);
    // and the base resource whose image set the merge moved forward sees no drift
    const read = await fx.host.read(fx.urn("base-f"), dest.id, dest.outs);
    assert.deepEqual(read.props.driftVersions, []);
    assert.equal(read.props.latestVersionId, "2");
    const baseDiff = await fx.host.diff(fx.urn("base-f"), dest.id, read.props, {
      datastoreId: fx.datastoreId,
      sourceImageSetId: mra,
      subset: { series: { [big]: series[big].slice(0, 2) } },
      ownerTag: "proj/dev/base-f",
    });
    assert.equal(baseDiff.changes, "none");
  });
});
