// The provider's own folder on this machine: the journal of accepted copies and the durations
// learned in earlier runs. PULUMI_HEALTHIMAGING_HOME moves it (tests give each run its own).

import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export function homeDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.PULUMI_HEALTHIMAGING_HOME ?? path.join(os.homedir(), ".pulumi-healthimaging");
}

/** A JSON file in the home folder, or undefined when it is missing or broken (a hint, never an error). */
export function readHomeJson<T>(name: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(homeDir(), name), "utf8")) as T;
  } catch {
    return undefined;
  }
}

/**
 * Writes a JSON file atomically (write then rename): a concurrent reader or a crash sees the old
 * file or the new one, never half of one. Throws on failure; callers decide whether it matters.
 */
export function writeFileAtomic(file: string, content: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, content);
  fs.renameSync(temporary, file);
}
