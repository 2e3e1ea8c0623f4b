// Where the DICOM sample files live: Debian's python3-pydicom ships them in its
// pydicom/data/test_files folder (Debian package python3-pydicom, https://packages.debian.org/bookworm/python3-pydicom; scripts/install-test-data.sh).
// scripts/install-test-data.sh installs the package; PYDICOM_TEST_FILES points elsewhere.

import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const INSTALL_HINT = "Run `bash scripts/install-test-data.sh` (installs Debian's python3-pydicom), or set PYDICOM_TEST_FILES to a pydicom test_files folder.";

let cached: string | undefined;

/** The pydicom test_files folder; throws with install instructions when it is not there. */
export function pydicomTestFiles(): string {
  cached ??= locateTestFiles();
  return cached;
}

function locateTestFiles(): string {
  const fromEnv = process.env.PYDICOM_TEST_FILES;
  if (fromEnv) {
    if (!isDirectory(fromEnv)) throw new Error(`PYDICOM_TEST_FILES=${fromEnv} is not a folder. ${INSTALL_HINT}`);
    return fromEnv;
  }
  const fromDpkg = packageFiles("python3-pydicom").find((f) => f.endsWith("/pydicom/data/test_files"));
  if (fromDpkg && isDirectory(fromDpkg)) return fromDpkg;
  throw new Error(`The pydicom DICOM sample files are not installed. ${INSTALL_HINT}`);
}

function packageFiles(pkg: string): string[] {
  try {
    return execFileSync("dpkg", ["-L", pkg], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).split("\n");
  } catch {
    return []; // not installed, or no dpkg on this machine
  }
}

function isDirectory(p: string): boolean {
  try {
    return fs.statSync(p).isDirectory();
  } catch {
    return false;
  }
}

/** Absolute path of a file under test_files (e.g. "rtdose.dcm"); throws if this pydicom version lacks it. */
export function testFile(relative: string): string {
  const full = path.join(pydicomTestFiles(), relative);
  if (!fs.existsSync(full)) throw new Error(`Sample file ${relative} is missing from ${pydicomTestFiles()}; the installed pydicom version may differ.`);
  return full;
}

export function readTestFile(relative: string): Buffer {
  return fs.readFileSync(testFile(relative));
}

/** The dicomdirtests folder: 2 real de-identified patients, the synthetic TINY_ALPHA file-set and DICOMDIRs. */
export function dicomdirTests(): string {
  return testFile("dicomdirtests");
}

/** A file under dicomdirtests (e.g. "98892003/MR700/4467"). */
export function dicomdirTestsFile(relative: string): string {
  return testFile(path.join("dicomdirtests", relative));
}

/** The DICOMDIR variants at the top of dicomdirtests plus TINY_ALPHA's own: Part-10 files that are not instances. */
export function dicomdirFiles(): string[] {
  const top = fs.readdirSync(dicomdirTests()).filter((name) => name.startsWith("DICOMDIR"));
  return [...top, "TINY_ALPHA/DICOMDIR"].sort();
}

/** A fresh temporary folder, removed by the returned cleanup function. */
export function makeTempFolder(prefix = "dicom-import-"): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** Copies sample files (paths relative to test_files) into dir, keeping only their base names unless `as` is given. */
export function copyTestFiles(dir: string, files: (string | { from: string; as: string })[]): void {
  for (const file of files) {
    const { from, as } = typeof file === "string" ? { from: file, as: path.basename(file) } : file;
    const target = path.join(dir, as);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(testFile(from), target);
  }
}
