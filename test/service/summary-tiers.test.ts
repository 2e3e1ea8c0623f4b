// `npx pulumi-healthimaging summarize preview.json --read-tiers` against the local service with
// source image sets aged into the archive tier (the service's clock moved 31 days): the summary
// says how many sources are archived and what `up` does to them, with only GetImageSet calls
// (read-only, no access: the tiers stay as they were); then a real create from an archived source
// moves it to Frequent Access, as the summary said it would.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { GetImageSetCommand } from "@aws-sdk/client-medical-imaging";
import { ensureBuilt } from "../support/build";
import { byOperation } from "../support/countingProxy";
import { awsEnv } from "../support/emulator";
import { type ProviderFixture, startProviderFixture } from "../support/providerFixture";
import { metadataOf, SERIES } from "../support/seeded";

const ROOT = path.resolve(__dirname, "..", "..");
const TYPE = "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet";
const DAY = 24 * 3600 * 1000;

describe("summary: --read-tiers with image sets aged into the archive tier", function () {
  this.timeout(120_000);
  let fx: ProviderFixture;
  let dir: string;

  before(async () => {
    ensureBuilt();
    fx = await startProviderFixture({ countCalls: true });
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "hi-summary-tiers-"));
  });
  after(async () => {
    await fx?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const tierOf = async (imageSetId: string) => (await fx.seeded.client.send(new GetImageSetCommand({ datastoreId: fx.datastoreId, imageSetId }))).storageTier;

  it("counts the archived sources, says up moves them to Frequent Access, and reads with GetImageSet only", async () => {
    const [ct, mra700, mra2] = [SERIES.ctHead, SERIES.mra700, SERIES.mra2].map((s) => fx.seeded.imageSetOfSeries(s));
    fx.seeded.emu.service.advanceClock(31 * DAY);
    await metadataOf(fx.seeded.client, fx.datastoreId, mra2); // read just now: Frequent Access again
    assert.deepEqual(await Promise.all([ct, mra700, mra2].map(tierOf)), ["ARCHIVE_INSTANT_ACCESS", "ARCHIVE_INSTANT_ACCESS", "FREQUENT_ACCESS"]);
    const lastAccessed = structuredClone(Object.fromEntries([ct, mra700, mra2].map((id) => [id, fx.seeded.emu.service.state.imageSets[id].lastAccessedAt])));

    const step = (name: string, sourceImageSetId: string, series: string) => ({
      op: "create",
      urn: `urn:pulumi:dev::curation::${TYPE}::${name}`,
      newState: { type: TYPE, inputs: { datastoreId: fx.datastoreId, sourceImageSetId, subset: { series: { [series]: "all" } } } },
    });
    const preview = path.join(dir, "preview.json");
    fs.writeFileSync(
      preview,
      JSON.stringify({ steps: [step("ct", ct, SERIES.ctHead), step("angio", mra700, SERIES.mra700), step("mra2", mra2, SERIES.mra2)] }),
    );
    const from = fx.proxy!.calls.length;
    // asynchronously: the service runs in this process
    const run = await promisify(execFile)(
      process.execPath,
      [path.join(ROOT, "provider", "bin", "pulumi-healthimaging.js"), "summarize", preview, "--read-tiers"],
      {
        env: {
          PATH: process.env.PATH,
          HOME: os.tmpdir(),
          AWS_CONFIG_FILE: "/dev/null",
          AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
          ...awsEnv(fx.seeded.emu, fx.proxy!.url),
        },
      },
    );
    const text = run.stdout;
    assert.match(text, /### Storage tiers and cost \(estimates\)/);
    assert.match(text, /Source image sets this change copies from: 3; tiers read with GetImageSet \(not an access: reading them moves nothing\) for 3\./);
    assert.match(text, /- \*\*2 sources in Archive Instant Access\*\* \(last accessed 31 days ago\), 1 in Frequent Access\./);
    assert.match(text, /the 2 archived sources move to Frequent Access and stay there until 30 days pass without access/);
    assert.match(text, /1 source was last accessed less than an hour before this read/);
    assert.match(text, /New storage: 3 new image sets, bringing 3 whole series, in Frequent Access/);
    // read-only, and no access: one GetImageSet per source, nothing moved
    assert.deepEqual(byOperation(fx.proxy!.calls.slice(from)), { GetImageSet: 3 });
    for (const [id, at] of Object.entries(lastAccessed)) assert.equal(fx.seeded.emu.service.state.imageSets[id].lastAccessedAt, at);
    assert.deepEqual(await Promise.all([ct, mra700].map(tierOf)), ["ARCHIVE_INSTANT_ACCESS", "ARCHIVE_INSTANT_ACCESS"]);

    // what the summary said: applying a copy from an archived source moves the source to Frequent Access
    const made = await fx.create("ct", { datastoreId: fx.datastoreId, sourceImageSetId: ct });
    assert.equal(await tierOf(ct), "FREQUENT_ACCESS", "the copy's reads of its source are access");
    assert.equal(await tierOf(String(made.outs.imageSetId)), "FREQUENT_ACCESS", "the new image set starts in Frequent Access");
    assert.equal(await tierOf(mra700), "ARCHIVE_INSTANT_ACCESS", "a source nothing copied from stays archived");
  });

  it("--read-tiers without a region fails in one line", async () => {
    const preview = path.join(dir, "one.json");
    const inputs = { datastoreId: fx.datastoreId, sourceImageSetId: fx.seeded.imageSetOfSeries(SERIES.ctHead) };
    fs.writeFileSync(preview, JSON.stringify({ steps: [{ op: "create", urn: `urn:pulumi:dev::p::${TYPE}::x`, newState: { type: TYPE, inputs } }] }));
    const run = await promisify(execFile)(
      process.execPath,
      [path.join(ROOT, "provider", "bin", "pulumi-healthimaging.js"), "summarize", preview, "--read-tiers"],
      {
        env: { PATH: process.env.PATH, HOME: os.tmpdir(), AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" },
      },
    ).then(
      () => assert.fail("expected exit code 1"),
      (e: { code: number; stderr: string }) => e,
    );
    assert.equal(run.code, 1);
    assert.equal(run.stderr, "--read-tiers: No AWS region: set the resource's `region`, the aws:region config, or AWS_REGION.\n");
  });
});
