// Documentation checks `npm run lint` runs beside Biome (and so CI):
//  1. comments and docs cite public URLs or files in this repository: no notes that live elsewhere,
//     and every repository path they name exists;
//  2. every symbol a package exports from its entry point has a TSDoc comment;
//  3. each package ships the repository's LICENSE unchanged.
// Prints each problem as file:line and exits 1 when there is any.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";

const ROOT = path.resolve(__dirname, "..");
const problems: string[] = [];

// Notes kept outside the repository (a design folder, reference notes): readers cannot follow them.
const OUTSIDE_NOTES = /\b(healthimaging-api\.md|pulumi-dynamic\.md|dicom-data\.md|DESIGN\.md|shared\/reference)\b|\/work\//;
// A path into the repository's own folders, as comments and docs cite them.
const REPO_PATH = /(?<![\w/.@-])((?:provider|emulator|scripts|test|bench|examples|\.ci)\/[\w./*{},-]*[\w*}])/g;
const CHECKED = /\.(ts|js|sh|md|json|yaml)$/;

function trackedFiles(): string[] {
  return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], { cwd: ROOT, encoding: "utf8" })
    .split("\n")
    .filter((f) => CHECKED.test(f) && !f.endsWith("package-lock.json") && !f.startsWith("bench/last-run") && fs.existsSync(path.join(ROOT, f)));
}

function checkCitations(): void {
  for (const file of trackedFiles()) {
    const lines = fs.readFileSync(path.join(ROOT, file), "utf8").split("\n");
    const isDoc = file.endsWith(".md");
    lines.forEach((line, i) => {
      const comment = isDoc ? line : commentPart(line);
      if (!comment) return;
      if (OUTSIDE_NOTES.test(comment)) problems.push(`${file}:${i + 1}: cites notes that are not in the repository: ${comment.trim().slice(0, 120)}`);
      for (const match of comment.matchAll(REPO_PATH)) {
        const target = match[1].replace(/[.:,]+$/, "");
        const next = comment[(match.index ?? 0) + match[0].length] ?? "";
        if (/[*{]/.test(target) || /[<|]/.test(next) || target.includes("...")) continue; // globs, alternatives and placeholders
        if (!fs.existsSync(path.join(ROOT, target))) problems.push(`${file}:${i + 1}: cites ${target}, which is not in the repository`);
      }
    });
  }
}

/** The comment text of a source line (// or # or a line of a block comment), or "" for code. */
function commentPart(line: string): string {
  const t = line.trimStart();
  if (t.startsWith("//") || t.startsWith("*") || t.startsWith("/*") || t.startsWith("#")) return t;
  const at = line.indexOf(" // ");
  return at >= 0 ? line.slice(at) : "";
}

function checkTsdoc(pkg: string, entry: string): void {
  const configPath = path.join(ROOT, pkg, "tsconfig.json");
  const config = ts.getParsedCommandLineOfConfigFile(configPath, {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error(`cannot read ${configPath}`);
  const program = ts.createProgram({ rootNames: [path.join(ROOT, pkg, entry)], options: { ...config.options, noEmit: true } });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(path.join(ROOT, pkg, entry));
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`cannot read the exports of ${pkg}/${entry}`);
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const documented = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim().length > 0;
    if (documented) continue;
    const decl = symbol.declarations?.[0];
    const where = decl
      ? `${path.relative(ROOT, decl.getSourceFile().fileName)}:${decl.getSourceFile().getLineAndCharacterOfPosition(decl.getStart()).line + 1}`
      : `${pkg}/${entry}`;
    problems.push(`${where}: ${exported.name}, exported by the ${pkg} package, has no TSDoc comment`);
  }
}

function checkLicenses(): void {
  const license = fs.readFileSync(path.join(ROOT, "LICENSE"), "utf8");
  for (const pkg of ["provider", "emulator"]) {
    const copy = path.join(ROOT, pkg, "LICENSE");
    if (!fs.existsSync(copy) || fs.readFileSync(copy, "utf8") !== license)
      problems.push(`${pkg}/LICENSE: must be a copy of the repository's LICENSE (cp LICENSE ${pkg}/)`);
  }
}

checkCitations();
checkTsdoc("provider", "index.ts");
checkTsdoc("emulator", "index.ts");
checkLicenses();
if (problems.length > 0) {
  process.stderr.write(`${problems.join("\n")}\n\n${problems.length} documentation problem(s)\n`);
  process.exit(1);
}
process.stderr.write("documentation checks passed\n");
