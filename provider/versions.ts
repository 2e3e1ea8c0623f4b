// Which versions of an image set our resources made. Every version a resource creates on an
// image set (a merge, an in-place change, a revert) is tagged pulumi-healthimaging:v<id>; failed
// versions change nothing. Anything else after our version is drift.

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { versionTag } from "./tags";
import { listTags, listVersions } from "./find";

export interface VersionAccount {
  latestVersionId: string;
  /** versions after `since` that none of our resources made and that did change something */
  foreign: string[];
  /** versions after `since` that one of our resources made (a merge, an in-place change) */
  explained: string[];
  /** versions after `since` made by `owner` (or failed), i.e. safe to revert over */
  onlyOwner: boolean;
}

export async function accountVersions(client: MedicalImagingClient, datastoreId: string, imageSetId: string, arn: string, since: string, owner?: string): Promise<VersionAccount> {
  const [versions, tags] = await Promise.all([listVersions(client, datastoreId, imageSetId), listTags(client, arn)]);
  const later = versions.filter((v) => Number(v.versionId) > Number(since));
  const changed = later.filter((v) => !String(v.ImageSetWorkflowStatus ?? "").endsWith("_FAILED"));
  const latest = versions.reduce((m, v) => Math.max(m, Number(v.versionId)), Number(since));
  return {
    latestVersionId: String(latest),
    foreign: changed.filter((v) => tags[versionTag(v.versionId!)] === undefined).map((v) => v.versionId!).sort((a, b) => Number(a) - Number(b)),
    explained: changed.filter((v) => tags[versionTag(v.versionId!)] !== undefined).map((v) => v.versionId!).sort((a, b) => Number(a) - Number(b)),
    onlyOwner: changed.every((v) => owner !== undefined && tags[versionTag(v.versionId!)] === owner),
  };
}
