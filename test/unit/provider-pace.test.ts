// The write pacer's rate rules (provider/service/pace.ts) and where a pacer starts
// (provider/service/pacers.ts), driven directly: the documented table, stated rates, probing,
// ThrottlingExceptions and what is remembered per account. The timing of acquire() against a real
// limit is exercised by test/service/provider-rate-discovery.test.ts.

import assert from "node:assert/strict";
import { accountOfAccessKeyId, identityOfAccessKeyId } from "../../provider/service/account";
import { DOCUMENTED_RATES } from "../../provider/service/documentedRates";
import { Pacer, PROBE, STATED_JITTER } from "../../provider/service/pace";
import { dueReport, REPORT_EVERY_MS } from "../../provider/service/paceReport";
import { pacerFor, pacerKey, startOf } from "../../provider/service/pacers";
import { loadCeiling, loadLearned } from "../../provider/service/rateStore";
import { processState } from "../../provider/settings/processState";
import { envRateProblems, statedRate, writeRateProblems } from "../../provider/settings/writeRate";

const near = (actual: number, expected: number, message?: string) =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${actual} ≠ ${expected}${message ? `: ${message}` : ""}`);
let n = 0;
/** a place no other test uses (pacers are per process, what they learn is per home folder) */
const unique = () => `${process.pid}-${Date.now()}-${n++}`;
const newProcess = () => (processState().pacers as Map<string, Pacer>).clear();

describe("provider/pace: the write pacer", () => {
  it("AWS starts each operation at the documented rate of the current table (Copy/Delete 0.25/1, Update 10/40) and probes; custom endpoints are unpaced", () => {
    const region = "us-east-1";
    const identity = `account ${unique()}`;
    const copy = pacerFor({ region, identity }, "CopyImageSet", { env: {} });
    assert.deepEqual([copy.rate, copy.burst, copy.origin, copy.probing], [0.25, 1, "documented", true]);
    const update = pacerFor({ region, identity }, "UpdateImageSetMetadata", { env: {} });
    assert.deepEqual([update.rate, update.burst], [DOCUMENTED_RATES.UpdateImageSetMetadata.tps, 40]);
    assert.equal(DOCUMENTED_RATES.UpdateImageSetMetadata.tps, 10);
    assert.equal(pacerFor({ region, identity }, "DeleteImageSet", { env: {} }).rate, 0.25);
    const fips = pacerFor({ endpoint: "https://runtime-medical-imaging-fips.us-east-1.amazonaws.com", region, identity }, "CopyImageSet", { env: {} });
    assert.equal(fips, copy, "an AWS host given as endpoint is the same account's limit");
    assert.equal(pacerFor({ endpoint: `http://127.0.0.1:1/${unique()}`, region }, "CopyImageSet", { env: {} }).rate, Infinity);
    const scaled = pacerFor({ endpoint: `http://127.0.0.1:1/${unique()}`, region }, "CopyImageSet", { env: { PULUMI_HEALTHIMAGING_RATE_TABLE_SCALE: "4" } });
    assert.deepEqual([scaled.rate, scaled.origin, scaled.probing], [1, "documented", true], "the local service's realistic profile, time-scaled");
  });

  it("a stated rate: the input beats PULUMI_HEALTHIMAGING_<OP>_TPS, which beats PULUMI_HEALTHIMAGING_WRITE_TPS; it is the ceiling, with no probing", () => {
    const env = { PULUMI_HEALTHIMAGING_COPY_TPS: "3", PULUMI_HEALTHIMAGING_WRITE_TPS: "2" };
    assert.deepEqual(statedRate("CopyImageSet", { copyImageSet: 5 }, env), { tps: 5, source: "writeRate.copyImageSet" });
    assert.deepEqual(statedRate("CopyImageSet", undefined, env), { tps: 3, source: "PULUMI_HEALTHIMAGING_COPY_TPS" });
    assert.deepEqual(statedRate("DeleteImageSet", { copyImageSet: 5 }, env), { tps: 2, source: "PULUMI_HEALTHIMAGING_WRITE_TPS" });
    assert.equal(statedRate("UpdateImageSetMetadata", undefined, {}), undefined);
    const place = { region: "eu-west-1", identity: `account ${unique()}` };
    const p = pacerFor(place, "CopyImageSet", { env: {}, writeRate: { copyImageSet: 5 } });
    assert.deepEqual([p.rate, p.ceiling, p.origin, p.probing], [5, 5, "stated", false]);
    for (let i = 0; i < 20; i++) p.succeeded({ held: true });
    assert.equal(p.rate, 5, "never probed above the statement");
    assert.equal(pacerFor(place, "CopyImageSet", { env: {}, writeRate: { copyImageSet: 8 } }).rate, 5, "the lowest statement wins");
    assert.equal(pacerFor(place, "CopyImageSet", { env: {}, writeRate: { copyImageSet: 2 } }).rate, 2);
    p.throttled({ at: Date.now() + 1, rate: 2 });
    near(p.ceiling, 2);
    near(p.rate, 1.6, "a throttle backs off");
    p.succeeded();
    near(p.rate, 1.8, "back to 0.9 of the statement");
    for (let i = 0; i < 100; i++) p.succeeded({ held: true });
    near(p.rate, 2, "then to the statement, not above");
    assert.equal(loadLearned(pacerKey(place, "CopyImageSet")), undefined, "a stated rate is not remembered as learned");
  });

  it("invalid rate variables are named with their value", () => {
    assert.deepEqual(envRateProblems({ PULUMI_HEALTHIMAGING_COPY_TPS: "5/s", PULUMI_HEALTHIMAGING_DELETE_TPS: "0" }), [
      'PULUMI_HEALTHIMAGING_COPY_TPS: must be a number of calls per second such as 0.25 or 5, got "5/s"',
      'PULUMI_HEALTHIMAGING_DELETE_TPS: must be more than 0 and at most 1000 calls per second, got "0"',
    ]);
    assert.deepEqual(envRateProblems({ PULUMI_HEALTHIMAGING_UPDATE_TPS: "12.5" }), []);
  });

  it("hi.Dataset's writeRate problems, one line each", () => {
    assert.deepEqual(writeRateProblems({ copyImageSet: 5, updateImageSetMetadata: 10 }), []);
    assert.deepEqual(writeRateProblems({ copyTps: 5, deleteImageSet: -1 }), [
      "writeRate.copyTps: is not a known property; known properties: copyImageSet, updateImageSetMetadata, deleteImageSet",
      "writeRate.deleteImageSet: must be more than 0 and at most 1000 calls per second, got -1",
    ]);
    assert.match(writeRateProblems(5)[0], /^writeRate: must be an object of calls per second by operation/);
  });

  it(`probing: ×${PROBE.factor} after every ${PROBE.every} held-back successes; calls arriving slower than the rate say nothing`, () => {
    const p = new Pacer({ rate: 0.25, burst: 1 });
    for (let i = 0; i < 10; i++) p.succeeded({ held: false });
    assert.equal(p.rate, 0.25);
    for (let i = 0; i < PROBE.every; i++) p.succeeded({ held: true });
    near(p.rate, 0.25 * PROBE.factor);
  });

  it("from the documented 0.25 TPS, a limit raised to 5 TPS is reached within 45 copies (about a minute)", () => {
    const p = new Pacer({ rate: 0.25, burst: 1 });
    let copies = 0;
    let seconds = 0;
    while (p.rate < 5) {
      seconds += 1 / p.rate;
      p.succeeded({ held: true });
      copies++;
    }
    assert.ok(copies <= 45, `${copies} copies`);
    assert.ok(seconds < 90, `${seconds} s`);
  });

  it("unpaced until the first throttle, then starts from what succeeded in the last second", () => {
    const p = new Pacer({ rate: Infinity, burst: 1 });
    for (let i = 0; i < 3; i++) p.succeeded();
    assert.equal(p.rate, Infinity);
    p.throttled();
    assert.equal(p.rate, 3);
    assert.equal(p.ceiling, Infinity, "a refusal of an unpaced burst says nothing about the limit");
  });

  it("a throttle sets the ceiling and cuts to 0.8 of it; successes climb back quickly to 0.9 × the ceiling, then only probe slowly", async () => {
    const p = new Pacer({ rate: 4, burst: 1 });
    await p.acquire();
    p.throttled();
    assert.equal(p.ceiling, 4);
    near(p.rate, 3.2);
    assert.equal(p.probing, false);
    p.succeeded();
    near(p.rate, 3.6, "0.9 × 4, not 1.2 × 3.2");
    p.succeeded({ held: true });
    near(p.rate, 3.6 * 1.002);
    p.succeeded({ held: false });
    near(p.rate, 3.6 * 1.002, "an unheld call probes nothing");
  });

  it(`a stated rate: a throttle at it or near it is jitter (the rate dips, the statement stands); one that persists below ${STATED_JITTER} of it lowers it`, async () => {
    const p = new Pacer({ rate: 10, burst: 1, ceiling: 10, origin: "stated" });
    await p.acquire();
    p.throttled();
    near(p.rate, 8);
    assert.equal(p.ceiling, 10, "the statement stands");
    p.succeeded();
    near(p.rate, 9, "back quickly to 0.9 of the statement (a margin for jitter), not under a lowered ceiling");
    p.succeeded({ held: true });
    near(p.rate, 9 * 1.002, "then slowly towards the statement");
    for (let i = 0; i < 100; i++) p.succeeded({ held: true });
    near(p.rate, 10, "never above it");
    // throttled again at the statement, then at 8 TPS after the cut: neither is below 0.75 × 10
    await new Promise((r) => setTimeout(r, 5));
    await p.acquire();
    p.throttled();
    near(p.rate, 8);
    await new Promise((r) => setTimeout(r, 5));
    await p.acquire();
    p.throttled();
    near(p.rate, 6.4);
    assert.equal(p.ceiling, 10, "at 8 TPS: still jitter");
    await new Promise((r) => setTimeout(r, 5));
    await p.acquire();
    p.throttled();
    near(p.ceiling, 6.4, "refused again at 6.4 TPS, below 0.75 × 10: the statement was too high");
  });

  it("refusals of calls granted before the last cut count once", async () => {
    const p = new Pacer({ rate: 2, burst: 5 });
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

  it("the ceiling is the rate the refused call was sent at, not the rate grown since by other successes", async () => {
    const p = new Pacer({ rate: 1, burst: 1 });
    const refused = await p.acquire();
    for (let i = 0; i < PROBE.every; i++) p.succeeded();
    near(p.rate, 1.25);
    p.throttled(refused);
    near(p.ceiling, 1);
    near(p.rate, 0.8);
  });

  it("what a run learned is remembered per account, Region and operation: the next run starts settled under the ceiling; another account starts from the table", () => {
    const place = { region: "us-west-2", identity: identityOfAccessKeyId("ASIAY34FZKBOKMUTVV7A") };
    assert.equal(place.identity, "account 609629065308");
    const first = pacerFor(place, "CopyImageSet", { env: {} });
    first.rate = 4; // as if probing had grown it to 4 TPS
    first.throttled({ at: Date.now() + 1, rate: 4 });
    const key = pacerKey(place, "CopyImageSet");
    assert.equal(key, "aws|us-west-2|account 609629065308|CopyImageSet");
    assert.equal(loadCeiling(key), 4, "remembered in the provider's home folder");
    newProcess();
    const next = pacerFor(place, "CopyImageSet", { env: {} });
    assert.deepEqual([next.ceiling, next.origin], [4, "remembered"]);
    near(next.rate, 3.6, "0.9 of the ceiling, not the documented 0.25");
    assert.equal(pacerFor({ ...place, region: "eu-west-1" }, "CopyImageSet", { env: {} }).rate, 0.25, "another Region");
    assert.equal(pacerFor({ ...place, identity: "account 111111111111" }, "CopyImageSet", { env: {} }).rate, 0.25, "another account");
    assert.equal(pacerFor(place, "DeleteImageSet", { env: {} }).rate, 0.25, "another operation");
  });

  it("a rate probing reached without a throttle is remembered too, and probing goes on from it", () => {
    const place = { endpoint: `http://127.0.0.1:9/${unique()}`, region: "us-east-1" };
    const env = { PULUMI_HEALTHIMAGING_RATE_TABLE_SCALE: "1" };
    const first = pacerFor(place, "CopyImageSet", { env });
    for (let i = 0; i < PROBE.every; i++) first.succeeded({ held: true });
    newProcess();
    const setup = startOf(place, "CopyImageSet", undefined, env);
    near(setup.rate, 0.25 * PROBE.factor);
    assert.equal(setup.ceiling, undefined, "still probing");
    assert.match(setup.originText ?? "", /remembered: an earlier run reached 0.313 TPS unthrottled/);
  });

  it("the account of an access key id, without a call (the encoding sts:GetAccessKeyInfo decodes); older keys get a hash, never the key", () => {
    assert.equal(accountOfAccessKeyId("ASIAY34FZKBOKMUTVV7A"), "609629065308");
    assert.equal(accountOfAccessKeyId("AKIAIOSFODNN7EXAMPLE"), undefined, "the older format (fifth character I)");
    assert.match(identityOfAccessKeyId("AKIAIOSFODNN7EXAMPLE"), /^key [0-9a-f]{16}$/);
  });

  it("a progress line every 30 s while calls wait: the rate in use, where it comes from, and the time left", () => {
    const p = new Pacer({ rate: 0.5, burst: 1, origin: "documented", originText: "AWS's documented 0.25 TPS" });
    p.waiting = 12;
    p.sent = 30;
    assert.equal(dueReport(p, "CopyImageSet", p.reportedAt + 1000), undefined, "not yet");
    const line = dueReport(p, "CopyImageSet", p.reportedAt + REPORT_EVERY_MS);
    assert.equal(
      line,
      "CopyImageSet at 0.5 TPS (probing upwards, no throttle yet; started from AWS's documented 0.25 TPS); 30 sent, 12 waiting for a slot: about 24 s left for them at this rate",
    );
    assert.equal(dueReport(p, "CopyImageSet", p.reportedAt + 1000), undefined, "once per 30 s");
  });
});
