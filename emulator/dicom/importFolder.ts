// Imports every file under a folder, like a StartDICOMImportJob over an S3 prefix: each file is
// scanned, DICOM instances are grouped into image sets, and anything else is reported as a
// failure with its reason. A bad file never stops the import.

import * as fs from "node:fs";
import * as path from "node:path";
import { groupIntoImageSets, type ImportedImageSet } from "./group";
import { DicomImportError, parseDicomFile, type ParsedInstance } from "./parse";

export interface ImportFailure {
  /** path relative to the imported folder, with "/" separators */
  file: string;
  reason: string;
}

export interface FolderImportResult {
  scanned: number;
  imported: number;
  failures: ImportFailure[];
  imageSets: ImportedImageSet[];
}

export function importFolder(dir: string, newId: () => string): FolderImportResult {
  const files = listFilesRecursively(dir);
  const instances: ParsedInstance[] = [];
  const failures: ImportFailure[] = [];
  for (const file of files) {
    const relative = path.relative(dir, file).split(path.sep).join("/");
    try {
      instances.push(parseDicomFile(fs.readFileSync(file)));
    } catch (err) {
      failures.push({ file: relative, reason: failureReason(err) });
    }
  }
  return { scanned: files.length, imported: instances.length, failures, imageSets: groupIntoImageSets(instances, newId) };
}

/**
 * Regular files under dir, depth first, names in code-unit order so that runs are reproducible.
 * Symbolic links to files count; links to folders are not followed (no cycles).
 */
export function listFilesRecursively(dir: string): string[] {
  const out: string[] = [];
  const entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listFilesRecursively(full));
    else if (entry.isFile() || (entry.isSymbolicLink() && isFile(full))) out.push(full);
  }
  return out;
}

function isFile(p: string): boolean {
  try {
    return fs.statSync(p).isFile();
  } catch {
    return false;
  }
}

/** Import errors carry vetted messages; anything else may quote file content, so only its kind is kept. */
function failureReason(err: unknown): string {
  if (err instanceof DicomImportError) return err.message;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  if (code) return `File cannot be read (${code}).`;
  return `Internal error while importing the file (${err instanceof Error ? err.name : typeof err}).`;
}
