// Copy a subset of instances into a destination image set, with force: the AWS HealthImaging
// Developer Guide's copy-image-set "Example 3", as a resource.
//
// Chosen SOP instances of one series of the source image set are copied into an existing image set
// of another study of the same patient. The studies differ, so the service refuses the copy
// unless `force` is set (the destination keeps its own Patient/Study attributes). `pulumi destroy`
// undoes the copy exactly: the destination goes back to the version it had, and nothing else is
// left behind.
//
// Stack config (`npm run example -- subset-into-destination` sets the ids from the seeded sample data):
//   datastoreId            the data store holding both image sets
//   sourceImageSetId       the image set to copy from (sample data: the Brain-MRA study)
//   destinationImageSetId  the existing image set to copy into (sample data: the two-series CT
//                          study of the same patient)
//   destinationVersionId   the destination version this copy is declared against (its latest
//                          version when you write the config; it stays put afterwards)
//   seriesInstanceUid      optional; default: the MR angiography series of the sample study
//   sopInstanceUids        optional list; default: three of that series' seven instances
// Region: the aws:region config, else AWS_REGION. Endpoint: AWS_ENDPOINT_URL_MEDICAL_IMAGING (the
// local service), else AWS.

import * as pulumi from "@pulumi/pulumi";
import * as hi from "pulumi-healthimaging";

const config = new pulumi.Config();
const region = new pulumi.Config("aws").get("region") ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
const datastoreId = config.require("datastoreId");
const sourceImageSetId = config.require("sourceImageSetId");
const destinationImageSetId = config.require("destinationImageSetId");
const destinationVersionId = config.require("destinationVersionId");

// Public, de-identified UIDs of the pydicom sample data (Brain-MRA study, ANGIO series).
const seriesInstanceUid = config.get("seriesInstanceUid") ?? "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118";
const sopInstanceUids = config.getObject<string[]>("sopInstanceUids") ?? [
  "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.119",
  "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.121",
  "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.123",
];

const subset = new hi.DerivedImageSet("angio-instances", {
  datastoreId,
  sourceImageSetId,
  subset: { series: { [seriesInstanceUid]: sopInstanceUids } },
  destination: { imageSetId: destinationImageSetId, versionId: destinationVersionId },
  force: true, // the source's Study (and Series) differ from the destination's
  region,
});

export const destinationImageSet = subset.imageSetId;
export const versionBefore = subset.destinationVersionBefore;
export const versionAfter = subset.versionId;
export const copiedInstances = subset.copiedInstances;
export const copiedInstanceCount = subset.instanceCount;
export const forced = subset.forced;
