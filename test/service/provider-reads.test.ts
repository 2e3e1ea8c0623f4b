// What one member copy of a CohortImageSets (hi.Dataset's perCohort layout) costs in reads,
// counted by a proxy between the provider and the service: the check's reads, create's read of
// the source (reused by the send), the tag written with the ARN CopyImageSet answered, and the
// copy waiter's polls. A raised CopyImageSet quota makes these reads the limit (bench/NOTES.md §6:
// ~5.1 GetImageSet and 2 GetImageSetMetadata per copy), so a regression fails here.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { serializedCohortProvider } from "../../provider/resource/serializedProvider";
import { byOperation, type Call, type CountingProxy, startProxy } from "../support/countingProxy";
import { ensureBuilt } from "../support/build";
import { type DynamicHost, dynamicUrn, serializeProvider, startDynamicHost } from "../support/dynamicHost";
import { awsEnv } from "../support/emulator";
import { SERIES, type Seeded, startSeeded } from "../support/seeded";

/**
 * Upper bounds per member copy, check and create together (no copy fails or is throttled here).
 * GetImageSet: the check's read of the source, create's (the send builds on it), and the copy
 * waiter's poll, with room for one late poll per cohort (the local service's timers run in this
 * busy test process). Before: 6 (a cold start) and 5 per copy, and 2 GetImageSetMetadata.
 */
const PER_COPY = {
  cold: { GetImageSet: 4.34, GetImageSetMetadata: 1, SearchImageSets: 1, CopyImageSet: 1, TagResource: 1, ListTagsForResource: 0 },
  warm: { GetImageSet: 3.25, GetImageSetMetadata: 1, SearchImageSets: 1, CopyImageSet: 1, TagResource: 1, ListTagsForResource: 0 },
};
/** The waiter's polls per copy: before anything was learned in the process (nothing to sleep to), and after. */
const POLLS_PER_COPY = { cold: 2, warm: 1.25 };

describe("provider: reads per member copy", function () {
  this.timeout(120_000);
  let seeded: Seeded;
  let proxy: CountingProxy;
  let host: DynamicHost;
  let journalDir: string;

  before(async () => {
    ensureBuilt();
    journalDir = fs.mkdtempSync(path.join(os.tmpdir(), "hi-reads-journal-"));
    seeded = await startSeeded();
    // The realistic profile's copy durations ÷5 (the bench's raised-quota run): long enough that a
    // poll sent before the copy can end costs a read.
    Object.assign(seeded.emu.service.profile.timings, { copyMsBase: 400, copyMsPerInstance: 4 });
    proxy = await startProxy(seeded.emu.endpoint);
    host = await startDynamicHost({
      callTimeoutMs: 110_000,
      provider: await serializeProvider(serializedCohortProvider),
      env: { ...awsEnv(seeded.emu, proxy.url), PULUMI_HEALTHIMAGING_JOURNAL: journalDir },
    });
  });
  after(async () => {
    await host?.stop();
    await proxy?.stop();
    await seeded?.stop();
    fs.rmSync(journalDir, { recursive: true, force: true });
  });

  const cohort = async (name: string, keys: string[], extra: Record<string, { sourceImageSetId: string; mergeInto: string }> = {}) => {
    const urn = dynamicUrn(name, { type: "pulumi-nodejs:dynamic/healthimaging:CohortImageSets" });
    const members = Object.fromEntries(keys.map((k) => [k, { sourceImageSetId: seeded.imageSetOfSeries(k) }]));
    const inputs = { ownerTag: `proj/dev/${name}`, datastoreId: seeded.datastoreId, members: { ...members, ...extra } };
    const from = proxy.calls.length;
    const checked = await host.check(urn, {}, inputs);
    assert.deepEqual(checked.failures, []);
    const mid = proxy.calls.length;
    const made = await host.create(urn, checked.inputs);
    const to = proxy.calls.length;
    return { made, check: proxy.calls.slice(from, mid), create: proxy.calls.slice(mid, to) };
  };

  const perCopy = (calls: Call[], copies: number) => Object.fromEntries(Object.entries(byOperation(calls)).map(([op, n]) => [op, n / copies]));

  it("a new image set per member: at most ~3 GetImageSet (4 before anything was learned) and 1 GetImageSetMetadata per copy, check included", async () => {
    // two cohorts, one after the other: the second's waits start from the durations the first learned
    const first = await cohort("first", [SERIES.ctHead, SERIES.ct4, SERIES.ct5]);
    const second = await cohort("second", [SERIES.cr1, SERIES.cr2, SERIES.cr3, SERIES.mra1]);
    const problems: string[] = [];
    for (const [name, r, n, phase] of [
      ["first", first, 3, "cold"],
      ["second", second, 4, "warm"],
    ] as const) {
      const all = [...r.check, ...r.create];
      const calls = byOperation(all);
      const per = perCopy(all, n);
      const detail = `${name}: check ${JSON.stringify(byOperation(r.check))}, create ${JSON.stringify(byOperation(r.create))}`;
      console.log(`      ${detail}`);
      if (calls.CopyImageSet !== n) problems.push(`${calls.CopyImageSet} CopyImageSet for ${n} members; ${detail}`);
      for (const [op, bound] of Object.entries(PER_COPY[phase]))
        if ((per[op] ?? 0) > bound) problems.push(`${op}: ${per[op]} per copy, more than ${bound}; ${detail}`);
      // the copies' own image sets: the waiter's polls only (the tag is written with the ARN the copy answered)
      const made = Object.values((r.made.outs as { members: Record<string, { imageSetId: string }> }).members).map((m) => m.imageSetId);
      const onCopies = all.filter((c) => c.imageSetId && made.includes(c.imageSetId) && c.op === "GetImageSet").length;
      if (onCopies / n > POLLS_PER_COPY[phase]) problems.push(`${onCopies} GetImageSet on the ${n} copies; ${detail}`);
    }
    assert.deepEqual(problems, []);
  });

  it("a merge member (perStudy) reads its source once, the destination's ARN from what it read or CopyImageSet answered", async () => {
    const r = await cohort("study", [SERIES.mra700], { [SERIES.mra2]: { sourceImageSetId: seeded.imageSetOfSeries(SERIES.mra2), mergeInto: SERIES.mra700 } });
    const all = [...r.check, ...r.create];
    const detail = `check ${JSON.stringify(byOperation(r.check))}, create ${JSON.stringify(byOperation(r.create))}`;
    console.log(`      ${detail}`);
    assert.equal(byOperation(all).CopyImageSet, 2, detail);
    const mergeSource = seeded.imageSetOfSeries(SERIES.mra2);
    const onSource = (op: string) => r.create.filter((c) => c.imageSetId === mergeSource && c.op === op).length;
    assert.equal(onSource("GetImageSet"), 1, `create read the merged source more than once: ${detail}`);
    assert.equal(onSource("GetImageSetMetadata"), 1, `create read the merged source's metadata more than once: ${detail}`);
    // the base's check, create and poll; the merge's reads of its source and destination, and its poll
    // (before: 12 GetImageSet, 5 GetImageSetMetadata)
    const calls = byOperation(all);
    assert.ok(calls.GetImageSet <= 7, `GetImageSet: ${detail}`);
    assert.ok(calls.GetImageSetMetadata <= 3, `GetImageSetMetadata: ${detail}`);
  });
});
