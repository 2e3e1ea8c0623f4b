// The program the pull-request workflow previews (.github/workflows/pulumi-preview.yml): the
// dataset-curation program on this folder's cohorts.yaml. A pull request that edits cohorts.yaml
// gets a comment showing which cohorts' image sets it would create, update in place, or replace.
//
// Stack config: datastoreId (required), manifest (optional, default cohorts.yaml).
// Region: the aws:region config, else AWS_REGION. Endpoint: AWS_ENDPOINT_URL_MEDICAL_IMAGING (the
// local service), else AWS. In a repository of its own, copy ../dataset-curation/curation.ts next
// to this file and import "./curation".

import * as pulumi from "@pulumi/pulumi";
import { curateOrReport, manifestPath } from "../dataset-curation/curation";

const config = new pulumi.Config();

export = async () => {
  const manifest = manifestPath(config);
  const cohorts = await curateOrReport({
    manifest,
    datastoreId: config.require("datastoreId"),
    region: new pulumi.Config("aws").get("region") ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION,
  });
  return { manifest, cohorts };
};
