// Commands the READMEs tell users to run leave the checkout clean and print parseable output:
// whatever they write (`> file`) goes to a git-ignored path (so `npm run lint`, which skips
// ignored files, does not trip on it), and an `npm run` whose output is parsed (redirected, piped,
// or `--json`) is `npm run --silent`, without npm's "> script" banner on stdout.

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "../../scripts/local";

const READMES = ["README.md", ...fs.readdirSync(path.join(ROOT, "examples")).map((name) => path.join("examples", name, "README.md"))].filter((f) =>
  fs.existsSync(path.join(ROOT, f)),
);

/**
 * The commands of the README's ```sh blocks: continued lines joined, comments dropped, and
 * placeholders (`<id>`) and usage alternatives (`[up|preview]`) blanked, as they are no shell.
 */
function shellLines(readme: string): { line: string; at: string }[] {
  const out: { line: string; at: string }[] = [];
  let inShell = false;
  let pending = "";
  fs.readFileSync(path.join(ROOT, readme), "utf8")
    .split("\n")
    .forEach((text, i) => {
      if (/^```(sh|bash|shell)\s*$/.test(text)) inShell = true;
      else if (text.startsWith("```")) inShell = false;
      else if (inShell && text.trim() && !text.trim().startsWith("#")) {
        const line = `${pending} ${text.replace(/\s+#.*$/, "").trim()}`.trim();
        pending = line.endsWith("\\") ? line.slice(0, -1) : "";
        if (!pending) out.push({ line: line.replace(/<[^<>\s]+>/g, "X").replace(/\[[^\]]*\]/g, ""), at: `${readme}:${i + 1}` });
      }
    });
  return out;
}

/** Files a command line writes with > or >>, run from the repository root (a `cd`, also after `&&`, is followed). */
const redirectTargets = (line: string) => [...line.matchAll(/(?<![0-9&])>>?\s*([^\s|;&]+)/g)].map((m) => m[1]).filter((t) => !t.startsWith("/dev/"));

describe("commands in the READMEs", () => {
  for (const readme of READMES) {
    it(`${readme}: outputs go to git-ignored paths; parsed npm run output is --silent`, () => {
      let cwd = ROOT;
      for (const { line, at } of shellLines(readme)) {
        const cd = /(?:^|&&\s*)cd\s+(\S+)/.exec(line);
        if (cd) cwd = path.resolve(ROOT, cd[1]);
        for (const target of redirectTargets(line)) {
          const ignored = spawnSync("git", ["check-ignore", "--no-index", "-q", path.resolve(cwd, target)], { cwd: ROOT });
          assert.equal(ignored.status, 0, `${at}: writes ${target}, which git does not ignore (npm run lint would check it): ${line}`);
        }
        const parsed = /(^|[^|])\|[^|]|>|--json\b/.test(line);
        for (const npmRun of line.matchAll(/\bnpm run (\S+)/g)) {
          if (parsed) assert.equal(npmRun[1], "--silent", `${at}: npm's banner would precede the output: use npm run --silent: ${line}`);
        }
      }
    });
  }
});
