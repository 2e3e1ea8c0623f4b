// How the service stores metadata documents (emulator/model/store.ts): whole, for
// GetImageSetMetadata, and in per-series parts, so a subset copy reads only the series it names.
// Proven with the real SDK against a restarted service (nothing cached): with the whole document
// and the part of a series the copy does not name corrupted on disk, the copy still succeeds; a
// data folder written before parts existed is still copied from.

import { CopyImageSetCommand, GetImageSetCommand, MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ImageSetDocument } from "../emulator/model/document";
import { RunningEmulator } from "../emulator/server";
import { eventually, sdkClient, startTestEmulator } from "./support/emulator";
import { expectError } from "./support/serviceErrors";
import { instancesIn, metadataOf, sampleS3Root, startSeeded, STUDIES } from "./support/seeded";

describe("emulator storage: per-series document parts", function () {
  this.timeout(60_000);
  let dataDir: string;
  let s3Root: string;
  let emu: RunningEmulator;
  let client: MedicalImagingClient;
  let datastoreId: string;
  let ctTwoSeries: string;
  let crSpine: string;
  let ctSource: ImageSetDocument;

  const partsDir = (imageSetId: string) => path.join(dataDir, "docs", imageSetId, "1.parts");
  const copiable = (series: Record<string, string[]>) =>
    JSON.stringify({ SchemaVersion: "1.1", Study: { Series: Object.fromEntries(Object.entries(series).map(([s, uids]) => [s, { Instances: Object.fromEntries(uids.map((u) => [u, {}])) }])) } });
  const copy = async (sourceImageSetId: string, series: Record<string, string[]>): Promise<ImageSetDocument> => {
    const out = await client.send(
      new CopyImageSetCommand({ datastoreId, sourceImageSetId, copyImageSetInformation: { sourceImageSet: { latestVersionId: "1", DICOMCopies: { copiableAttributes: copiable(series) } } } }),
    );
    const id = out.destinationImageSetProperties!.imageSetId!;
    await eventually(async () => ((await client.send(new GetImageSetCommand({ datastoreId, imageSetId: id }))).imageSetState === "ACTIVE" ? true : undefined));
    return metadataOf(client, datastoreId, id);
  };

  before(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "hi-storage-"));
    s3Root = sampleS3Root();
    const seeded = await startSeeded({ dataDir, s3Root });
    datastoreId = seeded.datastoreId;
    ctTwoSeries = seeded.imageSetOf(STUDIES.ctTwoSeries);
    crSpine = seeded.imageSetOf(STUDIES.crSpine);
    ctSource = await metadataOf(seeded.client, datastoreId, ctTwoSeries);
    await seeded.stop();
  });
  after(async () => {
    await emu?.stop();
    for (const d of [dataDir, s3Root]) if (d) fs.rmSync(d, { recursive: true, force: true });
  });

  it("a subset copy reads only the series it names: it succeeds with the whole document and another series' part corrupted", async () => {
    const index = JSON.parse(fs.readFileSync(path.join(partsDir(ctTwoSeries), "index.json"), "utf8")) as { series: string[] };
    assert.equal(index.series.length, 2);
    const [kept, corrupted] = index.series;
    fs.writeFileSync(path.join(partsDir(ctTwoSeries), "1.json.gz"), "not gzip");
    fs.writeFileSync(path.join(dataDir, "docs", ctTwoSeries, "1.json.gz"), "not gzip");
    emu = await startTestEmulator({ dataDir, s3Root });
    client = sdkClient(emu);
    const source = ctSource;
    const uids = instancesIn(source)[kept];
    const made = await copy(ctTwoSeries, { [kept]: uids.slice(0, 2) });
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
      client.send(new CopyImageSetCommand({ datastoreId, sourceImageSetId: crSpine, copyImageSetInformation: { sourceImageSet: { latestVersionId: "1", DICOMCopies: { copiableAttributes: copiable({ "1.2.3.4": ["1.2.3.4.5"] }) } } } })),
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
});
