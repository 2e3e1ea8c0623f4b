import { createDatastore, deleteDatastore } from "../model/datastores";
import { paginate } from "../validate";
import { type RequestContext, obj, optInt, optStr, str } from "./context";
import { datastoreProperties, datastoreSummary } from "./render";

export function handleCreateDatastore(ctx: RequestContext) {
  const ds = createDatastore(ctx.svc, {
    datastoreName: optStr(ctx, "datastoreName"),
    clientToken: str(ctx, "clientToken"),
    tags: (obj(ctx, "tags") ?? {}) as Record<string, string>,
    kmsKeyArn: optStr(ctx, "kmsKeyArn"),
    lambdaAuthorizerArn: optStr(ctx, "lambdaAuthorizerArn"),
    losslessStorageFormat: optStr(ctx, "losslessStorageFormat"),
  });
  return { json: { datastoreId: ds.datastoreId, datastoreStatus: ds.datastoreStatus } };
}

export function handleGetDatastore(ctx: RequestContext) {
  return { json: { datastoreProperties: datastoreProperties(ctx.svc.datastore(str(ctx, "datastoreId"))) } };
}

export function handleListDatastores(ctx: RequestContext) {
  const status = optStr(ctx, "datastoreStatus");
  const all = Object.values(ctx.svc.state.datastores)
    .filter((d) => (status ? d.datastoreStatus === status : d.datastoreStatus !== "DELETED"))
    .sort((a, b) => a.createdAt - b.createdAt || a.datastoreId.localeCompare(b.datastoreId));
  const { page, nextToken } = paginate(all, optInt(ctx, "maxResults"), optStr(ctx, "nextToken"), `datastores:${status ?? ""}`);
  return { json: { datastoreSummaries: page.map(datastoreSummary), nextToken } };
}

export function handleDeleteDatastore(ctx: RequestContext) {
  const ds = deleteDatastore(ctx.svc, str(ctx, "datastoreId"));
  return { json: { datastoreId: ds.datastoreId, datastoreStatus: ds.datastoreStatus } };
}
