import assert from "node:assert/strict";
import fc from "fast-check";
import type { ImageSetDocument, InstanceDocument } from "../../emulator/model/document";
import {
  COPIABLE_ATTRIBUTES_MAX_CHARS,
  buildCopiableAttributes,
  buildRemovableAttributeBatches,
  buildRemovableAttributes,
  countFrames,
  instancesOf,
  resolveSubset,
} from "../../provider/subset/copiable";
import { type InstancesBySeries, UNKNOWN } from "../../provider/resource/types";

const IMAGE_SET_ID = "3a19e171a2a4f56dd78abf493bd07bda";
const SERIES_CT = "1.3.6.1.4.1.5962.1.3.0.0.1.3";
const SERIES_SEG = "1.3.6.1.4.1.5962.1.3.0.0.1.4";
const SERIES_EMPTY = "1.3.6.1.4.1.5962.1.3.0.0.1.5";
const CT_1 = "1.3.6.1.4.1.5962.1.1.0.0.1.1";
const CT_2 = "1.3.6.1.4.1.5962.1.1.0.0.1.2";
const CT_3 = "1.3.6.1.4.1.5962.1.1.0.0.1.3";
const SEG_1 = "1.3.6.1.4.1.5962.1.1.0.0.2.1";
const PATIENT_NAME = "DOE^JANE";
const PATIENT_ID = "PAT-0042";

function instance(frames: number | undefined): InstanceDocument {
  const doc: InstanceDocument = {
    DICOM: { SOPClassUID: "1.2.840.10008.5.1.4.1.1.2" },
    DICOMVRs: {},
    StoredTransferSyntaxUID: "1.2.840.10008.1.2.4.202",
    ImageFrames: Array.from({ length: frames ?? 0 }, (_, i) => ({
      ID: i.toString(16).padStart(32, "0"),
      PixelDataChecksumFromBaseToFullResolution: [],
      FrameSizeInBytes: 1,
    })),
  };
  if (frames === undefined) delete (doc as Partial<InstanceDocument>).ImageFrames;
  return doc;
}

/** A metadata document with the given series -> instance -> frame counts (undefined = no ImageFrames member). */
function documentOf(layout: Record<string, Record<string, number | undefined>>): ImageSetDocument {
  return {
    SchemaVersion: "1.1",
    DatastoreID: "5bb1dcedf7c14ece969d7fe73c5b87a1",
    ImageSetID: IMAGE_SET_ID,
    Patient: { DICOM: { PatientName: PATIENT_NAME, PatientID: PATIENT_ID } },
    Study: {
      DICOM: { StudyInstanceUID: "1.3.6.1.4.1.5962.1.2.0.0.1" },
      Series: Object.fromEntries(
        Object.entries(layout).map(([seriesUid, instances]) => [
          seriesUid,
          {
            DICOM: { SeriesInstanceUID: seriesUid, Modality: "CT" },
            Instances: Object.fromEntries(Object.entries(instances).map(([uid, frames]) => [uid, instance(frames)])),
          },
        ]),
      ),
    },
  };
}

const source = documentOf({
  [SERIES_CT]: { [CT_1]: 1, [CT_2]: 3, [CT_3]: 1 },
  [SERIES_SEG]: { [SEG_1]: 40 },
  [SERIES_EMPTY]: {},
});

/** Asserts fn throws, and that the message carries no patient-level value. */
function throwsClean(fn: () => unknown, expected: RegExp): void {
  assert.throws(fn, (error: Error) => {
    assert.match(error.message, expected);
    assert.ok(!error.message.includes(PATIENT_NAME) && !error.message.includes(PATIENT_ID), error.message);
    return true;
  });
}

describe("provider/copiable: instancesOf", () => {
  it("lists every series and its instances in document order", () => {
    assert.deepEqual(instancesOf(source), { [SERIES_CT]: [CT_1, CT_2, CT_3], [SERIES_SEG]: [SEG_1], [SERIES_EMPTY]: [] });
  });
});

describe("provider/copiable: resolveSubset", () => {
  it("resolves no subset to the whole source", () => {
    assert.deepEqual(resolveSubset(undefined, source), instancesOf(source));
  });

  it('expands "all" from the source document', () => {
    assert.deepEqual(resolveSubset({ series: { [SERIES_CT]: "all" } }, source), { [SERIES_CT]: [CT_1, CT_2, CT_3] });
  });

  it("keeps chosen instances in the order given, and mixes with all", () => {
    const chosen = [CT_3, CT_1];
    const resolved = resolveSubset({ series: { [SERIES_CT]: chosen, [SERIES_SEG]: "all" } }, source);
    assert.deepEqual(resolved, { [SERIES_CT]: [CT_3, CT_1], [SERIES_SEG]: [SEG_1] });
    assert.notEqual(resolved[SERIES_CT], chosen, "must not alias the input list");
  });

  it("names a series missing from the source", () => {
    throwsClean(() => resolveSubset({ series: { "1.2.3.4": "all" } }, source), /series "1\.2\.3\.4" is not in the source image set/);
  });

  it("names an instance missing from its series, including one that lives in another series", () => {
    throwsClean(() => resolveSubset({ series: { [SERIES_CT]: [CT_1, "9.9.9"] } }, source), /instance "9\.9\.9" is not in series/);
    throwsClean(() => resolveSubset({ series: { [SERIES_CT]: [SEG_1] } }, source), new RegExp(`instance "${SEG_1.replace(/\./g, "\\.")}" is not in series`));
  });

  it('refuses "all" for a series with no instances', () => {
    throwsClean(() => resolveSubset({ series: { [SERIES_EMPTY]: "all" } }, source), /has no instances/);
  });

  it("refuses a series keyed by the image set id (the Java sample bug)", () => {
    throwsClean(() => resolveSubset({ series: { [IMAGE_SET_ID]: [CT_1] } }, source), /looks like a HealthImaging image set id/);
  });

  it('refuses a series keyed by the literal "imageSetId" (the Python/JS sample bug)', () => {
    throwsClean(() => resolveSubset({ series: { imageSetId: [CT_1] } }, source), /the literal "imageSetId"/);
  });

  it("refuses an all-digit 32-character id, a valid UID that is not a series of the source", () => {
    const digits = "12345678901234567890123456789012";
    throwsClean(() => resolveSubset({ series: { [digits]: "all" } }, source), /is not in the source image set/);
  });

  it("does not find Object.prototype members for keys like constructor or __proto__", () => {
    throwsClean(() => resolveSubset(JSON.parse('{"series":{"constructor":"all"}}'), source), /must be a DICOM UID/);
    throwsClean(() => resolveSubset(JSON.parse('{"series":{"__proto__":"all"}}'), source), /must be a DICOM UID/);
    const doc = documentOf({ [SERIES_CT]: { [CT_1]: 1 } });
    throwsClean(() => resolveSubset({ series: { [SERIES_CT]: ["0"] } }, doc), /instance "0" is not in series/);
  });

  it("refuses the unknown sentinel: create must only ever see real values", () => {
    throwsClean(() => resolveSubset({ series: { [SERIES_CT]: [UNKNOWN] } }, source), /unknown value/);
    throwsClean(() => resolveSubset({ series: { [UNKNOWN]: "all" } }, source), /unknown value/);
  });
});

describe("provider/copiable: buildCopiableAttributes", () => {
  it("produces the documented copiableAttributes JSON text", () => {
    const text = buildCopiableAttributes({ [SERIES_CT]: [CT_1, CT_2], [SERIES_SEG]: [SEG_1] });
    assert.equal(typeof text, "string");
    assert.equal(
      text,
      `{"SchemaVersion":"1.1","Study":{"Series":{"${SERIES_CT}":{"Instances":{"${CT_1}":{},"${CT_2}":{}}},"${SERIES_SEG}":{"Instances":{"${SEG_1}":{}}}}}}`,
    );
  });

  it("has exactly the schema's shape: SchemaVersion string, Study.Series keyed by SeriesInstanceUID, empty instance objects", () => {
    const parsed = JSON.parse(buildCopiableAttributes(resolveSubset({ series: { [SERIES_CT]: "all" } }, source)));
    assert.deepEqual(Object.keys(parsed), ["SchemaVersion", "Study"]);
    assert.equal(parsed.SchemaVersion, "1.1");
    assert.deepEqual(Object.keys(parsed.Study), ["Series"]);
    assert.deepEqual(Object.keys(parsed.Study.Series), [SERIES_CT]);
    assert.deepEqual(parsed.Study.Series[SERIES_CT], { Instances: { [CT_1]: {}, [CT_2]: {}, [CT_3]: {} } });
  });

  it("cannot be keyed by an image set id (Java sample)", () => {
    throwsClean(() => buildCopiableAttributes({ [IMAGE_SET_ID]: [CT_1] }), /Series key .*looks like a HealthImaging image set id/);
  });

  it('cannot be keyed by the literal "imageSetId" (Python/JS samples)', () => {
    throwsClean(() => buildCopiableAttributes({ imageSetId: [CT_1] }), /Series key .*literal "imageSetId"/);
  });

  it("refuses empty, malformed, repeated or unknown selections", () => {
    throwsClean(() => buildCopiableAttributes({}), /at least one series/);
    throwsClean(() => buildCopiableAttributes({ [SERIES_CT]: [] }), /at least one SOP Instance UID/);
    throwsClean(() => buildCopiableAttributes({ [SERIES_CT]: [CT_1, CT_1] }), /listed twice/);
    throwsClean(() => buildCopiableAttributes({ [SERIES_CT]: ["1.2.abc"] }), /SOP Instance UID must be a DICOM UID/);
    throwsClean(() => buildCopiableAttributes({ "1.2.3a": [CT_1] }), /Series key must be a DICOM UID/);
    throwsClean(() => buildCopiableAttributes({ [SERIES_CT]: [UNKNOWN] }), /unknown value/);
    throwsClean(() => buildCopiableAttributes({ [SERIES_CT]: [1 as unknown as string] }), /must be strings/);
  });

  it("refuses a document longer than the service accepts", () => {
    const many = Array.from({ length: 7000 }, (_, i) => `1.2.826.0.1.3680043.8.498.${10 ** 15 + i}`);
    throwsClean(() => buildCopiableAttributes({ [SERIES_CT]: many }), new RegExp(`more than the service's ${COPIABLE_ATTRIBUTES_MAX_CHARS}`));
    assert.ok(buildCopiableAttributes({ [SERIES_CT]: many.slice(0, 1000) }).length <= COPIABLE_ATTRIBUTES_MAX_CHARS);
  });
});

describe("provider/copiable: buildRemovableAttributes", () => {
  it("uses the UpdateImageSetMetadata removal shape with a numeric SchemaVersion", () => {
    assert.equal(buildRemovableAttributes({ [SERIES_CT]: [CT_2] }), `{"SchemaVersion":1.1,"Study":{"Series":{"${SERIES_CT}":{"Instances":{"${CT_2}":{}}}}}}`);
  });

  it("shares the builder's guards", () => {
    throwsClean(() => buildRemovableAttributes({ imageSetId: [CT_1] }), /literal "imageSetId"/);
    throwsClean(() => buildRemovableAttributes({}), /at least one series/);
  });

  it("keeps one batch when everything fits, and refuses a limit too small for one instance", () => {
    const resolved = { [SERIES_CT]: [CT_1, CT_2] };
    assert.deepEqual(buildRemovableAttributeBatches(resolved), [buildRemovableAttributes(resolved)]);
    throwsClean(() => buildRemovableAttributeBatches(resolved, 60), /cannot hold even one instance/);
  });
});

describe("provider/copiable: countFrames", () => {
  it("sums the frames of the chosen instances", () => {
    assert.equal(countFrames({ [SERIES_CT]: [CT_1, CT_2] }, source), 4);
    assert.equal(countFrames(resolveSubset(undefined, source), source), 45);
  });

  it("counts an instance without ImageFrames (e.g. a structured report) as zero frames", () => {
    const doc = documentOf({ [SERIES_CT]: { [CT_1]: undefined, [CT_2]: 2 } });
    assert.equal(countFrames(instancesOf(doc), doc), 2);
  });

  it("names what is missing", () => {
    throwsClean(() => countFrames({ "1.2.3": [CT_1] }, source), /series "1\.2\.3" is not in the source/);
    throwsClean(() => countFrames({ [SERIES_CT]: ["1.2.3"] }, source), /instance "1\.2\.3" is not in series/);
    throwsClean(() => countFrames(JSON.parse('{"constructor":["x"]}'), source), /series "constructor" is not in the source/);
    throwsClean(() => countFrames({ [SERIES_CT]: ["toString"] }, source), /instance "toString" is not in series/);
  });
});

// ---- property-based ----

const DICOM_UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
const uid = fc
  .array(fc.oneof(fc.constant("0"), fc.bigInt({ min: 1n, max: 10n ** 10n }).map(String)), { minLength: 2, maxLength: 7 })
  .map((parts) => parts.join("."))
  .filter((u) => u.length <= 64);

/** A document layout: distinct UIDs throughout, 1-4 series of 1-6 instances with 0-5 frames each. */
const layout = fc.uniqueArray(uid, { minLength: 30, maxLength: 30 }).chain((uids) =>
  fc.integer({ min: 1, max: 4 }).chain((seriesCount) =>
    fc.array(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 6 }), { minLength: seriesCount, maxLength: seriesCount }).map((series) => {
      const pool = uids.slice(seriesCount);
      let next = 0;
      const out: Record<string, Record<string, number>> = {};
      series.forEach((frames, s) => {
        out[uids[s]] = Object.fromEntries(frames.map((f) => [pool[next++], f]));
      });
      return out;
    }),
  ),
);

/** A document and a random subset of it: per series, skip it, "all", or a random non-empty pick. */
const documentAndSubset = layout.chain((shape) => {
  const seriesUids = Object.keys(shape);
  return fc
    .tuple(...seriesUids.map((s) => fc.oneof(fc.constant<"skip">("skip"), fc.constant<"all">("all"), fc.subarray(Object.keys(shape[s]), { minLength: 1 }))))
    .filter((choices) => choices.some((c) => c !== "skip"))
    .map((choices) => ({
      shape,
      subset: {
        series: Object.fromEntries(seriesUids.flatMap((s, i) => (choices[i] === "skip" ? [] : [[s, choices[i]]]))) as Record<string, "all" | string[]>,
      },
    }));
});

describe("provider/copiable: properties", () => {
  it("resolves within the source, expands all to the whole series, and counts frames", () => {
    fc.assert(
      fc.property(documentAndSubset, ({ shape, subset }) => {
        const doc = documentOf(shape);
        const resolved = resolveSubset(subset, doc);
        assert.deepEqual(Object.keys(resolved), Object.keys(subset.series));
        let frames = 0;
        for (const [s, chosen] of Object.entries(resolved)) {
          const selection = subset.series[s];
          assert.deepEqual(chosen, selection === "all" ? Object.keys(shape[s]) : selection);
          for (const i of chosen) frames += shape[s][i];
        }
        assert.equal(countFrames(resolved, doc), frames);
      }),
    );
  });

  it("builds copiableAttributes that name exactly the resolved instances under real series UIDs", () => {
    fc.assert(
      fc.property(documentAndSubset, ({ shape, subset }) => {
        const doc = documentOf(shape);
        const resolved = resolveSubset(subset, doc);
        const parsed = JSON.parse(buildCopiableAttributes(resolved));
        assert.equal(parsed.SchemaVersion, "1.1");
        const named: InstancesBySeries = {};
        for (const [s, series] of Object.entries(parsed.Study.Series as Record<string, { Instances: Record<string, unknown> }>)) {
          assert.ok(Object.hasOwn(doc.Study.Series, s), "series key not from the source");
          assert.ok(DICOM_UID.test(s));
          for (const value of Object.values(series.Instances)) assert.deepEqual(value, {});
          named[s] = Object.keys(series.Instances);
        }
        // JSON object key order may differ for integer-like keys; compare as sets.
        assert.deepEqual(new Set(Object.keys(named)), new Set(Object.keys(resolved)));
        for (const s of Object.keys(resolved)) assert.deepEqual(new Set(named[s]), new Set(resolved[s]));
      }),
    );
  });

  it("only ever emits Series keys that are DICOM UIDs without letters, whatever keys it is given", () => {
    const key = fc.oneof(uid, fc.string({ maxLength: 40 }), fc.stringMatching(/^[0-9a-f]{32}$/), fc.constant("imageSetId"));
    fc.assert(
      fc.property(fc.dictionary(key, fc.array(fc.oneof(uid, fc.string()), { maxLength: 3 })), (resolved) => {
        let text: string;
        try {
          text = buildCopiableAttributes(resolved);
        } catch (error) {
          assert.ok(error instanceof Error);
          return;
        }
        for (const s of Object.keys(JSON.parse(text).Study.Series)) {
          assert.ok(DICOM_UID.test(s) && s.length <= 64 && !/[a-z]/i.test(s), s);
          assert.notEqual(s, "imageSetId");
        }
      }),
      { numRuns: 500 },
    );
  });

  it("splits a removal into batches whose encoded request body (base64 blob in the JSON body) stays within the payload limit, together removing exactly the selection", () => {
    fc.assert(
      fc.property(layout, fc.integer({ min: 900, max: 12_000 }), (shape, maxBytes) => {
        const resolved = instancesOf(documentOf(shape));
        const batches = buildRemovableAttributeBatches(resolved, maxBytes);
        const removed: InstancesBySeries = {};
        for (const batch of batches) {
          // what the SDK sends: the blob base64-encoded inside the request's JSON body
          const body = JSON.stringify({
            latestVersionId: "123456",
            updateImageSetMetadataUpdates: { DICOMUpdates: { removableAttributes: Buffer.from(batch).toString("base64") } },
          });
          assert.ok(Buffer.byteLength(body) <= maxBytes, `${Buffer.byteLength(body)} > ${maxBytes}`);
          const parsed = JSON.parse(batch);
          assert.equal(parsed.SchemaVersion, 1.1);
          for (const [s, series] of Object.entries(parsed.Study.Series as Record<string, { Instances: Record<string, unknown> }>)) {
            (removed[s] ??= []).push(...Object.keys(series.Instances));
          }
        }
        assert.deepEqual(new Set(Object.keys(removed)), new Set(Object.keys(resolved)));
        for (const s of Object.keys(resolved)) assert.deepEqual(removed[s].slice().sort(), resolved[s].slice().sort());
      }),
    );
  });
});
