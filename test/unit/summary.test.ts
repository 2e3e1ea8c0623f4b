// The pull-request summary of a real captured `pulumi preview --json` (test/fixtures/preview-dataset-edit.json:
// the earlier dataset-curation example, one derived image set per cohort, after moving one instance from
// train to validation and giving head-ct a series of another study; it holds an update of each kind and a
// replacement), and test/fixtures/preview-dataset-cohorts.json: examples/dataset-curation (a hi.Dataset) after
// its angio-views cohort swaps one instance and takes a second series, captured by test/e2e/dataset.test.ts
// with E2E_PREVIEW_JSON_OUT (that test checks the same summary live, word for word).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { pacerKey } from "../../provider/service/pacers";
import { saveLearned } from "../../provider/service/rateStore";
import { lowestWriteRate, ratesInUse } from "../../provider/summary/rates";
import { changesOf, duration, summarize } from "../../provider/summary/summarize";

const ROOT = path.resolve(__dirname, "..", "..");
const FIXTURE = path.join(ROOT, "test", "fixtures", "preview-dataset-edit.json");
const COHORTS_FIXTURE = path.join(ROOT, "test", "fixtures", "preview-dataset-cohorts.json");
// captured by test/e2e/summary-capture.test.ts (SUMMARY_PREVIEW_JSON_OUT): `ct` edited in the program,
// `angio` edited by a colleague and refreshed (drift, onDrift keep), `merged` merging into angio
const DRIFT_FIXTURE = path.join(ROOT, "test", "fixtures", "preview-drift-merge.json");
const preview = () => JSON.parse(fs.readFileSync(FIXTURE, "utf8"));
const MOVED = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.122";
const ANGIO = "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118";

describe("summary: pulumi preview --json → a pull-request comment", () => {
  it("names each changed image set, the instances that move by UID, and why a replacement happens", () => {
    const changes = changesOf(preview());
    assert.deepEqual(
      changes.map((c) => [c.name, c.op]),
      [
        ["head-ct", "replace"],
        ["train", "update"],
        ["validation", "update"],
      ],
      "the untouched cohort (test) is not listed",
    );
    const byName = Object.fromEntries(changes.map((c) => [c.name, c]));
    assert.deepEqual(byName.train.removed, { [ANGIO]: [MOVED] });
    assert.deepEqual(byName.train.added, {});
    assert.deepEqual(byName.validation.added, { [ANGIO]: [MOVED] });
    assert.match(byName["head-ct"].reasons.join(), /`sourceImageSetId`: another source image set/);
    const text = summarize(preview());
    assert.match(text, /\| `train` \| update \| none \| 1 instance \|/);
    assert.match(text, new RegExp(`\`${MOVED.replace(/\./g, "\\.")}\` \\(series`));
    assert.match(
      text,
      /Write calls: 2 CopyImageSet, 1 UpdateImageSetMetadata, 1 DeleteImageSet; at the rates in use \(AWS's documented rate: CopyImageSet 0\.25 TPS, burst 1; UpdateImageSetMetadata 10 TPS, burst 40; DeleteImageSet 0\.25 TPS, burst 1\) the calls alone take about 4 s/,
    );
  });

  it("a hi.Dataset preview: one row per changed cohort, series and instances counted apart, nothing of the untouched cohorts", () => {
    const cohortsPreview = JSON.parse(fs.readFileSync(COHORTS_FIXTURE, "utf8"));
    const changes = changesOf(cohortsPreview);
    assert.deepEqual(
      changes.map((c) => [c.cohort, c.op]),
      [
        ["curated/angio-views", "update"],
        ["curated/angio-views", "create"],
      ],
    );
    const text = summarize(cohortsPreview);
    assert.match(text, /\| cohort \| series added \| series removed \| series updated \| series replaced \| instances added \| instances removed \|/);
    assert.match(text, /\| `curated\/angio-views` \| 1 \| 0 \| 1 \| 0 \| 1 instance and 1 whole series \| 1 instance \|/);
    assert.equal(text.match(/^\| `curated\/[^/`]+` \|/gm)?.length, 1, "one cohort row");
  });

  it("compares instances as sets: a reordered list is no change", () => {
    const p = preview();
    const step = p.steps.find((s: { urn: string }) => s.urn.endsWith("::train"));
    step.newState.inputs.subset.series[ANGIO] = [...step.oldState.inputs.subset.series[ANGIO]].reverse();
    const train = changesOf(p).find((c) => c.name === "train")!;
    assert.deepEqual([train.added, train.removed], [{}, {}]);
  });

  it("an edit, drift and a merge: each row says why; the merge whose destination version moves adds no row, one line says why", () => {
    const p = JSON.parse(fs.readFileSync(DRIFT_FIXTURE, "utf8"));
    const text = summarize(p);
    const rows = text.split("\n").filter((l) => /^\| `[^`]+` \|/.test(l));
    assert.deepEqual(
      rows.map((r) => r.split(" | ").slice(0, 4)),
      [
        ["| `angio`", "update", "none", "none"],
        ["| `ct`", "update", "1 instance", "none"],
      ],
      "no `merged` row of none/none",
    );
    assert.match(
      rows[0],
      /\| drift: image set [0-9a-f]{32}: version 3 \(UPDATED\) made outside this stack \(Study\.StudyDescription changed; instances 0 added, 0 removed\); version 2 made by other resources of this stack; onDrift is "keep": `pulumi up` keeps version 3 as the new baseline/,
    );
    assert.match(rows[1], /\| edited `subset` \|$/);
    assert.match(
      text,
      /^Recorded in state only \(no image set changes\):\n- `merged`: `destination\.versionId` follows `angio`, which this `up` updates first; recorded, no API call/m,
    );
    for (const r of rows) assert.doesNotMatch(r, /\|\s*\|$/, "no empty why");
    assert.match(
      text,
      /Write calls: 1 CopyImageSet, 0 UpdateImageSetMetadata, 0 DeleteImageSet; at the rates in use \(AWS's documented rate: CopyImageSet 0\.25 TPS, burst 1\) each call goes out at once: the calls alone take under a second/,
    );
    assert.doesNotMatch(text, /about 0 s/);
  });

  it("a merge whose destination version is set to a known new value: recorded, with both versions", () => {
    const p = JSON.parse(fs.readFileSync(DRIFT_FIXTURE, "utf8"));
    const merged = p.steps.find((s: { urn: string }) => s.urn.endsWith("::merged"));
    merged.newState.inputs.destination.versionId = "7";
    const change = changesOf(p).find((c) => c.name === "merged")!;
    assert.equal(change.recordedOnly, true);
    assert.match(change.reasons.join(), /`destination\.versionId` \d+ → 7: recorded, no API call/);
  });

  it("times are never rounded to 0: one call is under a second, more are about N s or min", () => {
    assert.equal(duration(0), "under a second");
    assert.equal(duration(0.4), "under a second");
    assert.equal(duration(4), "about 4 s");
    assert.equal(duration(89), "about 89 s");
    assert.equal(duration(196), "about 3 min");
    assert.equal(duration(4 * 3600), "about 4.0 h");
  });

  it("the time follows the write rate given", () => {
    assert.match(
      summarize(preview(), { writeTps: 0.05 }),
      /at the rates in use \(stated by --tps: CopyImageSet 0\.05 TPS, burst 1; UpdateImageSetMetadata 0\.05 TPS, burst 40; DeleteImageSet 0\.05 TPS, burst 1\) the calls alone take about 20 s/,
    );
  });

  it("the rates in use: a writeRate input of the preview (the lowest), the environment, what an earlier run remembered, else AWS's documented rate; each says which", () => {
    const home = process.env.PULUMI_HEALTHIMAGING_HOME;
    const place = { endpoint: `http://127.0.0.1:9/summary-${process.pid}-${Date.now()}` };
    assert.deepEqual(ratesInUse(undefined, {}, place).CopyImageSet, { tps: 0.25, burst: 1, why: "AWS's documented rate" });
    saveLearned(pacerKey(place, "CopyImageSet"), { ceiling: 4, rate: 3.6 });
    assert.equal(process.env.PULUMI_HEALTHIMAGING_HOME, home);
    const remembered = ratesInUse(undefined, {}, place);
    assert.deepEqual(remembered.CopyImageSet, { tps: 3.6, burst: 1, why: "remembered: an earlier run was throttled at 4 TPS" });
    assert.equal(remembered.UpdateImageSetMetadata.tps, 10);
    const env = { PULUMI_HEALTHIMAGING_UPDATE_TPS: "2" };
    const inputs = lowestWriteRate([{ writeRate: { copyImageSet: 6 } }, { writeRate: { copyImageSet: 5 } }, {}]);
    assert.deepEqual(inputs, { copyImageSet: 5 });
    const stated = ratesInUse(inputs, env, place);
    assert.deepEqual(stated.CopyImageSet, { tps: 5, burst: 1, why: "stated by writeRate.copyImageSet" });
    assert.deepEqual(stated.UpdateImageSetMetadata, { tps: 2, burst: 1, why: "stated by PULUMI_HEALTHIMAGING_UPDATE_TPS" });
    const text = summarize(preview(), { rates: stated });
    assert.match(
      text,
      /at the rates in use \(CopyImageSet 5 TPS, burst 1: stated by writeRate\.copyImageSet; UpdateImageSetMetadata 2 TPS, burst 1: stated by PULUMI_HEALTHIMAGING_UPDATE_TPS; DeleteImageSet 0\.25 TPS, burst 1: AWS's documented rate\) the calls alone take under a second/,
    );
  });

  it("npx pulumi-healthimaging summarize: prints the comment; bad input is named with exit codes 1 and 2", () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, [path.join(ROOT, "provider", "bin", "pulumi-healthimaging.js"), ...args], { encoding: "utf8" });
    const ok = cli("summarize", FIXTURE);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^## HealthImaging: what `pulumi up` will do/);
    assert.equal(cli("summarize", FIXTURE, "--tps", "zero").status, 2);
    assert.match(cli("summarize", path.join(ROOT, "README.md")).stderr, /README\.md: not a `pulumi preview --json` output/);
    assert.equal(cli("--help").status, 0);
  });
});
