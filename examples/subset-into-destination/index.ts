// Copy a subset of instances into a destination image set, with force: the AWS HealthImaging
// Developer Guide's copy-image-set "Example 3", as a resource.
//
// Chosen SOP instances of one series are copied into an image set of another study of the same
// patient. The studies differ, so the service refuses the copy unless `force` is set (the
// destination keeps its own Patient/Study attributes). An import makes one primary image set per
// DICOM series (https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-image-sets.html),
// and a primary image set keeps to its series, so by default the instances go into a working
// copy (non-primary) of the destination image set, which this stack makes; set
// destinationVersionId to copy into destinationImageSetId itself (a non-primary image set).
// `pulumi destroy` undoes it exactly: the working copy is deleted (or the destination goes back to
// the version it had), and nothing else is left behind.
//
// Stack config (`npm run example -- subset-into-destination` sets the ids from the seeded sample data):
//   datastoreId            the data store holding both image sets
//   sourceImageSetId       the image set to copy from (sample data: the Brain-MRA angiography series)
//   destinationImageSetId  the image set to copy into, or to make the working copy of (sample
//                          data: a CT series of another study of the same patient)
//   destinationVersionId   optional: copy into destinationImageSetId itself, declared against this
//                          version (its latest when you write the config; it stays put afterwards)
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
const destinationVersionId = config.get("destinationVersionId");

// Public, de-identified UIDs of the pydicom sample data (Brain-MRA study, ANGIO series).
const seriesInstanceUid = config.get("seriesInstanceUid") ?? "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118";
const sopInstanceUids = config.getObject<string[]>("sopInstanceUids") ?? [
  "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.119",
  "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.121",
  "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.123",
];

// The working copy: a full, non-primary copy of the destination image set.
const workingCopy =
  destinationVersionId === undefined ? new hi.DerivedImageSet("destination-copy", { datastoreId, sourceImageSetId: destinationImageSetId, region }) : undefined;
const destination = workingCopy
  ? { imageSetId: workingCopy.imageSetId, versionId: workingCopy.versionId }
  : { imageSetId: destinationImageSetId, versionId: destinationVersionId! };

const subset = new hi.DerivedImageSet("angio-instances", {
  datastoreId,
  sourceImageSetId,
  subset: { series: { [seriesInstanceUid]: sopInstanceUids } },
  destination,
  force: true, // the source's Study (and Series) differ from the destination's
  region,
});

export const destinationImageSet = subset.imageSetId;
export const versionBefore = subset.destinationVersionBefore;
export const versionAfter = subset.versionId;
export const copiedInstanceCount = subset.instanceCount;
export const forced = subset.forced;
