// How the service stores metadata documents (emulator/model/store.ts): whole, for
// GetImageSetMetadata, and in per-series parts, so a subset copy reads only the series it names.
// Proven with the real SDK against a restarted service (nothing cached): with the whole document
// and the part of a series the copy does not name corrupted on disk, the copy still succeeds; a
// data folder written before parts existed is still copied from.

import { CopyImageSetCommand, GetImageSetCommand, type MedicalImagingClient, UpdateImageSetMetadataCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { gunzipSync } from "node:zlib";
import type { ImageSetDocument } from "../../emulator/model/document";
import { Store } from "../../emulator/model/store";
import type { RunningEmulator } from "../../emulator/server";
import { eventually, sdkClient, startTestEmulator } from "../support/emulator";
import { expectError, jsonBytes } from "../support/serviceErrors";
import { instancesIn, metadataOf, sampleS3Root, SERIES, startSeeded } from "../support/seeded";

describe("emulator storage: per-series document parts", function () {
  this.timeout(60_000);
  let dataDir: string;
  let s3Root: string;
  let emu: RunningEmulator;
  let client: MedicalImagingClient;
  let datastoreId: string;
  let ctTwoSeries: string;
  let crSpine: string;
  let brainMra: string;
  let ctSource: ImageSetDocument;

  const partsDir = (imageSetId: string, version = "1") => path.join(dataDir, "docs", imageSetId, `${version}.parts`);
  const index = (imageSetId: string, version = "1") =>
    JSON.parse(fs.readFileSync(path.join(partsDir(imageSetId, version), "index.json"), "utf8")) as { series: string[] };
  const copiable = (series: Record<string, string[]>) =>
    JSON.stringify({
      SchemaVersion: "1.1",
      Study: { Series: Object.fromEntries(Object.entries(series).map(([s, uids]) => [s, { Instances: Object.fromEntries(uids.map((u) => [u, {}])) }])) },
    });
  const settled = (imageSetId: string) =>
    eventually(async () => ((await client.send(new GetImageSetCommand({ datastoreId, imageSetId }))).imageSetState === "ACTIVE" ? true : undefined));
  const copy = async (
    sourceImageSetId: string,
    series: Record<string, string[]>,
    opts: { version?: string; into?: { imageSetId: string; latestVersionId: string }; force?: boolean } = {},
  ): Promise<ImageSetDocument> => {
    const out = await client.send(
      new CopyImageSetCommand({
        datastoreId,
        sourceImageSetId,
        force: opts.force,
        copyImageSetInformation: {
          sourceImageSet: { latestVersionId: opts.version ?? "1", DICOMCopies: { copiableAttributes: copiable(series) } },
          ...(opts.into && { destinationImageSet: opts.into }),
        },
      }),
    );
    const id = out.destinationImageSetProperties!.imageSetId!;
    await settled(sourceImageSetId);
    await eventually(async () => ((await client.send(new GetImageSetCommand({ datastoreId, imageSetId: id }))).imageSetState === "ACTIVE" ? true : undefined));
    return metadataOf(client, datastoreId, id);
  };

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hi-storage-"));
    s3Root = sampleS3Root();
    const seeded = await startSeeded({ dataDir, s3Root });
    datastoreId = seeded.datastoreId;
    client = seeded.client;
    // An import makes one image set per series; sets of several series are copies merged with force.
    const merged = async (series: string[]) => {
      const sources = series.map((uid) => seeded.imageSetOfSeries(uid));
      const all = async (id: string) => instancesIn(await metadataOf(client, datastoreId, id));
      const { ImageSetID } = await copy(sources[0], await all(sources[0]));
      for (const [n, source] of sources.slice(1).entries())
        await copy(source, await all(source), { into: { imageSetId: ImageSetID, latestVersionId: String(n + 1) }, force: true });
      return ImageSetID;
    };
    ctTwoSeries = await merged([SERIES.ct4, SERIES.ct5]); // version 2
    brainMra = await merged([SERIES.mra1, SERIES.mra2, SERIES.mra700]); // version 3
    crSpine = seeded.imageSetOfSeries(SERIES.cr1);
    ctSource = await metadataOf(seeded.client, datastoreId, ctTwoSeries);
    await seeded.stop();
  });
  after(async () => {
    await emu?.stop();
    for (const d of [dataDir, s3Root]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it("a subset copy reads only the series it names: it succeeds with the whole document and another series' part corrupted", async () => {
    const { series } = index(ctTwoSeries, "2");
    assert.equal(series.length, 2);
    const [kept, corrupted] = series;
    fs.writeFileSync(path.join(partsDir(ctTwoSeries, "2"), "1.json.gz"), "not gzip");
    fs.writeFileSync(path.join(dataDir, "docs", ctTwoSeries, "2.json.gz"), "not gzip");
    emu = await startTestEmulator({ dataDir, s3Root });
    client = sdkClient(emu);
    const source = ctSource;
    const uids = instancesIn(source)[kept];
    const made = await copy(ctTwoSeries, { [kept]: uids.slice(0, 2) }, { version: "2" });
    assert.deepEqual(instancesIn(made), { [kept]: uids.slice(0, 2) });
    assert.deepEqual(made.Study.Series[kept].Instances[uids[0]], source.Study.Series[kept].Instances[uids[0]]);
    assert.deepEqual(made.Patient, source.Patient);
    assert.deepEqual(made.Study.DICOM, source.Study.DICOM);
    assert.notEqual(kept, corrupted);
    // the corruption is real: what reads the whole document fails
    await assert.rejects(metadataOf(client, datastoreId, ctTwoSeries));
  });

  it("an unknown series is still a ValidationException naming it", async () => {
    await expectError(
      client.send(
        new CopyImageSetCommand({
          datastoreId,
          sourceImageSetId: crSpine,
          copyImageSetInformation: { sourceImageSet: { latestVersionId: "1", DICOMCopies: { copiableAttributes: copiable({ "1.2.3.4": ["1.2.3.4.5"] }) } } },
        }),
      ),
      "ValidationException",
      400,
      /series 1\.2\.3\.4 is not in the source image set/,
    );
  });

  it("a version stored before parts existed (whole document only) is copied from as before", async () => {
    await emu.stop();
    fs.rmSync(partsDir(crSpine), { recursive: true });
    emu = await startTestEmulator({ dataDir, s3Root });
    client = sdkClient(emu);
    const source = instancesIn(await metadataOf(client, datastoreId, crSpine));
    const [series] = Object.keys(source);
    const made = await copy(crSpine, { [series]: source[series] });
    assert.deepEqual(instancesIn(made), { [series]: source[series] });
  });

  it("keys that are Object.prototype members are unknown UIDs (a ValidationException, not a 500)", async () => {
    const [series] = index(brainMra, "3").series;
    for (const [s, uid] of [
      ["constructor", "1.2.3"],
      ["__proto__", "1.2.3"],
      [series, "constructor"],
      [series, "toString"],
    ]) {
      await expectError(
        client.send(
          new CopyImageSetCommand({
            datastoreId,
            sourceImageSetId: brainMra,
            copyImageSetInformation: { sourceImageSet: { latestVersionId: "3", DICOMCopies: { copiableAttributes: copiable({ [s]: [uid] }) } } },
          }),
        ),
        "ValidationException",
        400,
        s === series ? /instance .* is not in series/ : /is not in the source image set/,
      );
    }
  });

  it("every version a subset copy, a merge and an update write reads back the same from its parts as from the whole document", async () => {
    const source = instancesIn(await metadataOf(client, datastoreId, brainMra));
    const [a, b, c] = index(brainMra, "3").series;
    // v1: a subset of series a; v2: series b and c merged in (new series need force); v3: one instance of b removed
    const made = await copy(brainMra, { [a]: source[a].slice(0, 1) }, { version: "3" });
    const id = made.ImageSetID;
    await copy(brainMra, { [b]: source[b], [c]: source[c] }, { version: "3", into: { imageSetId: id, latestVersionId: "1" }, force: true });
    await client.send(
      new UpdateImageSetMetadataCommand({
        datastoreId,
        imageSetId: id,
        latestVersionId: "2",
        updateImageSetMetadataUpdates: {
          DICOMUpdates: { removableAttributes: jsonBytes({ SchemaVersion: 1.1, Study: { Series: { [b]: { Instances: { [source[b][0]]: {} } } } } }) },
        },
      }),
    );
    await settled(id);
    const whole = await Promise.all(["1", "2", "3"].map((v) => metadataOf(client, datastoreId, id, v)));
    assert.deepEqual(instancesIn(whole[2]), { [a]: source[a].slice(0, 1), [b]: source[b].slice(1), [c]: source[c] });

    // a fresh Store (nothing cached) assembles each version from its parts to the same JSON, key order included
    await emu.stop();
    const store = new Store(dataDir);
    for (const [n, doc] of whole.entries()) {
      const version = String(n + 1);
      const fromParts = store.readDocumentSeries(id, version, index(id, version).series);
      assert.equal(JSON.stringify(fromParts), gunzipSync(fs.readFileSync(path.join(dataDir, "docs", id, `${version}.json.gz`))).toString("utf8"));
      assert.deepEqual(fromParts, doc);
    }

    // and a subset copy out of the merged-then-updated version (read from parts) copies what the whole document holds
    emu = await startTestEmulator({ dataDir, s3Root });
    client = sdkClient(emu);
    const copied = await copy(id, { [b]: source[b].slice(1, 3) }, { version: "3" });
    assert.deepEqual(instancesIn(copied), { [b]: source[b].slice(1, 3).sort() });
    for (const uid of source[b].slice(1, 3)) assert.deepEqual(copied.Study.Series[b].Instances[uid], whole[2].Study.Series[b].Instances[uid]);
    assert.deepEqual(copied.Study.Series[b].DICOM, whole[2].Study.Series[b].DICOM);
  });
});
