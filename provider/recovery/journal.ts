// A local journal of accepted copies: written right after CopyImageSet was accepted, removed when
// create returned. After an interrupted `pulumi up` on the same machine, it tells the next run
// which image set to adopt without any API call (see adopt.ts).

import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import type { CopyAccepted } from "../service/copy";
import { homeDir, writeFileAtomic } from "../settings/home";

function journalDir(): string {
  return process.env.PULUMI_HEALTHIMAGING_JOURNAL ?? path.join(homeDir(), "journal");
}

function journalFile(ownerTag: string, fingerprint: string): string {
  return path.join(journalDir(), `${createHash("sha256").update(`${ownerTag}|${fingerprint}`).digest("hex").slice(0, 40)}.json`);
}

export const journal = {
  write(ownerTag: string, fingerprint: string, accepted: CopyAccepted): void {
    try {
      // atomic: a crash mid-write leaves the old entry or none, never half a file
      writeFileAtomic(journalFile(ownerTag, fingerprint), JSON.stringify(accepted));
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
  /** Never throws: it runs after the copy finished, and a leftover entry only costs a look next time. */
  remove(ownerTag: string, fingerprint: string): void {
    try {
      fs.rmSync(journalFile(ownerTag, fingerprint), { force: true });
    } catch {
      // a read-only or vanished home folder must not turn a finished copy into a failure
    }
  },
};
