#!/usr/bin/env node
// Type-check examples/real-aws (it needs AWS to run, so CI only compiles it). Installs its own
// node_modules first when they are missing or older than package-lock.json (`npm ci`), so that
// @pulumi/aws never enters the repository's root node_modules. `pulumi-healthimaging` resolves to
// the repository itself through the root node_modules (run `npm run build` at the root first).
//
//   node examples/real-aws/typecheck.js      (the root's `npm run typecheck:examples` calls it)

const { execFileSync } = require("node:child_process");
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const dir = __dirname;
const stamp = path.join(dir, "node_modules", ".package-lock.sha256");
const lockHash = crypto
  .createHash("sha256")
  .update(fs.readFileSync(path.join(dir, "package-lock.json")))
  .digest("hex");
const installed = fs.existsSync(stamp) ? fs.readFileSync(stamp, "utf8").trim() : "";

if (installed !== lockHash) {
  console.error(`[real-aws] npm ci (${installed ? "package-lock.json changed" : "no node_modules yet"})`);
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  execFileSync(npm, ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: dir, stdio: "inherit" });
  fs.writeFileSync(stamp, `${lockHash}\n`);
}

const tsc = path.join(dir, "node_modules", "typescript", "bin", "tsc");
console.error("[real-aws] tsc --noEmit");
execFileSync(process.execPath, [tsc, "--noEmit", "-p", dir], { stdio: "inherit" });
