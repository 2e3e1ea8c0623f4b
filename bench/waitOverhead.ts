// Figure 1: how long create() takes compared with the service's own copy time, and how many
// GetImageSet calls it makes, against two hand-written baselines run in the same process.

import { CopyImageSetCommand, GetImageSetCommand, MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { serializedProvider } from "../provider/resource/serializedProvider";
import { dynamicUrn, serializeProvider, startDynamicHost } from "../test/support/dynamicHost";
import { type Seeded, startSeeded, SERIES } from "../test/support/seeded";
import { type CountingProxy, startProxy } from "../test/support/countingProxy";

export interface WaitRow {
  durationS: number;
  strategy: string;
  serviceMs: number;
  totalMs: number;
  ratio: number;
  overheadMs: number;
  getImageSet: number;
  getImageSetOnCopy: number;
  meetsOverhead: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function clientFor(url: string, seeded: Seeded): MedicalImagingClient {
  const c = seeded.emu.credentials;
  return new MedicalImagingClient({
    endpoint: url,
    region: c.region,
    credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey },
    disableHostPrefix: true,
    maxAttempts: 1,
  });
}

function serviceCopyMs(seeded: Seeded, imageSetId: string): number {
  const rec = seeded.emu.service.state.imageSets[imageSetId];
  const v = rec.versions[0];
  return v.updatedAt - v.createdAt;
}

/** schedule(i) = delay before poll i (0-based) */
async function baseline(
  seeded: Seeded,
  proxy: CountingProxy,
  source: string,
  schedule: (i: number) => number,
): Promise<{ t0: number; t1: number; imageSetId: string }> {
  const client = clientFor(proxy.url, seeded);
  const src = await client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: source }));
  const t0 = Date.now();
  const out = await client.send(
    new CopyImageSetCommand({
      datastoreId: seeded.datastoreId,
      sourceImageSetId: source,
      copyImageSetInformation: { sourceImageSet: { latestVersionId: src.versionId! } },
    }),
  );
  const id = out.destinationImageSetProperties!.imageSetId!;
  for (let i = 0; ; i++) {
    await sleep(schedule(i));
    const s = await client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: id }));
    if (s.imageSetState !== "LOCKED") break;
  }
  client.destroy();
  return { t0, t1: Date.now(), imageSetId: id };
}

export const fixed5s = () => 5000;
/** Terraform's StateChangeConf with Delay 5 s, MinTimeout 3 s: wait doubles from 3 s, capped at 10 s. */
export const terraformStyle = (i: number) => (i === 0 ? 5000 : Math.min(10_000, 3000 * 2 ** (i - 1)));

export async function runWaitOverhead(durationsS: number[], log: (m: string) => void): Promise<WaitRow[]> {
  const seeded = await startSeeded({ profile: "fast", timings: { copyMsBase: 1000, copyMsPerInstance: 0 } });
  const proxy = await startProxy(seeded.emu.endpoint);
  const source = seeded.imageSetOfSeries(SERIES.ctHead);
  const journal = fs.mkdtempSync(path.join(os.tmpdir(), "bench-journal-"));
  const providerText = await serializeProvider(serializedProvider);
  const rows: WaitRow[] = [];
  const record = (durationS: number, strategy: string, t0: number, t1: number, imageSetId: string) => {
    const serviceMs = serviceCopyMs(seeded, imageSetId);
    const calls = proxy.between(t0, t1 + 1).filter((c) => c.op === "GetImageSet");
    const totalMs = t1 - t0;
    const overheadMs = totalMs - serviceMs;
    const row = {
      durationS,
      strategy,
      serviceMs,
      totalMs,
      ratio: totalMs / serviceMs,
      overheadMs,
      getImageSet: calls.length,
      getImageSetOnCopy: calls.filter((c) => c.imageSetId === imageSetId).length,
      meetsOverhead: overheadMs <= Math.max(0.05 * serviceMs, 500),
    };
    rows.push(row);
    log(
      `  wait ${durationS}s ${strategy}: ${(totalMs / 1000).toFixed(2)} s / service ${(serviceMs / 1000).toFixed(2)} s = ${row.ratio.toFixed(3)}, GetImageSet ${row.getImageSet} (${row.getImageSetOnCopy} on the copy)`,
    );
  };
  try {
    for (const d of durationsS) {
      seeded.emu.service.profile.timings.copyMsBase = d * 1000;
      // A fresh provider home per duration (nothing learned from other durations), then two runs:
      // the first knows nothing at its first copy; the second starts from what the first learned.
      const home = fs.mkdtempSync(path.join(os.tmpdir(), "bench-home-"));
      const runs = [["provider, first copy ever", "provider, later copy in the run"], ["provider, first copy of the next run"]];
      try {
        for (const [run, strategies] of runs.entries()) {
          const host = await startDynamicHost({
            callTimeoutMs: 600_000,
            provider: providerText,
            env: {
              AWS_ACCESS_KEY_ID: seeded.emu.credentials.accessKeyId,
              AWS_SECRET_ACCESS_KEY: seeded.emu.credentials.secretAccessKey,
              AWS_REGION: seeded.emu.credentials.region,
              AWS_ENDPOINT_URL_MEDICAL_IMAGING: proxy.url,
              PULUMI_HEALTHIMAGING_JOURNAL: journal,
              PULUMI_HEALTHIMAGING_HOME: home,
            },
          });
          try {
            for (const [i, strategy] of strategies.entries()) {
              const name = `wait-${d}-${run}-${i}`;
              const urn = dynamicUrn(name, { type: "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet" });
              const checked = await host.check(urn, {}, { ownerTag: `bench/dev/${name}`, datastoreId: seeded.datastoreId, sourceImageSetId: source });
              if (checked.failures.length) throw new Error(JSON.stringify(checked.failures));
              const t0 = Date.now();
              const { outs } = await host.create(urn, checked.inputs);
              record(d, strategy, t0, Date.now(), outs.imageSetId as string);
            }
          } finally {
            await host.stop();
          }
        }
      } finally {
        fs.rmSync(home, { recursive: true, force: true });
      }
      for (const [strategy, schedule] of [
        ["fixed 5 s polling", fixed5s],
        ["terraform-style (5 s, 3 s min, ×2, 10 s cap)", terraformStyle],
      ] as const) {
        const { t0, t1, imageSetId } = await baseline(seeded, proxy, source, schedule);
        record(d, strategy, t0, t1, imageSetId);
      }
    }
  } finally {
    await proxy.stop();
    await seeded.stop();
    fs.rmSync(journal, { recursive: true, force: true });
  }
  return rows;
}
