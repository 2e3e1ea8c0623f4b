import { createDatastore, deleteDatastore } from "../model/datastores";
import { maxResults, oneOf, optionalPattern, optionalString, paginate, requirePattern, tagMap, validation } from "../validate";
import { RequestContext, jsonBody, queryValue } from "./context";
import { datastoreProperties, datastoreSummary } from "./render";

const STATUSES = ["CREATING", "CREATE_FAILED", "ACTIVE", "DELETING", "DELETED"] as const;

export function handleCreateDatastore(ctx: RequestContext) {
  const body = jsonBody(ctx);
  const kmsKeyArn = optionalString(body.kmsKeyArn, "kmsKeyArn");
  if (kmsKeyArn !== undefined && (kmsKeyArn.length < 1 || kmsKeyArn.length > 512)) throw validation("Value at 'kmsKeyArn' failed to satisfy constraint: Member must have length between 1 and 512");
  const lambdaAuthorizerArn = optionalString(body.lambdaAuthorizerArn, "lambdaAuthorizerArn");
  if (lambdaAuthorizerArn !== undefined && !/^arn:(aws[a-zA-Z-]*)?:lambda:[a-z]{2}(-gov)?-[a-z]+-\d{1}:\d{12}:function:[a-zA-Z0-9\-_.]+(:(\$LATEST|[a-zA-Z0-9\-_]+))?$/.test(lambdaAuthorizerArn)) {
    throw validation("Value at 'lambdaAuthorizerArn' failed to satisfy constraint: Member must be a Lambda function ARN");
  }
  const ds = createDatastore(ctx.svc, {
    datastoreName: optionalPattern(body.datastoreName, "datastoreName", "name", 1, 256),
    clientToken: requirePattern(body.clientToken, "clientToken", "clientToken", 1, 64),
    tags: body.tags === undefined ? {} : tagMap(body.tags, "tags"),
    kmsKeyArn,
    lambdaAuthorizerArn,
    losslessStorageFormat: body.losslessStorageFormat === undefined ? undefined : oneOf(body.losslessStorageFormat, "losslessStorageFormat", ["HTJ2K", "JPEG_2000_LOSSLESS"]),
  });
  return { json: { datastoreId: ds.datastoreId, datastoreStatus: ds.datastoreStatus } };
}

export function handleGetDatastore(ctx: RequestContext) {
  const id = requirePattern(ctx.params.datastoreId, "datastoreId", "id32");
  return { json: { datastoreProperties: datastoreProperties(ctx.svc.datastore(id)) } };
}

export function handleListDatastores(ctx: RequestContext) {
  const status = queryValue(ctx, "datastoreStatus");
  if (status !== undefined) oneOf(status, "datastoreStatus", STATUSES);
  const all = Object.values(ctx.svc.state.datastores)
    .filter((d) => (status ? d.datastoreStatus === status : d.datastoreStatus !== "DELETED"))
    .sort((a, b) => a.createdAt - b.createdAt || a.datastoreId.localeCompare(b.datastoreId));
  const { page, nextToken } = paginate(all, maxResults(queryValue(ctx, "maxResults")), queryValue(ctx, "nextToken"), `datastores:${status ?? ""}`);
  return { json: { datastoreSummaries: page.map(datastoreSummary), nextToken } };
}

export function handleDeleteDatastore(ctx: RequestContext) {
  const ds = deleteDatastore(ctx.svc, requirePattern(ctx.params.datastoreId, "datastoreId", "id32"));
  return { json: { datastoreId: ds.datastoreId, datastoreStatus: ds.datastoreStatus } };
}
