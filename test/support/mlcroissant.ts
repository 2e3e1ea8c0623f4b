// The real mlcroissant (MLCommons' Croissant library, PyPI; scripts/install-mlcroissant.sh puts it
// in a cached virtualenv): its validator, and the records an ML tool reads from each record set.

import { execFileSync, spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
let python: string | undefined;

/** The virtualenv's python (installed on first use; cached outside the repo). */
export function mlcroissantPython(): string {
  python ??= execFileSync("bash", [path.join(ROOT, "scripts", "install-mlcroissant.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "inherit"] }).trim();
  return python;
}

/** `mlcroissant validate --jsonld file`: its exit code and everything it printed. */
export function validateCroissant(file: string): { status: number | null; output: string } {
  const bin = path.join(path.dirname(mlcroissantPython()), "mlcroissant");
  const run = spawnSync(bin, ["validate", "--jsonld", file], { encoding: "utf8" });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** record set id -> its records (field id -> value), loaded with mlcroissant.Dataset(...).records(...). */
export function croissantRecords(file: string): Record<string, Record<string, unknown>[]> {
  const out = execFileSync(mlcroissantPython(), [path.join(__dirname, "croissant_records.py"), file], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(out);
}
