// The local service answers SearchImageSets from an index that follows its commits
// (emulator/model/searchIndex.ts): a series lookup sees the image sets that gain or lose the
// series, and a paginated search sees a write made between its pages, as a scan would.

import { DeleteImageSetCommand, GetImageSetCommand, SearchImageSetsCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import { eventually } from "../support/emulator";
import { multiSeriesCopy, type Seeded, SERIES, startSeeded } from "../support/seeded";

describe("emulator: search index follows every write", function () {
  this.timeout(30_000);
  let s: Seeded;

  before(async () => {
    s = await startSeeded();
  });
  after(() => s?.stop());

  const holders = async (seriesUid: string) => {
    const out = await s.client.send(
      new SearchImageSetsCommand({
        datastoreId: s.datastoreId,
        searchCriteria: { filters: [{ operator: "EQUAL", values: [{ DICOMSeriesInstanceUID: seriesUid }] }] },
      }),
    );
    return out.imageSetsMetadataSummaries!.map((x) => x.imageSetId!).sort();
  };

  it("a series lookup finds an image set from the version that gained the series until it is deleted", async () => {
    const cr1 = s.imageSetOfSeries(SERIES.cr1);
    const cr2 = s.imageSetOfSeries(SERIES.cr2);
    assert.deepEqual(await holders(SERIES.cr2), [cr2]);
    // version 1 holds cr1, version 2 adds cr2 (each a commit the index must follow)
    const merged = await multiSeriesCopy(s, [SERIES.cr1, SERIES.cr2]);
    assert.deepEqual(await holders(SERIES.cr1), [cr1, merged].sort());
    assert.deepEqual(await holders(SERIES.cr2), [cr2, merged].sort());
    await s.client.send(new DeleteImageSetCommand({ datastoreId: s.datastoreId, imageSetId: merged }));
    await eventually(async () => {
      const out = await s.client.send(new GetImageSetCommand({ datastoreId: s.datastoreId, imageSetId: merged }));
      return out.imageSetState === "DELETED" ? out : undefined;
    });
    assert.deepEqual(await holders(SERIES.cr1), [cr1]);
    assert.deepEqual(await holders(SERIES.cr2), [cr2]);
  });

  it("a page after a write is cut from the matches as they are after it, not as they were at page 1", async () => {
    const page = (nextToken?: string) =>
      s.client.send(
        new SearchImageSetsCommand({
          datastoreId: s.datastoreId,
          maxResults: 1,
          nextToken,
          searchCriteria: { sort: { sortField: "createdAt", sortOrder: "DESC" } },
        }),
      );
    const first = await page();
    const newest = first.imageSetsMetadataSummaries![0].imageSetId!;
    // unchanged data: page 2 is the next one down
    const second = await page(first.nextToken);
    assert.notEqual(second.imageSetsMetadataSummaries![0].imageSetId, newest);
    // a new image set between the pages shifts them by one: page 2 now holds page 1's set
    const made = await multiSeriesCopy(s, [SERIES.cr3]);
    const after = await page(first.nextToken);
    assert.equal(after.imageSetsMetadataSummaries![0].imageSetId, newest);
    assert.equal((await page()).imageSetsMetadataSummaries![0].imageSetId, made);
  });
});
