// Rate discovery against a raised limit: the local service runs AWS's throttling table time-scaled
// ×2 (CopyImageSet's documented 0.25 TPS is 0.5 TPS here) with CopyImageSet raised to 5 TPS (10 TPS
// here), and the provider, told the same scale (PULUMI_HEALTHIMAGING_RATE_TABLE_SCALE), starts
// from the documented rate as it does on AWS. CopyImageSet calls go through the provider's write
// engine (provider/service/writeEngine.ts) from several workers at once, as a `pulumi up` of many
// resources sends them. Everything asserted is counted (copies, ThrottlingExceptions by the
// service's own counters, the pacer's rate after N copies), never timed: the bounds are loose
// because the machine may be slow.

import assert from "node:assert/strict";
import { CopyImageSetCommand, GetImageSetCommand } from "@aws-sdk/client-medical-imaging";
import { PROFILES, scaleRates } from "../../emulator/limits";
import type { Pacer } from "../../provider/service/pace";
import { pacerFor, pacerKey, type PacerPlace } from "../../provider/service/pacers";
import { loadLearned } from "../../provider/service/rateStore";
import { runWrite } from "../../provider/service/writeEngine";
import { processState } from "../../provider/settings/processState";
import type { WriteRate } from "../../provider/settings/writeRate";
import { startTestEmulator } from "../support/emulator";
import { type ProviderFixture, startProviderFixture } from "../support/providerFixture";
import { type Seeded, SERIES, startSeeded } from "../support/seeded";

const SCALE = 2;
const RAISED = { rate: 5, burst: 2 };
/** the raised limit as the service applies it, in calls per second */
const LIMIT = RAISED.rate * SCALE;
const WORKERS = 8;

describe("provider: write rates discovered against a raised limit", function () {
  this.timeout(240_000);
  let s: Seeded;
  let place: PacerPlace;
  let source: { imageSetId: string; versionId: string };
  const savedEnv = { ...process.env };

  before(async () => {
    // seeded without limits (the seeding client sends once), then the time-scaled table with the raise
    s = await startSeeded({ lockSourceDuringCopy: false });
    s.emu.limiter.setLimits(scaleRates({ ...PROFILES.realistic.rateLimits, CopyImageSet: RAISED }, SCALE));
    const imageSetId = s.imageSetOfSeries(SERIES.cr1);
    const set = await s.client.send(new GetImageSetCommand({ datastoreId: s.datastoreId, imageSetId }));
    source = { imageSetId, versionId: set.versionId! };
    place = { endpoint: s.emu.endpoint, region: s.emu.credentials.region };
    Object.assign(process.env, {
      PULUMI_HEALTHIMAGING_RATE_TABLE_SCALE: String(SCALE),
      AWS_ACCESS_KEY_ID: s.emu.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s.emu.credentials.secretAccessKey,
    });
  });
  after(async () => {
    for (const k of Object.keys(process.env)) if (!(k in savedEnv)) delete process.env[k];
    Object.assign(process.env, savedEnv);
    await s?.stop();
  });

  const throttledByService = () => s.emu.limiter.throttled.CopyImageSet ?? 0;
  const acceptedByService = () => s.emu.limiter.accepted.CopyImageSet ?? 0;
  /** a new provider process: no pacer in memory, only what the home folder remembers */
  const newProcess = () => (processState().pacers as Map<string, Pacer>).clear();
  const pacer = () => pacerFor(place, "CopyImageSet");

  /** One CopyImageSet through the write engine (paced, throttles absorbed). */
  const copyOnce = (writeRate?: WriteRate) =>
    runWrite(
      { region: place.region!, endpoint: place.endpoint },
      {
        operation: "CopyImageSet",
        datastoreId: s.datastoreId,
        prepare: async () => ({
          watched: [],
          send: () =>
            s.client.send(
              new CopyImageSetCommand({
                datastoreId: s.datastoreId,
                sourceImageSetId: source.imageSetId,
                copyImageSetInformation: { sourceImageSet: { latestVersionId: source.versionId } },
              }),
            ),
        }),
      },
      { deadline: Date.now() + 120_000, log: () => {}, writeRate },
    );

  /**
   * Copies from WORKERS workers until `enough` says so after a copy (checked as each one ends) or
   * `max` copies were made; returns the copies made and the highest rate the pacer reached.
   */
  async function copies(max: number, enough: (made: number) => boolean, writeRate?: WriteRate): Promise<{ made: number; highest: number }> {
    let made = 0;
    let started = 0;
    let done = false;
    let highest = 0;
    const worker = async () => {
      while (!done && started < max) {
        started++;
        await copyOnce(writeRate);
        made++;
        highest = Math.max(highest, pacer().rate);
        if (enough(made)) done = true;
      }
    };
    await Promise.all(Array.from({ length: WORKERS }, worker));
    return { made, highest };
  }

  it("the local service runs the table time-scaled, with one operation raised", async () => {
    const emu = await startTestEmulator({ profile: "realistic", rateScale: SCALE, rateLimits: { CopyImageSet: RAISED } });
    try {
      assert.deepEqual(emu.limiter.limitOf("CopyImageSet"), { rate: LIMIT, burst: RAISED.burst });
      assert.deepEqual(emu.limiter.limitOf("DeleteImageSet"), { rate: 0.25 * SCALE, burst: 1 });
      assert.deepEqual(emu.limiter.limitOf("UpdateImageSetMetadata"), { rate: 10 * SCALE, burst: 40 });
    } finally {
      await emu.stop();
    }
  });

  it("starts from the documented rate, reaches near the raised limit within a bounded number of copies, settles under it after throttles, and remembers it", async () => {
    newProcess();
    const start = pacer();
    assert.deepEqual([start.rate, start.origin, start.probing], [0.25 * SCALE, "documented", true]);

    // 1. Probing: from 0.5 TPS to half the limit takes ~28 held-back copies (×1.25 per 3); 80 is the bound.
    const throttledBefore = throttledByService();
    const climb = await copies(80, () => pacer().rate >= LIMIT / 2);
    assert.ok(pacer().rate >= LIMIT / 2, `reached ${pacer().rate.toFixed(2)} TPS after ${climb.made} copies, not half the raised ${LIMIT} TPS`);
    assert.ok(climb.made <= 80);

    // 2. Probing on meets the limit: the first throttle sets the ceiling, and further throttles
    //    (each a rate the limit refused) bring the rate under it; 200 copies is the bound.
    const settle = await copies(200, (made) => pacer().throttles > 0 && made >= 30 && pacer().rate <= LIMIT);
    const p = pacer();
    assert.ok(p.throttles > 0 && throttledByService() > throttledBefore, `no throttle within ${settle.made} copies: probing never met the limit`);
    assert.equal(p.probing, false, "a throttle ended the probing");
    assert.ok(p.ceiling <= LIMIT * 2, `the ceiling ${p.ceiling} is the rate a throttle was seen at, near the limit`);
    assert.ok(p.rate <= LIMIT * 1.1, `settled at ${p.rate.toFixed(2)} TPS, under the ${LIMIT} TPS limit`);
    assert.ok(p.rate >= LIMIT * 0.4, `settled at ${p.rate.toFixed(2)} TPS, not far below the limit`);
    const throttles = throttledByService() - throttledBefore;
    const made = climb.made + settle.made;
    if (process.env.RATE_DISCOVERY_TRACE)
      console.log({ climb: climb.made, settle: settle.made, throttles, ceiling: p.ceiling, rate: p.rate, providerThrottles: p.throttles });
    assert.ok(throttles <= made / 4, `${throttles} ThrottlingExceptions for ${made} copies: a few, not a storm`);

    // 3. Remembered for the next run, which starts settled under it instead of at the documented rate.
    const learned = loadLearned(pacerKey(place, "CopyImageSet"));
    assert.ok(learned?.ceiling !== undefined && learned.ceiling >= LIMIT * 0.4, `remembered ${JSON.stringify(learned)}`);
    newProcess();
    const next = pacer();
    assert.equal(next.origin, "remembered");
    assert.ok(next.rate >= LIMIT * 0.35, `the next run starts at ${next.rate.toFixed(2)} TPS, not ${0.25 * SCALE}`);
    const before = throttledByService();
    const second = await copies(30, () => false);
    assert.equal(second.made, 30);
    assert.ok(throttledByService() - before <= 6, `${throttledByService() - before} ThrottlingExceptions in 30 copies of the next run`);
    assert.ok(pacer().rate >= LIMIT * 0.35, "still near the limit");
  });

  it("a stated rate is used from the first call, without probing above it (and beats what was remembered)", async () => {
    newProcess();
    await new Promise((r) => setTimeout(r, 1000)); // the service's bucket refills after the last test's copies
    const stated = LIMIT * 0.4; // TPS, well under the service's limit
    const throttledBefore = throttledByService();
    const acceptedBefore = acceptedByService();
    // the progress line (every 30 s in a long up) is due at once: its 30 s are taken as passed
    pacerFor(place, "CopyImageSet", { writeRate: { copyImageSet: stated } }).reportedAt = Number.NEGATIVE_INFINITY;
    const lines: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      if (String(chunk).includes("write pacing:")) lines.push(String(chunk));
      return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof process.stderr.write;
    let run: { made: number; highest: number };
    try {
      run = await copies(24, () => false, { copyImageSet: stated });
    } finally {
      process.stderr.write = write;
    }
    assert.equal(lines.length, 1, `one progress line per 30 s: ${lines.join("")}`);
    assert.match(
      lines[0],
      /^\[pulumi-healthimaging\] write pacing: CopyImageSet at 4 TPS \(stated by writeRate\.copyImageSet\); \d+ sent, \d+ waiting for a slot: (under a second|about \d+ s) left for them at this rate\n$/,
    );
    const p = pacer();
    assert.deepEqual([p.origin, p.rate, p.ceiling], ["stated", stated, stated]);
    assert.equal(run.highest, stated, "never above the stated rate");
    assert.equal(throttledByService() - throttledBefore, 0, "under the limit: no throttle");
    assert.equal(acceptedByService() - acceptedBefore, 24, "one call per copy");
  });
});

describe("provider: the writeRate input through the dynamic-provider host", function () {
  this.timeout(240_000);
  let fx: ProviderFixture;
  before(async () => {
    // a custom endpoint: without a statement the provider sends unpaced until the first throttle
    fx = await startProviderFixture({ emulator: { rateLimits: { CopyImageSet: { rate: 2, burst: 1 } } } });
  });
  after(async () => fx?.stop());

  it("check (preview) refuses a writeRate that is not a positive number per known operation, naming each", async () => {
    const urn = fx.urn("bad-rate");
    const checked = await fx.host.check(
      urn,
      {},
      {
        ownerTag: "proj/dev/bad-rate",
        datastoreId: fx.datastoreId,
        sourceImageSetId: fx.seeded.imageSetOfSeries(SERIES.cr1),
        writeRate: { copyImageSet: 0, CopyImageSet: 5 },
      },
    );
    assert.deepEqual(checked.failures.map((f) => f.property).sort(), ["writeRate.CopyImageSet", "writeRate.copyImageSet"], JSON.stringify(checked.failures));
  });

  it("a stated copyImageSet rate paces the creates from the first call: no ThrottlingException under a limit twice as high", async () => {
    const sources = [SERIES.cr1, SERIES.ctHead, SERIES.mra700, SERIES.ct5].map((s) => fx.seeded.imageSetOfSeries(s));
    const throttledBefore = fx.seeded.emu.limiter.throttled.CopyImageSet ?? 0;
    const acceptedBefore = fx.seeded.emu.limiter.accepted.CopyImageSet ?? 0;
    const made = await Promise.all(
      sources.map((sourceImageSetId, i) => fx.create(`stated${i}`, { datastoreId: fx.datastoreId, sourceImageSetId, writeRate: { copyImageSet: 1 } })),
    );
    assert.ok(made.every((m) => m.outs.imageSetState === "ACTIVE"));
    assert.deepEqual((made[0].outs as { writeRate?: unknown }).writeRate, { copyImageSet: 1 }, "recorded with the inputs");
    assert.equal((fx.seeded.emu.limiter.accepted.CopyImageSet ?? 0) - acceptedBefore, sources.length, "one call per copy");
    assert.equal((fx.seeded.emu.limiter.throttled.CopyImageSet ?? 0) - throttledBefore, 0, "paced at the stated 1 TPS, under the service's 2 TPS");
  });
});
