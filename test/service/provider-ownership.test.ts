// Ownership rules through the real dynamic-provider host, the provider reaching the seeded local
// service through a TCP proxy that can lose the answer to a chosen request. A "colleague" is this
// test writing to the service directly with the AWS SDK (not through the proxy).
//   1. a promoted (primary) image set grows its subset in place, without `force` (AWS refuses it
//      on primary image sets), and stays primary; 1b. also after a growth whose copy failed;
//   2. an update that fails after it started keeps state small: the old declared subset, the new
//      one as `subsetInFlight` (as declared), no expanded instance lists; the next update converges
//      in place (2a: the copy failed after the service accepted it; 2b: instances were removed,
//      then the copy was refused);
//   3. a lost CopyImageSet answer while a colleague makes an identical copy in the same moment is
//      "unknown": nothing is claimed (no tag, no image set id in state), and delete deletes nothing;
//   4. a lost CopyImageSet answer alone is settled by proof: the one image set the service made is
//      recorded and tagged, no second copy is made.
// The rules are in provider/recovery/ownership.ts, provider/recovery/records.ts and
// provider/lifecycle/create.ts, update.ts and delete.ts.

import {
  CopyImageSetCommand,
  DeleteImageSetCommand,
  GetImageSetCommand,
  ListImageSetVersionsCommand,
  ListTagsForResourceCommand,
  SearchImageSetsCommand,
} from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import { serializedProvider } from "../../provider/resource/serializedProvider";
import { ensureBuilt } from "../support/build";
import { type DynamicHost, dynamicUrn, PartialFailureError, type Props, serializeProvider, startDynamicHost } from "../support/dynamicHost";
import { awsEnv, eventually } from "../support/emulator";
import { instancesIn, metadataOf, type Seeded, SERIES, startSeeded } from "../support/seeded";
import { startTcpProxy, type TcpProxy } from "../support/tcpProxy";

const OWNER_TAG = "pulumi-healthimaging:owner";
const TAG_PREFIX = "pulumi-healthimaging";
const COPY_REQUEST = /\/copyImageSet(\?|$)/;

describe("provider: ownership rules (promoted growth, failed updates, lost copy answers)", function () {
  this.timeout(120_000);
  let seeded: Seeded;
  let proxy: TcpProxy;
  let host: DynamicHost;
  const urn = (name: string) => dynamicUrn(name, { type: "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet" });
  const ds = () => seeded.datastoreId;
  const client = () => seeded.client;

  const checked = async (name: string, inputs: Props) => {
    const r = await host.check(urn(name), {}, { ownerTag: `proj/dev/${name}`, datastoreId: ds(), ...inputs });
    assert.deepEqual(r.failures, [], "check passes");
    return r.inputs;
  };
  const create = async (name: string, inputs: Props) => host.create(urn(name), await checked(name, inputs));
  /** check + diff + update, as the engine does for an in-place change */
  const update = async (name: string, id: string, olds: Props, inputs: Props) => {
    const news = await checked(name, inputs);
    const diff = await host.diff(urn(name), id, olds, news);
    assert.equal(diff.changes, "some", "the diff shows a change");
    assert.deepEqual(diff.replaces, [], "in place, not a replacement");
    return host.update(urn(name), id, olds, news);
  };
  const partialOf = async (p: Promise<unknown>): Promise<PartialFailureError> => {
    try {
      await p;
    } catch (e) {
      assert.ok(e instanceof PartialFailureError, `expected a partial failure, got ${(e as Error).name}: ${(e as Error).message}`);
      return e;
    }
    assert.fail("expected the call to fail");
  };

  const getSet = (imageSetId: string) => client().send(new GetImageSetCommand({ datastoreId: ds(), imageSetId }));
  const settled = (imageSetId: string) =>
    eventually(async () => {
      const out = await getSet(imageSetId);
      return out.imageSetState !== "LOCKED" ? out : undefined;
    }, 30_000);
  const contents = async (imageSetId: string) => instancesIn(await metadataOf(client(), ds(), imageSetId));
  const uidsOf = async (series: string) => (await contents(seeded.imageSetOfSeries(series)))[series];
  const tagsOf = async (imageSetId: string) =>
    (await client().send(new ListTagsForResourceCommand({ resourceArn: (await getSet(imageSetId)).imageSetArn! }))).tags ?? {};
  const versionsOf = async (imageSetId: string) =>
    ((await client().send(new ListImageSetVersionsCommand({ datastoreId: ds(), imageSetId }))).imageSetPropertiesList ?? []).sort(
      (a, b) => Number(a.versionId) - Number(b.versionId),
    );
  /** Live image sets of a series, by SearchImageSets. */
  const imageSetsOfSeries = async (series: string, primary?: boolean) => {
    const filters = [
      { operator: "EQUAL" as const, values: [{ DICOMSeriesInstanceUID: series }] },
      ...(primary === undefined ? [] : [{ operator: "EQUAL" as const, values: [{ isPrimary: primary }] }]),
    ];
    const out = await client().send(new SearchImageSetsCommand({ datastoreId: ds(), searchCriteria: { filters } }));
    return (out.imageSetsMetadataSummaries ?? []).map((s) => s.imageSetId!);
  };
  /** The live image sets that hold exactly these instances of the series, nothing else. */
  const holdingExactly = async (series: string, uids: string[]) => {
    const want = { [series]: [...uids].sort() };
    const ids: string[] = [];
    for (const id of await imageSetsOfSeries(series)) {
      if ((await settled(id)).imageSetState !== "ACTIVE") continue;
      if (JSON.stringify(await contents(id)) === JSON.stringify(want)) ids.push(id);
    }
    return ids.sort();
  };
  const copiable = (series: string, uids: string[]) =>
    JSON.stringify({ SchemaVersion: "1.1", Study: { Series: { [series]: { Instances: Object.fromEntries(uids.map((u) => [u, {}])) } } } });
  /** The colleague: CopyImageSet straight to the service (some instances, or everything) into a new image set; resolves once it is ACTIVE. */
  const colleagueCopy = async (sourceImageSetId: string, selection?: { series: string; uids: string[] }) => {
    const latestVersionId = (await settled(sourceImageSetId)).versionId!;
    const copies = selection ? { DICOMCopies: { copiableAttributes: copiable(selection.series, selection.uids) } } : {};
    const out = await client().send(
      new CopyImageSetCommand({ datastoreId: ds(), sourceImageSetId, copyImageSetInformation: { sourceImageSet: { latestVersionId, ...copies } } }),
    );
    const id = out.destinationImageSetProperties!.imageSetId!;
    const done = await settled(id);
    assert.equal(done.imageSetWorkflowStatus, "COPIED", "the colleague's copy worked");
    await settled(sourceImageSetId);
    return id;
  };

  /** Promotion needs a series without a primary image set: copies the primary (the source to promote from), then deletes it. */
  const readyToPromote = async (series: string) => {
    const primary = seeded.imageSetOfSeries(series);
    const source = await colleagueCopy(primary);
    await client().send(new DeleteImageSetCommand({ datastoreId: ds(), imageSetId: primary }));
    await eventually(async () => ((await getSet(primary)).imageSetState === "DELETED" ? true : undefined), 30_000);
    assert.deepEqual(await imageSetsOfSeries(series, true), [], "the series has no primary image set");
    return source;
  };
  /** What a failed update's state must look like: small, naming the subsets as declared. */
  const assertSmall = (props: Record<string, unknown>, oldDeclared: unknown, newSubset: unknown, all: string[], declaredUids: string[]) => {
    assert.deepEqual(props.subset, oldDeclared, "`subset` is still the old declared subset");
    assert.deepEqual(props.subsetInFlight, newSubset, "`subsetInFlight` is the new subset, as declared");
    assert.equal(props.copiedInstances, undefined, "no list of copied instances");
    const { __provider: _provider, ...rest } = props;
    const text = JSON.stringify(rest);
    for (const uid of all.filter((u) => !declaredUids.includes(u))) {
      assert.ok(!text.includes(uid), `state names instance ${uid}, which no declaration lists: an expanded list is kept (${text.length} chars)`);
    }
    const declarations = JSON.stringify(oldDeclared).length + JSON.stringify(newSubset).length;
    const others = JSON.stringify({ ...rest, subset: null, subsetInFlight: null }).length;
    assert.ok(others < 2_000, `state apart from the two subsets is ${others} chars (the declarations are ${declarations})`);
  };

  /** A dynamic-provider host reaching the service through the proxy (its journal: this run's home). */
  const startHost = async () =>
    startDynamicHost({ callTimeoutMs: 100_000, provider: await serializeProvider(serializedProvider), env: awsEnv(seeded.emu, proxy.endpoint) });

  before(async () => {
    ensureBuilt();
    seeded = await startSeeded();
    proxy = await startTcpProxy(seeded.emu.port);
    host = await startHost();
  });
  after(async () => {
    await host?.stop();
    await proxy?.close();
    await seeded?.stop();
  });
  afterEach(() => {
    seeded.emu.service.faults.reset();
  });

  it("1. a promoted (primary) image set grows its subset in place: no force sent, the new subset held, still primary", async () => {
    const series = SERIES.ctHead;
    const all = await uidsOf(series);
    assert.equal(all.length, 4);
    const source = await readyToPromote(series);

    const inputs = { sourceImageSetId: source, promoteToPrimary: true, subset: { series: { [series]: all.slice(0, 2) } } };
    const made = await create("promoted", inputs);
    assert.equal(made.outs.isPrimary, true, "promoted");
    assert.deepEqual(await contents(made.id), { [series]: all.slice(0, 2).sort() });

    const grown = { ...inputs, subset: { series: { [series]: all.slice(0, 3) } } };
    const { outs } = await update("promoted", made.id, made.outs, grown);
    assert.equal(outs.imageSetId, made.id, "the same image set");
    assert.deepEqual(await contents(made.id), { [series]: all.slice(0, 3).sort() }, "the image set holds the new subset");
    assert.equal(outs.instanceCount, 3);
    const set = await settled(made.id);
    assert.equal(set.isPrimary, true, "still primary");
    assert.equal(outs.isPrimary, true);
    assert.equal(outs.forced, false);
    const versions = await versionsOf(made.id);
    assert.deepEqual(
      versions.map((v) => [v.versionId, v.ImageSetWorkflowStatus, v.overrides?.forced ?? false]),
      [
        ["1", "COPIED", false],
        ["2", "COPIED", false],
      ],
      "one copy into it, made without force",
    );
    assert.equal(String(outs.versionId), "2");
  });

  it("1b. a promoted image set whose growth failed (COPY_FAILED) stays primary in state and grows in place on the next up", async () => {
    const series = SERIES.ct4;
    const all = await uidsOf(series);
    assert.equal(all.length, 2);
    const source = await readyToPromote(series);
    const inputs = { sourceImageSetId: source, promoteToPrimary: true, subset: { series: { [series]: all.slice(0, 1) } } };
    const made = await create("promoted-fails", inputs);
    assert.equal(made.outs.isPrimary, true);

    const grown = { ...inputs, subset: { series: { [series]: all } } };
    seeded.emu.service.faults.failNextCopies(1);
    const failed = await partialOf(update("promoted-fails", made.id, made.outs, grown));
    assert.equal(failed.id, made.id);
    assert.equal((await settled(made.id)).isPrimary, true, "the image set is still primary");
    assert.equal(failed.properties.isPrimary, true, "state says what the image set is: primary");

    // the next `up`: an in-place update (a replacement would have to promote a second primary
    // image set of the series while this one exists, which the service refuses)
    const { outs } = await update("promoted-fails", made.id, failed.properties, grown);
    assert.equal(outs.imageSetId, made.id);
    assert.deepEqual(await contents(made.id), { [series]: [...all].sort() }, "the image set holds the new subset");
    assert.equal((await settled(made.id)).isPrimary, true, "still primary");
    const copies = (await versionsOf(made.id)).filter((v) => v.versionId !== "1");
    assert.deepEqual(
      copies.map((v) => [v.ImageSetWorkflowStatus, v.overrides?.forced ?? false]),
      [
        ["COPY_FAILED", false],
        ["COPIED", false],
      ],
      "the failed copy and the one that worked, both without force",
    );
  });

  it("2a. an update whose copy fails after the service accepted it keeps the declared subsets (old, and the new one in flight), never expanded lists; the next update converges in place", async () => {
    const series = SERIES.mra700;
    const all = await uidsOf(series);
    assert.equal(all.length, 7);
    const source = seeded.imageSetOfSeries(series);
    const oldSubset = { series: { [series]: all.slice(0, 3) } };
    const inputs = { sourceImageSetId: source, subset: oldSubset };
    const made = await create("grow-fails", inputs);

    // the copy of the added instances is accepted, then ends COPY_FAILED; the new subset is "all"
    const everything = { series: { [series]: "all" } };
    seeded.emu.service.faults.failNextCopies(1);
    const failed = await partialOf(update("grow-fails", made.id, made.outs, { ...inputs, subset: everything }));
    assert.equal(failed.id, made.id, "the resource keeps its id");
    assertSmall(failed.properties, oldSubset, everything, all, all.slice(0, 3));
    assert.equal(typeof failed.properties.__provider, "string", "__provider kept so delete and refresh work");
    assert.deepEqual(await contents(made.id), { [series]: all.slice(0, 3).sort() }, "the failed copy changed nothing");

    // the next `up` (same inputs; the engine sends the partial properties as olds) converges
    const again = await update("grow-fails", made.id, failed.properties, { ...inputs, subset: everything });
    assert.deepEqual(await contents(made.id), { [series]: [...all].sort() }, "the image set holds exactly the new subset");
    assert.equal(again.outs.subsetInFlight, undefined, "nothing in flight any more");
    assert.deepEqual(again.outs.subset, everything);
    assert.equal(again.outs.instanceCount, 7);
  });

  it("2b. an update that removed instances and then had its copy refused keeps the declared subsets; the next update converges", async () => {
    const series = SERIES.mra700;
    const all = await uidsOf(series);
    // instance 0 is removed (a version is written), then the copy of 2 and 3 is refused before the service accepts it
    const first = { series: { [series]: all.slice(0, 2) } };
    const inputs = { sourceImageSetId: seeded.imageSetOfSeries(series), subset: first };
    const made = await create("shrink-then-fails", inputs);
    const next = { series: { [series]: all.slice(1, 4) } };
    seeded.emu.service.faults.failNext("CopyImageSet", 1, "ValidationException", "Injected: copy refused");
    const refused = await partialOf(update("shrink-then-fails", made.id, made.outs, { ...inputs, subset: next }));
    assert.equal(refused.id, made.id);
    assert.match(refused.message, /Injected: copy refused/);
    assertSmall(refused.properties, first, next, all, all.slice(0, 4));
    assert.deepEqual(await contents(made.id), { [series]: [all[1]] }, "instance 0 was removed before the copy was refused");
    assert.equal(String(refused.properties.versionId), (await settled(made.id)).versionId, "state names the version the removal made");

    const converged = await update("shrink-then-fails", made.id, refused.properties, { ...inputs, subset: next });
    assert.deepEqual(await contents(made.id), { [series]: all.slice(1, 4).sort() }, "the image set holds exactly the new subset");
    assert.equal(converged.outs.subsetInFlight, undefined);
    assert.equal(converged.outs.instanceCount, 3);
  });

  it("3. a lost CopyImageSet answer while a colleague made an identical copy in the same moment: unknown, nothing claimed, delete deletes nothing", async () => {
    const series = SERIES.ct5;
    const all = await uidsOf(series);
    const declared = all.slice(1, 4);
    const source = seeded.imageSetOfSeries(series);
    assert.deepEqual(await holdingExactly(series, declared), [], "no image set holds the declared instances yet");
    let colleague: string | undefined;
    const applied = proxy.stats.applied.dropResponse;
    proxy.arm({
      kind: "dropResponse",
      match: COPY_REQUEST,
      beforeFault: async () => {
        colleague = await colleagueCopy(source, { series, uids: declared });
      },
    });
    const copiesBefore = proxy.stats.requests.filter((r) => COPY_REQUEST.test(r)).length;
    const partial = await partialOf(create("lost-with-colleague", { sourceImageSetId: source, subset: { series: { [series]: declared } } }));
    assert.equal(proxy.stats.applied.dropResponse, applied + 1, "the answer was lost");
    assert.deepEqual(proxy.stats.hookErrors.map(String), [], "the colleague's copy worked");
    assert.ok(colleague);
    assert.equal(proxy.stats.requests.filter((r) => COPY_REQUEST.test(r)).length, copiesBefore + 1, "CopyImageSet was sent once, never again");

    const holding = await holdingExactly(series, declared);
    assert.equal(holding.length, 2, `two image sets hold exactly the declared instances (the colleague's and the lost copy's): ${holding}`);
    assert.ok(holding.includes(colleague));
    assert.match(partial.message, /got no answer, and the service does not show whether it made an image set/, "says the outcome is unknown");
    assert.match(partial.message, /Nothing was claimed/);
    assert.match(partial.id, /^unresolved-/, "the resource stays in state, unresolved");
    assert.equal(partial.properties.imageSetId, "", "no image set is claimed");
    assert.equal(partial.properties.workflowStatus, "UNKNOWN");
    assert.equal(typeof partial.properties.__provider, "string", "__provider kept so delete works");
    for (const id of holding) {
      const tags = await tagsOf(id);
      assert.equal(tags[OWNER_TAG], undefined, `image set ${id} carries an owner tag`);
      assert.deepEqual(
        Object.keys(tags).filter((k) => k.startsWith(TAG_PREFIX)),
        [],
        `image set ${id} carries the provider's tags`,
      );
    }

    // The next `up`: the preview replaces the unresolved resource; its create looks again (the
    // journal kept the window) and, with two identical copies still there, again claims nothing.
    const news = await checked("lost-with-colleague", { sourceImageSetId: source, subset: { series: { [series]: declared } } });
    const diff = await host.diff(urn("lost-with-colleague"), partial.id, partial.properties, news);
    assert.notDeepEqual(diff.replaces, [], "an unresolved copy previews as a replacement");
    const again = await partialOf(host.create(urn("lost-with-colleague"), news));
    assert.match(again.id, /^unresolved-/, "still unresolved: nothing claimed on the second look either");
    assert.equal(proxy.stats.requests.filter((r) => COPY_REQUEST.test(r)).length, copiesBefore + 1, "and no second copy");
    for (const id of holding) assert.equal((await tagsOf(id))[OWNER_TAG], undefined);

    await host.delete(urn("lost-with-colleague"), partial.id, partial.properties);
    for (const id of holding) assert.equal((await getSet(id)).imageSetState, "ACTIVE", `image set ${id} still exists after delete`);
  });

  it("4. a lost CopyImageSet answer alone: the one image set the service made is proven by its contents, recorded and tagged; no second copy", async () => {
    const series = SERIES.mra2;
    const all = await uidsOf(series);
    const declared = all.slice(0, 2);
    const source = seeded.imageSetOfSeries(series);
    assert.deepEqual(await holdingExactly(series, declared), []);
    const copiesBefore = proxy.stats.requests.filter((r) => COPY_REQUEST.test(r)).length;
    const applied = proxy.stats.applied.dropResponse;
    proxy.arm({ kind: "dropResponse", match: COPY_REQUEST });
    const { id, outs } = await create("lost-alone", { sourceImageSetId: source, subset: { series: { [series]: declared } } });
    assert.equal(proxy.stats.applied.dropResponse, applied + 1, "the answer was lost");
    assert.equal(proxy.stats.requests.filter((r) => COPY_REQUEST.test(r)).length, copiesBefore + 1, "CopyImageSet was sent once, never again");
    assert.deepEqual(await holdingExactly(series, declared), [id], "exactly one image set holds the declared instances, and it is the resource's");
    assert.equal(outs.imageSetId, id);
    assert.equal(outs.imageSetState, "ACTIVE");
    assert.equal(outs.workflowStatus, "COPIED");
    assert.equal((await tagsOf(id))[OWNER_TAG], "proj/dev/lost-alone", "tagged with its owner");
  });

  it("5. a run that died between sending a merge and its answer: the next run proves the merge over the destination's versions after the one it was built on, and adopts it; no second copy", async () => {
    const series = SERIES.mra2;
    const all = await uidsOf(series);
    const source = seeded.imageSetOfSeries(series);
    const destination = await colleagueCopy(source, { series, uids: all.slice(0, 1) });
    const inputs = { sourceImageSetId: source, subset: { series: { [series]: all.slice(1, 2) } }, destination: { imageSetId: destination, versionId: "1" } };
    const copiesBefore = proxy.stats.requests.filter((r) => COPY_REQUEST.test(r)).length;
    // the service applies the merge; its answer is held until the provider process is gone
    proxy.arm({ kind: "stall", match: COPY_REQUEST, ms: 60_000 });
    const dying = create("merge-died", inputs).catch((e: unknown) => e);
    await eventually(async () => ((await getSet(destination)).versionId === "2" ? true : undefined), 20_000);
    await host.stop();
    await dying;
    host = await startHost();
    const { id, outs } = await create("merge-died", inputs);
    assert.equal(
      proxy.stats.requests.filter((r) => COPY_REQUEST.test(r)).length,
      copiesBefore + 1,
      "CopyImageSet was sent once: the merge was adopted, not made again",
    );
    assert.equal(outs.versionId, "2", "the merge's version, proven by what it added");
    assert.equal(outs.destinationVersionBefore, "1");
    assert.match(id, new RegExp(`^${destination}/merge/2$`));
    assert.deepEqual(await contents(destination), { [series]: all.slice(0, 2).sort() }, "the instance is there once");
  });
});
