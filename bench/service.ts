// Figure 5: the local service itself, as a separate process (`node emulator/dist/cli.js serve`):
// GetImageSet requests per second, and the cost of copying a 1,000-instance subset out of a
// 10,000-instance image set, next to a 100-instance subset of the same set and a 1,000-instance
// copy of a 1,000-instance set. The series are imported through StartDICOMImportJob (`cli.js
// seed`) from synthetic DICOM files: the real pydicom TINY_ALPHA file (740 bytes, no pixel data)
// cloned with new Study/Series/SOP Instance UIDs by dcmjs. An import makes one image set per series,
// so the 10,000-instance set (10 series) is a copy of one series' set with the other nine merged in.

import { CopyImageSetCommand, GetImageSetCommand, MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildCopiableAttributes } from "../provider/subset/copiable";
import { pydicomTestFiles } from "../test/support/sampleData";
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dcmjs = require("dcmjs");

const ROOT = path.resolve(__dirname, "..");
const CLI = path.join(ROOT, "emulator", "dist", "cli.js");
const TEMPLATE = "dicomdirtests/TINY_ALPHA/PT000000/ST000000/SE000000/IM00001B";

export interface CopyCase {
  label: string;
  sourceInstances: number;
  copied: number;
  requestMs: number;
  totalMs: number;
  rssBeforeKb: number;
  peakKb: number;
  peakDeltaKb: number;
}
export interface ServiceResult {
  getImageSetPerSecond: number;
  getImageSetConcurrency: number;
  getImageSetP50Ms: number;
  generateMs: number;
  importMs: number;
  files: number;
  copies: CopyCase[];
}

const uid = () => `2.25.${BigInt(`0x${randomBytes(15).toString("hex")}`).toString()}`;

/** A synthetic study: its series count and instances per series; patient, date and modalities are the template's unless given. */
export interface SyntheticStudy {
  series: number;
  perSeries: number;
  /** synthetic PatientID (and PatientName "BENCH^<id>") */
  patientId?: string;
  /** StudyDate, YYYYMMDD */
  studyDate?: string;
  /** Modality of series s: modalities[s % length] */
  modalities?: string[];
}

/**
 * Writes one DICOM file per instance into dir (f0.dcm, f1.dcm, ...): the real pydicom TINY_ALPHA
 * file cloned with new UIDs. Returns the Series UIDs by study and the SOP UIDs by study and series.
 */
export function generate(dir: string, studies: SyntheticStudy[]): { studies: string[]; series: string[][]; sops: string[][][] } {
  const bytes = fs.readFileSync(path.join(pydicomTestFiles(), TEMPLATE));
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
  const studyUids: string[] = [];
  const series: string[][] = [];
  const sops: string[][][] = [];
  let n = 0;
  for (const study of studies) {
    const studyUid = uid();
    studyUids.push(studyUid);
    const seriesUids: string[] = [];
    const sopUids: string[][] = [];
    for (let s = 0; s < study.series; s++) {
      const seriesUid = uid();
      seriesUids.push(seriesUid);
      const list: string[] = [];
      for (let i = 0; i < study.perSeries; i++) {
        const d = dcmjs.data.DicomMessage.readFile(ab);
        const sop = uid();
        list.push(sop);
        d.dict["0020000D"].Value = [studyUid];
        d.dict["0020000E"].Value = [seriesUid];
        d.dict["00080018"].Value = [sop];
        d.dict["00200011"].Value = [s + 1];
        d.dict["00200013"].Value = [i + 1];
        d.meta["00020003"].Value = [sop];
        if (study.patientId) {
          d.dict["00100020"].Value = [study.patientId];
          d.dict["00100010"].Value = [{ Alphabetic: `BENCH^${study.patientId}` }];
        }
        if (study.studyDate) d.dict["00080020"].Value = [study.studyDate];
        if (study.modalities) d.dict["00080060"].Value = [study.modalities[s % study.modalities.length]];
        fs.writeFileSync(path.join(dir, `f${n++}.dcm`), Buffer.from(d.write()));
      }
      sopUids.push(list);
    }
    series.push(seriesUids);
    sops.push(sopUids);
  }
  return { studies: studyUids, series, sops };
}

function vmHwmKb(pid: number): number {
  return Number(/VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
}
function vmRssKb(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1]);
}

async function serve(dataDir: string): Promise<{ child: ChildProcess; endpoint: string; stop(): Promise<void> }> {
  const child = spawn(
    process.execPath,
    [CLI, "serve", "--data", dataDir, "--profile", "fast", "--no-rate-limits", "--copy-ms-base", "0", "--copy-ms-per-instance", "0", "--port", "0"],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d) => {
      out += d;
      const line = out.split("\n")[0];
      if (out.includes("\n")) resolve(JSON.parse(line).endpoint);
    });
    child.on("exit", (code) => reject(new Error(`serve exited ${code}`)));
  });
  return {
    child,
    endpoint,
    stop: () =>
      new Promise<void>((r) => {
        child.once("exit", () => r());
        child.kill("SIGTERM");
      }),
  };
}

async function settled(c: MedicalImagingClient, datastoreId: string, imageSetId: string): Promise<string> {
  for (;;) {
    const st = await c.send(new GetImageSetCommand({ datastoreId, imageSetId }));
    if (st.imageSetState !== "LOCKED") return st.versionId!;
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One image set holding several imported series: a full copy of the first, the others merged in with force. */
async function mergedCopy(c: MedicalImagingClient, datastoreId: string, sources: string[]): Promise<string> {
  let destination: { imageSetId: string; latestVersionId: string } | undefined;
  for (const source of sources) {
    const out = await c.send(
      new CopyImageSetCommand({
        datastoreId,
        sourceImageSetId: source,
        force: destination !== undefined,
        copyImageSetInformation: { sourceImageSet: { latestVersionId: "1" }, destinationImageSet: destination },
      }),
    );
    const id = out.destinationImageSetProperties!.imageSetId!;
    destination = { imageSetId: id, latestVersionId: await settled(c, datastoreId, id) };
    await settled(c, datastoreId, source);
  }
  c.destroy();
  return destination!.imageSetId;
}

const client = (endpoint: string) =>
  new MedicalImagingClient({
    endpoint,
    region: "us-east-1",
    credentials: { accessKeyId: "test", secretAccessKey: "test" },
    disableHostPrefix: true,
    maxAttempts: 1,
  });

export async function runService(log: (m: string) => void): Promise<ServiceResult> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-service-"));
  const files = path.join(tmp, "dicom");
  const data = path.join(tmp, "data");
  fs.mkdirSync(files);
  try {
    let t = Date.now();
    const gen = generate(files, [
      { series: 10, perSeries: 1000 },
      { series: 1, perSeries: 1000 },
    ]);
    const generateMs = Date.now() - t;
    const fileCount = fs.readdirSync(files).length;
    log(`  service: generated ${fileCount} DICOM files in ${(generateMs / 1000).toFixed(1)} s`);
    t = Date.now();
    const seeded = JSON.parse(
      execFileSync(process.execPath, [CLI, "seed", files, "--data", data, "--profile", "fast", "--import-ms-base", "0"], {
        encoding: "utf8",
        maxBuffer: 64 << 20,
      }),
    );
    const importMs = Date.now() - t;
    const datastoreId = seeded.datastoreId as string;
    const bySeries = new Map<string | undefined, string>(
      seeded.imageSets.map((x: { seriesInstanceUid?: string; imageSetId: string }) => [x.seriesInstanceUid, x.imageSetId]),
    );
    const imported = [...gen.series[0], gen.series[1][0]].map((uid) => bySeries.get(uid));
    if (imported.some((id) => id === undefined))
      throw new Error(`unexpected import result: ${JSON.stringify(seeded.imageSets.map((x: { instanceCount?: number }) => x.instanceCount))}`);
    const small = { imageSetId: imported[10]! };
    let s = await serve(data);
    const big = { imageSetId: await mergedCopy(client(s.endpoint), datastoreId, imported.slice(0, 10) as string[]) };
    await s.stop();
    log(
      `  service: imported in ${(importMs / 1000).toFixed(1)} s (10,000-instance set ${big.imageSetId} merged from 10 series, 1,000-instance set ${small.imageSetId})`,
    );

    // GetImageSet throughput on a fresh process
    s = await serve(data);
    const c = client(s.endpoint);
    await c.send(new GetImageSetCommand({ datastoreId, imageSetId: small.imageSetId }));
    const concurrency = 16;
    const latencies: number[] = [];
    const until = Date.now() + 3000;
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (Date.now() < until) {
          const t0 = Date.now();
          await c.send(new GetImageSetCommand({ datastoreId, imageSetId: small.imageSetId }));
          latencies.push(Date.now() - t0);
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    const getImageSetPerSecond = latencies.length / 3;
    log(
      `  service: GetImageSet ${getImageSetPerSecond.toFixed(0)} requests/s (${concurrency} concurrent, SigV4, client on the same machine), p50 ${latencies[latencies.length >> 1]} ms`,
    );
    c.destroy();
    await s.stop();

    const cases = [
      { label: "1,000 of a 10,000-instance set", source: big.imageSetId, select: { [gen.series[0][0]]: gen.sops[0][0] } },
      { label: "100 of a 10,000-instance set", source: big.imageSetId, select: { [gen.series[0][1]]: gen.sops[0][1].slice(0, 100) } },
      { label: "1,000 of a 1,000-instance set", source: small.imageSetId, select: { [gen.series[1][0]]: gen.sops[1][0] } },
    ];
    const copies: CopyCase[] = [];
    for (const k of cases) {
      s = await serve(data); // fresh process per case: VmHWM is that copy's peak
      const cl = client(s.endpoint);
      const src = await cl.send(new GetImageSetCommand({ datastoreId, imageSetId: k.source }));
      const rssBeforeKb = vmRssKb(s.child.pid!);
      const hwmBefore = vmHwmKb(s.child.pid!);
      const t0 = Date.now();
      const out = await cl.send(
        new CopyImageSetCommand({
          datastoreId,
          sourceImageSetId: k.source,
          copyImageSetInformation: {
            sourceImageSet: { latestVersionId: src.versionId!, DICOMCopies: { copiableAttributes: buildCopiableAttributes(k.select) } },
          },
        }),
      );
      const requestMs = Date.now() - t0;
      const dest = out.destinationImageSetProperties!.imageSetId!;
      for (;;) {
        const st = await cl.send(new GetImageSetCommand({ datastoreId, imageSetId: dest }));
        if (st.imageSetState !== "LOCKED") break;
        await new Promise((r) => setTimeout(r, 5));
      }
      const totalMs = Date.now() - t0;
      const peakKb = vmHwmKb(s.child.pid!);
      const copied = Object.values(k.select).reduce((a, l) => a + l.length, 0);
      const row = {
        label: k.label,
        sourceInstances: k.source === big.imageSetId ? 10_000 : 1000,
        copied,
        requestMs,
        totalMs,
        rssBeforeKb,
        peakKb,
        peakDeltaKb: peakKb - Math.max(hwmBefore, rssBeforeKb),
      };
      copies.push(row);
      log(
        `  service: copy ${k.label}: request ${requestMs} ms, done after ${totalMs} ms, peak RSS ${(peakKb / 1024).toFixed(0)} MB (+${(row.peakDeltaKb / 1024).toFixed(1)} MB over the idle process)`,
      );
      cl.destroy();
      await s.stop();
    }
    return {
      getImageSetPerSecond,
      getImageSetConcurrency: concurrency,
      getImageSetP50Ms: latencies[latencies.length >> 1],
      generateMs,
      importMs,
      files: fileCount,
      copies,
    };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}
