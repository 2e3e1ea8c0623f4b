import { listTags, tagResource, untagResource } from "../model/tags";
import { type RequestContext, obj, str } from "./context";

export function handleListTags(ctx: RequestContext) {
  return { json: { tags: listTags(ctx.svc, str(ctx, "resourceArn")) } };
}

export function handleTagResource(ctx: RequestContext) {
  tagResource(ctx.svc, str(ctx, "resourceArn"), obj(ctx, "tags") as Record<string, string>);
  return { json: {} };
}

export function handleUntagResource(ctx: RequestContext) {
  untagResource(ctx.svc, str(ctx, "resourceArn"), ctx.input.tagKeys as string[]);
  return { json: {} };
}
