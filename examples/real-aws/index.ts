// The whole chain on AWS, as a platform team runs it: an S3 bucket with the DICOM files, the IAM
// role HealthImaging assumes to import them, a data store, the import, and derived image sets of
// an imported series. Needs AWS credentials and the aws provider plugin: it does not run offline
// (CI type-checks it: `npm run typecheck:examples` at the repository root).
//
// Stack config:
//   aws:region        the region (or AWS_REGION), as for any @pulumi/aws program
//   dicomFolder       required: local folder of DICOM P10 files, uploaded under input/ (e.g. the
//                     pydicom sample files: `bash scripts/install-test-data.sh`, then its dicomdirtests/)
//   seriesInstanceUid optional: the imported series to copy (default: the Brain-MRA sample study's MR
//                     angiography); an import makes one primary image set per series
//   mergeSeriesInstanceUid optional: another series of that study merged into the copy (default:
//                     the sample study's localizer)

import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as fs from "node:fs";
import * as path from "node:path";
import * as hi from "pulumi-healthimaging";
import { Datastore, DicomImport } from "./healthimaging";

const config = new pulumi.Config();
const dicomFolder = config.require("dicomFolder");
const seriesInstanceUid = config.get("seriesInstanceUid") ?? "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118";
const mergeSeriesInstanceUid = config.get("mergeSeriesInstanceUid") ?? "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.15";

// The aws provider's region (aws:region config, else AWS_REGION): everything below uses the same one.
const region = aws.getRegionOutput().region;
const accountId = aws.getCallerIdentityOutput().accountId;

// 1. S3: the DICOM input and the import job's output, private.
const bucket = new aws.s3.Bucket("dicom", {
  forceDestroy: true, // the import job writes output objects Pulumi does not manage
});
new aws.s3.BucketPublicAccessBlock("dicom", {
  bucket: bucket.id,
  blockPublicAcls: true,
  blockPublicPolicy: true,
  ignorePublicAcls: true,
  restrictPublicBuckets: true,
});

function filesUnder(dir: string): string[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new pulumi.RunError(`dicomFolder: ${dir} is not a folder`);
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !e.name.startsWith("."))
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)).split(path.sep).join("/"))
    .sort();
}
const files = filesUnder(dicomFolder);
if (files.length > 5000) throw new pulumi.RunError(`dicomFolder: ${files.length} files; one import job takes at most 5,000 (use aws s3 sync and several jobs)`);
const uploads = files.map(
  (file) =>
    new aws.s3.BucketObjectv2(`input/${file}`, {
      bucket: bucket.id,
      key: `input/${file}`,
      source: new pulumi.asset.FileAsset(path.join(dicomFolder, file)),
      contentType: "application/dicom",
    }),
);

// 2. The data store.
const datastore = new Datastore("imaging", {
  datastoreName: `${pulumi.getProject()}-${pulumi.getStack()}`,
  region,
});

// 3. The role HealthImaging assumes for imports into this data store only (confused-deputy
//    conditions), reading input/ and writing output/.
const importRole = new aws.iam.Role("dicom-import", {
  assumeRolePolicy: pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      {
        Effect: "Allow",
        Principal: { Service: "medical-imaging.amazonaws.com" },
        Action: "sts:AssumeRole",
        Condition: { StringEquals: { "aws:SourceAccount": accountId }, ArnEquals: { "aws:SourceArn": datastore.datastoreArn } },
      },
    ],
  }),
});
const importAccess = new aws.iam.RolePolicy("dicom-import-s3", {
  role: importRole.id,
  policy: pulumi.jsonStringify({
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Action: ["s3:ListBucket"], Resource: [bucket.arn] },
      { Effect: "Allow", Action: ["s3:GetObject"], Resource: [pulumi.interpolate`${bucket.arn}/input/*`] },
      { Effect: "Allow", Action: ["s3:PutObject"], Resource: [pulumi.interpolate`${bucket.arn}/output/*`] },
    ],
  }),
});

// 4. The import: one job over input/, after every file is uploaded and the role can read them.
const imported = new DicomImport(
  "dicom",
  {
    datastoreId: datastore.datastoreId,
    region,
    dataAccessRoleArn: importRole.arn,
    inputS3Uri: pulumi.interpolate`s3://${bucket.bucket}/input/`,
    outputS3Uri: pulumi.interpolate`s3://${bucket.bucket}/output/`,
    jobName: "pulumi-import",
  },
  { dependsOn: [...uploads, importAccess] },
);

// 5. Derived image sets of imported series (one primary image set per series): a full copy of one
// series' image set, and another series of the same study merged into the copy (new series: force).
const primaryOf = (uid: string, field: string) =>
  imported.series.apply((series) => {
    const id = series[uid];
    if (!id) throw new pulumi.RunError(`${field}: the import holds no primary image set of series ${uid} (it holds ${Object.keys(series).length} series)`);
    return id;
  });
const source = primaryOf(seriesInstanceUid, "seriesInstanceUid");
const fullCopy = new hi.DerivedImageSet("series-copy", {
  datastoreId: datastore.datastoreId,
  sourceImageSetId: source,
  region,
});
const merged = new hi.DerivedImageSet("series-merge", {
  datastoreId: datastore.datastoreId,
  sourceImageSetId: primaryOf(mergeSeriesInstanceUid, "mergeSeriesInstanceUid"),
  subset: { series: { [mergeSeriesInstanceUid]: "all" } },
  destination: { imageSetId: fullCopy.imageSetId, versionId: fullCopy.versionId },
  force: true,
  region,
});

export const bucketName = bucket.bucket;
export const importRoleArn = importRole.arn;
export const datastoreId = datastore.datastoreId;
export const importJobId = imported.jobId;
export const importedImageSets = imported.imageSetIds;
export const sourceImageSetId = source;
export const seriesCopyImageSetId = fullCopy.imageSetId;
export const seriesCopyInstances = fullCopy.instanceCount;
export const mergedVersionId = merged.versionId;
export const mergedInstances = merged.instanceCount;
