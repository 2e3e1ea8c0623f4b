// Tags on data stores and image sets, addressed by ARN.

import { notFound, validation } from "../errors";
import type { DatastoreRecord, ImageSetRecord } from "./records";
import type { Service } from "./service";

/** `arn` has passed the model's Arn pattern (emulator/validate.ts), so the match cannot fail. */
function taggable(svc: Service, arn: string): DatastoreRecord | ImageSetRecord {
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
    // The model lists no ServiceQuotaExceededException (402) for TagResource, so the 50-tag quota
    // surfaces as one of the errors it does list; ValidationException is inferred, not documented.
    throw validation(`A resource can have at most ${svc.profile.quotas.maxTagsPerResource} tags.`);
  }
  target.tags = merged;
  svc.store.commit(target);
}

export function untagResource(svc: Service, arn: string, keys: string[]): void {
  const target = taggable(svc, arn);
  for (const k of keys) delete target.tags[k];
  svc.store.commit(target);
}
