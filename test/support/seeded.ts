// A local service seeded with the real pydicom `dicomdirtests` files through the public import
// API, plus helpers to read what is in it. Every test that needs image sets starts here.

import { GetImageSetMetadataCommand, MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import type { ImageSetDocument } from "../../emulator/model/document";
import { seed, SeedResult } from "../../emulator/seed";
import { EmulatorOptions, RunningEmulator } from "../../emulator/server";
import { sdkClient, startTestEmulator } from "./emulator";
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
  /** image set id of the study with this StudyInstanceUID */
  imageSetOf(studyInstanceUid: string): string;
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

export async function startSeeded(opts: EmulatorOptions = {}): Promise<Seeded> {
  const emu = await startTestEmulator({ s3Root: sampleS3Root(), ...opts });
  const client = sdkClient(emu);
  const result = await seed(client, { inputS3Uri: `s3://${SAMPLE_BUCKET}/dicomdirtests/`, outputS3Uri: "s3://output/seed/" });
  return {
    emu,
    client,
    seed: result,
    datastoreId: result.datastoreId,
    imageSetOf(studyInstanceUid) {
      const set = result.imageSets.find((s) => s.studyInstanceUid === studyInstanceUid);
      if (!set) throw new Error(`no seeded image set for study ${studyInstanceUid}`);
      return set.imageSetId;
    },
    stop: () => emu.stop(),
  };
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
