// The package as users get it: `npm pack` of provider/, installed into a fresh project beside
// `@pulumi/pulumi` (the latest release, and the lowest of the peer range) and `typescript`, as
// `pulumi new typescript` adds, then a real `pulumi up` / `pulumi destroy` of a DerivedImageSet and a
// hi.Dataset read from a YAML file, with
// the program running on Node 22 (latest SDK) and Node 24 (lowest SDK).
// Proves: one @pulumi/pulumi runtime (a peer dependency, not a nested copy), none of the local
// service's dependencies, a tarball of compiled code only, and the supported older runtime.

import { GetImageSetCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { installPulumi } from "../../scripts/local";
import { offlinePulumiEnv } from "../support/pulumiCli";
import { type Seeded, startSeeded } from "../support/seeded";
import { runProcess } from "../support/run";

const ROOT = path.resolve(__dirname, "..", "..");
// What only the local service uses; none of it may reach a user's project.
const SERVICE_ONLY = ["dcmjs", "commander", "core-js-pure", "pako", "healthimaging-local"];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
const run = (command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> =>
  runProcess(command, args, { cwd: opts.cwd, env: opts.env ?? process.env });
const ok = async (command: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<Run> => {
  const r = await run(command, args, opts);
  assert.equal(r.code, 0, `${command} ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
  return r;
};

/** Every package.json of an installed package under node_modules (nested ones included). */
function installedPackages(dir: string): { name: string; version: string; where: string }[] {
  const out: { name: string; version: string; where: string }[] = [];
  const walk = (modules: string) => {
    if (!fs.existsSync(modules)) return;
    for (const entry of fs.readdirSync(modules)) {
      if (entry.startsWith(".")) continue;
      const dirs = entry.startsWith("@") ? fs.readdirSync(path.join(modules, entry)).map((e) => path.join(modules, entry, e)) : [path.join(modules, entry)];
      for (const d of dirs) {
        const manifest = path.join(d, "package.json");
        if (!fs.existsSync(manifest)) continue;
        const { name, version } = JSON.parse(fs.readFileSync(manifest, "utf8")) as { name: string; version: string };
        out.push({ name, version, where: path.relative(dir, d) });
        walk(path.join(d, "node_modules"));
      }
    }
  };
  walk(path.join(dir, "node_modules"));
  return out;
}

/** Both ends of the peer range, each on one supported runtime. */
const CASES = [
  { sdk: "latest", node: "22" },
  { sdk: minimumPeer(), node: "24" },
];

/** The lowest @pulumi/pulumi the package declares it works with (provider/package.json peerDependencies). */
function minimumPeer(): string {
  const range = (JSON.parse(fs.readFileSync(path.join(ROOT, "provider", "package.json"), "utf8")) as { peerDependencies: Record<string, string> })
    .peerDependencies["@pulumi/pulumi"];
  const m = /^\^(\d+\.\d+\.\d+)$/.exec(range);
  assert.ok(m, `the peer range ${range} is a caret range`);
  return m[1];
}

for (const { sdk, node } of CASES)
  describe(`the packed package in a fresh project with @pulumi/pulumi@${sdk}, up on Node ${node}`, function () {
    this.timeout(600_000);
    let work: string;
    let tarball: string;
    let project: string;
    let seeded: Seeded;

    before(async () => {
      work = fs.mkdtempSync(path.join(os.tmpdir(), "hi-pack-"));
      project = path.join(work, "project");
      fs.mkdirSync(project);
      seeded = await startSeeded({ profile: "fast" });
    });
    after(async () => {
      await seeded?.stop();
      fs.rmSync(work, { recursive: true, force: true });
    });

    it("npm pack ships compiled code, types, README and LICENSE only", async () => {
      const r = await ok("npm", ["pack", "--json", "--pack-destination", work], { cwd: path.join(ROOT, "provider") });
      const [packed] = JSON.parse(r.stdout.slice(r.stdout.indexOf("["))) as {
        filename: string;
        size: number;
        unpackedSize: number;
        files: { path: string }[];
      }[];
      tarball = path.join(work, packed.filename);
      const files = packed.files.map((f) => f.path);
      for (const f of files)
        assert.match(f, /^(dist\/.*\.(js|d\.ts)|bin\/pulumi-healthimaging\.js|README\.md|LICENSE|package\.json)$/, `unexpected file in the package: ${f}`);
      assert.ok(files.includes("dist/index.js") && files.includes("dist/index.d.ts") && files.includes("LICENSE") && files.includes("README.md"));
      console.log(
        `      packed: ${packed.filename}, ${(packed.size / 1024).toFixed(1)} KB (${(packed.unpackedSize / 1024).toFixed(1)} KB unpacked, ${files.length} files)`,
      );
    });

    it(`installs beside @pulumi/pulumi@${sdk} with exactly one @pulumi/pulumi and none of the service's dependencies`, async () => {
      fs.writeFileSync(
        path.join(project, "package.json"),
        JSON.stringify(
          {
            name: "fresh-user-project",
            private: true,
            dependencies: { "@pulumi/pulumi": sdk, "pulumi-healthimaging": `file:${tarball}` },
            devDependencies: { typescript: "^5" },
          },
          null,
          2,
        ),
      );
      await ok("npm", ["install", "--no-audit", "--no-fund"], { cwd: project });
      const installed = installedPackages(project);
      const sdks = installed.filter((p) => p.name === "@pulumi/pulumi");
      assert.deepEqual(
        sdks.map((p) => p.where),
        ["node_modules/@pulumi/pulumi"],
        "one SDK runtime, the project's own",
      );
      const wanted = execFileSync("npm", ["view", `@pulumi/pulumi@${sdk}`, "version"], { encoding: "utf8" }).trim();
      assert.equal(sdks[0].version, wanted);
      const leaked = installed.filter((p) => SERVICE_ONLY.includes(p.name));
      assert.deepEqual(leaked, [], "the local service's dependencies stay out of users' projects");
      const ours = installed.find((p) => p.name === "pulumi-healthimaging");
      assert.ok(ours && fs.existsSync(path.join(project, ours.where, "dist", "index.js")));
      console.log(
        `      installed: ${installed.length} packages in the project (@pulumi/pulumi ${sdks[0].version}, pulumi-healthimaging, typescript and their dependencies)`,
      );
    });

    it(`pulumi up runs the program on Node ${node} and copies the image set; destroy deletes it`, async () => {
      const nodeBin = execFileSync("bash", [path.join(ROOT, "scripts", "install-node.sh"), node], { encoding: "utf8" }).trim();
      const source = seeded.seed.imageSets.find((s) => s.isPrimary);
      assert.ok(source, "the seeded data has a primary image set");
      fs.mkdirSync(path.join(project, "backend"));
      fs.mkdirSync(path.join(project, "home"));
      fs.writeFileSync(path.join(project, "Pulumi.yaml"), "name: fresh-user-project\nruntime: nodejs\nmain: index.ts\n");
      fs.writeFileSync(
        path.join(project, "index.ts"),
        [
          'import * as pulumi from "@pulumi/pulumi";',
          'import * as hi from "pulumi-healthimaging";',
          "const config = new pulumi.Config();",
          'const copy = new hi.DerivedImageSet("copy", { datastoreId: config.require("datastoreId"), sourceImageSetId: config.require("sourceImageSetId") });',
          "export const imageSetId = copy.imageSetId;",
          "// a dataset from a YAML file: the package reads it with its own js-yaml dependency",
          'const dataset = new hi.Dataset("ds", { datastoreId: config.require("datastoreId"), dataset: "cohorts.yaml" });',
          "export const datasetImageSets = dataset.manifest.apply((m) => m.cohorts.one.map((e) => e.imageSetId));",
          "export const nodeVersion = process.version;",
          "",
        ].join("\n"),
      );
      fs.writeFileSync(path.join(project, "cohorts.yaml"), `cohorts:\n  one:\n    select: { series: ["${source.seriesInstanceUid}"] }\n`);
      const bin = installPulumi();
      const env = {
        ...offlinePulumiEnv(bin, project, seeded.emu),
        PATH: [bin, nodeBin, process.env.PATH].join(path.delimiter),
        PULUMI_HEALTHIMAGING_HOME: path.join(project, "home"),
      };
      const pulumi = (...args: string[]) => ok("pulumi", [...args, "--non-interactive"], { cwd: project, env });
      await pulumi("stack", "init", "test");
      await pulumi("config", "set", "datastoreId", seeded.datastoreId);
      await pulumi("config", "set", "sourceImageSetId", source.imageSetId);
      await pulumi("up", "--yes", "--skip-preview");
      const outputs = JSON.parse((await pulumi("stack", "output", "--json")).stdout) as { imageSetId: string; nodeVersion: string; datasetImageSets: string[] };
      assert.equal(outputs.datasetImageSets.length, 1, "the dataset's one cohort holds the one series");
      const derived = await seeded.client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: outputs.datasetImageSets[0] }));
      assert.equal(derived.imageSetState, "ACTIVE");
      assert.match(outputs.nodeVersion, new RegExp(`^v${node}\\.`), `the program ran on Node ${node}`);
      const copy = await seeded.client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: outputs.imageSetId }));
      assert.equal(copy.imageSetState, "ACTIVE");
      assert.notEqual(outputs.imageSetId, source.imageSetId);
      await pulumi("destroy", "--yes", "--skip-preview");
      const gone = await seeded.client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: outputs.imageSetId }));
      assert.equal(gone.imageSetState, "DELETED");
      const datasetGone = await seeded.client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: outputs.datasetImageSets[0] }));
      assert.equal(datasetGone.imageSetState, "DELETED");
    });
  });
