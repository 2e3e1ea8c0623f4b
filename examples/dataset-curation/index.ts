// Dataset curation: the cohorts of cohorts.yaml as one hi.Dataset (format: the top of
// provider/dataset/manifest.ts; README.md for the workflow). Each cohort's series become derived
// image sets named "curated/<cohort>/<SeriesInstanceUID>", and the dataset manifest a training job
// reads is the stack output `manifest` and, after `pulumi up`, the file dataset-manifest.json;
// the same dataset as an MLCommons Croissant 1.1 description (what ML tools read: mlcroissant,
// TFDS) is dataset-croissant.json.
//
// Stack config: datastoreId (required; `npm run example -- dataset-curation` sets it from the
// seeded sample data), manifest (optional, default cohorts.yaml, relative to this folder),
// croissantLicense and croissantUrl (optional: the data's license and where to read about it, for
// the Croissant file; the defaults name the pydicom project the sample files come from).
// Region: the aws:region config, else AWS_REGION. Endpoint: AWS_ENDPOINT_URL_MEDICAL_IMAGING (the
// local service), else AWS. The program reads the data store (SearchImageSets, and
// GetImageSetMetadata where a cohort names instances) when it runs, so `pulumi preview` needs
// read access to it.

import * as pulumi from "@pulumi/pulumi";
import * as hi from "pulumi-healthimaging";

const config = new pulumi.Config();

const dataset = new hi.Dataset("curated", {
  datastoreId: config.require("datastoreId"),
  dataset: config.get("manifest") ?? "cohorts.yaml",
  manifestFile: "dataset-manifest.json",
  croissantFile: "dataset-croissant.json",
  croissant: {
    license: config.get("croissantLicense") ?? "https://github.com/pydicom/pydicom/blob/main/LICENSE",
    url: config.get("croissantUrl") ?? "https://github.com/pydicom/pydicom/tree/main/src/pydicom/data/test_files",
  },
  region: new pulumi.Config("aws").get("region"),
});

export const manifest = dataset.manifest;
