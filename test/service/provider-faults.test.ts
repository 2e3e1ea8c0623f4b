// Faults through the real dynamic-provider host: a create that times out is recorded as a
// partial resource and resumed by the next update without copying again; a throttling storm is
// absorbed; a 500 on CopyImageSet is resolved without a duplicate copy.

import { SearchImageSetsCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import { SERIES } from "../support/seeded";
import { PartialFailureError, type ProviderFixture, startProviderFixture } from "../support/providerFixture";

async function imageSetCount(fx: ProviderFixture): Promise<number> {
  const out = await fx.seeded.client.send(new SearchImageSetsCommand({ datastoreId: fx.datastoreId }));
  return out.imageSetsMetadataSummaries!.length;
}

describe("provider: create timeout, then resume", function () {
  this.timeout(60_000);
  let fx: ProviderFixture;
  before(async () => {
    fx = await startProviderFixture({ emulator: { timings: { copyMsBase: 2500 } } });
  });
  after(async () => fx?.stop());

  it("records the image set as a partial resource and resumes waiting on the next update", async () => {
    const source = fx.seeded.imageSetOfSeries(SERIES.ctHead);
    const inputs = { datastoreId: fx.datastoreId, sourceImageSetId: source, timeouts: { create: "1s" } };
    const before = await imageSetCount(fx);
    let partial: PartialFailureError | undefined;
    try {
      await fx.create("slow", inputs);
    } catch (e) {
      partial = e as PartialFailureError;
    }
    assert.ok(partial instanceof PartialFailureError, `expected a partial failure, got ${partial}`);
    assert.match(partial.message, /timed out waiting for the copy/);
    assert.match(
      partial.message,
      /`timeouts\.create` \(1s\) ran out .*the next `pulumi up` resumes waiting for it instead of starting again/s,
      "names the setting and what happens next",
    );
    assert.equal(partial.properties.imageSetId, partial.id);
    assert.equal(partial.properties.imageSetState, "LOCKED");
    assert.equal(typeof partial.properties.__provider, "string", "__provider kept so delete and refresh work");
    assert.equal(await imageSetCount(fx), before + 1, "the image set exists and is in state");

    // The engine calls update for a resource with init errors, with the partial properties as olds.
    const checked = await fx.host.check(fx.urn("slow"), {}, { ...inputs, ownerTag: "proj/dev/slow", timeouts: { create: "30s", update: "30s" } });
    const { outs } = await fx.host.update(fx.urn("slow"), partial.id, partial.properties, checked.inputs);
    assert.equal(outs.imageSetState, "ACTIVE");
    assert.equal(outs.workflowStatus, "COPIED");
    assert.equal(outs.imageSetId, partial.id);
    assert.equal(await imageSetCount(fx), before + 1, "no second copy");
  });
});

describe("provider: throttling storm and server errors", function () {
  this.timeout(120_000);
  let fx: ProviderFixture;
  before(async () => {
    fx = await startProviderFixture({ emulator: { rateLimits: { CopyImageSet: { rate: 5, burst: 1 } } } });
  });
  after(async () => fx?.stop());

  it("creates 15 derived image sets at once under a 5 TPS copy limit with no failure reaching the user", async () => {
    const source = fx.seeded.imageSetOfSeries(SERIES.cr1);
    const sources = [SERIES.cr1, SERIES.ctHead, SERIES.mra700, SERIES.ct5].map((s) => fx.seeded.imageSetOfSeries(s));
    const before = await imageSetCount(fx);
    const results = await Promise.all(
      Array.from({ length: 15 }, (_, i) => fx.create(`storm${i}`, { datastoreId: fx.datastoreId, sourceImageSetId: sources[i % sources.length] ?? source })),
    );
    assert.equal(new Set(results.map((r) => r.id)).size, 15);
    assert.ok(results.every((r) => r.outs.imageSetState === "ACTIVE"));
    assert.equal(await imageSetCount(fx), before + 15, "exactly one copy per resource");
    assert.ok((fx.seeded.emu.limiter.throttled.CopyImageSet ?? 0) > 0, "the service did throttle");
  });

  it("resolves a 500 from CopyImageSet by looking before retrying: one copy, no error", async () => {
    const source = fx.seeded.imageSetOfSeries(SERIES.ctHead);
    const before = await imageSetCount(fx);
    fx.seeded.emu.service.faults.failNext("CopyImageSet", 2, "InternalServerException");
    const { outs } = await fx.create("after500", { datastoreId: fx.datastoreId, sourceImageSetId: source });
    assert.equal(outs.imageSetState, "ACTIVE");
    assert.equal(await imageSetCount(fx), before + 1);
  });

  it("surfaces a validation error from the service with its own message", async () => {
    const source = fx.seeded.imageSetOfSeries(SERIES.ctHead);
    fx.seeded.emu.service.faults.failNext("CopyImageSet", 1, "ValidationException", "Injected: copiableAttributes rejected");
    await assert.rejects(
      fx.create("rejected", { datastoreId: fx.datastoreId, sourceImageSetId: source }),
      /CopyImageSet failed: ValidationException: Injected: copiableAttributes rejected/,
    );
  });
});

describe("provider: a check's throttled reads", function () {
  this.timeout(60_000);
  let fx: ProviderFixture;
  before(async () => {
    // 3 attempts: the throttle that outlasts them is reached in seconds
    fx = await startProviderFixture({ env: { PULUMI_HEALTHIMAGING_MAX_ATTEMPTS: "3" } });
  });
  after(async () => fx?.stop());

  // each its own source: a process reads a source once for all its checks
  const check = (name: string, series: string) =>
    fx.host.check(fx.urn(name), {}, { ownerTag: `proj/dev/${name}`, datastoreId: fx.datastoreId, sourceImageSetId: fx.seeded.imageSetOfSeries(series) });

  it("are retried: a throttle is the service asking to wait, not a reason to fail the preview", async () => {
    fx.seeded.emu.service.faults.failNext("GetImageSet", 2, "ThrottlingException", "Rate exceeded");
    assert.deepEqual((await check("throttled-check", SERIES.ctHead)).failures, []);
  });

  it("that stay throttled fail the check naming the quota and the ways out, not the credentials", async () => {
    fx.seeded.emu.service.faults.failNext("GetImageSet", 10, "ThrottlingException", "Rate exceeded");
    const { failures } = await check("still-throttled", SERIES.mra700);
    fx.seeded.emu.service.faults.reset();
    assert.equal(failures.length, 1);
    assert.equal(failures[0].property, "datastoreId");
    assert.match(failures[0].reason, /still throttled after 3 attempts \(ThrottlingException: Rate exceeded\).*read quota.*checkWithService: false/);
    assert.doesNotMatch(failures[0].reason, /credentials/);
  });
});
