// What creates cost in API calls, counted by a proxy between the provider and the service, and
// the leftover search that keeps that cost flat: image sets made by this provider process are
// never inspected as leftovers, one made by an earlier process is still adopted, and candidates
// are looked up once per process.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { serializedProvider } from "../../provider/resource/serializedProvider";
import { byOperation } from "../support/countingProxy";
import { dynamicUrn, serializeProvider, startDynamicHost } from "../support/dynamicHost";
import { type ProviderFixture, startProviderFixture } from "../support/providerFixture";
import { SERIES } from "../support/seeded";
import { awsEnv } from "../support/emulator";

describe("provider: API calls per create", function () {
  this.timeout(90_000);
  let fx: ProviderFixture;
  let journalDir: string;
  let ctHead: string;

  before(async () => {
    journalDir = fs.mkdtempSync(path.join(os.tmpdir(), "hi-cost-journal-"));
    fx = await startProviderFixture({ countCalls: true, env: { PULUMI_HEALTHIMAGING_JOURNAL: journalDir } });
    ctHead = fx.seeded.imageSetOfSeries(SERIES.ctHead);
  });
  after(async () => {
    await fx?.stop();
    fs.rmSync(journalDir, { recursive: true, force: true });
  });

  it("copies of one study do not inspect each other as leftovers: the calls per create stay flat", async () => {
    const made: string[] = [];
    for (let i = 0; i < 4; i++) {
      const from = fx.proxy!.calls.length;
      made.push((await fx.create(`copy${i}`, { datastoreId: fx.datastoreId, sourceImageSetId: ctHead })).id);
      const window = fx.proxy!.calls.slice(from);
      const calls = JSON.stringify(byOperation(window));
      assert.equal(byOperation(window).ListTagsForResource ?? 0, 0, `create ${i} looked up tags: ${calls}`);
      assert.equal(byOperation(window).SearchImageSets, 1, `create ${i}: ${calls}`);
      assert.equal(byOperation(window).CopyImageSet, 1, `create ${i}: ${calls}`);
      const siblings = window.filter((c) => c.imageSetId && made.slice(0, i).includes(c.imageSetId));
      assert.deepEqual(
        siblings.map((c) => c.op),
        [],
        `create ${i} touched the copies made before it`,
      );
    }
  });

  it("a copy made by an earlier provider process (no journal entry) is found by its tags and adopted", async () => {
    const inputs = { ownerTag: "proj/dev/earlier", datastoreId: fx.datastoreId, sourceImageSetId: ctHead };
    const urn = dynamicUrn("earlier", { type: "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet" });
    const first = await fx.create("earlier", inputs);
    assert.deepEqual(fs.readdirSync(journalDir), [], "create removes its journal entry when it returns");
    // A second process, as the next `pulumi up` after a run that died before recording `first`.
    const next = await startDynamicHost({
      callTimeoutMs: 60_000,
      provider: await serializeProvider(serializedProvider),
      env: {
        ...awsEnv(fx.seeded.emu, fx.proxy!.url),
        PULUMI_HEALTHIMAGING_JOURNAL: journalDir,
      },
    });
    try {
      const from = fx.proxy!.calls.length;
      const checked = await next.check(urn, {}, inputs);
      const again = await next.create(urn, checked.inputs);
      const calls = byOperation(fx.proxy!.calls.slice(from));
      assert.equal(again.id, first.id, "adopted, not copied again");
      assert.equal(calls.CopyImageSet ?? 0, 0, JSON.stringify(calls));
      assert.ok((calls.ListTagsForResource ?? 0) >= 1, `the leftover was recognised by its tags: ${JSON.stringify(calls)}`);
      // Another create of the same study in that process meets the same five candidates (copy0-3
      // and "earlier"): each one's tags are looked up once in the process, whichever create asks.
      const from2 = fx.proxy!.calls.length;
      const otherUrn = dynamicUrn("other", { type: "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet" });
      const other = await next.check(otherUrn, {}, { ...inputs, ownerTag: "proj/dev/other" });
      await next.create(otherUrn, other.inputs);
      const calls2 = byOperation(fx.proxy!.calls.slice(from2));
      assert.equal((calls.ListTagsForResource ?? 0) + (calls2.ListTagsForResource ?? 0), 5, `${JSON.stringify(calls)} then ${JSON.stringify(calls2)}`);
      assert.equal(calls2.CopyImageSet, 1, JSON.stringify(calls2));
    } finally {
      await next.stop();
    }
  });
});
