import { listTags, tagResource, untagResource } from "../model/tags";
import { checkPattern, tagMap } from "../validate";
import { RequestContext, jsonBody } from "./context";

export function handleListTags(ctx: RequestContext) {
  return { json: { tags: listTags(ctx.svc, ctx.params.resourceArn) } };
}

export function handleTagResource(ctx: RequestContext) {
  tagResource(ctx.svc, ctx.params.resourceArn, tagMap(jsonBody(ctx).tags, "tags"));
  return { json: {} };
}

export function handleUntagResource(ctx: RequestContext) {
  const keys = ctx.query.getAll("tagKeys");
  keys.forEach((k, i) => checkPattern(k, `tagKeys[${i}]`, "tagKey", 1, 128));
  untagResource(ctx.svc, ctx.params.resourceArn, keys);
  return { json: {} };
}
