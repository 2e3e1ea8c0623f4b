// Reliability: network faults between the provider (real dynamic-provider host) and the local
// service, injected by a TCP proxy. CopyImageSet has no idempotency token, so the provider must
// never retry it blindly: a lost RESPONSE (the copy was made) must be adopted by the ambiguity
// check, a lost REQUEST (nothing was made) must be retried, and in both cases exactly one copy
// results. Reads, updates and deletes survive resets too.

import { ListImageSetVersionsCommand, SearchImageSetsCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { serializedProvider } from "../../provider/resource/serializedProvider";
import { ensureBuilt } from "../support/build";
import { type DynamicHost, type Props, dynamicUrn, serializeProvider, startDynamicHost } from "../support/dynamicHost";
import { instancesIn, metadataOf, type Seeded, startSeeded, SERIES } from "../support/seeded";
import { startTcpProxy, type TcpProxy } from "../support/tcpProxy";
import { awsEnv } from "../support/emulator";

export const NETWORK_FIGURES: Record<string, { tried: number; lost: number }> = {};

describe("reliability: network faults through a TCP proxy", function () {
  this.timeout(120_000);
  let seeded: Seeded;
  let proxy: TcpProxy;
  let host: DynamicHost;
  let journalDir: string;
  const urn = (name: string) => dynamicUrn(name, { type: "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet" });

  const live = async () =>
    (await seeded.client.send(new SearchImageSetsCommand({ datastoreId: seeded.datastoreId }))).imageSetsMetadataSummaries!.map((s) => s.imageSetId!).sort();
  const create = async (name: string, inputs: Props) => {
    const checked = await host.check(urn(name), {}, { ownerTag: `proj/dev/${name}`, datastoreId: seeded.datastoreId, ...inputs });
    assert.deepEqual(checked.failures, []);
    return host.create(urn(name), checked.inputs);
  };

  before(async () => {
    ensureBuilt();
    seeded = await startSeeded({ timings: { copyMsBase: 300 } });
    proxy = await startTcpProxy(seeded.emu.port);
    journalDir = fs.mkdtempSync(path.join(os.tmpdir(), "hi-journal-"));
    host = await startDynamicHost({
      callTimeoutMs: 90_000,
      provider: await serializeProvider(serializedProvider),
      env: {
        ...awsEnv(seeded.emu, proxy.endpoint),
        PULUMI_HEALTHIMAGING_JOURNAL: journalDir,
      },
    });
  });
  after(async () => {
    await host?.stop();
    await proxy?.close();
    await seeded?.stop();
    fs.rmSync(journalDir, { recursive: true, force: true });
  });

  it("a CopyImageSet whose response is lost after the service accepted it: exactly one image set, adopted", async () => {
    const before = await live();
    const rounds = 3;
    const sources = [SERIES.ctHead, SERIES.cr1, SERIES.ct5];
    for (let i = 0; i < rounds; i++) {
      const applied = proxy.stats.applied.dropResponse;
      proxy.arm({ kind: "dropResponse", match: /\/copyImageSet(\?|$)/ });
      const { id, outs } = await create(`lostresp${i}`, { sourceImageSetId: seeded.imageSetOfSeries(sources[i]) });
      assert.equal(proxy.stats.applied.dropResponse, applied + 1, "the response was dropped");
      assert.equal(outs.imageSetState, "ACTIVE");
      const now = await live();
      const added = now.filter((x) => !before.includes(x));
      assert.equal(added.length, i + 1, "one image set per resource, never two");
      assert.ok(added.includes(id));
    }
    NETWORK_FIGURES["copy response dropped (new image set)"] = { tried: rounds, lost: 0 };
  });

  it("a CopyImageSet request reset before it reaches the service: the copy is made once", async () => {
    const before = await live();
    const rounds = 3;
    const sources = [SERIES.ctHead, SERIES.cr1, SERIES.mra700];
    for (let i = 0; i < rounds; i++) {
      const seen = proxy.stats.requests.filter((r) => r.endsWith("copyImageSet")).length;
      proxy.arm({ kind: "dropRequest", match: /\/copyImageSet(\?|$)/ });
      const { id } = await create(`lostreq${i}`, { sourceImageSetId: seeded.imageSetOfSeries(sources[i]) });
      assert.equal(proxy.stats.requests.filter((r) => r.endsWith("copyImageSet")).length, seen + 2, "sent, dropped, sent again");
      const added = (await live()).filter((x) => !before.includes(x));
      assert.equal(added.length, i + 1);
      assert.ok(added.includes(id));
    }
    await host.waitForOutput(/CopyImageSet: .*the service did not apply it, trying again/, 5000);
    NETWORK_FIGURES["copy request dropped (new image set)"] = { tried: rounds, lost: 0 };
  });

  it("a merge whose CopyImageSet response is lost moves the destination exactly one version, instances once", async () => {
    // one image set per series: the merge brings another series of the study into the copy
    const [big, small] = [SERIES.mra700, SERIES.mra2];
    const mra = seeded.imageSetOfSeries(big);
    const mraSmall = seeded.imageSetOfSeries(small);
    const series = {
      ...instancesIn(await metadataOf(seeded.client, seeded.datastoreId, mra)),
      ...instancesIn(await metadataOf(seeded.client, seeded.datastoreId, mraSmall)),
    };
    const base = await create("mergebase", { sourceImageSetId: mra, subset: { series: { [big]: "all" } } });
    proxy.arm({ kind: "dropResponse", match: /\/copyImageSet(\?|$)/ });
    const merged = await create("mergelost", {
      sourceImageSetId: mraSmall,
      subset: { series: { [small]: "all" } },
      destination: { imageSetId: base.id, versionId: String(base.outs.versionId) },
      force: true,
    });
    assert.equal(merged.outs.imageSetId, base.id);
    const versions = (await seeded.client.send(new ListImageSetVersionsCommand({ datastoreId: seeded.datastoreId, imageSetId: base.id })))
      .imageSetPropertiesList!;
    assert.deepEqual(versions.map((v) => v.versionId).sort(), ["1", "2"], "one merge version, not two");
    const now = instancesIn(await metadataOf(seeded.client, seeded.datastoreId, base.id));
    assert.deepEqual(now, { [big]: series[big], [small]: series[small] });
    NETWORK_FIGURES["copy response dropped (merge)"] = { tried: 1, lost: 0 };
  });

  it("lost responses of UpdateImageSetMetadata and DeleteImageSet, stalled and reset reads: no double update, delete succeeds", async () => {
    const mra = seeded.imageSetOfSeries(SERIES.mra700);
    const series = instancesIn(await metadataOf(seeded.client, seeded.datastoreId, mra));
    const [big] = Object.keys(series).sort((a, b) => series[b].length - series[a].length);
    const inputs = { sourceImageSetId: mra, subset: { series: { [big]: series[big].slice(0, 4) } } };
    const made = await create("upd", inputs);
    // update in place (removes 2 instances) with its response lost and a stalled read on the way
    proxy.arm({ kind: "dropResponse", match: /\/updateImageSetMetadata(\?|$)/ });
    proxy.arm({ kind: "stall", match: /\/getImageSet(\?|$)/, ms: 500 });
    const news = { ...inputs, ownerTag: "proj/dev/upd", datastoreId: seeded.datastoreId, subset: { series: { [big]: series[big].slice(0, 2) } } };
    const checked = await host.check(urn("upd"), {}, news);
    const { outs } = await host.update(urn("upd"), made.id, made.outs, checked.inputs);
    assert.equal(proxy.pending(), 0, "both faults were applied");
    assert.ok(proxy.stats.applied.stall >= 1);
    const versions = (await seeded.client.send(new ListImageSetVersionsCommand({ datastoreId: seeded.datastoreId, imageSetId: made.id })))
      .imageSetPropertiesList!;
    assert.deepEqual(versions.map((v) => v.versionId).sort(), ["1", "2"], "the update applied once");
    assert.deepEqual(instancesIn(await metadataOf(seeded.client, seeded.datastoreId, made.id)), { [big]: series[big].slice(0, 2).sort() });
    // delete with its response lost, then every connection reset mid-wait
    proxy.arm({ kind: "dropResponse", match: /\/deleteImageSet(\?|$)/ });
    const deleting = host.delete(urn("upd"), made.id, outs);
    setTimeout(() => proxy.resetAll(), 50);
    await deleting;
    assert.ok(!(await live()).includes(made.id));
    NETWORK_FIGURES["update response dropped + read stalled"] = { tried: 1, lost: 0 };
    NETWORK_FIGURES["delete response dropped + all connections reset"] = { tried: 1, lost: 0 };
  });

  it("a burst of random resets and delays during 6 concurrent creates: one image set each, none leaked", async () => {
    const before = await live();
    const sources = [SERIES.ctHead, SERIES.cr1, SERIES.ct5, SERIES.mra700].map((s) => seeded.imageSetOfSeries(s));
    proxy.arm({ kind: "dropResponse", match: /\/copyImageSet(\?|$)/, count: 2 });
    proxy.arm({ kind: "dropRequest", match: /\/copyImageSet(\?|$)/, count: 2 });
    proxy.arm({ kind: "delay", match: /\/getImageSet(\?|$)/, count: 5, ms: 300 });
    proxy.arm({ kind: "dropResponse", match: /\/getImageSet(\?|$)/, count: 5 });
    const results = await Promise.allSettled(Array.from({ length: 6 }, (_, i) => create(`burst${i}`, { sourceImageSetId: sources[i % sources.length] })));
    const failed = results.filter((r) => r.status === "rejected").map((r) => String((r as PromiseRejectedResult).reason));
    assert.deepEqual(failed, []);
    const ids = results.map((r) => (r as PromiseFulfilledResult<{ id: string }>).value.id);
    const added = (await live()).filter((x) => !before.includes(x)).sort();
    assert.deepEqual(added, [...ids].sort(), "exactly the recorded image sets exist");
    assert.equal(proxy.pending(), 0, "every armed fault was applied");
    NETWORK_FIGURES["6 concurrent creates, 4 copy faults + 10 read faults"] = { tried: 6, lost: 0 };
  });
});
