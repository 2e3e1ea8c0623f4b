// A local journal of accepted copies: written right after CopyImageSet was accepted, removed when
// create returned. After an interrupted `pulumi up` on the same machine, it tells the next run
// which image set to adopt without any API call (see adopt.ts).

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CopyAccepted } from "./copyRun";
import { homeDir } from "./home";

function journalDir(): string {
  return process.env.PULUMI_HEALTHIMAGING_JOURNAL ?? path.join(homeDir(), "journal");
}

function journalFile(ownerTag: string, fingerprint: string): string {
  return path.join(journalDir(), `${createHash("sha256").update(`${ownerTag}|${fingerprint}`).digest("hex").slice(0, 40)}.json`);
}

export const journal = {
  write(ownerTag: string, fingerprint: string, accepted: CopyAccepted): void {
    try {
      fs.mkdirSync(journalDir(), { recursive: true });
      fs.writeFileSync(journalFile(ownerTag, fingerprint), JSON.stringify(accepted));
    } catch {
      // best effort: the service-side search still finds the leftover
    }
  },
  read(ownerTag: string, fingerprint: string): CopyAccepted | undefined {
    try {
      return JSON.parse(fs.readFileSync(journalFile(ownerTag, fingerprint), "utf8")) as CopyAccepted;
    } catch {
      return undefined;
    }
  },
  remove(ownerTag: string, fingerprint: string): void {
    fs.rmSync(journalFile(ownerTag, fingerprint), { force: true });
  },
};

