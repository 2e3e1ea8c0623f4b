// The serialized provider loads the compiled package (dist/) by name, exactly as it would in a
// user's project. Build it once per test run when the sources are newer than the build.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
let built = false;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && entry.name.endsWith(".ts")) newest = Math.max(newest, fs.statSync(path.join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

export function ensureBuilt(): void {
  if (built) return;
  const output = path.join(ROOT, "dist", "provider", "provider.js");
  const stale = !fs.existsSync(output) || fs.statSync(output).mtimeMs < Math.max(newestMtime(path.join(ROOT, "provider")), newestMtime(path.join(ROOT, "emulator")));
  if (stale) execFileSync(process.execPath, [require.resolve("typescript/bin/tsc"), "-p", path.join(ROOT, "tsconfig.build.json")], { cwd: ROOT, stdio: "inherit" });
  execFileSync(process.execPath, [path.join(ROOT, "scripts", "link-self.js")], { cwd: ROOT, stdio: "inherit" });
  built = true;
}
