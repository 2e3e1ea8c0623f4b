// Release checks and notes (.github/workflows/release.yml runs both; .ci/run runs the check without a tag).
//
//   npm run release:check                    # versions agree, CHANGELOG.md has their section ("unreleased" allowed)
//   npm run release:check -- --tag v0.2.0    # and the tag is that version, and its section is dated
//   npm run --silent release:notes -- --tag v0.2.0   # the CHANGELOG.md section of that version, for the GitHub release
//
// Without --tag the tag is GITHUB_REF_NAME when GitHub says the run is for a tag (GITHUB_REF_TYPE=tag).
// A release is checked for: both packages (provider/, emulator/) at the same version; the tag
// v<version>; a CHANGELOG.md section "## <version> — <YYYY-MM-DD>" ("unreleased" only when no tag
// is checked); both packages naming the same GitHub repository (npm's provenance check compares it
// with the repository that builds the release), which is GITHUB_REPOSITORY on a tag; the example
// READMEs' release-tarball URLs pointing at this version of that repository; and
// examples/pr-preview/package.json taking this version from the registry.

import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..");

export interface ChangelogSection {
  version: string;
  /** what follows the version in the heading: a date, or "unreleased" */
  status: string;
  /** the section's text without its heading, trimmed */
  body: string;
}

const HEADING = /^## \[?v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)\]?(?:\s+[—–-]\s+(.*?))?\s*$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** Every "## <version> — <status>" section of a changelog, in order. */
export function changelogSections(changelog: string): ChangelogSection[] {
  const out: ChangelogSection[] = [];
  let current: { version: string; status: string; lines: string[] } | undefined;
  const close = () => {
    if (current) out.push({ version: current.version, status: current.status, body: current.lines.join("\n").trim() });
  };
  for (const line of changelog.split(/\r?\n/)) {
    if (line.startsWith("## ")) {
      close();
      const m = HEADING.exec(line);
      current = m ? { version: m[1], status: (m[2] ?? "").trim(), lines: [] } : undefined;
    } else current?.lines.push(line);
  }
  close();
  return out;
}

/** The section of `version`, or undefined. */
export function changelogSection(changelog: string, version: string): ChangelogSection | undefined {
  return changelogSections(changelog).find((s) => s.version === version);
}

/** What a release check reads: the two manifests, the changelog and the files that name the version. */
export interface ReleaseInputs {
  provider: { name: string; version: string; repository?: string | { url?: string; type?: string; directory?: string } };
  emulator: { name: string; version: string; repository?: string | { url?: string; type?: string; directory?: string } };
  changelog: string;
  /** the tag being released (v<version>), if any */
  tag?: string;
  /** owner/name of the repository that builds the release (GITHUB_REPOSITORY), checked with a tag */
  githubRepository?: string;
  /** README files (path → text) whose release-tarball URLs must point at this release */
  readmes?: Record<string, string>;
  /** examples/pr-preview/package.json's dependencies */
  exampleDependencies?: Record<string, string>;
}

/** owner/name of a package.json repository field on GitHub, or undefined. */
export function githubRepositoryOf(repository: string | { url?: string } | undefined): string | undefined {
  const url = typeof repository === "string" ? repository : repository?.url;
  if (!url) return undefined;
  const m = /github\.com[/:]([\w.-]+\/[\w.-]+?)(?:\.git)?\/?$/.exec(url) ?? /^(?:github:)?([\w.-]+\/[\w.-]+)$/.exec(url);
  return m?.[1];
}

/** The release tarball URL of a version on GitHub (the release workflow attaches the packed packages). */
export function releaseTarballUrl(repo: string, pkg: string, version: string): string {
  return `https://github.com/${repo}/releases/download/v${version}/${pkg}-${version}.tgz`;
}

/** Every problem that stops the release (empty: ready). */
export function checkRelease(inputs: ReleaseInputs): string[] {
  const problems: string[] = [];
  const { provider, emulator } = inputs;
  const version = provider.version;
  if (provider.version !== emulator.version)
    problems.push(
      `versions differ: ${provider.name} (provider/package.json) is ${provider.version}, ${emulator.name} (emulator/package.json) is ${emulator.version}`,
    );
  if (inputs.tag !== undefined && inputs.tag !== `v${version}`)
    problems.push(`tag ${inputs.tag} is not v${version} (the version of provider/package.json and emulator/package.json)`);
  const section = changelogSection(inputs.changelog, version);
  if (!section) problems.push(`CHANGELOG.md has no section "## ${version} — <YYYY-MM-DD>"`);
  else {
    if (!section.body) problems.push(`CHANGELOG.md's section ${version} is empty`);
    if (inputs.tag !== undefined && !DATE.test(section.status))
      problems.push(`CHANGELOG.md's section ${version} is "${section.status || "(no date)"}": a release needs its date ("## ${version} — YYYY-MM-DD")`);
    else if (inputs.tag === undefined && !DATE.test(section.status) && section.status.toLowerCase() !== "unreleased")
      problems.push(`CHANGELOG.md's section ${version} is "${section.status || "(no date)"}": write a date (YYYY-MM-DD) or "unreleased"`);
  }
  const repo = githubRepositoryOf(provider.repository);
  const emulatorRepo = githubRepositoryOf(emulator.repository);
  if (!repo)
    problems.push(`${provider.name} (provider/package.json) names no GitHub repository ("repository": { "url": "git+https://github.com/<owner>/<name>.git" })`);
  if (!emulatorRepo) problems.push(`${emulator.name} (emulator/package.json) names no GitHub repository`);
  if (repo && emulatorRepo && repo !== emulatorRepo) problems.push(`the packages name different repositories: ${repo} and ${emulatorRepo}`);
  if (repo && inputs.tag !== undefined && inputs.githubRepository && inputs.githubRepository.toLowerCase() !== repo.toLowerCase())
    problems.push(
      `this release is built in ${inputs.githubRepository} but the packages name ${repo}: npm refuses provenance from another repository (update "repository" in both package.json files and the example READMEs)`,
    );
  if (repo)
    for (const [file, text] of Object.entries(inputs.readmes ?? {}))
      for (const m of text.matchAll(/https:\/\/github\.com\/[^\s)`'"]+\/releases\/download\/[^\s)`'"]+\.tgz/g)) {
        const wanted = [provider.name, emulator.name].map((p) => releaseTarballUrl(repo, p, version));
        if (!wanted.includes(m[0])) problems.push(`${file}: ${m[0]} is not this release's tarball (${wanted[0]})`);
      }
  const range = inputs.exampleDependencies?.[provider.name];
  if (inputs.exampleDependencies && range !== `^${version}`)
    problems.push(`examples/pr-preview/package.json takes ${provider.name} ${range ?? "(missing)"}, not ^${version} from the registry`);
  return problems;
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), "utf8"));

/** The inputs as this repository has them. */
export function repositoryInputs(tag?: string): ReleaseInputs {
  const readmes: Record<string, string> = {};
  for (const name of fs.readdirSync(path.join(ROOT, "examples"))) {
    const file = path.join("examples", name, "README.md");
    if (fs.existsSync(path.join(ROOT, file))) readmes[file] = fs.readFileSync(path.join(ROOT, file), "utf8");
  }
  return {
    provider: readJson("provider/package.json"),
    emulator: readJson("emulator/package.json"),
    changelog: fs.readFileSync(path.join(ROOT, "CHANGELOG.md"), "utf8"),
    tag,
    githubRepository: process.env.GITHUB_REPOSITORY || undefined,
    readmes,
    exampleDependencies: readJson("examples/pr-preview/package.json").dependencies ?? {},
  };
}

function parseTag(argv: string[]): string | undefined {
  const i = argv.indexOf("--tag");
  if (i >= 0) {
    const tag = argv[i + 1];
    if (!tag) throw new Error("--tag needs a value, e.g. --tag v0.2.0");
    return tag;
  }
  const eq = argv.find((a) => a.startsWith("--tag="));
  if (eq) return eq.slice("--tag=".length);
  return process.env.GITHUB_REF_TYPE === "tag" && process.env.GITHUB_REF_NAME ? process.env.GITHUB_REF_NAME : undefined;
}

function main(argv: string[]): number {
  const [command, ...rest] = argv;
  const tag = parseTag(rest);
  const inputs = repositoryInputs(tag);
  if (command === "check") {
    const problems = checkRelease(inputs);
    const section = changelogSection(inputs.changelog, inputs.provider.version);
    if (problems.length > 0) {
      process.stderr.write(`release check failed${tag ? ` for ${tag}` : ""}:\n${problems.map((p) => `  - ${p}`).join("\n")}\n`);
      return 1;
    }
    process.stdout.write(
      `release check: ${inputs.provider.name} and ${inputs.emulator.name} at ${inputs.provider.version}, CHANGELOG.md section ${section?.status || "(undated)"}${tag ? `, tag ${tag}` : ""}\n`,
    );
    return 0;
  }
  if (command === "notes") {
    const version = tag ? tag.replace(/^v/, "") : inputs.provider.version;
    const section = changelogSection(inputs.changelog, version);
    if (!section) {
      process.stderr.write(`CHANGELOG.md has no section for ${version}\n`);
      return 1;
    }
    process.stdout.write(`${section.body}\n`);
    return 0;
  }
  process.stderr.write("usage: ts-node scripts/release.ts check|notes [--tag vX.Y.Z]\n");
  return 2;
}

if (require.main === module) {
  try {
    process.exit(main(process.argv.slice(2)));
  } catch (e) {
    process.stderr.write(`release: ${(e as Error).message}\n`);
    process.exit(2);
  }
}
