// The storage section of the pull-request summary (`summarize --read-tiers`, provider/summary/tiers.ts):
// which sources the change copies from, the words and numbers for archived sources and new storage,
// and the paced, bounded reads. The reads against the local service, with image sets aged into the
// archive tier, are in test/service/summary-tiers.test.ts.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { changesOf, summarize } from "../../provider/summary/summarize";
import { dollars, readTiers, type TierSource, tierSection, tierSources } from "../../provider/summary/tiers";

const ROOT = path.resolve(__dirname, "..", "..");
const TYPE = "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet";
const DS = "d".repeat(32);
const id = (n: number) => String(n).padStart(32, "0");
const NOW = new Date("2026-12-03T06:00:00Z");
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 24 * 3600 * 1000);

/** A preview creating `n` derived image sets from sources 1..n, a merge from source 1, and one whose source is not known until up. */
function previewOf(n: number) {
  const step = (name: string, inputs: Record<string, unknown>) => ({
    op: "create",
    urn: `urn:pulumi:dev::p::${TYPE}::${name}`,
    newState: { type: TYPE, inputs: { datastoreId: DS, ...inputs } },
  });
  return {
    steps: [
      ...Array.from({ length: n }, (_, i) => step(`copy${i + 1}`, { sourceImageSetId: id(i + 1), subset: { series: { [`1.2.${i}`]: "all" } } })),
      step("merge", { sourceImageSetId: id(1), destination: { imageSetId: id(99), versionId: "1" }, subset: { series: { "1.2.9": ["1.2.9.1", "1.2.9.2"] } } }),
      step("unknown-source", { sourceImageSetId: "04da6b54-80e4-46f7-96ec-b56ff0331ba9" }),
    ],
  };
}

describe("summary: storage tiers and cost (summarize --read-tiers)", () => {
  it("the sources are the image sets the copies read, each once, with the resources copying from it", () => {
    const p = previewOf(3);
    const sources = tierSources(p, changesOf(p));
    assert.deepEqual(
      sources.map((s) => [s.imageSetId, s.resources]),
      [
        [id(1), ["copy1", "merge"]],
        [id(2), ["copy2"]],
        [id(3), ["copy3"]],
      ],
      "an unknown source id (not known until up) is left out",
    );
    // a preview without copies (deletes, recorded-only updates) has none
    const deletes = JSON.parse(fs.readFileSync(path.join(ROOT, "test", "fixtures", "preview-dataset-edit.json"), "utf8"));
    const fromFixture = tierSources(deletes, changesOf(deletes));
    assert.ok(fromFixture.every((s) => /^[0-9a-z]{32}$/.test(s.imageSetId)));
  });

  it("says how many sources are archived, what up does to them and to new storage, with labelled estimates", () => {
    const p = previewOf(3);
    const changes = changesOf(p);
    const sources = tierSources(p, changes);
    const text = tierSection(
      changes,
      sources,
      [
        { imageSetId: id(1), storageTier: "ARCHIVE_INSTANT_ACCESS", lastAccessedAt: daysAgo(45.5) },
        { imageSetId: id(2), storageTier: "ARCHIVE_INSTANT_ACCESS", lastAccessedAt: daysAgo(31.2) },
        { imageSetId: id(3), storageTier: "FREQUENT_ACCESS", lastAccessedAt: daysAgo(2) },
      ],
      NOW,
    ).join("\n");
    assert.equal(
      text,
      [
        "### Storage tiers and cost (estimates)",
        "",
        "Source image sets this change copies from: 3; tiers read with GetImageSet (not an access: reading them moves nothing) for 3.",
        "",
        "- **2 sources in Archive Instant Access** (last accessed 31–45 days ago), 1 in Frequent Access.",
        "- `pulumi up` reads each source's metadata (GetImageSetMetadata) before copying it, which counts as access: the 2 archived sources move to Frequent Access and stay there until 30 days pass without access. Their storage then costs $0.105 instead of $0.006 per GB-month for at least a month: +$0.099 per GB of their size (sizes not read: that needs the metadata, whose read is access itself; at the 5 MB billing minimum per image set, at least +$0.000967 a month). Moving between tiers has no charge.",
        "",
        "New storage: 4 new image sets and 1 merge into existing image sets, bringing 2 instances and 4 whole series, in Frequent Access (new and merged-into image sets start there) for at least 30 days. At the 5 MB minimum per image set that is at least 20 MB, $0.00205 a month; the copies' real size is their instances' bytes (not read).",
        "",
        "Prices: the pricing page's US East (N. Virginia) examples, $0.105 (Frequent Access) and $0.006 (Archive Instant Access) per GB-month (https://aws.amazon.com/healthimaging/pricing/); other regions differ. Read: the tiers. Documented: the 30 days, which calls count as access, the 5 MB minimum. Estimated: every dollar figure.",
        "",
      ].join("\n"),
    );
  });

  it("names sources touched in the last hour (a preview's own checks), unreadable ones by error name, and the read bound", () => {
    const p = previewOf(4);
    const changes = changesOf(p);
    const text = tierSection(
      changes,
      tierSources(p, changes),
      [
        { imageSetId: id(1), storageTier: "FREQUENT_ACCESS", lastAccessedAt: new Date(NOW.getTime() - 60_000) },
        { imageSetId: id(2), error: "AccessDeniedException" },
        { imageSetId: id(3), error: "not found" },
      ],
      NOW,
    ).join("\n");
    assert.match(text, /for 1, 1 not read \(the first 3 only: `--max-reads`\), 2 unreadable \(AccessDeniedException, not found\)\./);
    assert.match(text, /\*\*0 sources in Archive Instant Access\*\*, 1 in Frequent Access\./);
    assert.match(text, /`pulumi up` moves no source between tiers: none is archived\./);
    assert.match(text, /1 source was last accessed less than an hour before this read, probably by this preview's own checks/);
  });

  it("the section follows the summary only when tiers were read", () => {
    const p = previewOf(1);
    assert.doesNotMatch(summarize(p), /Storage tiers/);
    const changes = changesOf(p);
    const withTiers = summarize(p, {
      tiers: { sources: tierSources(p, changes), readings: [{ imageSetId: id(1), storageTier: "ARCHIVE_INSTANT_ACCESS" }], now: NOW },
    });
    assert.match(withTiers, /Write calls: [^\n]+\n\n### Storage tiers and cost \(estimates\)\n/);
    assert.match(withTiers, /\*\*1 source in Archive Instant Access\*\*, 0 in Frequent Access\./);
  });

  it("reads are bounded and paced, one at a time; a failed read is reported, not thrown", async () => {
    const sources: TierSource[] = Array.from({ length: 5 }, (_, i) => ({ datastoreId: DS, imageSetId: id(i), resources: [`r${i}`] }));
    const at: number[] = [];
    let inFlight = 0;
    const readings = await readTiers(
      sources,
      async (s) => {
        inFlight++;
        assert.equal(inFlight, 1, "one read at a time");
        at.push(Date.now());
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        if (s.imageSetId === id(1)) throw Object.assign(new Error("no"), { name: "ThrottlingException" });
        return s.imageSetId === id(2) ? undefined : { storageTier: "FREQUENT_ACCESS" };
      },
      { maxReads: 4, tps: 20 },
    );
    assert.deepEqual(
      readings.map((r) => r.error ?? r.storageTier),
      ["FREQUENT_ACCESS", "ThrottlingException", "not found", "FREQUENT_ACCESS"],
      "the first 4 only",
    );
    for (let i = 1; i < at.length; i++) assert.ok(at[i] - at[i - 1] >= 45, `reads ${i - 1} and ${i} ${at[i] - at[i - 1]} ms apart at 20 TPS`);
  });

  it("dollars: cents from a dollar up, three significant digits below", () => {
    assert.equal(dollars(0), "$0");
    assert.equal(dollars(0.105), "$0.105");
    assert.equal(dollars(0.105 - 0.006), "$0.099");
    assert.equal(dollars(12.3456), "$12.35");
    assert.equal(dollars(0.000967), "$0.000967");
  });
});
