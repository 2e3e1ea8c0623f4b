#!/usr/bin/env node
// Make `require("pulumi-healthimaging")` resolve inside this repository, as it does in any project
// that installs the package: the serialized provider loads its implementation by package name
// (provider/serializedProvider.ts), and the examples import the package by name.
const fs = require("node:fs");
const path = require("node:path");

const root = path.resolve(__dirname, "..");
const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8"));
const link = path.join(root, "node_modules", pkg.name);
if (!fs.existsSync(path.join(root, "node_modules"))) process.exit(0); // installed as a dependency: nothing to do
try {
  const target = fs.readlinkSync(link);
  if (path.resolve(path.dirname(link), target) === root) process.exit(0);
  fs.unlinkSync(link);
} catch (e) {
  if (e.code === "EINVAL") process.exit(0); // a real folder: someone installed it on purpose
  if (e.code !== "ENOENT") throw e;
}
fs.symlinkSync(path.relative(path.dirname(link), root), link, "dir");
console.error(`linked ${path.relative(root, link)} -> .`);
