// The pull-request summary of a live preview that holds each kind of update, through the real CLI
// against the local service: a subset copy edited in the program (`ct`), a subset copy a colleague
// edited with UpdateImageSetMetadata found by `pulumi refresh` (`angio`: drift), and a merge into it
// (`merged`) whose destination version follows angio's. The preview is what
// test/fixtures/preview-drift-merge.json holds: `SUMMARY_PREVIEW_JSON_OUT=<file> npx mocha
// test/e2e/summary-capture.test.ts` writes it again; test/unit/summary.test.ts asserts the summary of
// the fixture, this file the same lines on the live preview.

import { GetImageSetCommand, UpdateImageSetMetadataCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { summarize } from "../../provider/summary/summarize";
import { ensureBuilt } from "../support/build";
import { eventually } from "../support/emulator";
import { createProject, type PulumiProject } from "../support/pulumiCli";
import { instancesIn, metadataOf, patientValues, type Seeded, SERIES, startSeeded } from "../support/seeded";

type Resource = { name: string; args: Record<string, unknown>; destinationFrom?: string };

describe("e2e: the PR summary of a preview with an edit, drift and a merge (real CLI)", function () {
  this.timeout(300_000);
  let seeded: Seeded;
  let project: PulumiProject;

  before(async function () {
    this.timeout(20 * 60_000);
    ensureBuilt();
    seeded = await startSeeded();
    project = await createProject("summary", { "index.ts": fs.readFileSync(path.join(__dirname, "..", "fixtures", "specProgram.ts"), "utf8") }, seeded.emu);
  });

  after(async () => {
    project?.remove();
    await seeded?.stop();
  });

  it("preview --json after an edit and a refreshed colleague's edit: the summary says why each row changes, and the merge adds no row", async () => {
    const { client, datastoreId } = seeded;
    const ct = seeded.imageSetOfSeries(SERIES.ctHead);
    const mra = seeded.imageSetOfSeries(SERIES.mra700);
    const ctUids = instancesIn(await metadataOf(client, datastoreId, ct))[SERIES.ctHead];
    const mraUids = instancesIn(await metadataOf(client, datastoreId, mra))[SERIES.mra700];
    const spec = (ctCount: number): Resource[] => [
      { name: "ct", args: { sourceImageSetId: ct, subset: { series: { [SERIES.ctHead]: ctUids.slice(0, ctCount) } } } },
      { name: "angio", args: { sourceImageSetId: mra, subset: { series: { [SERIES.mra700]: mraUids.slice(0, 4) } } } },
      {
        name: "merged",
        args: { sourceImageSetId: seeded.imageSetOfSeries(SERIES.mra2), subset: { series: { [SERIES.mra2]: "all" } }, force: true },
        destinationFrom: "angio",
      },
    ];
    const write = (resources: Resource[]) => project.writeFile("spec.json", JSON.stringify({ datastoreId, resources }, null, 2));
    write(spec(2));
    await project.ok(["up", "--yes", "--skip-preview"]);
    const angio = (JSON.parse((await project.ok(["stack", "output", "--json"])).stdout).resources as Record<string, { imageSetId: string }>).angio.imageSetId;

    // a colleague's metadata edit of angio's image set, found by refresh
    const latest = (await client.send(new GetImageSetCommand({ datastoreId, imageSetId: angio }))).versionId!;
    await client.send(
      new UpdateImageSetMetadataCommand({
        datastoreId,
        imageSetId: angio,
        latestVersionId: latest,
        updateImageSetMetadataUpdates: {
          DICOMUpdates: {
            updatableAttributes: new TextEncoder().encode(JSON.stringify({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "REVIEWED" } } })),
          },
        },
      }),
    );
    await eventually(async () =>
      (await client.send(new GetImageSetCommand({ datastoreId, imageSetId: angio }))).imageSetState === "ACTIVE" ? true : undefined,
    );
    await project.ok(["refresh", "--yes", "--skip-preview"]);
    // and the program's edit: ct takes a third instance
    write(spec(3));
    const preview = (await project.ok(["preview", "--json"])).stdout;
    if (process.env.SUMMARY_PREVIEW_JSON_OUT) fs.writeFileSync(process.env.SUMMARY_PREVIEW_JSON_OUT, preview);
    for (const v of await patientValues(seeded)) assert.ok(!preview.includes(v), "the preview holds no patient-level value");

    const text = summarize(JSON.parse(preview));
    assert.match(text, /^\| `ct` \| update \| 1 instance \| none \| edited `subset` \|$/m);
    // the merge's version is the stack's, not the colleague's: only the edit is drift
    assert.match(
      text,
      /^\| `angio` \| update \| none \| none \| drift: image set [0-9a-f]{32}: version 3 \(UPDATED\) made outside this stack \(Study\.StudyDescription changed; instances 0 added, 0 removed\); version 2 made by other resources of this stack; onDrift is "keep": `pulumi up` keeps version 3 as the new baseline/m,
    );
    assert.doesNotMatch(text, /^\| `merged` \|/m, "the merge changes nothing: no row");
    assert.match(text, /^- `merged`: `destination\.versionId` follows `angio`, which this `up` updates first; recorded, no API call/m);
    assert.match(
      text,
      /Write calls: 1 CopyImageSet, 0 UpdateImageSetMetadata, 0 DeleteImageSet; at the rates in use \(AWS's documented rate: CopyImageSet 0\.25 TPS, burst 1\) each call goes out at once/,
    );
  });
});
