// Dataset curation: the cohorts of a manifest (cohorts.yaml), one derived image set each.
// See curation.ts for the manifest format and README.md for the workflow.
//
// Stack config: datastoreId (required; `npm run example -- dataset-curation` sets it from the
// seeded sample data), manifest (optional, default cohorts.yaml, relative to this folder).
// Region: the aws:region config, else AWS_REGION. Endpoint: AWS_ENDPOINT_URL_MEDICAL_IMAGING (the
// local service), else AWS. The program reads the data store (SearchImageSets,
// GetImageSetMetadata) when it runs, so `pulumi preview` needs read access to it.

import * as pulumi from "@pulumi/pulumi";
import { curateOrReport, manifestPath } from "./curation";

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
