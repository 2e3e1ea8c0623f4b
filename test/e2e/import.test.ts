// Importing an existing image set, through the real Pulumi CLI: the `import` resource option is
// refused by the resource class in one line naming adoptImageSetId; `pulumi import` fails inside
// Pulumi's dynamic-provider host before any code of ours runs, exactly as README "Troubleshooting"
// says; and the fix both name, adoptImageSetId, records the image set without copying.

import { CopyImageSetCommand, GetImageSetCommand, SearchImageSetsCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureBuilt } from "../support/build";
import { eventually } from "../support/emulator";
import { createProject, type PulumiProject } from "../support/pulumiCli";
import { type Seeded, SERIES, startSeeded } from "../support/seeded";

const ROOT = path.resolve(__dirname, "..", "..");
const TYPE = "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet";

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import * as hi from "pulumi-healthimaging";
const config = new pulumi.Config();
const importId = config.get("importId");
const adoptId = config.get("adoptId");
const copy = new hi.DerivedImageSet(
  "copy",
  { datastoreId: config.require("datastoreId"), sourceImageSetId: config.require("sourceImageSetId"), ...(adoptId ? { adoptImageSetId: adoptId } : {}) },
  importId ? { import: importId } : {},
);
export const imageSetId = copy.imageSetId;
`;

/** The "### ..." headings of README's Troubleshooting section. */
function troubleshootingHeadings(): string[] {
  const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
  const section = readme.split(/^## Troubleshooting$/m)[1]?.split(/^## /m)[0] ?? "";
  return [...section.matchAll(/^### (.+)$/gm)].map((m) => m[1]);
}

/** The error text (the heading's last `code span`) of the one Troubleshooting entry whose heading contains `words`. */
function documentedError(words: string): string {
  const headings = troubleshootingHeadings().filter((h) => h.includes(words));
  assert.equal(headings.length, 1, `one README Troubleshooting heading containing "${words}", got: ${troubleshootingHeadings().join(" | ")}`);
  const text = /`([^`]+)`[^`]*$/.exec(headings[0])?.[1];
  assert.ok(text, `the heading quotes the error: ${headings[0]}`);
  return text;
}

describe("e2e: importing an image set made outside Pulumi (real CLI)", function () {
  this.timeout(300_000);
  let seeded: Seeded;
  let project: PulumiProject;
  /** an image set a script made: a full copy of the CT series' image set */
  let scriptCopy: string;

  const liveImageSets = async () =>
    (await seeded.client.send(new SearchImageSetsCommand({ datastoreId: seeded.datastoreId }))).imageSetsMetadataSummaries!.map((s) => s.imageSetId!).sort();
  const stateNames = async () =>
    (JSON.parse((await project.ok(["stack", "export"])).stdout).deployment.resources ?? []).map((r: { urn: string }) => r.urn.split("::").pop());

  before(async function () {
    this.timeout(20 * 60_000);
    ensureBuilt();
    seeded = await startSeeded();
    const source = seeded.imageSetOfSeries(SERIES.ctHead);
    const copied = await seeded.client.send(
      new CopyImageSetCommand({
        datastoreId: seeded.datastoreId,
        sourceImageSetId: source,
        copyImageSetInformation: { sourceImageSet: { latestVersionId: "1" } },
      }),
    );
    scriptCopy = copied.destinationImageSetProperties!.imageSetId!;
    await eventually(async () => {
      const s = await seeded.client.send(new GetImageSetCommand({ datastoreId: seeded.datastoreId, imageSetId: scriptCopy }));
      return s.imageSetState === "ACTIVE" ? true : undefined;
    });
    project = await createProject("import", { "index.ts": PROGRAM }, seeded.emu);
    await project.ok(["config", "set", "datastoreId", seeded.datastoreId]);
    await project.ok(["config", "set", "sourceImageSetId", source]);
  });

  after(async () => {
    project?.remove();
    await seeded?.stop();
  });

  it("the `import` resource option fails the preview in one line naming adoptImageSetId, without a stack trace", async () => {
    await project.ok(["config", "set", "importId", scriptCopy]);
    const r = await project.run(["preview"]);
    await project.ok(["config", "rm", "importId"]);
    const out = r.stdout + r.stderr;
    assert.notEqual(r.code, 0, out);
    assert.match(out, new RegExp(`DerivedImageSet "copy": the import resource option cannot work .*set adoptImageSetId: "${scriptCopy}" instead`));
    assert.ok(out.includes(documentedError("import resource option")), "the README heading quotes the error");
    assert.doesNotMatch(out, /code must be a string/);
    assert.doesNotMatch(out, /^\s+at /m, "no stack trace");
    assert.deepEqual(await stateNames(), [], "nothing recorded");
  });

  it("`pulumi import` fails in the dynamic-provider host with the error README Troubleshooting names; nothing is imported", async () => {
    const before = await liveImageSets();
    const r = await project.run(["import", TYPE, "copy", scriptCopy, "--yes"]);
    const out = r.stdout + r.stderr;
    assert.notEqual(r.code, 0, out);
    // the host's own failure: there is no serialized provider to read with, and nothing of ours ran
    assert.match(out, /code must be a string, not undefined/);
    const errorText = documentedError("pulumi import");
    assert.ok(out.includes(errorText), `the README heading's error text (${errorText}) is what the user sees`);
    assert.ok(!(await stateNames()).includes("copy"), "nothing imported");
    assert.deepEqual(await liveImageSets(), before);
  });

  it("the fix both name: adoptImageSetId records the script's image set without copying", async () => {
    const before = await liveImageSets();
    await project.ok(["config", "set", "adoptId", scriptCopy]);
    await project.ok(["up", "--yes", "--skip-preview"]);
    const outputs = JSON.parse((await project.ok(["stack", "output", "--json"])).stdout) as { imageSetId: string };
    assert.equal(outputs.imageSetId, scriptCopy);
    assert.deepEqual(await liveImageSets(), before, "adopted, no copy made");
    await project.ok(["destroy", "--yes", "--skip-preview"]);
  });
});
