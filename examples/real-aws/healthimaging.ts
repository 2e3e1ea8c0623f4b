// Two HealthImaging resources the Pulumi AWS providers lack here, as small dynamic resources on the
// SDK that pulumi-healthimaging already uses (providers in providers.ts):
//
//   Datastore   CreateDatastore, waits until ACTIVE; delete waits until DELETED. (aws-native has
//               healthimaging.Datastore, but it would double the install (+90 MB), add a second
//               provider plugin and its own region setting, for one resource; see README.md.)
//   DicomImport StartDICOMImportJob, waits until the job ends, and records the image sets it
//               created or updated: `series` maps SeriesInstanceUID -> primary image set id.
//               Delete deletes the image sets the job created, so the data store can be deleted.

import * as pulumi from "@pulumi/pulumi";
import { datastoreProvider, dicomImportProvider } from "./providers";

export interface DatastoreArgs {
  datastoreName: pulumi.Input<string>;
  region: pulumi.Input<string>;
  /** customer managed KMS key; default: an AWS owned key */
  kmsKeyArn?: pulumi.Input<string>;
  tags?: pulumi.Input<Record<string, pulumi.Input<string>>>;
  /** how long create and delete may take; default 30 */
  timeoutMinutes?: pulumi.Input<number>;
}

/** A HealthImaging data store. */
export class Datastore extends pulumi.dynamic.Resource {
  declare readonly datastoreId: pulumi.Output<string>;
  declare readonly datastoreArn: pulumi.Output<string>;
  declare readonly datastoreStatus: pulumi.Output<string>;
  declare readonly createdAt: pulumi.Output<string>;

  constructor(name: string, args: DatastoreArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      datastoreProvider,
      name,
      { ...args, datastoreId: undefined, datastoreArn: undefined, datastoreStatus: undefined, createdAt: undefined },
      opts,
      "healthimaging",
      "Datastore",
    );
  }
}

export interface DicomImportArgs {
  datastoreId: pulumi.Input<string>;
  region: pulumi.Input<string>;
  /** the role HealthImaging assumes to read the input and write the output */
  dataAccessRoleArn: pulumi.Input<string>;
  /** s3://bucket/prefix/ holding the DICOM P10 files */
  inputS3Uri: pulumi.Input<string>;
  /** s3://bucket/prefix/ for the job's output (manifest, SUCCESS/, FAILURE/) */
  outputS3Uri: pulumi.Input<string>;
  jobName?: pulumi.Input<string>;
  /** how long the job may take; default 60 */
  timeoutMinutes?: pulumi.Input<number>;
}

/** A DICOM import job into a data store, and the image sets it produced. */
export class DicomImport extends pulumi.dynamic.Resource {
  declare readonly jobId: pulumi.Output<string>;
  declare readonly jobStatus: pulumi.Output<string>;
  declare readonly imageSetIds: pulumi.Output<string[]>;
  declare readonly series: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: DicomImportArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      dicomImportProvider,
      name,
      { ...args, jobId: undefined, jobStatus: undefined, submittedAt: undefined, endedAt: undefined, imageSetIds: undefined, series: undefined },
      opts,
      "healthimaging",
      "DicomImport",
    );
  }
}
