// The write engine's bounds, through the real dynamic-provider host against the local service:
// a ConflictException that nothing explains ends after a few attempts with the service's message
// (CopyImageSet, UpdateImageSetMetadata, DeleteImageSet) instead of retrying until the timeout; a
// 402, whatever its message, is waited out a bounded while (it may be the concurrent-operations
// quota) and then fails naming the quotas it could be; a refused connection names the endpoint and
// the setting. (test/unit/provider-write-quota.test.ts drives the 402 bounds in-process.)

import assert from "node:assert/strict";
import { byOperation } from "../support/countingProxy";
import { freePort } from "../support/emulator";
import { type ProviderFixture, startProviderFixture } from "../support/providerFixture";
import { instancesIn, metadataOf } from "../support/seeded";
import { MAX_UNEXPLAINED_CONFLICTS, QUOTA_RETRY } from "../../provider/service/writeEngine";
import { startDynamicHost, dynamicUrn, serializeProvider } from "../support/dynamicHost";
import { serializedProvider } from "../../provider/resource/serializedProvider";

describe("provider: the write engine's bounds", function () {
  this.timeout(120_000);
  let fx: ProviderFixture;
  let source: string;
  before(async () => {
    fx = await startProviderFixture({ countCalls: true, emulator: { profile: "fast" } });
    // the primary image set with the most instances: one of its series has several
    const set = fx.seeded.seed.imageSets.filter((s) => s.isPrimary).sort((a, b) => (b.instanceCount ?? 0) - (a.instanceCount ?? 0))[0];
    assert.ok(set && (set.instanceCount ?? 0) >= 2, "a seeded image set with at least two instances");
    source = set.imageSetId;
  });
  after(async () => fx?.stop());
  afterEach(() => fx.seeded.emu.service.faults.reset());

  const calls = (op: string, since: number) => byOperation(fx.proxy!.between(since))[op] ?? 0;

  it("a CopyImageSet conflict while nothing is locked or changed fails after a few attempts with the service's message", async () => {
    fx.seeded.emu.service.faults.failNext("CopyImageSet", 1000, "ConflictException", "Injected: a conflict that does not go away");
    const since = Date.now();
    await assert.rejects(fx.create("stuck-copy", { datastoreId: fx.datastoreId, sourceImageSetId: source }), (e: Error) => {
      assert.match(e.message, /CopyImageSet failed: ConflictException: Injected: a conflict that does not go away/);
      assert.match(e.message, /refused it 3 times while nothing it could conflict with was locked or changed \(source /);
      return true;
    });
    assert.equal(calls("CopyImageSet", since), MAX_UNEXPLAINED_CONFLICTS, "no retry storm");
    assert.ok(Date.now() - since < 30_000, "not the whole create timeout");
  });

  it("the same bound for UpdateImageSetMetadata (an in-place subset change) and DeleteImageSet", async () => {
    const doc = await metadataOf(fx.seeded.client, fx.datastoreId, source);
    const found = Object.entries(instancesIn(doc)).find(([, u]) => u.length >= 2);
    assert.ok(found, "a series with at least two instances");
    const [series, uids] = found;
    const inputs = { datastoreId: fx.datastoreId, sourceImageSetId: source, subset: { series: { [series]: uids.slice(0, 2) } } };
    const made = await fx.create("stuck-update", inputs);

    fx.seeded.emu.service.faults.failNext("UpdateImageSetMetadata", 1000, "ConflictException", "Injected: update conflict");
    let since = Date.now();
    await assert.rejects(
      fx.change("stuck-update", made.id, made.outs, { ...inputs, subset: { series: { [series]: uids.slice(0, 1) } } }),
      /UpdateImageSetMetadata failed: ConflictException: Injected: update conflict.*refused it 3 times/s,
    );
    assert.equal(calls("UpdateImageSetMetadata", since), MAX_UNEXPLAINED_CONFLICTS);
    fx.seeded.emu.service.faults.reset();

    fx.seeded.emu.service.faults.failNext("DeleteImageSet", 1000, "ConflictException", "Injected: delete conflict");
    since = Date.now();
    await assert.rejects(
      fx.host.delete(fx.urn("stuck-update"), made.id, made.outs),
      /DeleteImageSet failed: ConflictException: Injected: delete conflict.*refused it 3 times/s,
    );
    assert.equal(calls("DeleteImageSet", since), MAX_UNEXPLAINED_CONFLICTS);
    fx.seeded.emu.service.faults.reset();
    await fx.host.delete(fx.urn("stuck-update"), made.id, made.outs); // the conflict gone, it deletes
  });

  it("a 402 that goes away (whatever its message) is waited out: the copy is made once", async () => {
    fx.seeded.emu.service.faults.failNext("CopyImageSet", 2, "ServiceQuotaExceededException", "Injected: an undocumented quota message");
    const since = Date.now();
    const { outs } = await fx.create("busy-store", { datastoreId: fx.datastoreId, sourceImageSetId: source });
    assert.equal(outs.imageSetState, "ACTIVE");
    assert.equal(calls("CopyImageSet", since), 3, "two refusals, then the copy");
    await fx.host.delete(fx.urn("busy-store"), String(outs.imageSetId), outs);
  });

  it("a 402 that persists fails within the bounds and the timeout, with the service's message and the quotas it could be", async () => {
    fx.seeded.emu.service.faults.failNext("CopyImageSet", 1000, "ServiceQuotaExceededException", "Injected: a quota that does not free up");
    const since = Date.now();
    await assert.rejects(fx.create("too-big", { datastoreId: fx.datastoreId, sourceImageSetId: source, timeouts: { create: "10s" } }), (e: Error) => {
      assert.match(e.message, /CopyImageSet failed: ServiceQuotaExceededException: Injected: a quota that does not free up/);
      assert.match(
        e.message,
        /concurrent CopyImageSet requests per data store \(100\).*ImageFrames copied per CopyImageSet request \(1,000\).*ImageSetMetadata size per CopyImageSet \(50 MB\)/s,
      );
      assert.match(e.message, /Service Quotas/);
      return true;
    });
    const sent = calls("CopyImageSet", since);
    assert.ok(sent >= 2 && sent <= QUOTA_RETRY.attempts, `${sent} CopyImageSet calls`);
    assert.ok(Date.now() - since < 15_000, "not past the create timeout");
  });

  it("a request signed for another region names the region and where it came from", async () => {
    const host = await startDynamicHost({
      provider: await serializeProvider(serializedProvider),
      env: { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: "eu-west-1", AWS_ENDPOINT_URL_MEDICAL_IMAGING: fx.seeded.emu.endpoint },
    });
    try {
      const urn = dynamicUrn("elsewhere", { type: "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet" });
      const checked = await host.check(urn, {}, { datastoreId: fx.datastoreId, sourceImageSetId: source, ownerTag: "proj/dev/elsewhere" });
      await assert.rejects(host.create(urn, checked.inputs), /create: InvalidSignatureException: .*signed for region eu-west-1 \(from AWS_REGION\)/s);
    } finally {
      await host.stop();
    }
  });

  it("a refused connection names the endpoint and the setting to fix", async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const host = await startDynamicHost({
      provider: await serializeProvider(serializedProvider),
      env: { AWS_ACCESS_KEY_ID: "test", AWS_SECRET_ACCESS_KEY: "test", AWS_REGION: "us-east-1", AWS_ENDPOINT_URL_MEDICAL_IMAGING: closed },
    });
    try {
      const urn = dynamicUrn("nowhere", { type: "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet" });
      const checked = await host.check(urn, {}, { datastoreId: fx.datastoreId, sourceImageSetId: source, ownerTag: "proj/dev/nowhere" });
      await assert.rejects(host.create(urn, checked.inputs), (e: Error) => {
        assert.match(e.message, new RegExp(`create: could not connect to ${closed.replace(/[.:/]/g, "\\$&")} \\(ECONNREFUSED\\)`));
        assert.match(e.message, /AWS_ENDPOINT_URL_MEDICAL_IMAGING/);
        return true;
      });
    } finally {
      await host.stop();
    }
  });
});
