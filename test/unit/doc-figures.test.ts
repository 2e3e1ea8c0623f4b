import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { docFiles, FIGURE, MEASURES, roughDuration } from "../../scripts/doc-figures";

describe("docs figures (scripts/doc-figures.ts)", () => {
  it("rounds durations to what a reader needs", () => {
    assert.equal(roughDuration(12), "under a minute");
    assert.equal(roughDuration(75), "about a minute");
    assert.equal(roughDuration(490), "about 8 minutes");
  });

  it("every figure marker in README.md and docs/ names a figure the script measures", () => {
    const root = path.resolve(__dirname, "../..");
    const names = docFiles().flatMap((file) => [...fs.readFileSync(path.join(root, file), "utf8").matchAll(FIGURE)].map((m) => `${file}:${m[1]}`));
    assert.ok(names.length >= 4, `expected the docs to hold figures, found ${names.join(", ")}`);
    for (const name of names) assert.ok(name.split(":")[1] in MEASURES, `${name} is not measured by scripts/doc-figures.ts`);
  });
});
