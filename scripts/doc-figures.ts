// Figures in the docs are measured, not typed: each sits between `<!-- figure:<name> -->` and
// `<!-- /figure -->` in README.md or docs/*.md.
//
//   npm run docs:figures            measure and rewrite every figure
//   npm run docs:figures -- --check measure and fail (exit 1) when a figure in the docs is stale
//
// A size or a file count may drift 10 % before --check fails (every code change moves them a
// little); other counts and the wording must match. A figure that cannot be measured on this machine (no Pulumi CLI built here)
// is reported and left as it is.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";

const ROOT = path.resolve(__dirname, "..");
export const FIGURE = /<!-- figure:([\w-]+) -->([\s\S]*?)<!-- \/figure -->/g;

/** A measured figure: the text the docs show, and whether a doc's text is close enough to it. */
interface Measured {
  text: string;
  matches(docText: string): boolean;
}

const exactly = (text: string): Measured => ({ text, matches: (doc) => doc === text });

export const MEASURES: Record<string, () => Measured | undefined> = {
  "packed-size": packedSize,
  "runtime-deps": runtimeDependencies,
  "unit-tier": unitTierTime,
  "pulumi-build": pulumiBuildTime,
};

/** `npm pack --dry-run` of the provider package: kilobytes packed and file count. */
function packedSize(): Measured {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--workspace", "provider"], { cwd: ROOT, encoding: "utf8" });
  const [info] = JSON.parse(out) as { size: number; entryCount: number }[];
  const kb = Math.round(info.size / 1024);
  const text = `${kb} KB (${info.entryCount} files)`;
  return {
    text,
    matches(doc) {
      const m = /^(\d+) KB \((\d+) files\)$/.exec(doc);
      return m !== null && Math.abs(Number(m[1]) - kb) <= kb * 0.1 && Math.abs(Number(m[2]) - info.entryCount) <= info.entryCount * 0.1;
    },
  };
}

/** The provider package's runtime dependencies, by name. */
function runtimeDependencies(): Measured {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "provider", "package.json"), "utf8")) as { dependencies?: Record<string, string> };
  const names = Object.keys(pkg.dependencies ?? {}).map((n) => `\`${n}\``);
  const count = ["no", "one", "two", "three", "four", "five"][names.length] ?? String(names.length);
  const list = names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}` : names.join("");
  return exactly(`${count} runtime ${names.length === 1 ? "dependency" : "dependencies"}${list ? ` (${list})` : ""}`);
}

/** Wall time of `npm run test:unit`, in the words the README uses. */
function unitTierTime(): Measured {
  const started = performance.now();
  execFileSync("npx", ["mocha", "--reporter", "dot", "test/unit/**/*.test.ts"], { cwd: ROOT, stdio: ["ignore", "ignore", "inherit"] });
  return exactly(roughDuration((performance.now() - started) / 1000));
}

/** The first build's time, as install-pulumi.sh recorded it in the cached build's BUILD-INFO. */
function pulumiBuildTime(): Measured | undefined {
  const sdk = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8")) as { version: string };
  const cache = process.env.PULUMI_HI_CACHE ?? path.join(os.homedir(), ".cache", "pulumi-healthimaging");
  const infoFile = path.join(cache, `pulumi-v${sdk.version}`, "BUILD-INFO");
  if (!fs.existsSync(infoFile)) return undefined;
  const times = /download: (\d+)s, compile: (\d+)s/.exec(fs.readFileSync(infoFile, "utf8"));
  if (!times) return undefined;
  const seconds = Number(times[1]) + Number(times[2]);
  const cores = os.cpus().length;
  return {
    text: `${roughDuration(seconds)} on ${cores} cores`,
    // another machine's build differs by minutes: the doc stays right within a third, or 2 minutes
    matches(doc) {
      const m = /^about (\d+) minutes on (\d+) cores$/.exec(doc);
      const minutes = seconds / 60;
      return m !== null && Number(m[2]) === cores && Math.abs(Number(m[1]) - minutes) <= Math.max(2, minutes / 3);
    },
  };
}

/** "under a minute", "about 9 minutes": the precision a reader needs, stable across runs. */
export function roughDuration(seconds: number): string {
  if (seconds < 60) return "under a minute";
  const minutes = Math.round(seconds / 60);
  return minutes === 1 ? "about a minute" : `about ${minutes} minutes`;
}

export function docFiles(): string[] {
  const docs = fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md"));
  return ["README.md", ...docs.map((f) => path.join("docs", f))];
}

function main(): void {
  const check = process.argv.includes("--check");
  const measured = new Map<string, Measured | undefined>();
  const measure = (name: string) => {
    if (!measured.has(name)) {
      const fn = MEASURES[name];
      if (!fn) throw new Error(`unknown figure "${name}": known are ${Object.keys(MEASURES).join(", ")}`);
      measured.set(name, fn());
    }
    return measured.get(name);
  };
  const stale: string[] = [];
  for (const file of docFiles()) {
    const full = path.join(ROOT, file);
    const before = fs.readFileSync(full, "utf8");
    const after = before.replace(FIGURE, (whole, name: string, docText: string) => {
      const figure = measure(name);
      if (!figure) {
        console.log(`${file}: figure ${name} cannot be measured on this machine; left as "${docText}"`);
        return whole;
      }
      if (!figure.matches(docText)) stale.push(`${file}: figure ${name} says "${docText}", measured "${figure.text}"`);
      return `<!-- figure:${name} -->${figure.matches(docText) ? docText : figure.text}<!-- /figure -->`;
    });
    if (!check && after !== before) fs.writeFileSync(full, after);
  }
  if (check && stale.length > 0) {
    console.error(`${stale.join("\n")}\nRun \`npm run docs:figures\` to rewrite them.`);
    process.exit(1);
  }
  console.log(check ? "docs figures: up to date" : `docs figures: ${stale.length} rewritten`);
}

if (require.main === module) main();
