// The program the pull-request workflow previews (.github/workflows/pulumi-preview.yml): the
// cohorts of cohorts.yaml as one hi.Dataset (format: the top of the package's
// dist/dataset/manifest.d.ts, or provider/dataset/manifest.ts in its repository). A pull request
// that edits cohorts.yaml gets a comment from `npx pulumi-healthimaging summarize`: per cohort,
// the series and instances added and removed, why anything is replaced, and the write calls
// `pulumi up` will make.
//
// Stack config: datastoreId (required), manifest (optional, default cohorts.yaml).

import * as pulumi from "@pulumi/pulumi";
import * as hi from "pulumi-healthimaging";

const config = new pulumi.Config();

const dataset = new hi.Dataset("cohorts", {
  datastoreId: config.require("datastoreId"),
  dataset: config.get("manifest") ?? "cohorts.yaml",
  region: new pulumi.Config("aws").get("region"),
});

export const manifest = dataset.manifest;
