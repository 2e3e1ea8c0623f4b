// Quickstart: three derived image sets from the sample data. An import makes one image set per
// DICOM series (https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-image-sets.html),
// so each source below is one series' image set:
//   1. a full copy of the CT series' image set,
//   2. a subset of the instances of the MR angiography series,
//   3. a merge of the same study's localizer series into the subset's image set, with force
//      (the series is new to the destination, so the service requires force).
// `npm start` seeds the local service and sets the config; against AWS, set the four ids yourself.

import * as pulumi from "@pulumi/pulumi";
import * as hi from "pulumi-healthimaging";

const config = new pulumi.Config();
const datastoreId = config.require("datastoreId");
const ctSeries = config.require("ctImageSetId");
const angioSeries = config.require("mrImageSetId");
const localizerSeries = config.require("mrLocalizerImageSetId");

// UIDs of the MR study in the pydicom sample data (public, de-identified).
const ANGIO_SERIES = config.get("angioSeriesUid") ?? "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118";
const ANGIO_INSTANCES =
  config.getObject<string[]>("angioInstanceUids") ?? [119, 120, 121, 122].map((n) => `1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.${n}`);
const LOCALIZER_SERIES = config.get("localizerSeriesUid") ?? "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.15";

const ctCopy = new hi.DerivedImageSet("ct-full-copy", {
  datastoreId,
  sourceImageSetId: ctSeries,
});

const angio = new hi.DerivedImageSet("mr-angio-instances", {
  datastoreId,
  sourceImageSetId: angioSeries,
  subset: { series: { [ANGIO_SERIES]: ANGIO_INSTANCES } },
});

const withLocalizer = new hi.DerivedImageSet("mr-localizer-merged", {
  datastoreId,
  sourceImageSetId: localizerSeries,
  subset: { series: { [LOCALIZER_SERIES]: "all" } },
  destination: { imageSetId: angio.imageSetId, versionId: angio.versionId },
  force: true,
});

export const ctCopyImageSetId = ctCopy.imageSetId;
export const ctCopyInstances = ctCopy.instanceCount;
export const angioImageSetId = angio.imageSetId;
export const angioInstances = angio.instanceCount;
export const mergedIntoImageSetId = withLocalizer.imageSetId;
export const mergedVersionId = withLocalizer.versionId;
export const mergedInstances = withLocalizer.instanceCount;
