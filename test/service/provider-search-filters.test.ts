// One SearchImageSets filter on the wire. AWS's developer guide says the action "accepts a single
// search query parameter" (https://docs.aws.amazon.com/healthimaging/latest/devguide/search-image-sets.html),
// the model's SearchCriteria.filters allows 1-2: the dataset's series finder
// (provider/dataset/resolve.ts) and findImageSets (provider/resource/lookups.ts) send exactly one,
// the most selective (series UID > study UID > study-date range > isPrimary alone), and compare
// the rest on the summaries. A middleware on the provider's own client records the filters of
// every SearchImageSets call; the results are checked against the seeded data and against the
// two-filter searches the code used to send (the local service accepts both).

import assert from "node:assert/strict";
import { type MedicalImagingClient, paginateSearchImageSets, type SearchImageSetsCommandInput } from "@aws-sdk/client-medical-imaging";
import { SeriesFinder } from "../../provider/dataset/resolve";
import type { Selection } from "../../provider/dataset/manifest";
import { findImageSets } from "../../provider/resource/lookups";
import { imagingClient } from "../../provider/service/client";
import { multiSeriesCopy, type Seeded, SERIES, STUDIES, startSeeded } from "../support/seeded";

type Filters = NonNullable<NonNullable<SearchImageSetsCommandInput["searchCriteria"]>["filters"]>;

describe("provider: one SearchImageSets filter on the wire", function () {
  this.timeout(120_000);
  let s: Seeded;
  let target: { datastoreId: string; region: string; endpoint: string };
  let client: MedicalImagingClient;
  /** the filters of every SearchImageSets call the provider's client made */
  const sent: Filters[] = [];
  const saved: Record<string, string | undefined> = {};
  /** a non-primary image set holding series ct4 and ct5 whole (no series UID in its summary) */
  let copy: string;

  before(async () => {
    s = await startSeeded({ profile: "fast" });
    target = { datastoreId: s.datastoreId, region: s.emu.credentials.region, endpoint: s.emu.endpoint };
    for (const [k, v] of Object.entries({ AWS_ACCESS_KEY_ID: s.emu.credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: s.emu.credentials.secretAccessKey })) {
      saved[k] = process.env[k];
      process.env[k] = v;
    }
    client = imagingClient(target);
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === "SearchImageSetsCommand") sent.push((args.input as SearchImageSetsCommandInput).searchCriteria?.filters ?? []);
        return next(args);
      },
      { step: "initialize", name: "recordSearchFilters" },
    );
    copy = await multiSeriesCopy(s, [SERIES.ct4, SERIES.ct5]);
  });
  after(async () => {
    client?.middlewareStack.remove("recordSearchFilters");
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await s?.stop();
  });
  beforeEach(() => {
    sent.length = 0;
  });

  /** every call sent exactly one filter; returns the member each one filtered on */
  const oneFilterEach = (): string[] => {
    assert.ok(sent.length > 0, "SearchImageSets was called");
    for (const f of sent) assert.equal(f.length, 1, `one filter per call, got ${JSON.stringify(f)}`);
    return sent.map((f) => Object.keys(f[0].values?.[0] ?? {})[0]);
  };

  /** what the raw SDK finds with these filters (one or two), all pages */
  const raw = async (filters: Filters) => {
    const out = [];
    for await (const page of paginateSearchImageSets({ client: s.client, pageSize: 50 }, { datastoreId: s.datastoreId, searchCriteria: { filters } }))
      out.push(...(page.imageSetsMetadataSummaries ?? []));
    return out;
  };
  const isPrimary: Filters[number] = { operator: "EQUAL", values: [{ isPrimary: true }] };
  const bySeries = (uid: string): Filters[number] => ({ operator: "EQUAL", values: [{ DICOMSeriesInstanceUID: uid }] });
  const byStudy = (uid: string): Filters[number] => ({ operator: "EQUAL", values: [{ DICOMStudyInstanceUID: uid }] });

  const find = async (selection: Selection) => {
    const found = await new SeriesFinder(client, s.datastoreId).find(selection);
    return found.map((f) => `${f.seriesInstanceUid}@${f.imageSetId}`);
  };
  const primaryOf = (...series: string[]) => series.map((uid) => `${uid}@${s.imageSetOfSeries(uid)}`).sort();

  describe("the dataset's series finder", () => {
    it("a series UID: one DICOMSeriesInstanceUID filter per series; the non-primary copy holding it is left out", async () => {
      assert.deepEqual(await find({ series: { [SERIES.ct4]: "all", [SERIES.mra1]: "all" } }), primaryOf(SERIES.ct4, SERIES.mra1));
      assert.deepEqual(oneFilterEach(), ["DICOMSeriesInstanceUID", "DICOMSeriesInstanceUID"]);
      // what the old isPrimary + series search found
      const old = await raw([isPrimary, bySeries(SERIES.ct4)]);
      assert.deepEqual(
        old.map((x) => x.imageSetId),
        [s.imageSetOfSeries(SERIES.ct4)],
      );
      assert.ok(
        (await raw([bySeries(SERIES.ct4)])).some((x) => x.imageSetId === copy),
        "the one-filter search does return the copy",
      );
    });

    it("a study UID: one DICOMStudyInstanceUID filter; every primary series of the study", async () => {
      assert.deepEqual(await find({ studies: [STUDIES.ctTwoSeries] }), primaryOf(SERIES.ct4, SERIES.ct5));
      assert.deepEqual(oneFilterEach(), ["DICOMStudyInstanceUID"]);
    });

    it("series and study UIDs: the series filter is sent, the study compared on the results", async () => {
      assert.deepEqual(await find({ series: { [SERIES.ct4]: "all", [SERIES.mra1]: "all" }, studies: [STUDIES.ctTwoSeries] }), primaryOf(SERIES.ct4));
      assert.deepEqual(oneFilterEach(), ["DICOMSeriesInstanceUID", "DICOMSeriesInstanceUID"]);
    });

    it("a study-date range: one DICOMStudyDateAndTime filter; isPrimary and the other criteria on the results", async () => {
      const all = await raw([isPrimary]);
      const date = all.find((x) => x.DICOMTags?.DICOMStudyInstanceUID === STUDIES.ctHead)?.DICOMTags?.DICOMStudyDate;
      assert.ok(date, "the CT head study has a study date");
      const expected = all
        .filter((x) => x.DICOMTags?.DICOMStudyDate === date)
        .map((x) => `${x.DICOMTags?.DICOMSeriesInstanceUID}@${x.imageSetId}`)
        .sort();
      assert.ok(expected.length > 0);
      assert.deepEqual(await find({ studyDate: { from: date, to: date } }), expected);
      assert.deepEqual(oneFilterEach(), ["DICOMStudyDateAndTime"]);
      sent.length = 0;
      assert.deepEqual(await find({ studyDate: { from: date, to: date }, studies: [STUDIES.ctHead] }), primaryOf(SERIES.ctHead));
      assert.deepEqual(oneFilterEach(), ["DICOMStudyInstanceUID"], "a UID is more selective than a date range");
    });

    it("nothing a filter can take: isPrimary alone, the rest compared on the results", async () => {
      const all = await raw([isPrimary]);
      const ct = all
        .filter((x) => x.DICOMTags?.DICOMSeriesModality === "CT")
        .map((x) => `${x.DICOMTags?.DICOMSeriesInstanceUID}@${x.imageSetId}`)
        .sort();
      assert.ok(ct.length >= 3);
      assert.deepEqual(await find({ modality: ["CT"] }), ct);
      assert.deepEqual(oneFilterEach(), ["isPrimary"]);
    });
  });

  describe("findImageSets", () => {
    const ids = (xs: { imageSetId?: string }[]) => xs.map((x) => x.imageSetId ?? "").sort();

    it("by study: one filter, the same image sets as before (primary and not)", async () => {
      const found = await findImageSets({ ...target, studyInstanceUid: STUDIES.ctTwoSeries });
      assert.deepEqual(oneFilterEach(), ["DICOMStudyInstanceUID"]);
      assert.deepEqual(ids(found), ids(await raw([byStudy(STUDIES.ctTwoSeries)])));
      assert.ok(ids(found).includes(copy));
    });

    it("by series and study: the series filter is sent, the study compared; the results of the old two-filter search", async () => {
      const found = await findImageSets({ ...target, seriesInstanceUid: SERIES.ct4, studyInstanceUid: STUDIES.ctTwoSeries });
      assert.deepEqual(oneFilterEach(), ["DICOMSeriesInstanceUID"]);
      const old = await raw([byStudy(STUDIES.ctTwoSeries), bySeries(SERIES.ct4)]);
      assert.ok(old.length >= 1);
      assert.deepEqual(ids(found), ids(old));
      sent.length = 0;
      assert.deepEqual(await findImageSets({ ...target, seriesInstanceUid: SERIES.ct4, studyInstanceUid: STUDIES.brainMra }), [], "another study's UID");
      assert.deepEqual(oneFilterEach(), ["DICOMSeriesInstanceUID"]);
    });

    it("primaryOnly is compared on the results", async () => {
      const found = await findImageSets({ ...target, seriesInstanceUid: SERIES.ct4, primaryOnly: true });
      assert.deepEqual(oneFilterEach(), ["DICOMSeriesInstanceUID"]);
      assert.deepEqual(ids(found), [s.imageSetOfSeries(SERIES.ct4)]);
      assert.ok(found.every((m) => m.isPrimary));
    });
  });
});
