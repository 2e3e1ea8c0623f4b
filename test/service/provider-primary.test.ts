// Primary image sets through the real dynamic-provider host: `force` does not apply to them on AWS
// (https://docs.aws.amazon.com/healthimaging/latest/devguide/update-image-set-metadata.html), so a
// forced merge into a primary image set is refused before any CopyImageSet, naming the fix; into a
// non-primary copy the same merge works.

import assert from "node:assert/strict";
import { byOperation } from "../support/countingProxy";
import { type ProviderFixture, startProviderFixture } from "../support/providerFixture";
import { SERIES } from "../support/seeded";

describe("provider: merges into primary image sets", function () {
  this.timeout(120_000);
  let fx: ProviderFixture;
  before(async () => {
    fx = await startProviderFixture({ countCalls: true, emulator: { profile: "fast" } });
  });
  after(async () => fx?.stop());

  it("refuses a forced merge into a primary image set before copying, and says what to do", async () => {
    const primary = fx.seeded.imageSetOfSeries(SERIES.ct4);
    const source = fx.seeded.imageSetOfSeries(SERIES.ct5);
    const since = Date.now();
    await assert.rejects(
      fx.create("into-primary", { datastoreId: fx.datastoreId, sourceImageSetId: source, destination: { imageSetId: primary, versionId: "1" }, force: true }),
      /destination: image set \w+ is a primary image set, and `force` does not apply to primary image sets on AWS.*Merge into a non-primary copy of it instead/s,
    );
    assert.equal(byOperation(fx.proxy!.between(since)).CopyImageSet ?? 0, 0, "nothing sent");
  });

  it("the same forced merge into a non-primary copy of that image set works", async () => {
    const primary = fx.seeded.imageSetOfSeries(SERIES.ct4);
    const copy = await fx.create("working-copy", { datastoreId: fx.datastoreId, sourceImageSetId: primary });
    assert.equal(copy.outs.isPrimary, false, "a copy without promoteToPrimary is not primary");
    const merged = await fx.create("into-copy", {
      datastoreId: fx.datastoreId,
      sourceImageSetId: fx.seeded.imageSetOfSeries(SERIES.ct5),
      destination: { imageSetId: copy.id, versionId: String(copy.outs.versionId) },
      force: true,
    });
    assert.equal(merged.outs.imageSetId, copy.id);
    assert.equal(merged.outs.forced, true);
  });
});
