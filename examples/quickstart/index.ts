// Quickstart: three derived image sets from the sample studies.
//   1. a full copy of a CT study,
//   2. a one-series subset of an MR study,
//   3. a merge of another series of that MR study into the subset's image set, with force
//      (the series is new to the destination, so the service requires force).
// `npm start` seeds the local service and sets the config; against AWS, set the three ids yourself.

import * as pulumi from "@pulumi/pulumi";
import * as hi from "pulumi-healthimaging";

const config = new pulumi.Config();
const datastoreId = config.require("datastoreId");
const ctStudy = config.require("ctImageSetId");
const mrStudy = config.require("mrImageSetId");

// SeriesInstanceUIDs of the MR study in the pydicom sample data (public, de-identified).
const ANGIO_SERIES = config.get("angioSeriesUid") ?? "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118";
const LOCALIZER_SERIES = config.get("localizerSeriesUid") ?? "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.15";

const ctCopy = new hi.DerivedImageSet("ct-full-copy", {
  datastoreId,
  sourceImageSetId: ctStudy,
});

const angio = new hi.DerivedImageSet("mr-angio-series", {
  datastoreId,
  sourceImageSetId: mrStudy,
  subset: { series: { [ANGIO_SERIES]: "all" } },
});

const withLocalizer = new hi.DerivedImageSet("mr-localizer-merged", {
  datastoreId,
  sourceImageSetId: mrStudy,
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
