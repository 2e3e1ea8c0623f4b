// The test command line works as the README says: one file runs alone (the tiers' globs live in
// package.json scripts, not in .mocharc.json, where mocha would merge them with the argument).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

describe("test tiers: one file runs alone", function () {
  this.timeout(60_000);

  it("`npx mocha test/unit/provider-diff.test.ts` runs that file's tests and no other", () => {
    const file = path.join("test", "unit", "provider-diff.test.ts");
    const r = spawnSync(process.execPath, [require.resolve("mocha/bin/mocha.js"), "--reporter", "json", file], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, HEALTHIMAGING_TEST_RUN: "" },
    });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { stats: { tests: number }; tests: { file: string }[] };
    assert.ok(report.stats.tests > 0);
    assert.deepEqual([...new Set(report.tests.map((t) => path.relative(ROOT, t.file)))], [file]);
  });
});
