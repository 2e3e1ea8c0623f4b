// A local service seeded with the real pydicom `dicomdirtests` files through the public import
// API, plus helpers to read what is in it. Every test that needs image sets starts here.

import { CopyImageSetCommand, GetImageSetCommand, GetImageSetMetadataCommand, type MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import type { ImageSetDocument } from "../../emulator/model/document";
import { seed, type SeedResult } from "../../emulator/seed";
import type { EmulatorOptions, RunningEmulator } from "../../emulator/server";
import { eventually, sdkClient, startTestEmulator } from "./emulator";
import { pydicomTestFiles } from "./sampleData";

export const SAMPLE_BUCKET = "samples";

/** An S3 root folder whose s3://samples/dicomdirtests/ is the pydicom dicomdirtests folder. */
export function sampleS3Root(): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "healthimaging-s3-"));
  fs.mkdirSync(path.join(root, SAMPLE_BUCKET));
  fs.symlinkSync(path.join(pydicomTestFiles(), "dicomdirtests"), path.join(root, SAMPLE_BUCKET, "dicomdirtests"));
  return root;
}

export interface Seeded {
  emu: RunningEmulator;
  client: MedicalImagingClient;
  seed: SeedResult;
  datastoreId: string;
  /** id of the primary image set of the series with this SeriesInstanceUID (one per series) */
  imageSetOfSeries(seriesInstanceUid: string): string;
  /** ids of the primary image sets of a study's series, in seeding order */
  imageSetsOfStudy(studyInstanceUid: string): string[];
  stop(): Promise<void>;
}

/** Real studies of dicomdirtests used across tests (UIDs only, no patient data). */
export const STUDIES = {
  /** CT HEAD/BRAIN, 1 series of 4 instances */
  ctHead: "1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.1",
  /** Brain-MRA: 3 series, 11 instances */
  brainMra: "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.1",
  /** 2 CT series, 7 instances, same patient as the MR studies */
  ctTwoSeries: "1.3.6.1.4.1.5962.1.1.0.0.0.1194734704.16302.0.1",
  /** XR C-spine, 3 CR series of 1 */
  crSpine: "1.3.6.1.4.1.5962.1.1.0.0.0.1196527414.5534.0.1",
} as const;

/**
 * Real series of dicomdirtests. An import makes one primary image set per series
 * (https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-image-sets.html),
 * so these name the seeded image sets.
 */
export const SERIES = {
  /** the CT HEAD/BRAIN study's only series, 4 instances */
  ctHead: "1.3.6.1.4.1.5962.1.1.0.0.0.1196530851.28319.0.2",
  /** Brain-MRA series 700, 7 instances */
  mra700: "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.118",
  /** Brain-MRA series 2, 3 instances */
  mra2: "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.17",
  /** Brain-MRA series 1, 1 instance */
  mra1: "1.3.6.1.4.1.5962.1.1.0.0.0.1196533885.18148.0.15",
  /** ctTwoSeries' series 4, 2 instances */
  ct4: "1.3.6.1.4.1.5962.1.1.0.0.0.1194734704.16302.0.2",
  /** ctTwoSeries' series 5, 5 instances */
  ct5: "1.3.6.1.4.1.5962.1.1.0.0.0.1194734704.16302.0.6",
  /** crSpine's series 1, 1 instance */
  cr1: "1.3.6.1.4.1.5962.1.1.0.0.0.1196527414.5534.0.10",
  /** crSpine's series 2, 1 instance */
  cr2: "1.3.6.1.4.1.5962.1.1.0.0.0.1196527414.5534.0.6",
  /** crSpine's series 3, 1 instance */
  cr3: "1.3.6.1.4.1.5962.1.1.0.0.0.1196527414.5534.0.8",
} as const;

export async function startSeeded(opts: EmulatorOptions = {}): Promise<Seeded> {
  const emu = await startTestEmulator({ s3Root: sampleS3Root(), ...opts });
  const client = sdkClient(emu);
  const result = await seed(client, { inputS3Uri: `s3://${SAMPLE_BUCKET}/dicomdirtests/`, outputS3Uri: "s3://output/seed/" });
  return {
    emu,
    client,
    seed: result,
    datastoreId: result.datastoreId,
    imageSetOfSeries(seriesInstanceUid) {
      const set = result.imageSets.find((s) => s.isPrimary && s.seriesInstanceUid === seriesInstanceUid);
      if (!set) throw new Error(`no seeded image set for series ${seriesInstanceUid}`);
      return set.imageSetId;
    },
    imageSetsOfStudy(studyInstanceUid) {
      const sets = result.imageSets.filter((s) => s.isPrimary && s.studyInstanceUid === studyInstanceUid);
      if (!sets.length) throw new Error(`no seeded image set for study ${studyInstanceUid}`);
      return sets.map((s) => s.imageSetId);
    },
    stop: () => emu.stop(),
  };
}

/**
 * A non-primary image set holding whole seeded series (a full copy of the first one's image set,
 * the others merged in with force): what a study-wide image set looks like now that an import
 * makes one image set per series. Returns its id; its version is the number of series.
 */
export async function multiSeriesCopy(seeded: Seeded, series: string[]): Promise<string> {
  const { client, datastoreId } = seeded;
  const settled = (imageSetId: string) =>
    eventually(async () => {
      const out = await client.send(new GetImageSetCommand({ datastoreId, imageSetId }));
      return out.imageSetState === "ACTIVE" ? out : undefined;
    });
  let destination: { imageSetId: string; latestVersionId: string } | undefined;
  for (const uid of series) {
    const sourceImageSetId = seeded.imageSetOfSeries(uid);
    const latestVersionId = (await settled(sourceImageSetId)).versionId!;
    const out = await client.send(
      new CopyImageSetCommand({
        datastoreId,
        sourceImageSetId,
        force: destination !== undefined,
        copyImageSetInformation: { sourceImageSet: { latestVersionId }, destinationImageSet: destination },
      }),
    );
    const id = out.destinationImageSetProperties!.imageSetId!;
    const done = await settled(id);
    if (done.imageSetWorkflowStatus !== "COPIED") throw new Error(`copying series ${uid} ended ${done.imageSetWorkflowStatus}`);
    await settled(sourceImageSetId);
    destination = { imageSetId: id, latestVersionId: done.versionId! };
  }
  if (!destination) throw new Error("multiSeriesCopy needs at least one series");
  return destination.imageSetId;
}

export async function metadataOf(client: MedicalImagingClient, datastoreId: string, imageSetId: string, versionId?: string): Promise<ImageSetDocument> {
  const out = await client.send(new GetImageSetMetadataCommand({ datastoreId, imageSetId, versionId }));
  return JSON.parse(gunzipSync(Buffer.from(await out.imageSetMetadataBlob!.transformToByteArray())).toString("utf8"));
}

/** series UID -> sorted SOP Instance UIDs */
export function instancesIn(doc: ImageSetDocument): Record<string, string[]> {
  return Object.fromEntries(Object.entries(doc.Study.Series).map(([s, v]) => [s, Object.keys(v.Instances).sort()]));
}

/**
 * Every PatientName / PatientID / PatientBirthDate value in the seeded data (3+ characters), read
 * at test time so no patient value is ever written in a committed file. Tests scan state, logs
 * and messages for them.
 */
export async function patientValues(seeded: Seeded): Promise<string[]> {
  const values = new Set<string>();
  for (const s of seeded.seed.imageSets) {
    const patient = (await metadataOf(seeded.client, seeded.datastoreId, s.imageSetId)).Patient.DICOM as Record<string, unknown>;
    for (const k of ["PatientName", "PatientID", "PatientBirthDate"]) {
      const v = patient[k];
      if (typeof v === "string" && v.trim().length >= 3) values.add(v.trim());
    }
  }
  return [...values];
}
