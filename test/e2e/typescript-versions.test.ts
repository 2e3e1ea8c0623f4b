// Which TypeScript a user's project can use, through the real Pulumi CLI: the packed package in one
// fresh project outside the repository (as test/e2e/package-install.test.ts installs it), previewed
// with TypeScript 5 (the runtime's ts-node runs index.ts), then with TypeScript 7 installed as
// `typescript` (npm warns about @pulumi/pulumi's peer range, and the runtime's ts-node crashes: README
// "Troubleshooting"), then the way README gives for TypeScript 7: its tsc compiles the program (our
// types included, skipLibCheck off) and Pulumi runs the JavaScript.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installPulumi } from "../../scripts/local";
import { offlinePulumiEnv } from "../support/pulumiCli";
import { type Seeded, SERIES, startSeeded } from "../support/seeded";
import { runProcess } from "../support/run";

const ROOT = path.resolve(__dirname, "..", "..");

interface Run {
  code: number | null;
  out: string;
}
const run = async (command: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<Run> => {
  const r = await runProcess(command, args, { cwd, env });
  return { code: r.code, out: r.output };
};
const ok = async (command: string, args: string[], cwd: string, env?: NodeJS.ProcessEnv): Promise<Run> => {
  const r = await run(command, args, cwd, env);
  assert.equal(r.code, 0, `${command} ${args.join(" ")}\n${r.out}`);
  return r;
};

/** The error texts (the `code spans`) of the one README Troubleshooting heading that contains `words`. */
function documentedErrors(words: string): string[] {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.split(/^## Troubleshooting$/m)[1]?.split(/^## /m)[0] ?? "";
  const headings = [...section.matchAll(/^### (.+)$/gm)].map((m) => m[1]).filter((h) => h.includes(words));
  assert.equal(headings.length, 1, `one README Troubleshooting heading containing ${words}`);
  return [...headings[0].matchAll(/`([^`]+)`/g)].map((m) => m[1]);
}

const PROGRAM = [
  'import * as pulumi from "@pulumi/pulumi";',
  'import * as hi from "pulumi-healthimaging";',
  "const config = new pulumi.Config();",
  'const datastoreId = config.require("datastoreId");',
  'const copy = new hi.DerivedImageSet("copy", { datastoreId, sourceImageSetId: config.require("sourceImageSetId"), subset: { series: { [config.require("series")]: "all" } } });',
  "export const imageSetId: pulumi.Output<string> = copy.imageSetId;",
  'const dataset = new hi.Dataset("ds", { datastoreId, dataset: { cohorts: { one: { select: { series: { [config.require("series")]: "all" } } } } } });',
  "export const cohortSizes = dataset.manifest.apply((m: hi.DatasetManifest) => Object.values(m.cohorts).map((entries) => entries.length));",
  "",
].join("\n");

describe("TypeScript versions in a user's project (packed package, real CLI)", function () {
  this.timeout(600_000);
  let work: string;
  let project: string;
  let seeded: Seeded;
  let env: NodeJS.ProcessEnv;
  const pulumi = (...args: string[]) => run("pulumi", [...args, "--non-interactive"], project, env);

  before(async function () {
    this.timeout(20 * 60_000);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "hi-ts-"));
    project = path.join(work, "project");
    fs.mkdirSync(project);
    seeded = await startSeeded({ profile: "fast" });
    const packed = JSON.parse(
      await ok("npm", ["pack", "--json", "--pack-destination", work], path.join(ROOT, "provider")).then((r) => r.out.slice(r.out.indexOf("["))),
    ) as {
      filename: string;
    }[];
    const sdk = (JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies[
      "@pulumi/pulumi"
    ];
    fs.writeFileSync(
      path.join(project, "package.json"),
      JSON.stringify(
        {
          name: "ts-versions",
          private: true,
          dependencies: { "@pulumi/pulumi": sdk, "pulumi-healthimaging": `file:${path.join(work, packed[0].filename)}` },
          // what `pulumi new typescript` adds
          devDependencies: { typescript: "^5", "@types/node": "^24" },
        },
        null,
        2,
      ),
    );
    await ok("npm", ["install", "--no-audit", "--no-fund"], project);
    fs.writeFileSync(path.join(project, "index.ts"), PROGRAM);
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: ts-versions\nruntime: nodejs\nmain: index.ts\n");
    fs.mkdirSync(path.join(project, "backend"));
    fs.mkdirSync(path.join(project, "home"));
    env = { ...offlinePulumiEnv(installPulumi(), project, seeded.emu), PULUMI_HEALTHIMAGING_HOME: path.join(project, "home") };
    const source = seeded.imageSetOfSeries(SERIES.ctHead);
    for (const args of [
      ["stack", "init", "test"],
      ["config", "set", "datastoreId", seeded.datastoreId],
      ["config", "set", "sourceImageSetId", source],
      ["config", "set", "series", SERIES.ctHead],
    ]) {
      const r = await pulumi(...args);
      assert.equal(r.code, 0, r.out);
    }
  });

  after(async () => {
    await seeded?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const previewCreates = async () => {
    const r = await pulumi("preview");
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /\+ +pulumi-nodejs:dynamic\/healthimaging:DerivedImageSet +copy +create/);
    assert.match(r.out, /\+ +pulumi-nodejs:dynamic\/healthimaging:DerivedImageSet +ds\/one\/[0-9.]+ +create/);
  };

  it("TypeScript 5 (what `pulumi new typescript` installs): the runtime's ts-node type-checks and runs index.ts", async () => {
    assert.match((await ok("npx", ["tsc", "--version"], project)).out, /^Version 5\./);
    await previewCreates();
  });

  it("TypeScript 7 as `typescript` (`npm install -D typescript@latest`): npm only warns, and the runtime's ts-node crashes as README says", async () => {
    const installed = await ok("npm", ["install", "--save-dev", "typescript@latest", "--no-audit", "--no-fund"], project);
    // @pulumi/pulumi's peer range for the TypeScript its runtime loads; npm overrides it with a warning
    assert.match(installed.out, /ERESOLVE overriding peer dependency/);
    assert.match(installed.out, /peerOptional typescript@">= 3\.8\.3 < 7" from @pulumi\/pulumi/);
    assert.match((await ok("npx", ["tsc", "--version"], project)).out, /^Version 7\./);
    const r = await pulumi("preview");
    assert.notEqual(r.code, 0, r.out);
    // in ts-node's register: 'readFile' with the runtime's own ts-node 7, 'fileExists' with a project's ts-node 10
    assert.match(r.out, /TypeError: Cannot read properties of undefined \(reading '(readFile|fileExists)'\)/);
    assert.ok(
      documentedErrors("Cannot read properties").some((e) => r.out.includes(e)),
      "the README heading quotes the crash",
    );
  });

  it("TypeScript 7 the README way: installed under another name, its tsc compiles the program (our types, skipLibCheck off) and Pulumi runs the JavaScript", async () => {
    await ok("npm", ["uninstall", "typescript", "--no-audit", "--no-fund"], project);
    await ok("npm", ["install", "--save-dev", "typescript7@npm:typescript@^7", "--no-audit", "--no-fund"], project);
    assert.match((await ok("npx", ["tsc", "--version"], project)).out, /^Version 7\./, "npx tsc is TypeScript 7's");
    fs.writeFileSync(
      path.join(project, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: { strict: true, target: "es2022", module: "commonjs", outDir: "bin", skipLibCheck: false, types: ["node"] },
        files: ["index.ts"],
      }),
    );
    await ok("npx", ["tsc", "-p", "."], project);
    assert.ok(fs.existsSync(path.join(project, "bin", "index.js")));
    // runtime.options.typescript: false is for a CLI whose language host reads it (a normal Pulumi
    // install); this repository's older host ignores it, and the JavaScript main runs either way
    fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: ts-versions\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: bin/index.js\n");
    await previewCreates();
  });
});
