// The write pacer's rate rules (provider/service/pace.ts), driven directly: how a known rate, a custom
// endpoint and ThrottlingExceptions move it. The timing of acquire() itself is exercised by the
// throttling-storm tests against the local service.

import assert from "node:assert/strict";
import { Pacer, pacerFor } from "../../provider/service/pace";
import { processState } from "../../provider/settings/processState";
import { loadCeiling } from "../../provider/service/rateStore";

const near = (actual: number, expected: number, message?: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}${message ? `: ${message}` : ""}`);

describe("provider/pace: the write pacer", () => {
  it("AWS endpoints start at the documented 0.25 TPS, custom endpoints unlimited, and the environment overrides both", () => {
    assert.equal(pacerFor(undefined, "op-a", {}).rate, 0.25);
    assert.equal(pacerFor("http://127.0.0.1:1", "op-a", {}).rate, Infinity);
    assert.equal(pacerFor("https://medical-imaging-fips.us-east-1.amazonaws.com", "op-a", {}).rate, 0.25, "an AWS host given as endpoint is paced as AWS");
    const set = pacerFor("http://127.0.0.1:2", "op-a", { PULUMI_HEALTHIMAGING_WRITE_TPS: "2", PULUMI_HEALTHIMAGING_WRITE_BURST: "3" });
    assert.equal(set.rate, 2);
    assert.equal(set.burst, 3);
  });

  it("a known rate is not raised by successes beyond a slow probe", () => {
    const p = pacerFor("http://127.0.0.1:3", "op-b", { PULUMI_HEALTHIMAGING_WRITE_TPS: "1" });
    for (let i = 0; i < 10; i++) p.succeeded();
    assert.ok(p.rate > 1 && p.rate <= 1.002 ** 10 + 1e-9, String(p.rate));
  });

  it("unlimited until the first throttle, then starts from what succeeded in the last second", () => {
    const p = new Pacer(Infinity, 1);
    for (let i = 0; i < 3; i++) p.succeeded();
    assert.equal(p.rate, Infinity);
    p.throttled();
    assert.equal(p.rate, 3);
    assert.equal(p.ceiling, Infinity, "a refusal of an unpaced burst says nothing about the limit");
  });

  it("grows by half per success while no ceiling is known; a throttle sets the ceiling and cuts to 0.8 of it", async () => {
    const p = new Pacer(1, 1);
    p.succeeded();
    near(p.rate, 1.5);
    await p.acquire();
    p.throttled();
    assert.equal(p.ceiling, 1.5);
    near(p.rate, 1.2);
  });

  it("refusals of calls granted before the last cut count once", async () => {
    const p = new Pacer(2, 5);
    await p.acquire();
    await p.acquire();
    p.throttled();
    p.throttled();
    near(p.rate, 1.6);
    assert.equal(p.throttles, 2);
    await new Promise((r) => setTimeout(r, 5));
    await p.acquire();
    p.throttled();
    near(p.rate, 1.6 * 0.8, "a call granted after the cut is a new signal");
  });

  it("climbs back quickly to 0.9 × the ceiling, then only probes", async () => {
    const p = new Pacer(4, 1);
    await p.acquire();
    p.throttled();
    near(p.rate, 3.2);
    p.succeeded();
    near(p.rate, 3.6, "0.9 × 4, not 1.2 × 3.2");
    p.succeeded();
    near(p.rate, 3.6 * 1.002);
  });

  it("the ceiling is the rate the refused call was sent at, not the rate grown since by other successes", async () => {
    const p = new Pacer(1, 1);
    const refused = await p.acquire();
    p.succeeded();
    p.succeeded();
    near(p.rate, 2.25);
    p.throttled(refused);
    near(p.ceiling, 1);
    near(p.rate, 0.8);
  });

  it("a custom endpoint's learned ceiling outlives the process: the next run starts settled under it", () => {
    const endpoint = `http://127.0.0.1:9/${process.pid}-${Date.now()}`;
    const first = pacerFor(endpoint, "CopyImageSet", {});
    first.rate = 4; // as if it had grown to 4 TPS
    first.throttled({ at: Date.now() + 1, rate: 4 });
    assert.equal(loadCeiling(`${endpoint}|CopyImageSet`), 4, "remembered in the provider's home folder");
    (processState().pacers as Map<string, Pacer>).delete(`${endpoint}|CopyImageSet`); // a new process
    const next = pacerFor(endpoint, "CopyImageSet", {});
    near(next.ceiling, 4);
    near(next.rate, 3.6, "0.9 of the ceiling, not unlimited");
    assert.equal(pacerFor(endpoint, "CopyImageSet", { PULUMI_HEALTHIMAGING_WRITE_TPS: "1" }).rate, 3.6, "the process's pacer is reused");
  });
});
