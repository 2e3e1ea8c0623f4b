// DICOM Part-10 import: parsing, frame extraction, validation and HealthImaging-style grouping,
// against the pydicom sample files (run scripts/install-test-data.sh first).

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import dcmjs from "dcmjs";
import { groupIntoImageSets, type ImportedImageSet, joinConflict, studyConflict } from "../../emulator/dicom/group";
import { type FolderImportResult, importFolder, listFilesRecursively } from "../../emulator/dicom/importFolder";
import { DicomImportError, type DicomRule, parseDicomFile, type ParsedInstance } from "../../emulator/dicom/parse";
import { countDocument } from "../../emulator/model/document";
import { copyTestFiles, dicomdirFiles, dicomdirTests, dicomdirTestsFile, makeTempFolder, pydicomTestFiles, readTestFile } from "../support/sampleData";

const { DicomMessage } = dcmjs.data;

// ---------------------------------------------------------------------------------------------
// helpers

/** Deterministic 32-hex frame ids: 000…001, 000…002, … */
function counterIds(): () => string {
  let n = 0;
  return () => (++n).toString(16).padStart(32, "0");
}

function parse(relative: string): ParsedInstance {
  return parseDicomFile(readTestFile(relative));
}

function rejection(bytes: Buffer): DicomImportError {
  try {
    parseDicomFile(bytes);
  } catch (err) {
    assert.ok(err instanceof DicomImportError, `expected a DicomImportError, got ${String(err)}`);
    return err;
  }
  assert.fail("expected the file to be rejected");
}

/** Re-encodes a sample file after editing its tag-keyed data set with dcmjs. */
function rewrite(relative: string, edit: (dict: Record<string, { vr: string; Value?: unknown[] }>) => void): Buffer {
  const bytes = readTestFile(relative);
  const message = DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
  edit(message.dict);
  return Buffer.from(message.write({ allowInvalidVRLength: true }));
}

const setValue = (tag: string, vr: string, value: unknown) => (dict: Record<string, { vr: string; Value?: unknown[] }>) => {
  dict[tag] = { vr, Value: [value] };
};

function primaryAndOthers(sets: ImportedImageSet[]): { primary: ImportedImageSet[]; nonPrimary: ImportedImageSet[] } {
  return { primary: sets.filter((s) => s.isPrimary), nonPrimary: sets.filter((s) => !s.isPrimary) };
}

function sopUids(set: ImportedImageSet): string[] {
  return Object.values(set.document.Study.Series).flatMap((s) => Object.keys(s.Instances));
}

/** The items of an encapsulated PixelData (first one is the Basic Offset Table) and where they sit. */
function encapsulatedItems(file: Buffer): { headerAt: number; items: Buffer[]; end: number } {
  const headerAt = file.indexOf(Buffer.from([0xe0, 0x7f, 0x10, 0x00]), 132);
  assert.ok(headerAt > 0 && file.readUInt32LE(headerAt + 8) === 0xffffffff, "explicit VR LE encapsulated PixelData expected");
  const items: Buffer[] = [];
  let at = headerAt + 12;
  while (file.readUInt16LE(at + 2) !== 0xe0dd) {
    const length = file.readUInt32LE(at + 4);
    items.push(file.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  return { headerAt, items, end: at + 8 };
}

function item(bytes: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt16LE(0xfffe, 0);
  header.writeUInt16LE(0xe000, 2);
  header.writeUInt32LE(bytes.length, 4);
  return Buffer.concat([header, bytes]);
}

function ovElement(element: number, values: bigint[]): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16LE(0x7fe0, 0);
  header.writeUInt16LE(element, 2);
  header.write("OV", 4, "latin1");
  header.writeUInt32LE(values.length * 8, 8);
  const body = Buffer.alloc(values.length * 8);
  for (const [i, v] of values.entries()) body.writeBigUInt64LE(v, i * 8);
  return Buffer.concat([header, body]);
}

/** Rebuilds a file's encapsulated PixelData from the given fragments (empty BOT), optionally after extra elements. */
function withFragments(file: Buffer, fragments: Buffer[], elementsBefore: Buffer[] = []): Buffer {
  const { headerAt, end } = encapsulatedItems(file);
  const delimiter = Buffer.from([0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]);
  return Buffer.concat([
    file.subarray(0, headerAt),
    ...elementsBefore,
    file.subarray(headerAt, headerAt + 12),
    item(Buffer.alloc(0)),
    ...fragments.map(item),
    delimiter,
    file.subarray(end),
  ]);
}

function halves(fragment: Buffer): Buffer[] {
  const cut = Math.floor(fragment.length / 4) * 2; // fragments must keep even lengths
  return [fragment.subarray(0, cut), fragment.subarray(cut)];
}

// ---------------------------------------------------------------------------------------------
// dicomdirtests/: the expected hierarchy (UIDs read from the files; https://github.com/pydicom/pydicom/tree/main/src/pydicom/data/test_files/dicomdirtests)

const P = "1.3.6.1.4.1.5962.1.1.0.0.0.";
const EXPECTED_STUDIES: {
  patientId: string;
  study: string;
  studyDate: string;
  description: string | null;
  series: Record<string, [modality: string, instances: number]>;
}[] = [
  {
    patientId: "77654033",
    study: `${P}1196527414.5534.0.1`,
    studyDate: "20010101",
    description: "XR C Spine Comp Min 4 Views",
    series: { [`${P}1196527414.5534.0.6`]: ["CR", 1], [`${P}1196527414.5534.0.8`]: ["CR", 1], [`${P}1196527414.5534.0.10`]: ["CR", 1] },
  },
  {
    patientId: "77654033",
    study: `${P}1196530851.28319.0.1`,
    studyDate: "19950903",
    description: "CT, HEAD/BRAIN WO CONTRAST",
    series: { [`${P}1196530851.28319.0.2`]: ["CT", 4] },
  },
  {
    patientId: "98890234",
    study: `${P}1194734704.16302.0.1`,
    studyDate: "20010101",
    description: null,
    series: { [`${P}1194734704.16302.0.2`]: ["CT", 2], [`${P}1194734704.16302.0.6`]: ["CT", 5] },
  },
  {
    patientId: "98890234",
    study: `${P}1196533885.18148.0.1`,
    studyDate: "20030505",
    description: "Brain-MRA",
    series: { [`${P}1196533885.18148.0.15`]: ["MR", 1], [`${P}1196533885.18148.0.17`]: ["MR", 3], [`${P}1196533885.18148.0.118`]: ["MR", 7] },
  },
  {
    patientId: "98890234",
    study: `${P}1196533885.18148.0.133`,
    studyDate: "20030505",
    description: "Brain",
    series: { [`${P}1196533885.18148.0.134`]: ["MR", 1], [`${P}1196533885.18148.0.136`]: ["MR", 3] },
  },
  {
    patientId: "98890234",
    study: `${P}1196533885.18148.0.427`,
    studyDate: "20030505",
    description: "Carotids",
    series: { [`${P}1196533885.18148.0.475`]: ["MR", 1], [`${P}1196533885.18148.0.481`]: ["MR", 1] },
  },
  {
    patientId: "12345678", // TINY_ALPHA: synthetic, no pixel data
    study: "1.2.826.0.1.3680043.8.498.64108189007039777171766333999874882472",
    studyDate: "20200913",
    description: "Testing File-set",
    series: { "1.2.826.0.1.3680043.8.498.73052100648462801855733330064330327590": ["CT", 50] },
  },
];

describe("DICOM import of dicomdirtests/", () => {
  let result: FolderImportResult;
  before(() => {
    result = importFolder(dicomdirTests(), counterIds());
  });

  it("scans every file and imports the 31 real plus 50 TINY_ALPHA instances", () => {
    assert.equal(result.scanned, 91);
    assert.equal(result.imported, 81);
    assert.equal(result.failures.length, 10);
    assert.equal(result.scanned, listFilesRecursively(dicomdirTests()).length);
  });

  it("reports the DICOMDIRs and READMEs as failures instead of stopping", () => {
    const byFile = new Map(result.failures.map((f) => [f.file, f.reason]));
    assert.deepEqual([...byFile.keys()].sort(), [...dicomdirFiles(), "README.txt", "TINY_ALPHA/README"].sort());
    for (const dicomdir of dicomdirFiles()) assert.match(byFile.get(dicomdir)!, /Not a SOP instance.*1\.2\.840\.10008\.1\.3\.10/);
    assert.match(byFile.get("README.txt")!, /Not a DICOM Part-10 file/);
  });

  it("builds one primary image set per series, 14 in all across 7 studies, with 81 instances", () => {
    const { primary, nonPrimary } = primaryAndOthers(result.imageSets);
    assert.equal(primary.length, 14);
    assert.equal(nonPrimary.length, 0);
    assert.ok(
      result.imageSets.every((s) => Object.keys(s.document.Study.Series).length === 1),
      "an image set holds one series",
    );
    const totals = result.imageSets
      .map((s) => countDocument(s.document))
      .reduce((a, b) => ({ series: a.series + b.series, instances: a.instances + b.instances, frames: a.frames + b.frames }));
    assert.deepEqual(totals, { series: 14, instances: 81, frames: 31 });
    assert.equal(new Set(result.imageSets.map((s) => s.document.Study.DICOM.StudyInstanceUID)).size, 7);
    assert.equal(new Set(result.imageSets.map((s) => s.document.Patient.DICOM.PatientID)).size, 3);
  });

  it("puts every series with its study, whatever folder its files came from", () => {
    const byStudy = new Map<unknown, ImportedImageSet[]>();
    for (const set of result.imageSets)
      byStudy.set(set.document.Study.DICOM.StudyInstanceUID, [...(byStudy.get(set.document.Study.DICOM.StudyInstanceUID) ?? []), set]);
    assert.deepEqual([...byStudy.keys()].sort(), EXPECTED_STUDIES.map((e) => e.study).sort());
    for (const expected of EXPECTED_STUDIES) {
      const sets = byStudy.get(expected.study)!;
      for (const set of sets) {
        assert.equal(set.document.Patient.DICOM.PatientID, expected.patientId);
        assert.equal(set.document.Study.DICOM.StudyDate, expected.studyDate);
        assert.equal(set.document.Study.DICOM.StudyDescription ?? null, expected.description);
        const [[uid, series]] = Object.entries(set.document.Study.Series);
        assert.equal(set.instanceCount, Object.keys(series.Instances).length, `instances of series ${uid}`);
      }
      const series = Object.fromEntries(
        sets.flatMap((set) => Object.entries(set.document.Study.Series)).map(([uid, s]) => [uid, [s.DICOM.Modality, Object.keys(s.Instances).length]]),
      );
      assert.deepEqual(series, expected.series, `series of study ${expected.study}`);
    }
  });

  it("files each instance under its SOP Instance UID with instance-level attributes only", () => {
    const mra = result.imageSets.find((s) => `${P}1196533885.18148.0.118` in s.document.Study.Series)!;
    const series = mra.document.Study.Series[`${P}1196533885.18148.0.118`];
    assert.equal(series.DICOM.SeriesNumber, "700 "); // IS keeps its DICOM string form
    assert.equal(series.DICOM.Modality, "MR");
    const instance = series.Instances[`${P}1196533885.18148.0.119`]; // MR700/4467
    assert.equal(instance.DICOM.InstanceNumber, "4 ");
    assert.equal(instance.DICOM.SOPClassUID, "1.2.840.10008.5.1.4.1.1.4");
    assert.equal(instance.StoredTransferSyntaxUID, "1.2.840.10008.1.2.1");
    assert.equal(instance.ChecksumType, "DECOMPRESSED");
    for (const misplaced of ["PatientName", "StudyDate", "Modality", "SeriesInstanceUID", "PixelData"]) assert.ok(!(misplaced in instance.DICOM), misplaced);
    assert.equal(mra.document.Patient.DICOM.PatientName, "Doe^Peter"); // PN flattened
    assert.equal(mra.document.Patient.DICOM.PatientBirthDate, null); // empty → null
    assert.equal(mra.document.Study.DICOM.PatientWeight, "81.632700 "); // Patient Study module is Study level
    assert.ok(!("PatientWeight" in mra.document.Patient.DICOM));
  });

  it("gives every real instance one 16x16 frame whose checksum and size match the stored bytes", () => {
    let frames = 0;
    for (const set of result.imageSets) {
      const ids = new Set<string>();
      for (const series of Object.values(set.document.Study.Series)) {
        for (const instance of Object.values(series.Instances)) {
          for (const frame of instance.ImageFrames) {
            frames++;
            ids.add(frame.ID);
            assert.match(frame.ID, /^[0-9a-f]{32}$/);
            const bytes = set.frames.get(frame.ID)!;
            assert.equal(bytes.length, 512);
            assert.equal(frame.FrameSizeInBytes, 512);
            assert.deepEqual(frame.PixelDataChecksumFromBaseToFullResolution, [{ Width: 16, Height: 16, Checksum: zlib.crc32(bytes) }]);
          }
        }
      }
      assert.deepEqual([...set.frames.keys()].sort(), [...ids].sort());
    }
    assert.equal(frames, 31);
    const tiny = result.imageSets.find((s) => s.document.Patient.DICOM.PatientID === "12345678")!;
    assert.equal(tiny.frames.size, 0);
  });

  it("is deterministic", () => {
    const again = importFolder(dicomdirTests(), counterIds());
    assert.deepEqual(JSON.parse(JSON.stringify(again.imageSets.map((s) => s.document))), JSON.parse(JSON.stringify(result.imageSets.map((s) => s.document))));
    assert.deepEqual(again.failures, result.failures);
  });
});

// ---------------------------------------------------------------------------------------------

describe("DICOM attribute conversion", () => {
  const ct = () => parse("CT_small.dcm");

  it("keys standard elements by keyword and private ones by 8-hex tag with their VR", () => {
    const instance = ct();
    assert.equal(instance.instance["00091001"], "GE_GENESIS_FF");
    assert.equal(instance.vrs["00091001"], "LO");
    assert.equal(instance.instance["00091027"], 862399669);
    assert.equal(instance.vrs["00091027"], "SL");
    assert.equal(instance.vrs.SOPInstanceUID, undefined);
  });

  it("drops binary elements and PixelData, keeps multi-valued elements as arrays and sequences as objects", () => {
    const instance = ct();
    assert.ok(!("00431028" in instance.instance), "private OB element is dropped");
    const all = JSON.stringify([instance.patient, instance.study, instance.series, instance.instance]);
    assert.ok(!all.includes("PixelData"));
    assert.deepEqual(instance.instance.ImageType, ["ORIGINAL", "PRIMARY", "AXIAL"]);
    assert.deepEqual(instance.patient.OtherPatientIDsSequence, [
      { PatientID: "ABCD1234", TypeOfPatientID: "TEXT" },
      { PatientID: "1234ABCD", TypeOfPatientID: "TEXT" },
    ]);
    assert.equal(instance.study.AccessionNumber, null);
    assert.equal(instance.series.PixelPaddingValue, -2000);
  });

  it("keeps the character set the file declared, not dcmjs's decoded one", () => {
    assert.equal(ct().instance.SpecificCharacterSet, "ISO_IR 100");
  });

  it("reads deflated, big endian, YBR_FULL_422 and bit-packed pixel data at the right sizes", () => {
    const cases: [string, string, number][] = [
      ["image_dfl.dcm", "1.2.840.10008.1.2.1.99", 512 * 512],
      ["MR_small_bigendian.dcm", "1.2.840.10008.1.2.2", 64 * 64 * 2],
      ["SC_ybr_full_422_uncompressed.dcm", "1.2.840.10008.1.2.1", 100 * 100 * 2],
      ["liver_1frame.dcm", "1.2.840.10008.1.2.1", (512 * 512) / 8],
      ["SC_rgb_small_odd.dcm", "1.2.840.10008.1.2.1", 3 * 3 * 3], // odd length, padded in the file
    ];
    for (const [file, syntax, size] of cases) {
      const instance = parse(file);
      assert.equal(instance.transferSyntaxUID, syntax, file);
      assert.deepEqual(
        instance.frames.map((f) => f.length),
        [size],
        file,
      );
    }
  });
});

// ---------------------------------------------------------------------------------------------

describe("DICOM frames", () => {
  it("splits native multi-frame pixel data into NumberOfFrames equal parts (rtdose.dcm: 15)", () => {
    const instance = parse("rtdose.dcm");
    assert.equal(instance.frames.length, 15);
    assert.ok(instance.frames.every((f) => f.length === 10 * 10 * 4));
    assert.ok(!instance.frames[0].equals(instance.frames[14]), "frames are different slices");
    const bytes = readTestFile("rtdose.dcm");
    const pixelData = DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer).dict["7FE00010"]
      .Value![0];
    assert.deepEqual(Buffer.concat(instance.frames), Buffer.from(pixelData as ArrayBuffer));
  });

  it("takes one frame per BOT entry (SC_rgb_rle_2frame.dcm) and per fragment without BOT (rtdose_rle.dcm)", () => {
    const withBot = parse("SC_rgb_rle_2frame.dcm");
    assert.equal(withBot.frames.length, 2);
    for (const frame of withBot.frames) assert.equal(frame.readUInt32LE(0), 3, "RLE header: 3 segments for 8-bit RGB");
    const withoutBot = parse("rtdose_rle.dcm");
    assert.equal(encapsulatedItems(readTestFile("rtdose_rle.dcm")).items[0].length, 0, "sample has an empty BOT");
    assert.equal(withoutBot.frames.length, 15);
    for (const frame of withoutBot.frames) assert.equal(frame.readUInt32LE(0), 4, "RLE header: 4 segments for 32-bit grey");
  });

  it("joins the fragments of a single frame when there is no BOT", () => {
    const original = readTestFile("SC_rgb_rle.dcm");
    const [fragment] = encapsulatedItems(original).items.slice(1);
    const split = withFragments(original, halves(fragment));
    const dcmjsView = DicomMessage.readFile(split.buffer.slice(split.byteOffset, split.byteOffset + split.byteLength) as ArrayBuffer);
    assert.equal(dcmjsView.dict["7FE00010"].Value!.length, 2, "dcmjs returns one buffer per fragment");
    const instance = parseDicomFile(split);
    assert.equal(instance.frames.length, 1);
    assert.deepEqual(instance.frames[0], Buffer.from(fragment));
  });

  it("maps fragments to frames with an Extended Offset Table and rejects multi-frame data it cannot map", () => {
    const original = readTestFile("rtdose_rle.dcm");
    const fragments = encapsulatedItems(original).items.slice(1);
    const split = fragments.flatMap(halves);
    const offsets: bigint[] = [];
    let offset = 0;
    split.forEach((part, i) => {
      if (i % 2 === 0) offsets.push(BigInt(offset));
      offset += 8 + part.length;
    });
    const withTable = parseDicomFile(
      withFragments(original, split, [
        ovElement(0x0001, offsets),
        ovElement(
          0x0002,
          fragments.map((f) => BigInt(f.length)),
        ),
      ]),
    );
    assert.deepEqual(
      withTable.frames,
      fragments.map((f) => Buffer.from(f)),
    );

    const error = rejection(withFragments(original, split));
    assert.equal(error.rule, "FRAME_MISMATCH");
    assert.match(error.message, /30 fragments for NumberOfFrames \(0028,0008\) 15/);
  });

  it("reports Min/MaxPixelValue for native grey frames only", () => {
    const [dose] = groupIntoImageSets([parse("rtdose.dcm")], counterIds());
    const doseFrame = Object.values(dose.document.Study.Series)[0].Instances["1.9.999.999.99.9.9999.9999.20030818153516"].ImageFrames[3];
    const bytes = dose.frames.get(doseFrame.ID)!;
    const values = Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readUInt32LE(i * 4));
    assert.equal(doseFrame.MinPixelValue, Math.min(...values));
    assert.equal(doseFrame.MaxPixelValue, Math.max(...values));
    assert.ok(doseFrame.MaxPixelValue! > doseFrame.MinPixelValue!);

    const [mr] = groupIntoImageSets([parseDicomFile(fs.readFileSync(dicomdirTestsFile("98892003/MR700/4467")))], counterIds());
    const mrFrame = Object.values(Object.values(mr.document.Study.Series)[0].Instances)[0].ImageFrames[0];
    const mrBytes = mr.frames.get(mrFrame.ID)!;
    const signed = Array.from({ length: mrBytes.length / 2 }, (_, i) => mrBytes.readInt16LE(i * 2)); // PixelRepresentation 1
    assert.deepEqual([mrFrame.MinPixelValue, mrFrame.MaxPixelValue], [Math.min(...signed), Math.max(...signed)]);

    const [rle] = groupIntoImageSets([parse("rtdose_rle.dcm")], counterIds());
    const rleFrame = Object.values(rle.document.Study.Series)[0].Instances["1.9.999.999.99.9.9999.9999.20030818153516"].ImageFrames[0];
    assert.equal(rleFrame.MinPixelValue, undefined);
    assert.equal(rleFrame.FrameSizeInBytes, parse("rtdose_rle.dcm").frames[0].length);
  });
});

// ---------------------------------------------------------------------------------------------

describe("DICOM validation", () => {
  const BROKEN: Record<string, [DicomRule, RegExp]> = {
    "no_meta.dcm": ["NOT_PART10", /preamble and DICM prefix are missing/],
    "ExplVR_BigEndNoMeta.dcm": ["NOT_PART10", /preamble and DICM prefix are missing/],
    "ExplVR_LitEndNoMeta.dcm": ["NOT_PART10", /preamble and DICM prefix are missing/],
    "rtstruct.dcm": ["NOT_PART10", /preamble and DICM prefix are missing/],
    "meta_missing_tsyntax.dcm": ["NO_TRANSFER_SYNTAX", /no TransferSyntaxUID \(0002,0010\)/],
    "no_meta_group_length.dcm": ["BAD_FILE_META", /FileMetaInformationGroupLength \(0002,0000\)/],
    "MR_truncated.dcm": ["TRUNCATED_PIXEL_DATA", /PixelData \(7FE0,0010\) is truncated/],
    "rtplan_truncated.dcm": ["UNREADABLE", /cannot be read/],
    "SC_rgb_jpeg.dcm": ["MISSING_ATTRIBUTE", /StudyInstanceUID \(0020,000D\) is missing/],
    "badVR.dcm": ["INVALID_PIXEL_ATTRIBUTES", /NumberOfFrames \(0028,0008\) must be a single positive integer/],
    "UN_sequence.dcm": ["UNREADABLE", /cannot be read/],
    "nested_priv_SQ.dcm": ["UNREADABLE", /cannot be read/],
    "priv_SQ.dcm": ["MISSING_ATTRIBUTE", /StudyInstanceUID \(0020,000D\) is missing/],
    "empty_charset_LEI.dcm": ["MISSING_ATTRIBUTE", /StudyInstanceUID \(0020,000D\) is missing/],
  };

  it("rejects each broken sample with the rule it breaks", () => {
    for (const [file, [rule, message]] of Object.entries(BROKEN)) {
      const error = rejection(readTestFile(file));
      assert.equal(error.rule, rule, file);
      assert.match(error.message, message, file);
    }
  });

  it("reports broken files in a folder import without throwing", () => {
    const { dir, cleanup } = makeTempFolder();
    try {
      copyTestFiles(dir, [...Object.keys(BROKEN), "CT_small.dcm"]);
      const result = importFolder(dir, counterIds());
      assert.equal(result.scanned, Object.keys(BROKEN).length + 1);
      assert.equal(result.imported, 1);
      assert.deepEqual(result.failures.map((f) => f.file).sort(), Object.keys(BROKEN).sort());
      for (const failure of result.failures) assert.match(failure.reason, BROKEN[failure.file][1], failure.file);
    } finally {
      cleanup();
    }
  });

  it("rejects missing and malformed UIDs", () => {
    const mr = "dicomdirtests/98892003/MR700/4467";
    const cases: [Buffer, DicomRule, RegExp][] = [
      [rewrite(mr, setValue("00080018", "UI", "1.2.03.4")), "INVALID_UID", /SOPInstanceUID \(0008,0018\) breaks the UID syntax.*"1\.2\.03\.4"/],
      [rewrite(mr, setValue("0020000D", "UI", "1..2")), "INVALID_UID", /StudyInstanceUID \(0020,000D\) breaks the UID syntax/],
      // dcmjs alone would read "1.2.3x" as "1.2.3"
      [rewrite(mr, setValue("00080018", "UI", "1.2.3x")), "INVALID_UID", /SOPInstanceUID \(0008,0018\) .*characters other than digits and dots/],
      [rewrite(mr, setValue("0020000E", "UI", `1.${"2".repeat(63)}`)), "INVALID_UID", /SeriesInstanceUID \(0020,000E\) is 65 characters long/],
      [rewrite(mr, (d) => delete d["0020000E"]), "MISSING_ATTRIBUTE", /SeriesInstanceUID \(0020,000E\) is missing/],
      [rewrite(mr, (d) => delete d["00080018"]), "MISSING_ATTRIBUTE", /SOPInstanceUID \(0008,0018\) is missing/],
    ];
    for (const [bytes, rule, message] of cases) {
      const error = rejection(bytes);
      assert.equal(error.rule, rule, error.message);
      assert.match(error.message, message);
    }
    assert.equal(parseDicomFile(rewrite(mr, setValue("00080018", "UI", `1.${"2".repeat(62)}`))).sopInstanceUID.length, 64);
  });

  it("warns, but imports, when file meta and data set disagree", () => {
    const dose = parse("rtdose.dcm");
    assert.equal(dose.warnings.length, 1);
    assert.match(dose.warnings[0], /MediaStorageSOPInstanceUID \(0002,0003\) 1\.2\.999.* differs from SOPInstanceUID \(0008,0018\) 1\.9\.999/);
  });
});

// ---------------------------------------------------------------------------------------------

describe("DICOM grouping into image sets", () => {
  it("keeps the last of several consistent re-encodings of one SOP instance (MR_small*): the newer copy overwrites", () => {
    const { dir, cleanup } = makeTempFolder();
    try {
      const copies = fs.readdirSync(pydicomTestFiles()).filter((f) => /^MR_small.*\.dcm$/.test(f));
      assert.equal(copies.length, 8);
      copyTestFiles(dir, copies);
      const result = importFolder(dir, counterIds());
      assert.equal(result.failures.length, 0);
      assert.equal(result.imported, 8);
      const { primary, nonPrimary } = primaryAndOthers(result.imageSets);
      assert.equal(primary.length, 1);
      assert.equal(nonPrimary.length, 0, "same UIDs and no conflicting attribute: no non-primary set");
      const sop = "1.3.6.1.4.1.5962.1.1.4.1.1.20040826185059.5457";
      assert.deepEqual(sopUids(primary[0]), [sop]);
      assert.equal(primary[0].instanceCount, 1);
      // sorted input: MR_small_padded.dcm comes last and is the copy kept
      const kept = primary[0].document.Study.Series["1.3.6.1.4.1.5962.1.3.4.1.20040826185059.5457"].Instances[sop];
      assert.equal(kept.StoredTransferSyntaxUID, parse("MR_small_padded.dcm").transferSyntaxUID);
      assert.deepEqual(
        [...primary[0].frames.keys()],
        kept.ImageFrames.map((f) => f.ID),
        "the overwritten copies' frames are dropped",
      );
    } finally {
      cleanup();
    }
  });

  it("sends a copy with a changed Series-level grouping element to a non-primary set, and one that differs elsewhere to the primary", () => {
    const { dir, cleanup } = makeTempFolder();
    try {
      const series = "98892003/MR700";
      const originals = fs.readdirSync(path.join(dicomdirTests(), series)).sort();
      copyTestFiles(
        dir,
        originals.map((f) => ({ from: `dicomdirtests/${series}/${f}`, as: `a/${f}` })),
      );
      const source = `dicomdirtests/${series}/${originals[0]}`;
      const conflicting = (uid: string) =>
        rewrite(source, (d) => {
          setValue("00080018", "UI", uid)(d);
          setValue("00200011", "IS", "701")(d);
        });
      fs.writeFileSync(path.join(dir, "b-conflict-1"), conflicting("1.2.3.4.5.1"));
      fs.writeFileSync(path.join(dir, "b-conflict-2"), conflicting("1.2.3.4.5.2"));
      // SeriesDescription is not a grouping element: this copy joins the primary set, which keeps its description
      fs.writeFileSync(
        path.join(dir, "c-consistent"),
        rewrite(source, (d) => {
          setValue("00080018", "UI", "1.2.3.4.5.3")(d);
          setValue("0008103E", "LO", "Changed description")(d);
        }),
      );

      const result = importFolder(dir, counterIds());
      assert.equal(result.failures.length, 0);
      const { primary, nonPrimary } = primaryAndOthers(result.imageSets);
      assert.equal(primary.length, 1);
      assert.equal(nonPrimary.length, 1, "both conflicting copies share one non-primary set");
      assert.deepEqual(sopUids(primary[0]).sort(), [...originals.map((_, i) => `${P}1196533885.18148.0.${119 + i}`), "1.2.3.4.5.3"].sort());
      assert.deepEqual(sopUids(nonPrimary[0]), ["1.2.3.4.5.1", "1.2.3.4.5.2"]);
      assert.equal(nonPrimary[0].document.Study.DICOM.StudyInstanceUID, `${P}1196533885.18148.0.1`);
      assert.equal(String(Object.values(nonPrimary[0].document.Study.Series)[0].DICOM.SeriesNumber).trim(), "701");
      assert.notEqual(Object.values(primary[0].document.Study.Series)[0].DICOM.SeriesDescription, "Changed description");

      const conflict = parseDicomFile(fs.readFileSync(path.join(dir, "b-conflict-1")));
      assert.equal(joinConflict(primary[0], conflict), "Series-level grouping elements differ: SeriesNumber");
      assert.equal(joinConflict(primary[0], parseDicomFile(fs.readFileSync(path.join(dir, "c-consistent")))), undefined);
    } finally {
      cleanup();
    }
  });

  it("makes one primary set per series of a study; a series whose Study-level grouping elements disagree with the study's goes non-primary", () => {
    const first = parse("dicomdirtests/98892003/MR700/4467"); // Brain-MRA, series 700
    const second = parse("dicomdirtests/98892003/MR2/6273"); // same study, series 2
    assert.equal(first.studyInstanceUID, second.studyInstanceUID);
    assert.notEqual(first.seriesInstanceUID, second.seriesInstanceUID);
    const consistent = groupIntoImageSets([first, second], counterIds());
    assert.deepEqual(
      consistent.map((x) => [x.isPrimary, Object.keys(x.document.Study.Series)]),
      [
        [true, [first.seriesInstanceUID]],
        [true, [second.seriesInstanceUID]],
      ],
    );
    const disagreeing = parseDicomFile(rewrite("dicomdirtests/98892003/MR2/6273", setValue("00080050", "SH", "ACC2")));
    const sets = groupIntoImageSets([first, disagreeing], counterIds());
    assert.deepEqual(
      sets.map((x) => x.isPrimary),
      [true, false],
    );
    assert.equal(studyConflict(sets[0], disagreeing), "Study-level grouping elements differ: AccessionNumber");
  });

  it("splits off a copy whose PatientID changed, naming the keyword but not the value; a PatientName change alone joins", () => {
    const source = "dicomdirtests/98892003/MR700/4467";
    const original = parse(source);
    const otherId = parseDicomFile(
      rewrite(source, (d) => {
        setValue("00100020", "LO", "GENERATED1")(d);
        setValue("00080018", "UI", "1.2.3.4.6")(d);
      }),
    );
    const renamed = parseDicomFile(
      rewrite(source, (d) => {
        setValue("00100010", "PN", { Alphabetic: "Other^Name" })(d);
        setValue("00080018", "UI", "1.2.3.4.7")(d);
      }),
    );
    const sets = groupIntoImageSets([original, otherId, renamed], counterIds());
    assert.deepEqual(
      sets.map((s) => [s.isPrimary, s.instanceCount]),
      [
        [true, 2],
        [false, 1],
      ],
    );
    assert.equal(joinConflict(sets[0], otherId), "Patient-level grouping elements differ: PatientID");
    assert.equal(joinConflict(sets[0], renamed), undefined);
    assert.equal(sets[0].document.Patient.DICOM.PatientName, original.patient.PatientName, "the set keeps the values it has");
  });

  it("keeps real samples that differ outside the grouping elements together: JPEG2000.dcm has another InstitutionName than JPEG-lossy.dcm", () => {
    const lossy = parse("JPEG-lossy.dcm");
    const j2k = parse("JPEG2000.dcm");
    assert.equal(lossy.seriesInstanceUID, j2k.seriesInstanceUID);
    assert.notEqual(lossy.series.InstitutionName, j2k.series.InstitutionName);
    const sets = groupIntoImageSets([lossy, j2k], counterIds());
    assert.deepEqual(
      sets.map((s) => s.isPrimary),
      [true],
    );
    assert.equal(joinConflict(sets[0], j2k), undefined);
    assert.equal(sets[0].instanceCount, new Set([lossy.sopInstanceUID, j2k.sopInstanceUID]).size);
  });
});

// ---------------------------------------------------------------------------------------------

describe("DICOM failure messages", () => {
  /** PatientName/PatientID/PatientBirthDate values anywhere in test_files, read leniently so broken files count too. */
  function patientValues(instances: ParsedInstance[]): Set<string> {
    const values = new Set<string>();
    const add = (v: unknown) => {
      if (typeof v === "string" && /[A-Za-z0-9]{3}/.test(v)) values.add(v);
    };
    for (const instance of instances) for (const key of ["PatientName", "PatientID", "PatientBirthDate"]) add(instance.patient[key]);
    for (const file of listFilesRecursively(pydicomTestFiles())) {
      const bytes = fs.readFileSync(file);
      try {
        const { dict } = DicomMessage.readFile(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer, {
          ignoreErrors: true,
        });
        for (const tag of ["00100010", "00100020", "00100030"])
          for (const v of dict[tag]?.Value ?? []) add(typeof v === "object" && v ? (v as { Alphabetic?: string }).Alphabetic : v);
      } catch {
        // not DICOM at all: no patient values to collect
      }
    }
    return values;
  }

  it("never contain patient names, IDs or birth dates", () => {
    const { dir, cleanup } = makeTempFolder();
    try {
      // broken copies of real files that still carry their patient attributes
      const mr = "dicomdirtests/98892003/MR700/4467";
      fs.writeFileSync(path.join(dir, "bad-uid"), rewrite(mr, setValue("00080018", "UI", "1.02")));
      fs.writeFileSync(path.join(dir, "bad-frames"), rewrite(mr, setValue("00280008", "IS", "x")));
      fs.writeFileSync(
        path.join(dir, "no-series"),
        rewrite(mr, (d) => delete d["0020000E"]),
      );
      const truncated = fs.readFileSync(dicomdirTestsFile("98892003/MR700/4467"));
      fs.writeFileSync(path.join(dir, "truncated"), truncated.subarray(0, truncated.length - 100));

      const everything = importFolder(pydicomTestFiles(), counterIds());
      const broken = importFolder(dir, counterIds());
      assert.deepEqual(
        broken.failures.map((f) => f.reason.split(" ")[0]),
        ["NumberOfFrames", "SOPInstanceUID", "Required", "PixelData"], // bad-frames, bad-uid, no-series, truncated
      );
      const failures = [...everything.failures, ...broken.failures];
      assert.ok(failures.length >= 30, `expected the sample tree's broken files, got ${failures.length}`);

      const parsed = listFilesRecursively(pydicomTestFiles()).flatMap((f) => {
        try {
          return [parseDicomFile(fs.readFileSync(f))];
        } catch {
          return [];
        }
      });
      const secrets = patientValues(parsed);
      for (const expected of ["Doe^Peter", "98890234", "Doe^Archibald", "77654033", "Citizen^Jan", "12345678", "Lastname^Firstname", "id11111"]) {
        assert.ok(secrets.has(expected), `collected ${expected}`);
      }
      for (const failure of failures) {
        for (const secret of secrets) assert.ok(!failure.reason.includes(secret), `${failure.file}: "${failure.reason}" reveals a patient value`);
      }
    } finally {
      cleanup();
    }
  });

  it("do not echo a non-UID value given as a UID", () => {
    const error = rejection(rewrite("dicomdirtests/98892003/MR700/4467", setValue("00080018", "UI", "1.2.Peter")));
    assert.equal(error.rule, "INVALID_UID");
    assert.ok(!error.message.includes("Peter"), error.message);
  });
});
