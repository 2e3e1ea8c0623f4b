// A green preview means a green up, with the real Pulumi CLI (file backend, offline) against a
// seeded local service:
//   1. what `up` would fail on fails `pulumi preview`, one line naming the input and the fix, no
//      stack trace: a missing source, a merge that needs `force`, a wrong region, endpoint or
//      credentials, no credentials at all; `checkWithService: false` (environment) previews offline;
//   2. a merge across patients is refused even with `force`, without suggesting it, and
//      `mergeAcrossPatients: true` allows it;
//   3. an adoption previews as one: the preview says `up` adopts and copies nothing;
//   4. drift: the preview's words (who made which version, and the action) are the words `up`
//      logs, and `up` does that: a colleague's edit alone (keep, then revert), and after another
//      resource's merge (keep, and a revert refused).
// Neither the CLI output nor the state carries patient-level DICOM values.

import { CopyImageSetCommand, GetImageSetCommand, ListImageSetVersionsCommand, UpdateImageSetMetadataCommand } from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ensureBuilt } from "../support/build";
import { eventually } from "../support/emulator";
import { type CliResult, createProject, type PulumiProject } from "../support/pulumiCli";
import { instancesIn, metadataOf, patientValues, type Seeded, SERIES, startSeeded } from "../support/seeded";

type Resource = { name: string; args: Record<string, unknown>; destinationFrom?: string };

describe("e2e: a green preview means a green up (real Pulumi CLI)", function () {
  this.timeout(300_000);
  let seeded: Seeded;
  let values: string[];
  const projects: PulumiProject[] = [];
  const program = fs.readFileSync(path.join(__dirname, "..", "fixtures", "specProgram.ts"), "utf8");
  const client = () => seeded.client;
  const ds = () => seeded.datastoreId;

  const settled = (imageSetId: string) =>
    eventually(async () => {
      const out = await client().send(new GetImageSetCommand({ datastoreId: ds(), imageSetId }));
      return out.imageSetState !== "LOCKED" ? out : undefined;
    }, 60_000);
  const versionsOf = async (imageSetId: string) =>
    (await client().send(new ListImageSetVersionsCommand({ datastoreId: ds(), imageSetId }))).imageSetPropertiesList!.map((v) => ({
      versionId: v.versionId!,
      status: v.ImageSetWorkflowStatus!,
    }));
  /** A colleague's full copy of a series' image set (not through Pulumi). */
  const colleagueCopy = async (series: string) => {
    const sourceImageSetId = seeded.imageSetOfSeries(series);
    const latestVersionId = (await settled(sourceImageSetId)).versionId!;
    const out = await client().send(
      new CopyImageSetCommand({ datastoreId: ds(), sourceImageSetId, copyImageSetInformation: { sourceImageSet: { latestVersionId } } }),
    );
    const done = await settled(out.destinationImageSetProperties!.imageSetId!);
    await settled(sourceImageSetId);
    return done;
  };
  /** A colleague's metadata edit of the study description (a value of no patient). */
  const colleagueEdit = async (imageSetId: string, text: string) => {
    const latestVersionId = (await settled(imageSetId)).versionId!;
    const updatableAttributes = new TextEncoder().encode(JSON.stringify({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: text } } }));
    await client().send(
      new UpdateImageSetMetadataCommand({
        datastoreId: ds(),
        imageSetId,
        latestVersionId,
        updateImageSetMetadataUpdates: { DICOMUpdates: { updatableAttributes } },
      }),
    );
    return (await settled(imageSetId)).versionId!;
  };

  const noPatientValues = (where: string, text: string) => {
    for (const v of values) assert.ok(!text.includes(v), `${where} contains a patient-level value (${v.length} chars)`);
  };
  const run = async (p: PulumiProject, args: string[]) => {
    const r = await p.run(args);
    noPatientValues(`pulumi ${args[0]}`, r.stdout + r.stderr);
    return r;
  };
  const ok = async (p: PulumiProject, args: string[]) => {
    const r = await run(p, args);
    assert.equal(r.code, 0, `pulumi ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const project = async (name: string, resources: Resource[]) => {
    const p = await createProject(name, { "index.ts": program }, seeded.emu);
    projects.push(p);
    write(p, resources);
    return p;
  };
  const write = (p: PulumiProject, resources: Resource[]) => p.writeFile("spec.json", JSON.stringify({ datastoreId: ds(), resources }, null, 2));
  const stateOf = async (p: PulumiProject, name: string) => {
    const text = (await ok(p, ["stack", "export"])).stdout;
    noPatientValues("the exported state", text);
    const r = JSON.parse(text).deployment.resources.find((x: { urn: string }) => x.urn.endsWith(`::${name}`));
    return r.outputs as Record<string, unknown>;
  };

  /** A preview that must fail: the one line the user reads names `property` and matches `reason`; no stack trace. */
  const failsAtPreview = async (p: PulumiProject, property: string, reason: RegExp) => {
    const r = await run(p, ["preview"]);
    const text = r.stdout + r.stderr;
    assert.notEqual(r.code, 0, `preview passed:\n${text}`);
    const line = text.split("\n").find((l) => l.includes(`property ${property} `) || l.includes(`${property}:`));
    assert.ok(line, `no line names ${property}:\n${text}`);
    assert.match(line, reason);
    assert.doesNotMatch(text, /^\s+at .+\(.*:\d+:\d+\)$/m, "no stack trace");
    return r;
  };

  before(async function () {
    this.timeout(20 * 60_000);
    ensureBuilt();
    seeded = await startSeeded();
    values = await patientValues(seeded);
    assert.ok(values.length >= 3, "the sample data has patient values to look for");
  });
  after(async () => {
    for (const p of projects) p.remove();
    await seeded?.stop();
  });

  it("1. what up would fail on fails the preview, one line naming the input and the fix; offline previews can skip the reads", async () => {
    const source = seeded.imageSetOfSeries(SERIES.ct4);
    const p = await project("truth-inputs", [{ name: "copy", args: { sourceImageSetId: "0".repeat(32) } }]);
    await failsAtPreview(p, "sourceImageSetId", /image set 0{32} does not exist in data store \w+ .*check sourceImageSetId, datastoreId and the region/);
    // `up` fails the same way, before anything is sent
    const up = await run(p, ["up", "--yes", "--skip-preview"]);
    assert.notEqual(up.code, 0);
    assert.match(up.stdout + up.stderr, /sourceImageSetId.*does not exist/);

    // a merge of the same patient's other series into a copy of series 5: Series differ, force needed
    const destination = (await colleagueCopy(SERIES.ct5)).imageSetId!;
    write(p, [{ name: "merge", args: { sourceImageSetId: source, destination: { imageSetId: destination, versionId: "1" } } }]);
    await failsAtPreview(
      p,
      "force",
      new RegExp(`merge into image set ${destination} needs \`force: true\`: series ${SERIES.ct4.replace(/\./g, "\\.")} is not in it`),
    );

    // where the service is: region, endpoint, credentials
    write(p, [{ name: "copy", args: { sourceImageSetId: source } }]);
    p.env.AWS_REGION = "eu-west-3";
    await failsAtPreview(p, "region", /signed for region eu-west-3 \(from AWS_REGION\).*check that AWS_REGION names the region of the endpoint/);
    p.env.AWS_REGION = seeded.emu.credentials.region;
    const endpoint = p.env.AWS_ENDPOINT_URL_MEDICAL_IMAGING;
    p.env.AWS_ENDPOINT_URL_MEDICAL_IMAGING = "http://127.0.0.1:9";
    await failsAtPreview(p, "endpoint", /could not connect to http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\)\. Check AWS_ENDPOINT_URL_MEDICAL_IMAGING/);
    // offline: the reads are off, the preview plans the copy
    p.env.PULUMI_HEALTHIMAGING_CHECK_WITH_SERVICE = "false";
    const offline = await ok(p, ["preview"]);
    assert.match(offline.stdout, /\+ 1 to create/);
    delete p.env.PULUMI_HEALTHIMAGING_CHECK_WITH_SERVICE;
    p.env.AWS_ENDPOINT_URL_MEDICAL_IMAGING = endpoint;
    const key = p.env.AWS_ACCESS_KEY_ID;
    p.env.AWS_ACCESS_KEY_ID = "AKIAWRONGWRONGWRONG0";
    await failsAtPreview(p, "region", /UnrecognizedClientException: .*check that they are valid for the endpoint/);
    delete p.env.AWS_ACCESS_KEY_ID;
    delete p.env.AWS_SECRET_ACCESS_KEY;
    Object.assign(p.env, {
      AWS_SHARED_CREDENTIALS_FILE: path.join(p.dir, "none"),
      AWS_CONFIG_FILE: path.join(p.dir, "none"),
      AWS_EC2_METADATA_DISABLED: "true",
    });
    await failsAtPreview(p, "region", /no AWS credentials found for .*set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE/);
    p.env.AWS_ACCESS_KEY_ID = key;
    p.env.AWS_SECRET_ACCESS_KEY = seeded.emu.credentials.secretAccessKey;
    await ok(p, ["preview"]);
  });

  it("2. a merge across patients is refused even with force (which it does not suggest); mergeAcrossPatients allows it", async () => {
    const destination = (await colleagueCopy(SERIES.ct5)).imageSetId!;
    const merge = { sourceImageSetId: seeded.imageSetOfSeries(SERIES.cr1), destination: { imageSetId: destination, versionId: "1" }, force: true };
    const p = await project("truth-patients", [{ name: "merge", args: merge }]);
    const r = await failsAtPreview(
      p,
      "mergeAcrossPatients",
      /Patient attributes differ from those of the destination image set \w+ \([A-Za-z, ]+\).*refused even with `force`/,
    );
    assert.doesNotMatch(r.stdout + r.stderr, /set `force|force: true`? merges/, "does not suggest force");
    const up = await run(p, ["up", "--yes", "--skip-preview"]);
    assert.notEqual(up.code, 0);
    assert.deepEqual(await versionsOf(destination), [{ versionId: "1", status: "COPIED" }], "nothing was sent: no failed version on the destination");
    write(p, [{ name: "merge", args: { ...merge, mergeAcrossPatients: true } }]);
    await ok(p, ["preview"]);
  });

  it("3. an adoption previews as one: up adopts and copies nothing", async () => {
    const theirs = (await colleagueCopy(SERIES.mra2)).imageSetId!;
    const p = await project("truth-adopt", [{ name: "adopted", args: { sourceImageSetId: seeded.imageSetOfSeries(SERIES.mra2), adoptImageSetId: theirs } }]);
    const preview = await ok(p, ["preview"]);
    assert.match(preview.stdout + preview.stderr, new RegExp(`\`pulumi up\` adopts image set ${theirs} \\(adoptImageSetId, version 1\\).*it copies nothing`));
    await ok(p, ["up", "--yes", "--skip-preview"]);
    assert.equal((await stateOf(p, "adopted")).imageSetId, theirs);
  });

  it("4. drift: the preview's words are up's, and up does what they say (edit alone: keep, revert; after a merge: keep, revert refused)", async () => {
    // two merges of the same patient's other series into base, one instance each
    const ct4 = seeded.imageSetOfSeries(SERIES.ct4);
    const [first, second] = instancesIn(await metadataOf(client(), ds(), ct4))[SERIES.ct4];
    const mergeOf = (name: string, uid: string): Resource => ({
      name,
      args: { sourceImageSetId: ct4, subset: { series: { [SERIES.ct4]: [uid] } }, force: true },
      destinationFrom: "base",
    });
    const resources = (baseDrift: string): Resource[] => [
      { name: "solo", args: { sourceImageSetId: seeded.imageSetOfSeries(SERIES.ctHead), onDrift: "keep" } },
      { name: "base", args: { sourceImageSetId: seeded.imageSetOfSeries(SERIES.ct5), onDrift: baseDrift } },
      mergeOf("merge", first),
    ];
    const p = await project("truth-drift", resources("keep"));
    await ok(p, ["up", "--yes", "--skip-preview"]);
    const solo = String((await stateOf(p, "solo")).imageSetId);
    const base = String((await stateOf(p, "base")).imageSetId);
    assert.deepEqual(
      (await versionsOf(base)).map((v) => v.status),
      ["COPIED", "COPIED"],
      "version 2 of base is the merge",
    );
    await colleagueEdit(solo, "EDITED ONE");
    await colleagueEdit(base, "EDITED TWO");
    await ok(p, ["refresh", "--yes", "--skip-preview"]);

    /** the provider's drift line for an image set, from a CLI run's output */
    const words = (r: CliResult, imageSetId: string) => {
      const m = new RegExp(`image set ${imageSetId}: version[^\\n]*`).exec(r.stdout + r.stderr);
      assert.ok(m, `no drift words for ${imageSetId}:\n${r.stdout}\n${r.stderr}`);
      return m[0].trim();
    };
    const previewAndUp = async () => {
      const preview = await ok(p, ["preview"]);
      const up = await ok(p, ["up", "--yes", "--skip-preview"]);
      return { preview, up };
    };

    // keep, both: the colleague's version is the baseline; the merge (version 2) is named as the stack's own
    let { preview, up } = await previewAndUp();
    const soloWords = words(preview, solo);
    const baseWords = words(preview, base);
    assert.equal(
      soloWords,
      `image set ${solo}: version 2 (UPDATED) made outside this stack (Study.StudyDescription changed; instances 0 added, 0 removed); onDrift is "keep" (set onDrift: "revert" to revert to version 1): \`pulumi up\` keeps version 2 as the new baseline, changing nothing in the image set`,
    );
    assert.equal(
      baseWords,
      `image set ${base}: version 3 (UPDATED) made outside this stack (Study.StudyDescription changed; instances 0 added, 0 removed); version 2 made by other resources of this stack; onDrift is "keep": \`pulumi up\` keeps version 3 as the new baseline, changing nothing in the image set`,
      "the merge's series and instances are not blamed on the colleague",
    );
    assert.equal(words(up, solo), soloWords, "up says what the preview said");
    assert.equal(words(up, base), baseWords);
    assert.equal((await stateOf(p, "solo")).versionId, "2");
    assert.equal((await stateOf(p, "base")).versionId, "3");
    assert.equal((await versionsOf(solo)).length, 2, "keep writes nothing");
    assert.equal((await versionsOf(base)).length, 3);
    await ok(p, ["preview", "--expect-no-changes"]);

    // revert: allowed for solo's edit alone, refused over base's merge
    await colleagueEdit(solo, "EDITED THREE");
    await colleagueEdit(base, "EDITED FOUR");
    const reverting = resources("revert");
    reverting[0].args.onDrift = "revert";
    write(p, reverting);
    await ok(p, ["refresh", "--yes", "--skip-preview"]);
    ({ preview, up } = await previewAndUp());
    assert.match(words(preview, solo), /version 3 \(UPDATED\) made outside this stack .*; onDrift is "revert": `pulumi up` reverts it to version 2$/);
    // base's baseline is 3 now, and the merge (2) is before it: the edit alone is after it, so it reverts too
    assert.match(words(preview, base), /version 4 \(UPDATED\) made outside this stack .*; onDrift is "revert": `pulumi up` reverts it to version 3$/);
    assert.equal(words(up, solo), words(preview, solo));
    assert.equal(words(up, base), words(preview, base));
    assert.equal((await metadataOf(client(), ds(), solo)).Study.DICOM.StudyDescription, "EDITED ONE", "solo is back at its baseline (version 2)");
    assert.equal((await metadataOf(client(), ds(), base)).Study.DICOM.StudyDescription, "EDITED TWO");

    // a merge after the baseline, then an edit: a revert would undo the merge, so it is refused
    write(p, [...reverting, mergeOf("merge2", second)]);
    await ok(p, ["up", "--yes", "--skip-preview"]);
    const merged = (await versionsOf(base)).length;
    await colleagueEdit(base, "EDITED FIVE");
    await ok(p, ["refresh", "--yes", "--skip-preview"]);
    ({ preview, up } = await previewAndUp());
    const refused = words(preview, base);
    assert.match(
      refused,
      /made by other resources of this stack; onDrift is "revert", but a revert to version \d+ would also undo what other resources of this stack wrote since: `pulumi up` keeps version \d+ as the new baseline/,
    );
    assert.equal(words(up, base), refused);
    assert.equal((await versionsOf(base)).length, merged + 1, "up wrote nothing: the revert was refused as the preview said");
    assert.equal((await metadataOf(client(), ds(), base)).Study.DICOM.StudyDescription, "EDITED FIVE");
    assert.deepEqual(instancesIn(await metadataOf(client(), ds(), base))[SERIES.ct4], [first, second].sort(), "the merges are kept");
  });
});
