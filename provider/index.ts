// pulumi-healthimaging: declare AWS HealthImaging derived image sets as Pulumi resources.
export { DerivedImageSet } from "./resource/derivedImageSet";
export type { DerivedImageSetArgs } from "./resource/derivedImageSet";
export { CohortImageSetsProvider, DerivedImageSetProvider } from "./lifecycle/provider";
export { CohortImageSets } from "./resource/cohortImageSets";
export type { CohortImageSetsArgs, CohortMemberArgs } from "./resource/cohortImageSets";
export type {
  DerivedImageSetInputs,
  DerivedImageSetOutputs,
  Subset,
  Destination,
  Timeouts,
  SeriesSelection,
  InstancesBySeries,
  WriteRate,
} from "./resource/types";
export { findImageSets, findImageSetsOutput, getImageSet, getImageSetOutput } from "./resource/lookups";
export type { FindImageSetsArgs, ImageSetInfo, ImageSetMatch, LookupTarget } from "./resource/lookups";
export { summarize } from "./summary/summarize";
export { Dataset, manifestOf } from "./dataset/dataset";
export type { DatasetArgs, DatasetEntry, DatasetManifest } from "./dataset/dataset";
export { croissantOf } from "./dataset/croissant";
export type { CroissantInfo } from "./dataset/croissant";
export { DatasetError, loadDataset, validateDataset } from "./dataset/manifest";
export type { CohortSpec, DatasetSpec, Selection, SeriesChoice, SplitSpec } from "./dataset/manifest";
