// scripts/release.ts: what stops a release (the workflow's `npm run release:check -- --tag`) and the
// notes it publishes (`npm run release:notes`).

import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { changelogSection, checkRelease, githubRepositoryOf, type ReleaseInputs, releaseTarballUrl } from "../../scripts/release";

const ROOT = path.resolve(__dirname, "..", "..");
const REPO = { type: "git", url: "git+https://github.com/acme/pulumi-healthimaging.git", directory: "provider" };

const CHANGELOG = [
  "# Changelog",
  "",
  "Intro.",
  "",
  "## 0.3.0 — unreleased",
  "",
  "### Added",
  "",
  "- a thing",
  "",
  "## 0.2.0 — 2026-12-01",
  "",
  "### Changed",
  "",
  "- another thing",
  "",
  "## 0.1.0",
  "",
  "- first",
  "",
].join("\n");

function inputs(over: Partial<ReleaseInputs> = {}): ReleaseInputs {
  return {
    provider: { name: "pulumi-healthimaging", version: "0.2.0", repository: REPO },
    emulator: { name: "healthimaging-local", version: "0.2.0", repository: { ...REPO, directory: "emulator" } },
    changelog: CHANGELOG,
    readmes: {},
    exampleDependencies: { "pulumi-healthimaging": "^0.2.0" },
    ...over,
  };
}

describe("release check (scripts/release.ts)", () => {
  it("a dated section, equal versions and the matching tag pass", () => {
    assert.deepEqual(checkRelease(inputs({ tag: "v0.2.0", githubRepository: "acme/pulumi-healthimaging" })), []);
  });

  it("mismatched package versions fail, naming both", () => {
    const problems = checkRelease(inputs({ emulator: { name: "healthimaging-local", version: "0.2.1", repository: REPO } }));
    assert.equal(problems.length, 1);
    assert.match(
      problems[0],
      /versions differ: pulumi-healthimaging \(provider\/package\.json\) is 0\.2\.0, healthimaging-local \(emulator\/package\.json\) is 0\.2\.1/,
    );
  });

  it("a version without a CHANGELOG section fails", () => {
    const v = "0.4.0";
    const problems = checkRelease(
      inputs({
        provider: { name: "pulumi-healthimaging", version: v, repository: REPO },
        emulator: { name: "healthimaging-local", version: v, repository: REPO },
        exampleDependencies: { "pulumi-healthimaging": `^${v}` },
      }),
    );
    assert.deepEqual(problems, ['CHANGELOG.md has no section "## 0.4.0 — <YYYY-MM-DD>"']);
  });

  it("a tag that is not v<version> fails", () => {
    assert.deepEqual(checkRelease(inputs({ tag: "v0.2.1" })), ["tag v0.2.1 is not v0.2.0 (the version of provider/package.json and emulator/package.json)"]);
    assert.equal(checkRelease(inputs({ tag: "0.2.0" })).length, 1, "the tag keeps its v");
  });

  it('"unreleased" passes without a tag and fails with one', () => {
    const v = "0.3.0";
    const at = {
      provider: { name: "pulumi-healthimaging", version: v, repository: REPO },
      emulator: { name: "healthimaging-local", version: v, repository: REPO },
      exampleDependencies: { "pulumi-healthimaging": `^${v}` },
    };
    assert.deepEqual(checkRelease(inputs(at)), []);
    assert.deepEqual(checkRelease(inputs({ ...at, tag: "v0.3.0" })), [
      'CHANGELOG.md\'s section 0.3.0 is "unreleased": a release needs its date ("## 0.3.0 — YYYY-MM-DD")',
    ]);
  });

  it("an undated section fails even without a tag", () => {
    const v = "0.1.0";
    const problems = checkRelease(
      inputs({
        provider: { name: "pulumi-healthimaging", version: v, repository: REPO },
        emulator: { name: "healthimaging-local", version: v, repository: REPO },
        exampleDependencies: { "pulumi-healthimaging": `^${v}` },
      }),
    );
    assert.deepEqual(problems, ['CHANGELOG.md\'s section 0.1.0 is "(no date)": write a date (YYYY-MM-DD) or "unreleased"']);
  });

  it("the repository: present in both, the same, and on a tag the one building the release", () => {
    assert.match(checkRelease(inputs({ provider: { name: "pulumi-healthimaging", version: "0.2.0" } })).join("\n"), /names no GitHub repository/);
    assert.match(
      checkRelease(inputs({ emulator: { name: "healthimaging-local", version: "0.2.0", repository: "https://github.com/other/x" } })).join("\n"),
      /different repositories: acme\/pulumi-healthimaging and other\/x/,
    );
    assert.match(
      checkRelease(inputs({ tag: "v0.2.0", githubRepository: "fork/pulumi-healthimaging" })).join("\n"),
      /built in fork\/pulumi-healthimaging but the packages name acme\/pulumi-healthimaging/,
    );
    assert.deepEqual(checkRelease(inputs({ githubRepository: "fork/pulumi-healthimaging" })), [], "only a release needs its own repository");
    assert.equal(githubRepositoryOf("github:acme/x"), "acme/x");
    assert.equal(githubRepositoryOf({ url: "https://github.com/acme/x.git" }), "acme/x");
  });

  it("release-tarball URLs in the example READMEs and the example's dependency follow the version", () => {
    const url = releaseTarballUrl("acme/pulumi-healthimaging", "pulumi-healthimaging", "0.2.0");
    assert.equal(url, "https://github.com/acme/pulumi-healthimaging/releases/download/v0.2.0/pulumi-healthimaging-0.2.0.tgz");
    assert.deepEqual(checkRelease(inputs({ readmes: { "a.md": `npm install ${url}` } })), []);
    const stale = url.replaceAll("0.2.0", "0.1.0");
    assert.deepEqual(checkRelease(inputs({ readmes: { "a.md": `\`npm install ${stale}\`` } })), [`a.md: ${stale} is not this release's tarball (${url})`]);
    assert.deepEqual(checkRelease(inputs({ exampleDependencies: { "pulumi-healthimaging": "file:../../provider" } })), [
      "examples/pr-preview/package.json takes pulumi-healthimaging file:../../provider, not ^0.2.0 from the registry",
    ]);
  });

  it("the notes are the version's section without its heading", () => {
    assert.deepEqual(changelogSection(CHANGELOG, "0.2.0"), { version: "0.2.0", status: "2026-12-01", body: "### Changed\n\n- another thing" });
    assert.equal(changelogSection(CHANGELOG, "0.3.0")?.body, "### Added\n\n- a thing");
    assert.equal(changelogSection("## [1.0.0] - 2027-01-02\n\nx\n", "1.0.0")?.status, "2027-01-02", "keepachangelog's own heading style");
    assert.equal(changelogSection(CHANGELOG, "0.2"), undefined);
  });

  it("the release workflow runs the check on the tag and writes the notes from the tag's section", () => {
    const workflow = yaml.load(fs.readFileSync(path.join(ROOT, ".github", "workflows", "release.yml"), "utf8")) as {
      on: { push: { tags: string[] } };
      jobs: Record<string, { needs?: string; permissions?: Record<string, string>; steps: { name?: string; run?: string }[] }>;
    };
    assert.deepEqual(workflow.on.push.tags, ["v*"]);
    const steps = Object.values(workflow.jobs).flatMap((j) => j.steps);
    const run = (name: string) => steps.find((s) => s.name === name)?.run ?? assert.fail(`release.yml has a step "${name}"`);
    assert.equal(run("release check"), 'npm run --silent release:check -- --tag "$GITHUB_REF_NAME"');
    assert.ok(
      steps.some((s) => s.run === ".ci/run"),
      "the suite runs before anything is published",
    );
    assert.deepEqual(workflow.jobs.publish.permissions, { contents: "write", "id-token": "write" });
    assert.equal(workflow.jobs.publish.needs, "test");
    // the notes step, run as the runner would (bash -e), for this repository's version
    const version = JSON.parse(fs.readFileSync(path.join(ROOT, "provider", "package.json"), "utf8")).version as string;
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), "hi-release-notes-"));
    try {
      const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", run("release notes (the tag's CHANGELOG.md section)")], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, RUNNER_TEMP: temp, GITHUB_REF_NAME: `v${version}` },
      });
      assert.equal(r.status, 0, r.stderr);
      const section = changelogSection(fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8"), version);
      assert.equal(fs.readFileSync(path.join(temp, "notes.md"), "utf8"), `${section!.body}\n`);
    } finally {
      fs.rmSync(temp, { recursive: true, force: true });
    }
  });

  it("this repository passes the check without a tag, and `release:notes` prints its section", () => {
    const tsNode = require.resolve("ts-node/dist/bin.js");
    const env = { ...process.env, GITHUB_REF_TYPE: "", GITHUB_REF_NAME: "", GITHUB_REPOSITORY: "" };
    const check = spawnSync(process.execPath, [tsNode, "--transpile-only", "scripts/release.ts", "check"], { cwd: ROOT, encoding: "utf8", env });
    assert.equal(check.status, 0, check.stderr);
    assert.match(check.stdout, /^release check: pulumi-healthimaging and healthimaging-local at \d+\.\d+\.\d+/);
    const notes = spawnSync(process.execPath, [tsNode, "--transpile-only", "scripts/release.ts", "notes"], { cwd: ROOT, encoding: "utf8", env });
    assert.equal(notes.status, 0, notes.stderr);
    assert.ok(!notes.stdout.startsWith("## "), "no heading: GitHub shows the release's name");
    assert.match(notes.stdout, /^### /);
    const wrong = spawnSync(process.execPath, [tsNode, "--transpile-only", "scripts/release.ts", "check", "--tag", "v99.0.0"], {
      cwd: ROOT,
      encoding: "utf8",
      env,
    });
    assert.equal(wrong.status, 1);
    assert.match(wrong.stderr, /tag v99\.0\.0 is not v/);
  });
});
