// The serialized provider loads the compiled package (provider/dist) by name, exactly as it would in
// a user's project (npm workspaces link node_modules/pulumi-healthimaging to provider/), and some tests
// run the service's compiled CLI (emulator/dist). Build a package once per test run when its sources
// are newer than its build.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
let built = false;

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.parentPath.includes(`${path.sep}dist`) || entry.parentPath.includes("node_modules")) continue;
    if (entry.isFile() && /\.(ts|json)$/.test(entry.name)) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** Builds provider/ and emulator/ when their sources are newer than their dist/ (once per process). */
export function ensureBuilt(): void {
  if (built) return;
  for (const [pkg, output] of [
    ["provider", "index.js"],
    ["emulator", "cli.js"],
  ]) {
    const dir = path.join(ROOT, pkg);
    const out = path.join(dir, "dist", output);
    if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < newestSource(dir)) {
      execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(dir, "tsconfig.json")], { cwd: ROOT, stdio: "inherit" });
    }
  }
  built = true;
}
