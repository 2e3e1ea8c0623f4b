// Tags on data stores and image sets, addressed by ARN.

import { notFound, quotaExceeded, validation } from "../errors";
import { PATTERNS } from "../validate";
import { Service } from "./service";

function taggable(svc: Service, arn: string): { tags: Record<string, string> } {
  if (!PATTERNS.arn.test(arn)) throw validation(`1 validation error detected: Value at 'resourceArn' failed to satisfy constraint: Member must satisfy regular expression pattern: ${PATTERNS.arn.source}`);
  const m = /datastore\/([0-9a-z]{32})(?:\/imageset\/([0-9a-z]{32}))?$/.exec(arn)!;
  const [, datastoreId, imageSetId] = m;
  const ds = svc.state.datastores[datastoreId];
  if (!ds || ds.datastoreArn !== svc.datastoreArn(datastoreId) || !arn.startsWith(ds.datastoreArn) || ds.datastoreStatus === "DELETED") {
    throw notFound(`Resource ${arn} does not exist.`);
  }
  if (!imageSetId) return ds;
  const set = svc.state.imageSets[imageSetId];
  if (!set || set.datastoreId !== datastoreId || set.state === "DELETED") throw notFound(`Resource ${arn} does not exist.`);
  return set;
}

export function listTags(svc: Service, arn: string): Record<string, string> {
  return { ...taggable(svc, arn).tags };
}

export function tagResource(svc: Service, arn: string, tags: Record<string, string>): void {
  const target = taggable(svc, arn);
  const merged = { ...target.tags, ...tags };
  if (Object.keys(merged).length > svc.profile.quotas.maxTagsPerResource) {
    throw quotaExceeded(`A resource can have at most ${svc.profile.quotas.maxTagsPerResource} tags.`);
  }
  target.tags = merged;
  svc.store.commit();
}

export function untagResource(svc: Service, arn: string, keys: string[]): void {
  const target = taggable(svc, arn);
  for (const k of keys) delete target.tags[k];
  svc.store.commit();
}
