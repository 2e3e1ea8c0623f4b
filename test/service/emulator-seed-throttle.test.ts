// `npm run seed` twice within seconds: the second run's CreateDatastore meets the quota the first
// used (about 1 per 12 s), waits it out, says so, and succeeds, instead of dying on "Rate exceeded".

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROFILES } from "../../emulator/limits";
import { quotaOf, seedBackoffMs } from "../../emulator/seedClient";
import type { RunningEmulator } from "../../emulator/server";
import { ensureBuilt } from "../support/build";
import { startTestEmulator } from "../support/emulator";
import { SAMPLE_BUCKET, sampleS3Root } from "../support/seeded";
import { runProcess } from "../support/run";

const CLI = path.join(__dirname, "..", "..", "emulator", "dist", "cli.js");

/** `healthimaging-local seed --endpoint ...` (asynchronously: the service lives in this process). */
function seedCli(endpoint: string) {
  return runProcess(process.execPath, [CLI, "seed", "--endpoint", endpoint, "--input-s3-uri", `s3://${SAMPLE_BUCKET}/dicomdirtests/`]);
}

describe("seed twice back to back against a service with the documented rate limits", function () {
  this.timeout(90_000);
  let emu: RunningEmulator;
  let s3Root: string;

  before(async () => {
    ensureBuilt();
    s3Root = sampleS3Root();
    // fast timings, AWS's rate limits (CreateDatastore 0.085 TPS, StartDICOMImportJob 0.25 TPS, burst 1)
    emu = await startTestEmulator({ s3Root, rateLimits: PROFILES.realistic.rateLimits });
  });
  after(async () => {
    await emu?.stop();
    for (const dir of [s3Root, emu?.dataDir]) if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the second run waits for the CreateDatastore quota, says so, and seeds a second data store", async () => {
    const first = await seedCli(emu.endpoint);
    assert.equal(first.code, 0, first.stderr);
    const second = await seedCli(emu.endpoint);
    assert.equal(second.code, 0, second.stderr);
    assert.match(
      second.stderr,
      /^seed: CreateDatastore was throttled \(Rate exceeded; the service allows about 1 CreateDatastore per 12 s\): waiting 12 s, then attempt 2 of 6$/m,
    );
    const [a, b] = [JSON.parse(first.stdout), JSON.parse(second.stdout)];
    assert.notEqual(a.datastoreId, b.datastoreId);
    assert.equal(b.jobStatus, "COMPLETED");
    assert.equal(b.imageSets.length, a.imageSets.length);
  });

  it("waits are the throttled operation's quota interval, doubling, at most 30 s", () => {
    assert.deepEqual(
      [1, 2, 3].map((n) => seedBackoffMs("CreateDatastore", n)),
      [11_765, 23_530, 30_000],
    );
    // StartDICOMImportJob: 40 TPS in AWS's current table (emulator/limits.ts)
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => seedBackoffMs("StartDICOMImportJob", n)),
      [25, 50, 100, 200],
    );
    assert.match(quotaOf("StartDICOMImportJob"), /about 40 StartDICOMImportJob per second$/);
    assert.match(quotaOf("CreateDatastore"), /about 1 CreateDatastore per 12 s$/);
    assert.equal(seedBackoffMs("SomethingUnlimited", 1), 1_000);
  });
});
