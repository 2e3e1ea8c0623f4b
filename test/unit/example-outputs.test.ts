// `npm run destroy` removes the files the examples' programs write (scripts/run-example.ts,
// EXAMPLE_OUTPUT_FILES): every `manifestFile` and `croissantFile` an example declares is listed there, and git ignores
// each listed file, so a run of an example never shows up in `git status`.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { EXAMPLE_CONFIG, EXAMPLE_OUTPUT_FILES, EXAMPLES_DIR } from "../../scripts/run-example";

describe("files the examples write", () => {
  for (const name of Object.keys(EXAMPLE_CONFIG)) {
    it(`examples/${name}: every manifestFile and croissantFile is removed by npm run destroy and ignored by git`, () => {
      const program = fs.readFileSync(path.join(EXAMPLES_DIR, name, "index.ts"), "utf8");
      const written = [...program.matchAll(/(?:manifestFile|croissantFile):\s*"([^"]+)"/g)].map((m) => m[1]);
      assert.deepEqual(EXAMPLE_OUTPUT_FILES[name] ?? [], written);
      for (const file of written) {
        // exits non-zero (throws) when the file is not ignored
        execFileSync("git", ["check-ignore", "--no-index", "-q", path.join("examples", name, file)], { cwd: path.join(EXAMPLES_DIR, "..") });
      }
    });
  }
});
