// Sixty resources merging into one image set the stack does not own, with the real Pulumi CLI:
// image sets take at most 50 tags, so ownership cannot be a tag per version. `up` makes the 60
// merges, `refresh` finds no drift (every version is known as made by the stack), and `destroy`
// leaves the destination holding exactly what it held before.

import { CopyImageSetCommand, GetImageSetCommand, ListTagsForResourceCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { madeTagKey } from "../../provider/recovery/records";

/** the stack's own key (project "many", stack "test") */
const MADE_TAG = madeTagKey("many/test/dest");
import { ensureBuilt } from "../support/build";
import { eventually } from "../support/emulator";
import { createProject, type PulumiProject } from "../support/pulumiCli";
import { instancesIn, metadataOf, type Seeded, startSeeded } from "../support/seeded";

const MERGES = 60;

describe("e2e: 60 resources merge into one image set (one ownership tag, not one per version)", function () {
  this.timeout(900_000);
  let seeded: Seeded;
  let project: PulumiProject;
  let destination: string;
  let original: Record<string, string[]>;

  const contents = async (id: string) => instancesIn(await metadataOf(seeded.client, seeded.datastoreId, id));
  const sortedContents = async (id: string) => Object.fromEntries(Object.entries(await contents(id)).map(([s, u]) => [s, [...u].sort()]));

  before(async function () {
    this.timeout(20 * 60_000);
    ensureBuilt();
    seeded = await startSeeded({ profile: "fast" });
    // Every instance of every primary image set, one merge each (the destination's own excepted).
    const pool: { sourceImageSetId: string; series: string; uid: string }[] = [];
    for (const set of seeded.seed.imageSets.filter((s) => s.isPrimary).sort((a, b) => a.imageSetId.localeCompare(b.imageSetId))) {
      for (const [series, uids] of Object.entries(await contents(set.imageSetId)))
        for (const uid of uids) pool.push({ sourceImageSetId: set.imageSetId, series, uid });
    }
    assert.ok(pool.length > MERGES, `${pool.length} instances in the sample data`);
    // The destination: a one-instance copy a script made, outside the stack (non-primary).
    const first = pool.shift()!;
    const version = (await seeded.client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: first.sourceImageSetId }))).versionId!;
    const copiableAttributes = JSON.stringify({ SchemaVersion: "1.1", Study: { Series: { [first.series]: { Instances: { [first.uid]: {} } } } } });
    const out = await seeded.client.send(
      new CopyImageSetCommand({
        datastoreId: seeded.datastoreId,
        sourceImageSetId: first.sourceImageSetId,
        copyImageSetInformation: { sourceImageSet: { latestVersionId: version, DICOMCopies: { copiableAttributes } } },
      }),
    );
    destination = out.destinationImageSetProperties!.imageSetId!;
    await eventually(async () =>
      (await seeded.client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: destination }))).imageSetState === "ACTIVE"
        ? true
        : undefined,
    );
    original = await sortedContents(destination);
    const destinationVersion = (await seeded.client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: destination }))).versionId!;
    const resources = pool.slice(0, MERGES).map((p, i) => ({
      name: `merge${String(i).padStart(2, "0")}`,
      args: {
        sourceImageSetId: p.sourceImageSetId,
        subset: { series: { [p.series]: [p.uid] } },
        destination: { imageSetId: destination, versionId: destinationVersion },
        force: true,
        // the pool spans every sample file, so most merges cross patients: said explicitly
        mergeAcrossPatients: true,
      },
    }));
    project = await createProject("many", { "index.ts": fs.readFileSync(path.join(__dirname, "..", "fixtures", "specProgram.ts"), "utf8") }, seeded.emu);
    project.writeFile("spec.json", JSON.stringify({ datastoreId: seeded.datastoreId, resources }, null, 2));
  });

  after(async () => {
    project?.remove();
    await seeded?.stop();
  });

  it("up makes the 60 merges; the destination carries one ownership tag, far under the 50-tag quota", async () => {
    const r = await project.ok(["up", "--yes", "--skip-preview"]);
    assert.match(r.stdout, new RegExp(`${MERGES + 1} created`), "the merges and the stack");
    const held = await contents(destination);
    assert.equal(Object.values(held).flat().length, Object.values(original).flat().length + MERGES);
    const arn = (await seeded.client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: destination }))).imageSetArn!;
    const tags = (await seeded.client.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags ?? {};
    assert.ok(Object.keys(tags).length <= 1, `tags: ${Object.keys(tags).join(", ")}`);
    assert.match(tags[MADE_TAG] ?? "", /^\d+-\d+$/, "the 60 versions as one range");
  });

  it("refresh finds no drift, and a preview after it shows no changes", async () => {
    await project.ok(["refresh", "--yes"]);
    await project.ok(["preview", "--expect-no-changes"]);
  });

  it("destroy leaves the destination exactly as it was before", async () => {
    await project.ok(["destroy", "--yes", "--skip-preview"]);
    assert.deepEqual(await sortedContents(destination), original);
  });
});
