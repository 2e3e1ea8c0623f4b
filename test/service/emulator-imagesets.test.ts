// Conformance of the local service's image set read operations and tagging, driven over HTTP by
// the real @aws-sdk/client-medical-imaging against image sets imported from the pydicom samples:
// GetImageSet (+ version), GetImageSetMetadata (gzip), GetImageFrame (the stored bytes),
// ListImageSetVersions (capital ImageSetWorkflowStatus), SearchImageSets (filters, sort,
// pagination, validation) and Tag/ListTags/Untag on data store and image set ARNs.
// Patient-level values are only ever read from the metadata at run time, never written here.

import {
  GetImageFrameCommand,
  GetImageSetCommand,
  GetImageSetMetadataCommand,
  type ImageSetsMetadataSummary,
  ListImageSetVersionsCommand,
  ListTagsForResourceCommand,
  type MedicalImagingClient,
  type SearchCriteria,
  SearchImageSetsCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateImageSetMetadataCommand,
} from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import type { ImageSetDocument } from "../../emulator/model/document";
import { eventually, sdkClient, sleep } from "../support/emulator";
import { pydicomTestFiles } from "../support/sampleData";
import { instancesIn, metadataOf, type Seeded, SERIES, startSeeded, STUDIES } from "../support/seeded";
import { expectError, UNKNOWN_ID, jsonBytes as json } from "../support/serviceErrors";

describe("emulator conformance: image set reads, search and tags", function () {
  this.timeout(20_000);
  let s: Seeded;
  let client: MedicalImagingClient;
  let ds: string;
  /** the CT head image set, updated twice in `before` (versions 1..3) */
  let head: string;
  let mra: string;
  const docs = new Map<string, ImageSetDocument>();
  let beforeUpdates: Date;

  const getSet = (imageSetId: string, versionId?: string) => client.send(new GetImageSetCommand({ datastoreId: ds, imageSetId, versionId }));

  async function waitActive(imageSetId: string) {
    return eventually(async () => {
      const out = await getSet(imageSetId);
      return out.imageSetState === "ACTIVE" ? out : undefined;
    });
  }

  async function search(searchCriteria?: SearchCriteria, maxResults?: number): Promise<ImageSetsMetadataSummary[]> {
    const out: ImageSetsMetadataSummary[] = [];
    let nextToken: string | undefined;
    do {
      const page = await client.send(new SearchImageSetsCommand({ datastoreId: ds, searchCriteria, maxResults, nextToken }));
      out.push(...page.imageSetsMetadataSummaries!);
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
  }
  const ids = (summaries: ImageSetsMetadataSummary[]) => summaries.map((x) => x.imageSetId!).sort();

  before(async () => {
    s = await startSeeded();
    client = s.client;
    ds = s.datastoreId;
    head = s.imageSetOfSeries(SERIES.ctHead);
    mra = s.imageSetOfSeries(SERIES.mra700);
    for (const set of s.seed.imageSets) docs.set(set.imageSetId, await metadataOf(client, ds, set.imageSetId));
    await sleep(5);
    beforeUpdates = new Date();
    for (const [i, description] of ["FIRST UPDATE", "SECOND UPDATE"].entries()) {
      await client.send(
        new UpdateImageSetMetadataCommand({
          datastoreId: ds,
          imageSetId: head,
          latestVersionId: String(i + 1),
          updateImageSetMetadataUpdates: {
            DICOMUpdates: { updatableAttributes: json({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: description } } }) },
          },
        }),
      );
      await waitActive(head);
    }
  });
  after(async () => s?.stop());

  describe("GetImageSet", () => {
    it("returns the latest version with state, workflow status, ARN, primary flag and timestamps", async () => {
      const out = await getSet(head);
      assert.equal(out.datastoreId, ds);
      assert.equal(out.imageSetId, head);
      assert.equal(out.versionId, "3");
      assert.equal(out.imageSetState, "ACTIVE");
      assert.equal(out.imageSetWorkflowStatus, "UPDATED");
      assert.equal(out.imageSetArn, `arn:aws:medical-imaging:us-east-1:000000000000:datastore/${ds}/imageset/${head}`);
      assert.equal(out.isPrimary, true);
      assert.ok(out.createdAt instanceof Date && out.updatedAt instanceof Date);
      assert.ok(out.updatedAt >= beforeUpdates && out.createdAt < beforeUpdates);
      assert.equal(out.deletedAt, undefined);
      assert.equal(out.message, undefined);
    });

    it("returns an older version with the `version` query", async () => {
      const v1 = await getSet(head, "1");
      assert.equal(v1.versionId, "1");
      assert.equal(v1.imageSetState, "ACTIVE");
      assert.equal(v1.imageSetWorkflowStatus, "IMPORTED");
      const v2 = await getSet(head, "2");
      assert.equal(v2.versionId, "2");
      assert.equal(v2.imageSetWorkflowStatus, "UPDATED");
    });

    it("answers 404 for unknown versions, image sets and data stores, 400 for malformed ids", async () => {
      await expectError(getSet(head, "4"), "ResourceNotFoundException", 404, /Version 4/);
      await expectError(getSet(head, "latest"), "ValidationException", 400, /versionId/);
      await expectError(getSet(UNKNOWN_ID), "ResourceNotFoundException", 404, new RegExp(UNKNOWN_ID));
      await expectError(getSet("Not-An-Id"), "ValidationException", 400, /'imageSetId'/);
      await expectError(client.send(new GetImageSetCommand({ datastoreId: UNKNOWN_ID, imageSetId: head })), "ResourceNotFoundException", 404, /Datastore/);
      await expectError(client.send(new GetImageSetCommand({ datastoreId: "short", imageSetId: head })), "ValidationException", 400, /'datastoreId'/);
    });
  });

  describe("GetImageSetMetadata", () => {
    it("returns gzip JSON with Content-Encoding gzip; the document names its image set and data store", async () => {
      const out = await client.send(new GetImageSetMetadataCommand({ datastoreId: ds, imageSetId: head }));
      assert.equal(out.contentType, "application/json");
      assert.equal(out.contentEncoding, "gzip");
      const bytes = Buffer.from(await out.imageSetMetadataBlob!.transformToByteArray());
      assert.deepEqual([...bytes.subarray(0, 2)], [0x1f, 0x8b], "the Node client hands back the compressed bytes");
      const doc = JSON.parse(zlib.gunzipSync(bytes).toString("utf8")) as ImageSetDocument;
      assert.equal(doc.SchemaVersion, "1.1");
      assert.equal(doc.ImageSetID, head);
      assert.equal(doc.DatastoreID, ds);
      assert.equal(doc.Study.DICOM.StudyInstanceUID, STUDIES.ctHead);
      assert.equal(doc.Study.DICOM.StudyDescription, "SECOND UPDATE");
      assert.deepEqual(instancesIn(doc), instancesIn(docs.get(head)!), "updates of study attributes keep every instance");
    });

    it("returns an older version's document with the `version` query", async () => {
      const v1 = await metadataOf(client, ds, head, "1");
      const v2 = await metadataOf(client, ds, head, "2");
      assert.deepEqual(v1, docs.get(head));
      assert.notEqual(v1.Study.DICOM.StudyDescription, "FIRST UPDATE");
      assert.equal(v2.Study.DICOM.StudyDescription, "FIRST UPDATE");
      assert.equal(v2.ImageSetID, head);
    });

    it("answers 404 for an unknown version or image set", async () => {
      await expectError(client.send(new GetImageSetMetadataCommand({ datastoreId: ds, imageSetId: head, versionId: "40" })), "ResourceNotFoundException", 404);
      await expectError(client.send(new GetImageSetMetadataCommand({ datastoreId: ds, imageSetId: UNKNOWN_ID })), "ResourceNotFoundException", 404);
    });
  });

  describe("GetImageFrame", () => {
    /** every Part-10 file of the sample folder, to find a frame's bytes in the file it came from */
    function sampleFiles(): Buffer[] {
      const dir = path.join(pydicomTestFiles(), "dicomdirtests");
      return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
        .filter((e) => e.isFile())
        .map((e) => fs.readFileSync(path.join(e.parentPath, e.name)));
    }

    it("returns each frame's stored bytes: the pixel data of the imported file, with its size and checksum", async () => {
      const files = sampleFiles();
      const doc = docs.get(head)!;
      let checked = 0;
      for (const series of Object.values(doc.Study.Series)) {
        for (const instance of Object.values(series.Instances)) {
          for (const frame of instance.ImageFrames) {
            const out = await client.send(new GetImageFrameCommand({ datastoreId: ds, imageSetId: head, imageFrameInformation: { imageFrameId: frame.ID } }));
            // explicit VR little endian (1.2.840.10008.1.2.1) is served as application/octet-stream
            assert.equal(instance.StoredTransferSyntaxUID, "1.2.840.10008.1.2.1");
            assert.equal(out.contentType, "application/octet-stream");
            const bytes = Buffer.from(await out.imageFrameBlob!.transformToByteArray());
            assert.deepEqual(bytes, s.emu.service.store.readFrame(frame.ID));
            assert.equal(bytes.length, frame.FrameSizeInBytes);
            const { Rows, Columns, BitsAllocated, SamplesPerPixel } = instance.DICOM as Record<string, number>;
            assert.equal(bytes.length, Rows * Columns * (BitsAllocated / 8) * (SamplesPerPixel ?? 1));
            assert.equal(frame.PixelDataChecksumFromBaseToFullResolution[0].Checksum, zlib.crc32(bytes));
            assert.ok(
              files.some((f) => f.includes(bytes)),
              "the frame is the uncompressed pixel data of one of the sample files",
            );
            checked++;
          }
        }
      }
      assert.equal(checked, 4);
    });

    it("answers 404 for a frame of another image set or an unknown frame, 400 for a malformed frame id", async () => {
      const otherFrame = Object.values(docs.get(mra)!.Study.Series)[0].Instances;
      const frameOfMra = Object.values(otherFrame)[0].ImageFrames[0].ID;
      const get = (imageSetId: string, imageFrameId: string) =>
        client.send(new GetImageFrameCommand({ datastoreId: ds, imageSetId, imageFrameInformation: { imageFrameId } }));
      await expectError(get(head, frameOfMra), "ResourceNotFoundException", 404, /frame/);
      await expectError(get(head, UNKNOWN_ID), "ResourceNotFoundException", 404);
      await expectError(get(head, "frame-1"), "ValidationException", 400, /imageFrameId/);
      const ok = await get(mra, frameOfMra);
      assert.ok((await ok.imageFrameBlob!.transformToByteArray()).length > 0);
    });
  });

  describe("ListImageSetVersions", () => {
    it("lists versions newest first with the capitalised ImageSetWorkflowStatus the SDK parses", async () => {
      const out = await client.send(new ListImageSetVersionsCommand({ datastoreId: ds, imageSetId: head }));
      const list = out.imageSetPropertiesList!;
      assert.deepEqual(
        list.map((v) => v.versionId),
        ["3", "2", "1"],
      );
      assert.deepEqual(
        list.map((v) => v.ImageSetWorkflowStatus),
        ["UPDATED", "UPDATED", "IMPORTED"],
      );
      assert.ok(list.every((v) => v.imageSetId === head && v.imageSetState === "ACTIVE" && v.isPrimary === true));
      assert.ok(list[0].createdAt! >= list[1].createdAt! && list[1].createdAt! >= list[2].createdAt!);
      assert.equal(out.nextToken, undefined);
    });

    it("pages with maxResults + nextToken", async () => {
      const seen: string[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await client.send(new ListImageSetVersionsCommand({ datastoreId: ds, imageSetId: head, maxResults: 2, nextToken }));
        assert.ok(page.imageSetPropertiesList!.length <= 2);
        seen.push(...page.imageSetPropertiesList!.map((v) => v.versionId!));
        nextToken = page.nextToken;
        pages++;
      } while (nextToken);
      assert.equal(pages, 2);
      assert.deepEqual(seen, ["3", "2", "1"]);
      await expectError(
        client.send(new ListImageSetVersionsCommand({ datastoreId: ds, imageSetId: head, maxResults: 100 })),
        "ValidationException",
        400,
        /maxResults/,
      );
      await expectError(client.send(new ListImageSetVersionsCommand({ datastoreId: ds, imageSetId: UNKNOWN_ID })), "ResourceNotFoundException", 404);
    });
  });

  describe("SearchImageSets", () => {
    it("without criteria returns every image set, most recently updated first, versions as integers", async () => {
      const all = await search();
      assert.deepEqual(ids(all), s.seed.imageSets.map((x) => x.imageSetId).sort());
      assert.equal(all[0].imageSetId, head, "default sort is updatedAt DESC");
      for (let i = 1; i < all.length; i++) assert.ok(all[i - 1].updatedAt! >= all[i].updatedAt!);
      const h = all.find((x) => x.imageSetId === head)!;
      assert.equal(h.version, 3);
      assert.equal(typeof h.version, "number");
      assert.equal(h.isPrimary, true);
      assert.equal(h.DICOMTags?.DICOMStudyDescription, "SECOND UPDATE");
      assert.equal(h.DICOMTags?.DICOMNumberOfStudyRelatedSeries, 1);
      assert.equal(h.DICOMTags?.DICOMNumberOfStudyRelatedInstances, 4);
    });

    it("EQUAL on DICOMStudyInstanceUID finds exactly that study's image sets, one per series", async () => {
      const found = await search({ filters: [{ operator: "EQUAL", values: [{ DICOMStudyInstanceUID: STUDIES.brainMra }] }] });
      assert.deepEqual(ids(found), s.imageSetsOfStudy(STUDIES.brainMra).sort());
      assert.equal(found.length, 3);
      assert.ok(found.every((x) => x.DICOMTags?.DICOMStudyInstanceUID === STUDIES.brainMra && x.DICOMTags?.DICOMNumberOfStudyRelatedSeries === 1));
      assert.deepEqual(await search({ filters: [{ operator: "EQUAL", values: [{ DICOMStudyInstanceUID: "1.2.3.4" }] }] }), []);
    });

    it("EQUAL on DICOMSeriesInstanceUID finds the image set holding that series", async () => {
      for (const uid of [SERIES.mra700, SERIES.mra2, SERIES.mra1]) {
        const found = await search({ filters: [{ operator: "EQUAL", values: [{ DICOMSeriesInstanceUID: uid }] }] });
        assert.deepEqual(ids(found), [s.imageSetOfSeries(uid)]);
        assert.equal(found[0].DICOMTags?.DICOMSeriesInstanceUID, uid);
      }
      assert.deepEqual(ids(await search({ filters: [{ operator: "EQUAL", values: [{ DICOMSeriesInstanceUID: SERIES.mra700 }] }] })), [mra]);
    });

    it("EQUAL on DICOMPatientId finds every image set of that patient (value read from the metadata)", async () => {
      const patientId = String(docs.get(mra)!.Patient.DICOM.PatientID).trim();
      assert.ok(patientId.length > 0);
      const expected = [...docs.entries()]
        .filter(([, d]) => String(d.Patient.DICOM.PatientID ?? "").trim() === patientId)
        .map(([id]) => id)
        .sort();
      assert.ok(expected.length > 1, "the sample patient has several studies");
      assert.ok(expected.length < docs.size);
      const found = await search({ filters: [{ operator: "EQUAL", values: [{ DICOMPatientId: patientId }] }] });
      assert.deepEqual(ids(found), expected);
      assert.ok(found.every((x) => x.DICOMTags?.DICOMPatientId === patientId));
    });

    it("BETWEEN on createdAt and updatedAt selects by time", async () => {
      const created = await search({
        filters: [{ operator: "BETWEEN", values: [{ createdAt: new Date(Date.now() - 3_600_000) }, { createdAt: new Date() }] }],
      });
      assert.equal(created.length, docs.size);
      assert.deepEqual(
        await search({
          filters: [{ operator: "BETWEEN", values: [{ createdAt: new Date(Date.now() + 60_000) }, { createdAt: new Date(Date.now() + 120_000) }] }],
        }),
        [],
      );
      const updated = await search({ filters: [{ operator: "BETWEEN", values: [{ updatedAt: beforeUpdates }, { updatedAt: new Date() }] }] });
      assert.deepEqual(ids(updated), [head]);
    });

    it("BETWEEN on DICOMStudyDateAndTime selects by study date (dates read from the metadata)", async () => {
      const study = docs.get(head)!.Study.DICOM;
      const date = String(study.StudyDate).trim();
      assert.match(date, /^\d{8}$/);
      const expected = [...docs.entries()]
        .filter(([, d]) => String(d.Study.DICOM.StudyDate ?? "").trim() === date)
        .map(([id]) => id)
        .sort();
      const found = await search({
        filters: [
          {
            operator: "BETWEEN",
            values: [{ DICOMStudyDateAndTime: { DICOMStudyDate: date } }, { DICOMStudyDateAndTime: { DICOMStudyDate: date, DICOMStudyTime: "235959.999999" } }],
          },
        ],
      });
      assert.deepEqual(ids(found), expected);
      assert.ok(found.some((x) => x.imageSetId === head));
    });

    it("two filters combine (AWS's example: BETWEEN updatedAt + EQUAL DICOMSeriesInstanceUID)", async () => {
      const mraSeries = Object.keys(docs.get(mra)!.Study.Series)[0];
      const headSeries = Object.keys(docs.get(head)!.Study.Series)[0];
      const window = { operator: "BETWEEN" as const, values: [{ updatedAt: beforeUpdates }, { updatedAt: new Date() }] };
      assert.deepEqual(ids(await search({ filters: [window, { operator: "EQUAL", values: [{ DICOMSeriesInstanceUID: headSeries }] }] })), [head]);
      assert.deepEqual(await search({ filters: [window, { operator: "EQUAL", values: [{ DICOMSeriesInstanceUID: mraSeries }] }] }), []);
    });

    it("EQUAL on isPrimary", async () => {
      assert.equal((await search({ filters: [{ operator: "EQUAL", values: [{ isPrimary: true }] }] })).length, docs.size);
      assert.deepEqual(await search({ filters: [{ operator: "EQUAL", values: [{ isPrimary: false }] }] }), []);
    });

    it("sorts by createdAt and DICOMStudyDateAndTime in both orders and echoes the sort", async () => {
      const studyKey = (id: string) => {
        const d = docs.get(id)!.Study.DICOM;
        return `${String(d.StudyDate ?? "").trim()}${String(d.StudyTime ?? "")
          .trim()
          .split(".")[0]
          .padEnd(6, "0")}`;
      };
      const page = await client.send(
        new SearchImageSetsCommand({ datastoreId: ds, searchCriteria: { sort: { sortField: "DICOMStudyDateAndTime", sortOrder: "ASC" } } }),
      );
      assert.deepEqual(page.sort, { sortField: "DICOMStudyDateAndTime", sortOrder: "ASC" });
      const asc = page.imageSetsMetadataSummaries!.map((x) => studyKey(x.imageSetId!));
      assert.deepEqual(asc, [...asc].sort());
      const desc = (await search({ sort: { sortField: "DICOMStudyDateAndTime", sortOrder: "DESC" } })).map((x) => studyKey(x.imageSetId!));
      assert.deepEqual(desc, [...asc].sort().reverse());
      assert.notDeepEqual(asc, desc);
      const byCreated = await search({ sort: { sortField: "createdAt", sortOrder: "ASC" } });
      for (let i = 1; i < byCreated.length; i++) assert.ok(byCreated[i - 1].createdAt! <= byCreated[i].createdAt!);
      const byUpdatedAsc = await search({ sort: { sortField: "updatedAt", sortOrder: "ASC" } });
      assert.equal(byUpdatedAsc[byUpdatedAsc.length - 1].imageSetId, head);
    });

    it("pages with maxResults + nextToken: every image set exactly once", async () => {
      let nextToken: string | undefined;
      const pages: string[][] = [];
      do {
        const page = await client.send(
          new SearchImageSetsCommand({ datastoreId: ds, maxResults: 2, nextToken, searchCriteria: { sort: { sortField: "createdAt", sortOrder: "ASC" } } }),
        );
        pages.push(page.imageSetsMetadataSummaries!.map((x) => x.imageSetId!));
        nextToken = page.nextToken;
      } while (nextToken);
      assert.equal(pages.length, Math.ceil(docs.size / 2));
      assert.ok(pages.every((p) => p.length <= 2));
      assert.deepEqual(pages.flat().sort(), [...docs.keys()].sort());
      assert.equal(new Set(pages.flat()).size, docs.size);
    });

    it("rejects invalid criteria with a ValidationException", async () => {
      const bad = (searchCriteria: unknown, message: RegExp) =>
        expectError(
          client.send(new SearchImageSetsCommand({ datastoreId: ds, searchCriteria: searchCriteria as SearchCriteria })),
          "ValidationException",
          400,
          message,
        );
      const eq = { operator: "EQUAL", values: [{ DICOMStudyInstanceUID: STUDIES.ctHead }] };
      await bad({ filters: [eq, eq, eq] }, /'searchCriteria\.filters' failed to satisfy constraint: Member must have length between 1 and 2/);
      await bad({ filters: [] }, /'searchCriteria\.filters' failed to satisfy constraint: Member must have length between 1 and 2/);
      await bad({ filters: [{ operator: "EQUAL", values: [{ DICOMPatientId: "a" }, { DICOMPatientId: "b" }] }] }, /EQUAL takes exactly one value/);
      await bad({ filters: [{ operator: "BETWEEN", values: [{ createdAt: new Date() }] }] }, /BETWEEN takes/);
      await bad({ filters: [{ operator: "BETWEEN", values: [{ DICOMPatientId: "a" }, { DICOMPatientId: "b" }] }] }, /BETWEEN is only supported/);
      await bad({ filters: [{ operator: "BETWEEN", values: [{ createdAt: new Date(0) }, { updatedAt: new Date() }] }] }, /same attribute/);
      await bad({ filters: [{ operator: "LIKE", values: [{ DICOMPatientId: "a" }] }] }, /operator/);
      await bad({ filters: [{ operator: "EQUAL", values: [{ DICOMSeriesInstanceUID: "1.2.abc" }] }] }, /DICOMSeriesInstanceUID/);
      await bad(
        {
          filters: [
            {
              operator: "BETWEEN",
              values: [{ DICOMStudyDateAndTime: { DICOMStudyDate: "2001-01-01" } }, { DICOMStudyDateAndTime: { DICOMStudyDate: "20020101" } }],
            },
          ],
        },
        /DICOMStudyDate/,
      );
      await bad({ filters: [{ operator: "EQUAL", values: [{ DICOMPatientId: "x".repeat(513) }] }] }, /DICOMPatientId/);
      await bad({ sort: { sortField: "DICOMPatientId", sortOrder: "ASC" } }, /sortField/);
      await bad({ sort: { sortField: "createdAt", sortOrder: "UP" } }, /sortOrder/);
      await bad({ sort: { sortField: "createdAt" } }, /sortOrder/);
      await expectError(client.send(new SearchImageSetsCommand({ datastoreId: ds, maxResults: 0 })), "ValidationException", 400, /maxResults/);
      await expectError(client.send(new SearchImageSetsCommand({ datastoreId: ds, nextToken: "bogus" })), "ValidationException", 400, /nextToken/);
      // a token belongs to its search: it is not valid for other criteria (here: another upper bound)
      const createdBetween = (to: Date): SearchCriteria => ({ filters: [{ operator: "BETWEEN", values: [{ createdAt: new Date(0) }, { createdAt: to }] }] });
      const first = await client.send(
        new SearchImageSetsCommand({ datastoreId: ds, maxResults: 1, searchCriteria: createdBetween(new Date(2_000_000_000_000)) }),
      );
      assert.ok(first.nextToken);
      await expectError(
        client.send(
          new SearchImageSetsCommand({
            datastoreId: ds,
            maxResults: 1,
            searchCriteria: createdBetween(new Date(2_000_000_000_001)),
            nextToken: first.nextToken,
          }),
        ),
        "ValidationException",
        400,
        /nextToken/,
      );
      const second = await client.send(
        new SearchImageSetsCommand({ datastoreId: ds, maxResults: 1, searchCriteria: createdBetween(new Date(2_000_000_000_000)), nextToken: first.nextToken }),
      );
      assert.equal(second.imageSetsMetadataSummaries!.length, 1);
      assert.notEqual(second.imageSetsMetadataSummaries![0].imageSetId, first.imageSetsMetadataSummaries![0].imageSetId);
      await expectError(client.send(new SearchImageSetsCommand({ datastoreId: UNKNOWN_ID })), "ResourceNotFoundException", 404);
    });
  });

  describe("tags", () => {
    const datastoreArn = () => `arn:aws:medical-imaging:us-east-1:000000000000:datastore/${ds}`;
    const imageSetArn = (id: string) => `${datastoreArn()}/imageset/${id}`;
    const list = async (resourceArn: string) => (await client.send(new ListTagsForResourceCommand({ resourceArn }))).tags;

    it("tags, lists and untags a data store and an image set independently, over a percent-encoded ARN path", async () => {
      const paths: string[] = [];
      const spy = sdkClient(s.emu);
      spy.middlewareStack.add(
        (next) => async (args) => {
          paths.push((args.request as { path: string }).path);
          return next(args);
        },
        { step: "finalizeRequest", name: "recordPath" },
      );
      await spy.send(new TagResourceCommand({ resourceArn: datastoreArn(), tags: { project: "conformance", owner: "imaging" } }));
      await spy.send(new TagResourceCommand({ resourceArn: imageSetArn(mra), tags: { cohort: "a", review: "pending" } }));
      assert.match(paths[0], /^\/tags\/arn%3Aaws%3Amedical-imaging%3Aus-east-1%3A000000000000%3Adatastore%2F[0-9a-z]{32}$/);
      assert.match(paths[1], /%2Fimageset%2F[0-9a-z]{32}$/);

      assert.deepEqual(await list(datastoreArn()), { project: "conformance", owner: "imaging" });
      assert.deepEqual(await list(imageSetArn(mra)), { cohort: "a", review: "pending" });
      assert.deepEqual(await list(imageSetArn(head)), {});

      await client.send(new TagResourceCommand({ resourceArn: imageSetArn(mra), tags: { review: "done" } }));
      assert.deepEqual(await list(imageSetArn(mra)), { cohort: "a", review: "done" }, "tagging overwrites the value of an existing key");
      await client.send(new UntagResourceCommand({ resourceArn: imageSetArn(mra), tagKeys: ["cohort", "not-there"] }));
      assert.deepEqual(await list(imageSetArn(mra)), { review: "done" });
      await client.send(new UntagResourceCommand({ resourceArn: datastoreArn(), tagKeys: ["project", "owner"] }));
      assert.deepEqual(await list(datastoreArn()), {});
    });

    it("answers 404 for ARNs of unknown resources and 400 for malformed ARNs and keys", async () => {
      await expectError(list(`arn:aws:medical-imaging:us-east-1:000000000000:datastore/${UNKNOWN_ID}`), "ResourceNotFoundException", 404);
      await expectError(list(imageSetArn(UNKNOWN_ID)), "ResourceNotFoundException", 404);
      await expectError(list(`arn:aws:medical-imaging:us-east-1:111111111111:datastore/${ds}`), "ResourceNotFoundException", 404, /111111111111/);
      await expectError(client.send(new TagResourceCommand({ resourceArn: imageSetArn(UNKNOWN_ID), tags: { a: "b" } })), "ResourceNotFoundException", 404);
      await expectError(list("arn:aws:s3:::bucket"), "ValidationException", 400, /resourceArn/);
      await expectError(list(`${datastoreArn()}/imageSet/${mra}`), "ValidationException", 400, /resourceArn/);
      await expectError(list(`arn:aws:medical-imaging:us-east-1:0000:datastore/${ds}`), "ValidationException", 400, /resourceArn/);
      await expectError(client.send(new TagResourceCommand({ resourceArn: datastoreArn(), tags: { "aws:owner": "x" } })), "ValidationException", 400, /tags/);
      await expectError(client.send(new TagResourceCommand({ resourceArn: datastoreArn(), tags: { k: "v".repeat(257) } })), "ValidationException", 400, /tags/);
      await expectError(client.send(new UntagResourceCommand({ resourceArn: datastoreArn(), tagKeys: ["aws:x"] })), "ValidationException", 400, /tagKeys/);
    });

    it("allows 50 tags per resource; the 51st is a ValidationException (the model lists no 402 for TagResource) that changes nothing", async () => {
      const arn = imageSetArn(head);
      const fifty = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`key${i}`, `value${i}`]));
      await client.send(new TagResourceCommand({ resourceArn: arn, tags: fifty }));
      assert.equal(Object.keys((await list(arn))!).length, 50);
      await client.send(new TagResourceCommand({ resourceArn: arn, tags: { key0: "changed" } }));
      await expectError(client.send(new TagResourceCommand({ resourceArn: arn, tags: { key50: "one too many" } })), "ValidationException", 400, /50 tags/);
      const after = (await list(arn))!;
      assert.equal(Object.keys(after).length, 50);
      assert.equal(after.key0, "changed");
      assert.equal(after.key50, undefined);
    });
  });
});
