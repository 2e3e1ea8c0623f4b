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
import { changesOf, summarize } from "../../provider/summary/summarize";

const ROOT = path.resolve(__dirname, "..", "..");
const FIXTURE = path.join(ROOT, "test", "fixtures", "preview-dataset-edit.json");
const COHORTS_FIXTURE = path.join(ROOT, "test", "fixtures", "preview-dataset-cohorts.json");
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
    assert.match(text, /Write calls: 2 CopyImageSet, 1 UpdateImageSetMetadata, 1 DeleteImageSet; at 0\.25 TPS/);
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

  it("the time follows the write rate given", () => {
    assert.match(summarize(preview(), { writeTps: 0.05 }), /at 0\.05 TPS per operation \(burst 1\) the calls alone take about 20 s/);
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
