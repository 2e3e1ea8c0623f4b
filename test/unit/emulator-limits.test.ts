// The local service's rate limiter (emulator/limits.ts) with a fake clock: the realistic profile's
// table, time-scaling, raising one operation's limit, and the counters tests read.

import assert from "node:assert/strict";
import { PROFILES, RateLimiter, scaleRates } from "../../emulator/limits";

describe("emulator/limits: the rate table", () => {
  it("time-scales every rate, keeping the bursts", () => {
    const scaled = scaleRates(PROFILES.realistic.rateLimits, 4);
    assert.deepEqual(scaled.CopyImageSet, { rate: 1, burst: 1 });
    assert.deepEqual(scaled.UpdateImageSetMetadata, { rate: 40, burst: 40 });
  });

  it("a raised limit applies to its operation only; accepted and throttled calls are counted per operation", () => {
    let now = 0;
    const limiter = new RateLimiter(PROFILES.realistic.rateLimits, () => now);
    assert.equal(limiter.take("CopyImageSet"), true);
    assert.equal(limiter.take("CopyImageSet"), false, "0.25 TPS, burst 1");
    limiter.raise({ CopyImageSet: { rate: 5, burst: 1 } });
    assert.deepEqual(limiter.limitOf("CopyImageSet"), { rate: 5, burst: 1 });
    assert.deepEqual(limiter.limitOf("DeleteImageSet"), { rate: 0.25, burst: 1 }, "the others kept");
    assert.equal(limiter.take("CopyImageSet"), true, "a fresh bucket at the raised limit");
    now += 200; // 1/5 s later: one more token
    assert.equal(limiter.take("CopyImageSet"), true);
    assert.equal(limiter.take("CopyImageSet"), false);
    assert.deepEqual([limiter.accepted.CopyImageSet, limiter.throttled.CopyImageSet], [3, 2]);
  });
});
