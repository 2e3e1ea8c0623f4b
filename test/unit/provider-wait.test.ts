// The waiter's schedule with a fake clock: polls right after the expected end, bounded overhead
// past it, never past the deadline; and the duration model learning from finished copies.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SAMPLES_KEPT } from "../../provider/service/durationStore";
import { DurationModel, nextDelay, waitFor, WaitTimeout } from "../../provider/service/wait";

function fakeClock() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => void (t += ms) };
}

async function simulate(workMs: number, expectedMs: number | undefined) {
  const clock = fakeClock();
  const { polls } = await waitFor(async () => ({ done: clock.now() >= workMs, value: clock.now(), state: "LOCKED/COPYING" }), {
    deadline: 10 * 60_000,
    expectedMs,
    label: "test",
    now: clock.now,
    sleep: clock.sleep,
    random: () => 0.5,
  });
  return { polls, finishedAt: clock.now() };
}

describe("provider/wait: schedule", () => {
  it("with a good estimate, asks once, just after the work ends", async () => {
    for (const work of [2000, 10_000, 60_000]) {
      const { polls, finishedAt } = await simulate(work, work);
      assert.equal(polls, 1, `${work} ms`);
      assert.ok(finishedAt - work <= Math.max(0.05 * work, 500), `${work} ms: overhead ${finishedAt - work}`);
    }
  });

  it("with an estimate that is too short, keeps the overhead within about 5 %", async () => {
    const { polls, finishedAt } = await simulate(60_000, 30_000);
    assert.ok((finishedAt - 60_000) / 60_000 <= 0.05, `overhead ${finishedAt - 60_000}`);
    assert.ok(polls < 30, `${polls} polls`);
  });

  it("without an estimate, spends at most about a quarter of the elapsed time and few calls", async () => {
    const { polls, finishedAt } = await simulate(60_000, undefined);
    assert.ok(finishedAt <= 60_000 * 1.3, `${finishedAt}`);
    assert.ok(polls <= 25, `${polls} polls`);
  });

  it("never sleeps past the deadline, and reports the last state on timeout", async () => {
    const clock = fakeClock();
    await assert.rejects(
      waitFor(async () => ({ done: false, value: 0, state: "LOCKED/COPYING" }), {
        deadline: 5000,
        label: "the copy",
        now: clock.now,
        sleep: clock.sleep,
        random: () => 0.5,
      }),
      (e: Error) => e instanceof WaitTimeout && /the copy \(last state LOCKED\/COPYING\)/.test(e.message),
    );
    assert.equal(clock.now(), 5000);
  });

  it("logs progress on long waits", async () => {
    const clock = fakeClock();
    const lines: string[] = [];
    await waitFor(async () => ({ done: clock.now() >= 40_000, value: 0, state: "LOCKED/COPYING" }), {
      deadline: 120_000,
      label: "the copy",
      now: clock.now,
      sleep: clock.sleep,
      random: () => 0.5,
      log: (m) => lines.push(m),
      progressEveryMs: 10_000,
    });
    assert.ok(lines.length >= 2, lines.join("\n"));
    assert.match(lines[0], /still waiting for the copy: LOCKED\/COPYING, \d+ s elapsed/);
  });

  it("nextDelay adds jitter but stays within bounds", () => {
    const low = nextDelay(20_000, undefined, () => 0);
    const high = nextDelay(20_000, undefined, () => 1);
    assert.ok(low < high && low >= 4500 && high <= 5500, `${low} ${high}`);
    assert.ok(nextDelay(1_000_000, undefined, () => 1) <= 11_000);
  });
});

describe("provider/wait: DurationModel", () => {
  it("knows nothing before the first sample", () => {
    assert.equal(new DurationModel().estimate(10), undefined);
  });

  it("fits base + per-instance once two sizes were seen", () => {
    const m = new DurationModel();
    m.record(10, 2000 + 10 * 50);
    m.record(100, 2000 + 100 * 50);
    assert.equal(Math.round(m.estimate(40)!), 2000 + 40 * 50);
  });

  it("with one size seen, scales up for bigger copies and not below for smaller ones", () => {
    const m = new DurationModel();
    m.record(10, 1000);
    assert.equal(m.estimate(10), 1000);
    assert.equal(m.estimate(5), 1000);
    assert.equal(m.estimate(20), 2000);
  });
});

describe("provider/wait: durations learned in earlier runs", () => {
  let home: string;
  let saved: string | undefined;
  beforeEach(() => {
    saved = process.env.PULUMI_HEALTHIMAGING_HOME;
    home = fs.mkdtempSync(path.join(os.tmpdir(), "hi-durations-"));
    process.env.PULUMI_HEALTHIMAGING_HOME = home;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.PULUMI_HEALTHIMAGING_HOME;
    else process.env.PULUMI_HEALTHIMAGING_HOME = saved;
    fs.rmSync(home, { recursive: true, force: true });
  });

  it("a new process starts from what an earlier one saw on the same endpoint, and only there", () => {
    const earlier = new DurationModel("copy|us-east-1|http://a");
    earlier.record(4, 2000);
    assert.equal(new DurationModel("copy|us-east-1|http://a").estimate(4), 2000);
    assert.equal(new DurationModel("copy|us-east-1|http://b").estimate(4), undefined);
    // sizes and milliseconds only
    assert.deepEqual(Object.keys(JSON.parse(fs.readFileSync(path.join(home, "durations.json"), "utf8"))["copy|us-east-1|http://a"]), ["at", "samples"]);
  });

  it("the first duration seen in this run replaces the inherited ones", () => {
    new DurationModel("k").record(4, 60_000);
    const next = new DurationModel("k");
    assert.equal(next.estimate(4), 60_000);
    next.record(4, 2000);
    assert.equal(next.estimate(4), 2000);
    assert.equal(new DurationModel("k").estimate(4), 2000, "and is what the run after sees");
  });

  it("a broken file means nothing learned, and is replaced by the next record", () => {
    fs.writeFileSync(path.join(home, "durations.json"), "{not json");
    const m = new DurationModel("k");
    assert.equal(m.estimate(1), undefined);
    m.record(1, 500);
    assert.equal(new DurationModel("k").estimate(1), 500);
  });

  it("keeps a bounded number of endpoints and samples", () => {
    for (let i = 0; i < 40; i++) new DurationModel(`k${i}`).record(1, 100 + i);
    const m = new DurationModel("k39");
    for (let i = 0; i < 30; i++) m.record(i + 1, 100 * (i + 1));
    const stored = JSON.parse(fs.readFileSync(path.join(home, "durations.json"), "utf8"));
    assert.equal(Object.keys(stored).length, 32);
    assert.equal(stored.k39.samples.length, SAMPLES_KEPT);
    assert.equal(stored.k0, undefined, "the least recently used endpoint was dropped");
  });
});
