// pulumi-healthimaging: declare AWS HealthImaging derived image sets as Pulumi resources.
export { DerivedImageSet } from "./derivedImageSet";
export type { DerivedImageSetArgs } from "./derivedImageSet";
export { DerivedImageSetProvider } from "./provider";
export type { DerivedImageSetInputs, DerivedImageSetOutputs, Subset, Destination, Timeouts, SeriesSelection, InstancesBySeries } from "./types";
export { findImageSets, findImageSetsOutput, getImageSet, getImageSetOutput } from "./lookups";
export type { FindImageSetsArgs, ImageSetInfo, ImageSetMatch, LookupTarget } from "./lookups";
