import assert from "node:assert/strict";
import fc from "fast-check";
import { UNKNOWN, containsUnknown, isUnknown } from "../../provider/resource/types";
import { type CheckFailure, parseDuration, validateInputs } from "../../provider/lifecycle/check";

const DATASTORE = "5bb1dcedf7c14ece969d7fe73c5b87a1";
const SOURCE = "3a19e171a2a4f56dd78abf493bd07bda";
const DEST = "0123456789abcdef0123456789abcdef";
const SERIES_A = "1.3.6.1.4.1.5962.1.3.0.0.1.3";
const SERIES_B = "1.3.6.1.4.1.5962.1.3.0.0.1.4";
const SOP_1 = "1.3.6.1.4.1.5962.1.1.0.0.1.1";
const SOP_2 = "1.3.6.1.4.1.5962.1.1.0.0.1.2";

const minimal = () => ({ datastoreId: DATASTORE, sourceImageSetId: SOURCE });
const full = () => ({
  datastoreId: DATASTORE,
  sourceImageSetId: SOURCE,
  sourceVersionId: "1",
  subset: { series: { [SERIES_A]: "all", [SERIES_B]: [SOP_1, SOP_2] } },
  destination: { imageSetId: DEST, versionId: "3" },
  force: true,
  promoteToPrimary: false,
  timeouts: { create: "30m", update: "1h30m", delete: "90s" },
  region: "eu-west-1",
  endpoint: "http://127.0.0.1:4566",
});

function failuresOf(news: unknown): CheckFailure[] {
  return validateInputs(news).failures;
}

/** The single failure for property, asserting there is exactly one failure overall. */
function onlyFailure(news: unknown): CheckFailure {
  const failures = failuresOf(news);
  assert.equal(failures.length, 1, `expected one failure, got ${JSON.stringify(failures)}`);
  return failures[0];
}

describe("provider/validate: validateInputs", () => {
  describe("valid inputs", () => {
    it("accepts the minimal inputs unchanged", () => {
      const result = validateInputs(minimal());
      assert.deepEqual(result.failures, []);
      assert.deepEqual(result.inputs, minimal());
    });

    it("accepts every property set", () => {
      const result = validateInputs(full());
      assert.deepEqual(result.failures, []);
      assert.deepEqual(result.inputs, full());
    });

    it("preserves __provider and does not treat it as a typo", () => {
      const result = validateInputs({ ...minimal(), __provider: "exports.handler = ..." });
      assert.deepEqual(result.failures, []);
      assert.equal((result.inputs as unknown as Record<string, unknown>).__provider, "exports.handler = ...");
    });

    it("treats null optional properties as unset and drops them", () => {
      const result = validateInputs({ ...minimal(), subset: null, destination: null, region: null });
      assert.deepEqual(result.failures, []);
      assert.deepEqual(result.inputs, minimal());
    });

    it("does not modify the object it is given", () => {
      const news = { ...minimal(), sourceVersionId: 2, destination: { imageSetId: DEST, versionId: 7 } };
      const snapshot = structuredClone(news);
      validateInputs(news);
      assert.deepEqual(news, snapshot);
    });
  });

  describe("required ids", () => {
    it("requires datastoreId and sourceImageSetId", () => {
      const failures = failuresOf({});
      assert.deepEqual(failures, [
        { property: "datastoreId", reason: "is required" },
        { property: "sourceImageSetId", reason: "is required" },
      ]);
    });

    it("names the rule and quotes the bad id", () => {
      assert.deepEqual(onlyFailure({ ...minimal(), datastoreId: "abc" }), {
        property: "datastoreId",
        reason: 'must be 32 lowercase letters or digits (HealthImaging id), got "abc"',
      });
    });

    for (const bad of [SOURCE.toUpperCase(), `${SOURCE}0`, SOURCE.slice(1), "", `${SOURCE.slice(0, 31)}-`]) {
      it(`rejects sourceImageSetId ${JSON.stringify(bad)}`, () => {
        const failure = onlyFailure({ ...minimal(), sourceImageSetId: bad });
        assert.equal(failure.property, "sourceImageSetId");
        assert.match(failure.reason, /^must be 32 lowercase letters or digits \(HealthImaging id\), got /);
      });
    }

    it("rejects a non-string id by type without dumping it", () => {
      assert.equal(onlyFailure({ ...minimal(), datastoreId: 12 }).reason, "must be 32 lowercase letters or digits (HealthImaging id), got number 12");
      assert.match(onlyFailure({ ...minimal(), datastoreId: { secret: "x" } }).reason, /got an object$/);
    });
  });

  describe("version ids", () => {
    it("normalises a whole number to its string form", () => {
      const result = validateInputs({ ...minimal(), sourceVersionId: 4, destination: { imageSetId: DEST, versionId: 12 } });
      assert.deepEqual(result.failures, []);
      assert.equal(result.inputs.sourceVersionId, "4");
      assert.equal(result.inputs.destination?.versionId, "12");
    });

    for (const bad of ["0", "01", "v1", "1.0", "", " 1", -1, 0, 1.5, Number.MAX_SAFE_INTEGER + 2, true]) {
      it(`rejects sourceVersionId ${JSON.stringify(bad)}`, () => {
        const failure = onlyFailure({ ...minimal(), sourceVersionId: bad });
        assert.equal(failure.property, "sourceVersionId");
        assert.match(failure.reason, /^must be a version id: a whole number from 1/);
      });
    }

    it("uses the dotted path for the destination version", () => {
      const failure = onlyFailure({ ...minimal(), destination: { imageSetId: DEST, versionId: "latest" } });
      assert.equal(failure.property, "destination.versionId");
      assert.match(failure.reason, /got "latest"$/);
    });
  });

  describe("subset", () => {
    const withSeries = (series: unknown) => ({ ...minimal(), subset: { series } });

    it("requires at least one series", () => {
      assert.deepEqual(onlyFailure(withSeries({})), {
        property: "subset.series",
        reason: "must name at least one series (omit subset to copy everything)",
      });
    });

    it("requires subset.series when subset is set", () => {
      assert.equal(onlyFailure({ ...minimal(), subset: {} }).property, "subset.series");
      assert.equal(onlyFailure({ ...minimal(), subset: [] }).property, "subset");
      assert.equal(onlyFailure(withSeries([SERIES_A])).property, "subset.series");
    });

    it("points at the bad instance with a bracketed path", () => {
      assert.deepEqual(onlyFailure(withSeries({ "1.2.3": [SOP_1, "1.02.3"] })), {
        property: 'subset.series["1.2.3"][1]',
        reason: 'must be a DICOM UID (digits and dots, no leading zeros in a component, e.g. "1.2.840.10008"), got "1.02.3"',
      });
    });

    it("rejects UIDs longer than 64 characters and accepts exactly 64", () => {
      const uid64 = `1.${"2".repeat(62)}`;
      assert.equal(uid64.length, 64);
      assert.deepEqual(failuresOf(withSeries({ [SERIES_A]: [uid64] })), []);
      const failure = onlyFailure(withSeries({ [SERIES_A]: [`${uid64}3`] }));
      assert.equal(failure.property, `subset.series["${SERIES_A}"][0]`);
      assert.match(failure.reason, /at most 64 characters, got 65 characters/);
    });

    for (const bad of ["", "1..2", ".1", "1.", "1.2a", "01.2", "1.2.3 ", "１.2"]) {
      it(`rejects the series key ${JSON.stringify(bad)}`, () => {
        const failure = onlyFailure(withSeries({ [bad]: "all" }));
        assert.equal(failure.property, `subset.series[${JSON.stringify(bad)}]`);
        assert.match(failure.reason, /^must be a DICOM UID/);
      });
    }

    it("names the AWS sample bug when a series is keyed by an image set id", () => {
      const failure = onlyFailure(withSeries({ [SOURCE]: [SOP_1] }));
      assert.equal(failure.property, `subset.series["${SOURCE}"]`);
      assert.match(failure.reason, /looks like a HealthImaging image set id \(the bug in AWS's CopyImageSet samples\)/);
    });

    it('names the AWS sample bug when a series is keyed by the literal "imageSetId"', () => {
      const failure = onlyFailure(withSeries({ imageSetId: [SOP_1] }));
      assert.equal(failure.property, "subset.series.imageSetId");
      assert.match(failure.reason, /the literal "imageSetId"/);
    });

    it("rejects a series keyed by an all-digit source image set id (a valid UID syntactically)", () => {
      const digitsSource = "12345678901234567890123456789012";
      const failure = onlyFailure({ ...minimal(), sourceImageSetId: digitsSource, subset: { series: { [digitsSource]: "all" } } });
      assert.equal(failure.property, `subset.series["${digitsSource}"]`);
      assert.match(failure.reason, /is the source image set id/);
    });

    it('accepts only "all" or a list as a selection', () => {
      assert.match(onlyFailure(withSeries({ [SERIES_A]: "ALL" })).reason, /^must be "all" or a non-empty list of SOP Instance UIDs, got "ALL"$/);
      assert.match(onlyFailure(withSeries({ [SERIES_A]: SOP_1 })).reason, /wrap a single UID in a list/);
      assert.match(onlyFailure(withSeries({ [SERIES_A]: [] })).reason, /got an empty list/);
      assert.match(onlyFailure(withSeries({ [SERIES_A]: 3 })).reason, /got number 3$/);
      assert.match(onlyFailure(withSeries({ [SERIES_A]: [7] })).reason, /^must be a SOP Instance UID string, got number 7$/);
    });

    it("rejects a repeated instance at its second position", () => {
      const failure = onlyFailure(withSeries({ [SERIES_A]: [SOP_1, SOP_2, SOP_1] }));
      assert.equal(failure.property, `subset.series["${SERIES_A}"][2]`);
      assert.match(failure.reason, /must not repeat an instance.*first at index 0/);
    });

    it("rejects an instance UID equal to its series UID", () => {
      const failure = onlyFailure(withSeries({ [SERIES_A]: [SERIES_A] }));
      assert.equal(failure.property, `subset.series["${SERIES_A}"][0]`);
      assert.match(failure.reason, /which is the SeriesInstanceUID it is listed under/);
    });

    it("rejects one instance listed under two series without naming the other series", () => {
      const failure = onlyFailure(withSeries({ [SERIES_A]: [SOP_1], [SERIES_B]: [SOP_2, SOP_1] }));
      assert.equal(failure.property, `subset.series["${SERIES_B}"][1]`);
      assert.match(failure.reason, /also listed under another series/);
      assert.ok(!failure.reason.includes(SERIES_A));
    });

    it("rejects unknown keys in subset with a suggestion", () => {
      const failure = onlyFailure({ ...minimal(), subset: { series: { [SERIES_A]: "all" }, serie: {} } });
      assert.deepEqual(failure, { property: "subset.serie", reason: 'is not a known property; did you mean "series"?' });
    });
  });

  describe("destination", () => {
    it("requires both members", () => {
      assert.deepEqual(failuresOf({ ...minimal(), destination: {} }), [
        { property: "destination.imageSetId", reason: "is required when destination is set" },
        { property: "destination.versionId", reason: "is required when destination is set (the image set's current latest version)" },
      ]);
      assert.equal(onlyFailure({ ...minimal(), destination: { imageSetId: DEST } }).property, "destination.versionId");
    });

    it("must differ from the source, without quoting either id", () => {
      const failure = onlyFailure({ ...minimal(), destination: { imageSetId: SOURCE, versionId: "1" } });
      assert.equal(failure.property, "destination.imageSetId");
      assert.match(failure.reason, /must differ from sourceImageSetId/);
      assert.ok(!failure.reason.includes(SOURCE));
    });

    it("cannot be combined with promoteToPrimary", () => {
      const failure = onlyFailure({ ...minimal(), destination: { imageSetId: DEST, versionId: "1" }, promoteToPrimary: true });
      assert.equal(failure.property, "promoteToPrimary");
      assert.match(failure.reason, /promotion creates a new primary image set \(new id\)/);
      assert.deepEqual(failuresOf({ ...minimal(), destination: { imageSetId: DEST, versionId: "1" }, promoteToPrimary: false }), []);
      assert.deepEqual(failuresOf({ ...minimal(), promoteToPrimary: true }), []);
    });

    it("rejects a non-object and unknown members", () => {
      assert.equal(onlyFailure({ ...minimal(), destination: DEST }).property, "destination");
      const failure = onlyFailure({ ...minimal(), destination: { imageSetId: DEST, versionId: "1", versionID: "1" } });
      assert.deepEqual(failure, { property: "destination.versionID", reason: 'is not a known property; did you mean "versionId"?' });
    });
  });

  describe("booleans, region, endpoint", () => {
    it("accepts only booleans for force and promoteToPrimary", () => {
      assert.deepEqual(onlyFailure({ ...minimal(), force: "true" }), { property: "force", reason: 'must be true or false, got "true"' });
      assert.equal(onlyFailure({ ...minimal(), promoteToPrimary: 1 }).property, "promoteToPrimary");
    });

    for (const region of ["us-east-1", "ap-southeast-2", "us-gov-west-1", "cn-north-1", "us-isob-east-1", "eusc-de-east-1", "il-central-1"]) {
      it(`accepts region ${region}`, () => assert.deepEqual(failuresOf({ ...minimal(), region }), []));
    }
    for (const region of ["US-EAST-1", "us-east", "useast1", "us_east_1", "", "us-east-1 "]) {
      it(`rejects region ${JSON.stringify(region)}`, () => assert.equal(onlyFailure({ ...minimal(), region }).property, "region"));
    }

    it("accepts http and https endpoints", () => {
      for (const endpoint of ["http://localhost:4566", "https://medical-imaging.us-east-1.amazonaws.com", "http://127.0.0.1:8080/base"]) {
        assert.deepEqual(failuresOf({ ...minimal(), endpoint }), [], endpoint);
      }
    });

    it("rejects other endpoints", () => {
      for (const endpoint of ["ftp://example.com", "not a url", "localhost:4566", "https://example.com/?a=1", "https://example.com/#x", 4566]) {
        assert.equal(onlyFailure({ ...minimal(), endpoint }).property, "endpoint", String(endpoint));
      }
    });

    it("never echoes credentials embedded in an endpoint", () => {
      const failure = onlyFailure({ ...minimal(), endpoint: "https://alice:hunter2@example.com" });
      assert.equal(failure.property, "endpoint");
      assert.ok(!failure.reason.includes("hunter2"));
      assert.ok(!failure.reason.includes("alice"));
    });
  });

  describe("timeouts", () => {
    it("accepts Go-style durations", () => {
      for (const create of ["90s", "30m", "1h30m", "500ms", "24h", "1.5h"]) {
        assert.deepEqual(failuresOf({ ...minimal(), timeouts: { create } }), [], create);
      }
    });

    it("rejects malformed, zero, negative and over-long durations", () => {
      const cases: [unknown, RegExp][] = [
        ["30", /^must be a duration such as/],
        ["thirty minutes", /^must be a duration such as/],
        ["", /^must be a duration such as/],
        ["0s", /^must be more than 0 and at most 24h, got "0s"$/],
        ["0", /^must be more than 0 and at most 24h/],
        ["-5m", /^must be more than 0 and at most 24h/],
        ["24h1s", /^must be more than 0 and at most 24h/],
        [1800, /^must be a duration string such as "30m" or "1h30m", got number 1800$/],
      ];
      for (const [update, reason] of cases) {
        const failure = onlyFailure({ ...minimal(), timeouts: { update } });
        assert.equal(failure.property, "timeouts.update");
        assert.match(failure.reason, reason, String(update));
      }
    });

    it("rejects unknown timeout names with a suggestion", () => {
      assert.deepEqual(onlyFailure({ ...minimal(), timeouts: { craete: "1m" } }), {
        property: "timeouts.craete",
        reason: 'is not a known property; did you mean "create"?',
      });
      assert.equal(onlyFailure({ ...minimal(), timeouts: "30m" }).property, "timeouts");
    });
  });

  describe("writeRate", () => {
    it("accepts calls per second by operation, and the unknown placeholder of a preview", () => {
      assert.deepEqual(failuresOf({ ...minimal(), writeRate: { copyImageSet: 5, updateImageSetMetadata: 10, deleteImageSet: 0.25 } }), []);
      assert.deepEqual(failuresOf({ ...minimal(), writeRate: { copyImageSet: UNKNOWN } }), []);
    });

    it("rejects zero, negative, huge and non-numbers, unknown operations (with a suggestion) and a bare number", () => {
      const cases: [unknown, RegExp][] = [
        [0, /^must be more than 0 and at most 1000 calls per second, got 0$/],
        [-1, /^must be more than 0/],
        [5000, /^must be more than 0 and at most 1000/],
        ["5", /^must be a number of calls per second such as 0.25 or 5, got "5"$/],
      ];
      for (const [copyImageSet, reason] of cases) {
        const failure = onlyFailure({ ...minimal(), writeRate: { copyImageSet } });
        assert.equal(failure.property, "writeRate.copyImageSet");
        assert.match(failure.reason, reason, String(copyImageSet));
      }
      assert.deepEqual(onlyFailure({ ...minimal(), writeRate: { CopyImageSet: 5 } }), {
        property: "writeRate.CopyImageSet",
        reason: 'is not a known property; did you mean "copyImageSet"?',
      });
      assert.match(onlyFailure({ ...minimal(), writeRate: 5 }).reason, /^must be an object of calls per second by operation like \{ copyImageSet: 5 \}/);
    });

    it("names a rate variable of the environment that is not a number", () => {
      const saved = process.env.PULUMI_HEALTHIMAGING_COPY_TPS;
      process.env.PULUMI_HEALTHIMAGING_COPY_TPS = "fast";
      try {
        assert.deepEqual(onlyFailure(minimal()), {
          property: "environment",
          reason: 'PULUMI_HEALTHIMAGING_COPY_TPS: must be a number of calls per second such as 0.25 or 5, got "fast"',
        });
      } finally {
        if (saved === undefined) delete process.env.PULUMI_HEALTHIMAGING_COPY_TPS;
        else process.env.PULUMI_HEALTHIMAGING_COPY_TPS = saved;
      }
    });
  });

  describe("typo protection", () => {
    it("suggests the closest known property", () => {
      assert.deepEqual(onlyFailure({ ...minimal(), sourceVersion: "1" }), {
        property: "sourceVersion",
        reason: 'is not a known property; did you mean "sourceVersionId"?',
      });
      assert.match(onlyFailure({ ...minimal(), promoteToPrimay: true }).reason, /did you mean "promoteToPrimary"\?/);
    });

    it("suggests the right case for a mis-cased property", () => {
      const failures = failuresOf({ datastoreID: DATASTORE, sourceImageSetId: SOURCE });
      assert.deepEqual(failures, [
        { property: "datastoreID", reason: 'is not a known property; did you mean "datastoreId"?' },
        { property: "datastoreId", reason: "is required" },
      ]);
    });

    it("lists the known properties when nothing is close", () => {
      const failure = onlyFailure({ ...minimal(), "completely unrelated": 1 });
      assert.equal(failure.property, '["completely unrelated"]');
      assert.match(failure.reason, /known properties: datastoreId, sourceImageSetId, .*endpoint, ownerTag$/);
    });
  });

  describe("the unknown sentinel (preview)", () => {
    it("is tolerated in every top-level property", () => {
      const news = Object.fromEntries(Object.keys(full()).map((k) => [k, UNKNOWN]));
      assert.deepEqual(failuresOf(news), []);
    });

    it("is tolerated inside subset, destination and timeouts", () => {
      const news = {
        ...minimal(),
        subset: { series: { [SERIES_A]: UNKNOWN, [SERIES_B]: [SOP_1, UNKNOWN, UNKNOWN], [UNKNOWN]: "all" } },
        destination: { imageSetId: UNKNOWN, versionId: UNKNOWN },
        timeouts: { create: UNKNOWN },
        promoteToPrimary: UNKNOWN,
      };
      assert.deepEqual(failuresOf(news), []);
      assert.deepEqual(failuresOf({ ...minimal(), subset: { series: UNKNOWN } }), []);
    });

    it("skips cross-field rules that depend on an unknown value", () => {
      assert.deepEqual(failuresOf({ ...minimal(), destination: UNKNOWN, promoteToPrimary: true }), []);
      assert.deepEqual(failuresOf({ ...minimal(), sourceImageSetId: UNKNOWN, destination: { imageSetId: DEST, versionId: "1" } }), []);
    });

    it("still reports the known values next to unknown ones", () => {
      const failure = onlyFailure({ ...minimal(), datastoreId: UNKNOWN, sourceImageSetId: "nope" });
      assert.equal(failure.property, "sourceImageSetId");
    });

    it("is recognised by isUnknown and containsUnknown", () => {
      assert.ok(isUnknown(UNKNOWN));
      assert.ok(!isUnknown(UNKNOWN.toUpperCase()));
      assert.ok(containsUnknown({ a: [{ b: UNKNOWN }] }));
      assert.ok(containsUnknown({ [UNKNOWN]: 1 }));
      assert.ok(!containsUnknown(full()));
    });
  });

  it("reports a non-object as a failure rather than throwing", () => {
    for (const news of [null, undefined, "x", 3, [minimal()]]) {
      const failures = failuresOf(news);
      assert.equal(failures.length, 1);
      assert.equal(failures[0].property, "inputs");
    }
  });
});

describe("provider/validate: parseDuration", () => {
  const cases: [string, number][] = [
    ["90s", 90_000],
    ["30m", 1_800_000],
    ["1h30m", 5_400_000],
    ["500ms", 500],
    ["1.5h", 5_400_000],
    [".5s", 500],
    ["2h45m30.5s", 9_930_500],
    ["1500us", 1.5],
    ["1500µs", 1.5],
    ["2000000ns", 2],
    ["0", 0],
    ["-1m", -60_000],
    ["+1m", 60_000],
  ];
  for (const [text, ms] of cases) {
    it(`parses ${text} as ${ms} ms`, () => assert.equal(parseDuration(text), ms));
  }

  for (const bad of ["", "30", "h", "1x", "1h 30m", " 1h", "1H", "1.h.5", "--1m", "1e3s", "+", "."]) {
    it(`throws on ${JSON.stringify(bad)}`, () => assert.throws(() => parseDuration(bad), /duration/));
  }
});

// ---- property-based ----

const HEALTHIMAGING_ID = /^[0-9a-z]{32}$/;
const UID = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;
const TOP_LEVEL = Object.keys(full());

const validId = fc.stringMatching(HEALTHIMAGING_ID);
const component = fc.oneof(fc.constant("0"), fc.bigInt({ min: 1n, max: 10n ** 12n }).map(String));
const validUid = fc
  .array(component, { minLength: 1, maxLength: 8 })
  .map((parts) => parts.join("."))
  .filter((u) => u.length <= 64);
const validVersion = fc.oneof(fc.integer({ min: 1, max: 1_000_000 }).map(String), fc.integer({ min: 1, max: 1_000_000 }));
const validDuration = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }), fc.integer({ min: 1, max: 59 }))
  .map(([h, m, s]) => `${h}h${m}m${s}s`);

const validSubset = fc.uniqueArray(validUid, { minLength: 1, maxLength: 4 }).chain((seriesUids) =>
  fc
    .uniqueArray(
      validUid.filter((u) => !seriesUids.includes(u)),
      { minLength: seriesUids.length * 3, maxLength: seriesUids.length * 3 },
    )
    .chain((instanceUids) =>
      fc.tuple(...seriesUids.map(() => fc.boolean())).map((useAll) => ({
        series: Object.fromEntries(seriesUids.map((s, i) => [s, useAll[i] ? "all" : instanceUids.slice(i * 3, i * 3 + 1 + (i % 3))])),
      })),
    ),
);

const validInputs = fc
  .record(
    {
      datastoreId: validId,
      sourceImageSetId: validId,
      sourceVersionId: validVersion,
      subset: validSubset,
      destination: fc.record({ imageSetId: validId, versionId: validVersion }),
      force: fc.boolean(),
      promoteToPrimary: fc.constant(false),
      timeouts: fc.record({ create: validDuration, update: validDuration, delete: validDuration }, { requiredKeys: [] }),
      region: fc.constantFrom("us-east-1", "eu-central-1", "ap-southeast-2", "us-gov-west-1"),
      endpoint: fc.constantFrom("http://localhost:4566", "https://medical-imaging.us-east-1.amazonaws.com"),
    },
    { requiredKeys: ["datastoreId", "sourceImageSetId"] },
  )
  .filter((inputs) => inputs.destination === undefined || inputs.destination.imageSetId !== inputs.sourceImageSetId);

function wellFormed(failures: CheckFailure[]): void {
  assert.ok(Array.isArray(failures));
  for (const failure of failures) {
    assert.equal(typeof failure.property, "string");
    assert.ok(failure.property.length > 0, "failure without a property");
    assert.equal(typeof failure.reason, "string");
    assert.ok(failure.reason.length > 0, "failure without a reason");
  }
}

/** Whether a failure path starts at the given top-level key (`key`, `key.x`, `key[...]`, or `["odd key"]...`). */
function isRootedAt(property: string, key: string): boolean {
  const root = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  return property === root || property.startsWith(`${root}.`) || property.startsWith(`${root}[`);
}

describe("provider/validate: properties", () => {
  it("never throws and always names the property, whatever it is given", () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (news) => {
        wellFormed(validateInputs(news).failures);
      }),
      { numRuns: 500 },
    );
  });

  it("never throws on junk objects with known and unknown keys, and roots every failure in a given key", () => {
    const key = fc.oneof(fc.constantFrom(...TOP_LEVEL, "__provider", "subset", "destination"), fc.string({ maxLength: 12 }));
    const junkValue = fc.oneof(
      fc.anything(),
      fc.constant(UNKNOWN),
      fc.dictionary(fc.oneof(fc.string(), validUid, fc.constantFrom("series", "imageSetId", "versionId", "create")), fc.anything()),
      fc.record({
        series: fc.dictionary(
          fc.oneof(validUid, fc.string()),
          fc.oneof(fc.constant("all"), fc.array(fc.oneof(validUid, fc.string(), fc.anything())), fc.anything()),
        ),
      }),
    );
    fc.assert(
      fc.property(fc.dictionary(key, junkValue), (news) => {
        const { failures } = validateInputs(news);
        wellFormed(failures);
        const keys = new Set([...Object.keys(news), "datastoreId", "sourceImageSetId"]);
        for (const failure of failures) {
          assert.ok(
            [...keys].some((k) => isRootedAt(failure.property, k)),
            `unrooted property ${failure.property}`,
          );
        }
      }),
      { numRuns: 500 },
    );
  });

  it("accepts every well-formed input, and checking the checked inputs again changes nothing", () => {
    fc.assert(
      fc.property(validInputs, (news) => {
        const first = validateInputs(news);
        assert.deepEqual(first.failures, []);
        const second = validateInputs(first.inputs);
        assert.deepEqual(second.failures, []);
        assert.deepEqual(second.inputs, first.inputs);
        if (first.inputs.sourceVersionId !== undefined) assert.equal(typeof first.inputs.sourceVersionId, "string");
      }),
      { numRuns: 300 },
    );
  });

  it("rejects an id exactly when it is not 32 lowercase letters or digits", () => {
    const candidate = fc.oneof(
      fc.string({ maxLength: 40 }),
      validId,
      validId.map((id) => id.toUpperCase()),
      validId.map((id) => id.slice(1)),
      validId.map((id) => `${id}a`),
    );
    fc.assert(
      fc.property(candidate, (id) => {
        fc.pre(!isUnknown(id));
        const failures = failuresOf({ datastoreId: id, sourceImageSetId: SOURCE });
        assert.equal(failures.length > 0, !HEALTHIMAGING_ID.test(id));
        for (const failure of failures) assert.equal(failure.property, "datastoreId");
      }),
    );
  });

  it("accepts a version exactly when it is a whole number from 1, and returns it as a string", () => {
    const candidate = fc.oneof(
      fc.string({ maxLength: 8 }),
      fc.string({ unit: fc.constantFrom("0", "1", "9", "."), maxLength: 6 }),
      fc.integer(),
      fc.double(),
      validVersion,
    );
    fc.assert(
      fc.property(candidate, (version) => {
        const { inputs, failures } = validateInputs({ ...minimal(), sourceVersionId: version });
        const ok = typeof version === "number" ? Number.isSafeInteger(version) && version >= 1 : /^[1-9]\d*$/.test(version);
        assert.equal(failures.length === 0, ok, JSON.stringify(failures));
        if (ok) assert.equal(inputs.sourceVersionId, String(version));
        else assert.equal(failures[0].property, "sourceVersionId");
      }),
    );
  });

  it("accepts an instance UID exactly when it is a DICOM UID of at most 64 characters", () => {
    const candidate = fc.oneof(fc.string({ unit: fc.constantFrom("0", "1", "2", "."), maxLength: 70 }), validUid, fc.string({ maxLength: 10 }));
    fc.assert(
      fc.property(candidate, (uid) => {
        fc.pre(uid !== SERIES_A && !isUnknown(uid));
        const failures = failuresOf({ ...minimal(), subset: { series: { [SERIES_A]: [uid] } } });
        const ok = uid.length <= 64 && UID.test(uid);
        assert.equal(failures.length === 0, ok);
        if (!ok)
          assert.deepEqual(
            failures.map((f) => f.property),
            [`subset.series["${SERIES_A}"][0]`],
          );
      }),
    );
  });

  it("quotes only the offending value: other inputs never appear in a reason", () => {
    const corrupt = fc.constantFrom("datastoreId", "sourceVersionId", "region", "endpoint", "force", "timeouts");
    fc.assert(
      fc.property(validInputs, corrupt, fc.string({ minLength: 1, maxLength: 12 }), (news, field, junk) => {
        const broken: Record<string, unknown> = { ...news, [field]: field === "timeouts" ? { create: junk } : junk };
        const failures = failuresOf(broken);
        // Long values only: a short UID like "1" occurs in any text by chance.
        const others = [
          field === "datastoreId" ? undefined : news.datastoreId,
          news.sourceImageSetId,
          news.destination?.imageSetId,
          ...Object.keys(news.subset?.series ?? {}),
        ].filter((v): v is string => typeof v === "string" && v.length >= 12 && !junk.includes(v));
        for (const failure of failures) {
          for (const other of others) assert.ok(!failure.reason.includes(other), `${failure.property}: ${failure.reason}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
