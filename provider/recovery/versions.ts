// Which versions of an image set the stack made. Each resource records the versions it made in its
// state (versionsMade); the image set's one "made" tag (recovery/madeVersions.ts) tells versions
// made by any resource of the stack from versions made outside it. Failed versions change nothing.

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { listTags, listVersions } from "../service/find";
import { madeVersionsOf } from "./madeVersions";

export interface VersionAccount {
  latestVersionId: string;
  /** versions after `since` that none of our resources made and that did change something */
  foreign: string[];
  /** versions after `since` that one of our resources made (a merge, an in-place change) */
  explained: string[];
  /** every version after `since` is one `own` lists (or failed), i.e. safe to revert over */
  onlyOwner: boolean;
}

/**
 * The versions after `since`, accounted for. `own`: the versions the asking resource made (from
 * its state); a revert is only safe over versions it confirms.
 */
export async function accountVersions(
  client: MedicalImagingClient,
  datastoreId: string,
  imageSetId: string,
  arn: string,
  since: string,
  own?: string[],
): Promise<VersionAccount> {
  const [versions, tags] = await Promise.all([listVersions(client, datastoreId, imageSetId), listTags(client, arn)]);
  const made = madeVersionsOf(tags);
  const later = versions.filter((v) => Number(v.versionId) > Number(since));
  const changed = later.filter((v) => !String(v.ImageSetWorkflowStatus ?? "").endsWith("_FAILED"));
  const latest = versions.reduce((m, v) => Math.max(m, Number(v.versionId)), Number(since));
  const byNumber = (a: string, b: string) => Number(a) - Number(b);
  return {
    latestVersionId: String(latest),
    foreign: changed
      .filter((v) => !made.has(v.versionId!))
      .map((v) => v.versionId!)
      .sort(byNumber),
    explained: changed
      .filter((v) => made.has(v.versionId!))
      .map((v) => v.versionId!)
      .sort(byNumber),
    onlyOwner: own !== undefined && changed.every((v) => own.includes(v.versionId!)),
  };
}
