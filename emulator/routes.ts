// Method + path -> operation and handler, like moto's urls.py, with the methods and paths taken
// from the service model's HTTP bindings (they keep the service's irregular capitalisation:
// imageSet, getDICOMImportJob, ...). An operation of the model without a handler here answers
// InternalServerException, and the model conformance test fails for it.

import { ServiceError } from "./errors";
import type { OperationName } from "./limits";
import type { Handler } from "./handlers/context";
import * as ds from "./handlers/datastores";
import * as imports from "./handlers/imports";
import * as sets from "./handlers/imageSets";
import * as tags from "./handlers/tags";
import { SERVICE_MODEL } from "./serviceModel";

export interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  operation: OperationName;
  handler: Handler;
}

const HANDLERS: Record<OperationName, Handler> = {
  CreateDatastore: ds.handleCreateDatastore,
  ListDatastores: ds.handleListDatastores,
  GetDatastore: ds.handleGetDatastore,
  DeleteDatastore: ds.handleDeleteDatastore,
  StartDICOMImportJob: imports.handleStartImport,
  GetDICOMImportJob: imports.handleGetImportJob,
  ListDICOMImportJobs: imports.handleListImportJobs,
  SearchImageSets: sets.handleSearchImageSets,
  GetImageSet: sets.handleGetImageSet,
  GetImageSetMetadata: sets.handleGetImageSetMetadata,
  GetImageFrame: sets.handleGetImageFrame,
  ListImageSetVersions: sets.handleListImageSetVersions,
  UpdateImageSetMetadata: sets.handleUpdateImageSetMetadata,
  CopyImageSet: sets.handleCopyImageSet,
  DeleteImageSet: sets.handleDeleteImageSet,
  TagResource: tags.handleTagResource,
  ListTagsForResource: tags.handleListTags,
  UntagResource: tags.handleUntagResource,
};

const notImplemented: Handler = () => {
  throw new ServiceError("InternalServerException", "This operation is not implemented by the local service.");
};

function route(method: string, requestUri: string, operation: string): Route {
  const names: string[] = [];
  // labels may be empty so that a missing id reaches the validator and is named, not unrouted
  const source = requestUri.split("?")[0].replace(/\{(\w+)\+?\}/g, (_, name: string) => {
    names.push(name);
    return "([^/]*)";
  });
  const handler = (HANDLERS as Record<string, Handler>)[operation] ?? notImplemented;
  return { method, pattern: new RegExp(`^${source}$`), names, operation: operation as OperationName, handler };
}

export const ROUTES: Route[] = Object.entries(SERVICE_MODEL.operations).map(([name, op]) => route(op.http.method, op.http.requestUri, name));

/** A label that is not valid percent-encoding is kept as sent; the validator then refuses it. */
function decodeLabel(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

export function matchRoute(method: string, rawPath: string): { route: Route; params: Record<string, string> } | undefined {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(rawPath);
    if (!m) continue;
    const params = Object.fromEntries(r.names.map((name, i) => [name, decodeLabel(m[i + 1])]));
    return { route: r, params };
  }
  return undefined;
}
