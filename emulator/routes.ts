// Method + path -> operation and handler: one table, like moto's urls.py. Paths keep the
// service's irregular capitalisation (imageSet, getDICOMImportJob, ...).

import { OperationName } from "./limits";
import { Handler } from "./handlers/context";
import * as ds from "./handlers/datastores";
import * as imports from "./handlers/imports";
import * as sets from "./handlers/imageSets";
import * as tags from "./handlers/tags";

export interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  operation: OperationName;
  handler: Handler;
}

function route(method: string, template: string, operation: OperationName, handler: Handler): Route {
  const names: string[] = [];
  const source = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { method, pattern: new RegExp(`^${source}$`), names, operation, handler };
}

const IMAGE_SET = "/datastore/{datastoreId}/imageSet/{imageSetId}";

export const ROUTES: Route[] = [
  route("POST", "/datastore", "CreateDatastore", ds.handleCreateDatastore),
  route("GET", "/datastore", "ListDatastores", ds.handleListDatastores),
  route("GET", "/datastore/{datastoreId}", "GetDatastore", ds.handleGetDatastore),
  route("DELETE", "/datastore/{datastoreId}", "DeleteDatastore", ds.handleDeleteDatastore),
  route("POST", "/startDICOMImportJob/datastore/{datastoreId}", "StartDICOMImportJob", imports.handleStartImport),
  route("GET", "/getDICOMImportJob/datastore/{datastoreId}/job/{jobId}", "GetDICOMImportJob", imports.handleGetImportJob),
  route("GET", "/listDICOMImportJobs/datastore/{datastoreId}", "ListDICOMImportJobs", imports.handleListImportJobs),
  route("POST", "/datastore/{datastoreId}/searchImageSets", "SearchImageSets", sets.handleSearchImageSets),
  route("POST", `${IMAGE_SET}/getImageSet`, "GetImageSet", sets.handleGetImageSet),
  route("POST", `${IMAGE_SET}/getImageSetMetadata`, "GetImageSetMetadata", sets.handleGetImageSetMetadata),
  route("POST", `${IMAGE_SET}/getImageFrame`, "GetImageFrame", sets.handleGetImageFrame),
  route("POST", `${IMAGE_SET}/listImageSetVersions`, "ListImageSetVersions", sets.handleListImageSetVersions),
  route("POST", `${IMAGE_SET}/updateImageSetMetadata`, "UpdateImageSetMetadata", sets.handleUpdateImageSetMetadata),
  route("POST", "/datastore/{datastoreId}/imageSet/{sourceImageSetId}/copyImageSet", "CopyImageSet", sets.handleCopyImageSet),
  route("POST", `${IMAGE_SET}/deleteImageSet`, "DeleteImageSet", sets.handleDeleteImageSet),
  route("POST", "/tags/{resourceArn}", "TagResource", tags.handleTagResource),
  route("GET", "/tags/{resourceArn}", "ListTagsForResource", tags.handleListTags),
  route("DELETE", "/tags/{resourceArn}", "UntagResource", tags.handleUntagResource),
];

export function matchRoute(method: string, rawPath: string): { route: Route; params: Record<string, string> } | undefined {
  for (const r of ROUTES) {
    if (r.method !== method) continue;
    const m = r.pattern.exec(rawPath);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.names.forEach((name, i) => (params[name] = decodeURIComponent(m[i + 1])));
    return { route: r, params };
  }
  return undefined;
}
