// Data ownership with the real Pulumi CLI (file backend, offline) against a seeded local service,
// the program reaching the service through a TCP proxy that can lose a chosen request. A
// "colleague" is this test writing to the service directly with the AWS SDK (not through the
// proxy). What the stack made is the stack's; what anyone else made is never adopted, tagged,
// reverted away or deleted by it:
//   1. the CopyImageSet of a new copy is lost while a colleague copies another selection of the same
//      source: the stack makes its own copy and never adopts, tags or deletes the colleague's;
//   2. a merge's CopyImageSet is lost while a colleague edits the destination: the merge lands on
//      top of the colleague's version, and destroy removes the merged instance, keeping the edit;
//   3. destroy of a promoted primary image set that an import has added a version to refuses,
//      naming the version and `onForeignVersions`; with "leave" it is left (and removed from state),
//      with "delete" it is deleted;
//   4. a second stack declaring the same merge as another does not adopt the other stack's version;
//   5. two stacks merging into one destination at the same time each record their own versions
//      in a tag of their own on it.
// Neither the CLI output nor any exported state carries patient-level DICOM values.

import {
  CopyImageSetCommand,
  DeleteImageSetCommand,
  GetDICOMImportJobCommand,
  GetImageSetCommand,
  type GetImageSetCommandOutput,
  ListTagsForResourceCommand,
  SearchImageSetsCommand,
  StartDICOMImportJobCommand,
  UpdateImageSetMetadataCommand,
} from "@aws-sdk/client-medical-imaging";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { SEED_ROLE_ARN } from "../../emulator/seed";
import { ensureBuilt } from "../support/build";
import { eventually } from "../support/emulator";
import { type CliResult, createProject, type PulumiProject } from "../support/pulumiCli";
import { dicomdirTestsFile } from "../support/sampleData";
import { instancesIn, metadataOf, patientValues, SAMPLE_BUCKET, type Seeded, SERIES, startSeeded } from "../support/seeded";
import { startTcpProxy, type TcpProxy } from "../support/tcpProxy";

type Resource = { name: string; args: Record<string, unknown> };
type StateResource = { urn: string; type: string; id?: string; outputs?: Record<string, unknown> };

const TAG_PREFIX = "pulumi-healthimaging";
const MADE_PREFIX = "pulumi-healthimaging:made:";
/** The per-stack ownership tag: "pulumi-healthimaging:made:" + 16 hex of sha256("<project>/<stack>"). */
const madeKey = (project: string, stack: string) => MADE_PREFIX + createHash("sha256").update(`${project}/${stack}`).digest("hex").slice(0, 16);
/** "2-5,7" -> [2,3,4,5,7] (written here, not imported from the provider, so the test states the format). */
const decodeRanges = (value: string | undefined): number[] =>
  (value ?? "").split(",").flatMap((part) => {
    const m = /^\s*(\d+)(?:-(\d+))?\s*$/.exec(part);
    if (!m) return [];
    const [from, to] = [Number(m[1]), Number(m[2] ?? m[1])];
    return Array.from({ length: Math.max(0, Math.min(to - from + 1, 100_000)) }, (_, i) => from + i);
  });
/** The folder of the CT HEAD/BRAIN study's only series (SERIES.ctHead) in dicomdirtests. */
const CT_HEAD_FOLDER = "77654033/CT2";

describe("e2e: data ownership with the real Pulumi CLI (lost requests, colleagues, other stacks)", function () {
  this.timeout(300_000);
  let seeded: Seeded;
  let proxy: TcpProxy;
  let values: string[];
  const projects: PulumiProject[] = [];
  const program = fs.readFileSync(path.join(__dirname, "..", "fixtures", "specProgram.ts"), "utf8");

  const client = () => seeded.client;
  const ds = () => seeded.datastoreId;
  const getSet = (imageSetId: string) => client().send(new GetImageSetCommand({ datastoreId: ds(), imageSetId }));
  /** GetImageSet once the image set is no longer LOCKED */
  const settled = (imageSetId: string) =>
    eventually(async () => {
      const out = await getSet(imageSetId);
      return out.imageSetState !== "LOCKED" ? out : undefined;
    }, 60_000);
  const active = async (imageSetId: string) => {
    const out = await settled(imageSetId);
    assert.equal(out.imageSetState, "ACTIVE", `image set ${imageSetId} is ${out.imageSetState}`);
    return out;
  };
  /** the image set is deleted (GetImageSet: not found, or DELETED) */
  const isGone = async (imageSetId: string) => {
    try {
      return (await getSet(imageSetId)).imageSetState === "DELETED";
    } catch (e) {
      if ((e as Error).name === "ResourceNotFoundException") return true;
      throw e;
    }
  };
  const contents = async (imageSetId: string, versionId?: string) => instancesIn(await metadataOf(client(), ds(), imageSetId, versionId));
  const tagsOf = async (imageSetId: string) =>
    (await client().send(new ListTagsForResourceCommand({ resourceArn: (await getSet(imageSetId)).imageSetArn! }))).tags ?? {};
  const uidsOf = async (series: string) => (await contents(seeded.imageSetOfSeries(series)))[series];
  const copiable = (series: string, uids: string[]) =>
    JSON.stringify({ SchemaVersion: "1.1", Study: { Series: { [series]: { Instances: Object.fromEntries(uids.map((u) => [u, {}])) } } } });

  /** The colleague: CopyImageSet of some instances of a series' primary image set into a new image set; resolves once it is ACTIVE. */
  const colleagueCopy = async (series: string, uids?: string[]): Promise<GetImageSetCommandOutput> => {
    const sourceImageSetId = seeded.imageSetOfSeries(series);
    const latestVersionId = (await active(sourceImageSetId)).versionId!;
    const out = await client().send(
      new CopyImageSetCommand({
        datastoreId: ds(),
        sourceImageSetId,
        copyImageSetInformation: { sourceImageSet: { latestVersionId, ...(uids ? { DICOMCopies: { copiableAttributes: copiable(series, uids) } } : {}) } },
      }),
    );
    const done = await active(out.destinationImageSetProperties!.imageSetId!);
    await active(sourceImageSetId);
    return done;
  };

  /** Checks a CLI run's output for patient-level values, and returns it. */
  const scanned = (where: string, r: CliResult): CliResult => {
    noPatientValues(where, r.stdout + r.stderr);
    return r;
  };
  const noPatientValues = (where: string, text: string) => {
    for (const v of values) assert.ok(!text.includes(v), `${where} contains a patient-level value (${v.length} chars)`);
  };
  const cli = async (p: PulumiProject, args: string[]) => scanned(`pulumi ${args[0]} in ${path.basename(p.dir)}`, await p.run(args));
  const ok = async (p: PulumiProject, args: string[]) => {
    const r = await cli(p, args);
    assert.equal(r.code, 0, `pulumi ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
    return r;
  };
  const up = (p: PulumiProject) => cli(p, ["up", "--yes", "--skip-preview"]);
  const destroy = (p: PulumiProject) => cli(p, ["destroy", "--yes", "--skip-preview"]);
  const exitedZero = (what: string, r: CliResult) => assert.equal(r.code, 0, `${what} exited ${r.code}\n${r.stdout}\n${r.stderr}`);

  /** A project running specProgram.ts with these resources, reaching the service through the proxy. */
  const project = async (name: string, resources: Resource[], stack = "test") => {
    const p = await createProject(name, { "index.ts": program }, seeded.emu, stack);
    projects.push(p);
    // the program's provider talks to the service through the proxy; the colleague does not
    p.env.AWS_ENDPOINT_URL_MEDICAL_IMAGING = proxy.endpoint;
    writeSpec(p, resources);
    return p;
  };
  const writeSpec = (p: PulumiProject, resources: Resource[]) => p.writeFile("spec.json", JSON.stringify({ datastoreId: ds(), resources }, null, 2));
  /** the stack's DerivedImageSets in `pulumi stack export`, by name (the export scanned for patient values) */
  const stateOf = async (p: PulumiProject) => {
    const text = (await ok(p, ["stack", "export"])).stdout;
    noPatientValues(`the exported state of ${path.basename(p.dir)}`, text);
    const resources = ((JSON.parse(text).deployment.resources ?? []) as StateResource[]).filter((r) => r.type.includes("DerivedImageSet"));
    return new Map(resources.map((r) => [r.urn.split("::").pop()!, r.outputs ?? {}]));
  };
  const stackOutputs = async (p: PulumiProject) =>
    JSON.parse((await ok(p, ["stack", "output", "--json"])).stdout).resources as Record<string, { imageSetId: string; versionId: string }>;
  const expectFaultFired = () => {
    assert.equal(proxy.pending(), 0, "the armed fault met its request");
    assert.deepEqual(proxy.stats.hookErrors.map(String), [], "the colleague's write (beforeFault) succeeded");
  };

  before(async function () {
    // the first run on a fresh machine builds the Pulumi CLI from Go modules (about 10 minutes on 2 cores)
    this.timeout(20 * 60_000);
    ensureBuilt();
    seeded = await startSeeded();
    proxy = await startTcpProxy(seeded.emu.port);
    values = await patientValues(seeded);
    assert.ok(values.length >= 3, "the sample data has patient values to look for");
  });
  after(async () => {
    for (const p of projects) p.remove();
    await proxy?.close();
    await seeded?.stop();
  });

  it("1. the answer to a new copy is lost while a colleague copies another selection of the source: the stack makes its own and leaves the colleague's alone", async () => {
    const series = SERIES.mra700;
    const all = await uidsOf(series);
    const declared = all.slice(0, 3);
    const theirs = all.slice(3, 6);
    const p = await project("own-lost-copy", [
      { name: "subset", args: { sourceImageSetId: seeded.imageSetOfSeries(series), subset: { series: { [series]: declared } } } },
    ]);
    let colleague: GetImageSetCommandOutput | undefined;
    proxy.arm({
      kind: "dropRequest",
      match: /copyImageSet/,
      beforeFault: async () => {
        colleague = await colleagueCopy(series, theirs);
      },
    });
    const r = await up(p);
    expectFaultFired();
    exitedZero("up", r);
    assert.ok(colleague, "the colleague copied");
    const colleagueId = colleague.imageSetId!;
    const ours = (await stackOutputs(p)).subset.imageSetId;
    assert.notEqual(ours, colleagueId, "up adopted the colleague's image set as the stack's");
    const foreignTags = Object.keys(await tagsOf(colleagueId)).filter((k) => k.startsWith(TAG_PREFIX));
    assert.deepEqual(foreignTags, [], "the colleague's image set carries no tag of the provider");
    assert.deepEqual(await contents(ours), { [series]: [...declared].sort() }, "the stack's image set holds exactly the declared instances");
    assert.deepEqual(await contents(colleagueId), { [series]: [...theirs].sort() });
    await stateOf(p);

    exitedZero("destroy", await destroy(p));
    const after = await getSet(colleagueId);
    assert.equal(after.imageSetState, "ACTIVE", "the colleague's image set still exists");
    assert.equal(after.versionId, colleague.versionId, "and is at the same version");
    assert.ok(await isGone(ours), "the stack's image set is deleted");
  });

  it("2. the answer to a merge is lost while a colleague edits the destination: the merge lands on the colleague's version, destroy keeps the edit", async () => {
    const series = SERIES.ct5;
    const all = await uidsOf(series);
    const destination = (await colleagueCopy(series, all.slice(0, 2))).imageSetId!;
    const merged = all[2];
    const p = await project("own-lost-merge", [
      {
        name: "merge",
        args: {
          sourceImageSetId: seeded.imageSetOfSeries(series),
          subset: { series: { [series]: [merged] } },
          destination: { imageSetId: destination, versionId: (await active(destination)).versionId! },
          // the colleague's edit makes the Study levels differ; force keeps the destination's
          force: true,
        },
      },
    ]);
    let colleagueVersion: string | undefined;
    proxy.arm({
      kind: "dropRequest",
      match: /copyImageSet/,
      beforeFault: async () => {
        const latestVersionId = (await active(destination)).versionId!;
        const updatableAttributes = new TextEncoder().encode(
          JSON.stringify({ SchemaVersion: 1.1, Study: { DICOM: { StudyDescription: "edited by colleague" } } }),
        );
        await client().send(
          new UpdateImageSetMetadataCommand({
            datastoreId: ds(),
            imageSetId: destination,
            latestVersionId,
            updateImageSetMetadataUpdates: { DICOMUpdates: { updatableAttributes } },
          }),
        );
        colleagueVersion = (await active(destination)).versionId!;
      },
    });
    const r = await up(p);
    expectFaultFired();
    exitedZero("up", r);
    assert.ok(colleagueVersion, "the colleague edited the destination");
    const outs = (await stateOf(p)).get("merge")!;
    assert.equal(outs.imageSetId, destination);
    assert.notEqual(String(outs.versionId), colleagueVersion, "the state records the colleague's version as the merge's");
    const latest = await metadataOf(client(), ds(), destination);
    assert.ok(merged in latest.Study.Series[series].Instances, "the destination holds the merged instance");
    assert.equal(latest.Study.DICOM.StudyDescription, "edited by colleague", "and the colleague's StudyDescription");

    exitedZero("destroy", await destroy(p));
    await active(destination);
    const kept = await metadataOf(client(), ds(), destination);
    assert.equal(kept.Study.DICOM.StudyDescription, "edited by colleague", "destroy kept the colleague's edit");
    assert.ok(!(merged in (kept.Study.Series[series]?.Instances ?? {})), "destroy removed the merged instance");
    assert.deepEqual(instancesIn(kept), { [series]: all.slice(0, 2).sort() });
  });

  describe("3. destroy of a promoted primary image set an import has added a version to", () => {
    const series = SERIES.ctHead;
    /** a non-primary full copy of the series, the source every promotion here copies */
    let copy: string | undefined;
    let imports = 0;

    /** Makes promotion possible: a non-primary copy of the series exists and the series has no primary image set. */
    const readyToPromote = async () => {
      copy ??= (await colleagueCopy(series)).imageSetId!;
      const primaries = await client().send(
        new SearchImageSetsCommand({
          datastoreId: ds(),
          searchCriteria: {
            filters: [
              { operator: "EQUAL", values: [{ DICOMSeriesInstanceUID: series }] },
              { operator: "EQUAL", values: [{ isPrimary: true }] },
            ],
          },
        }),
      );
      for (const s of primaries.imageSetsMetadataSummaries ?? []) {
        await active(s.imageSetId!);
        await client().send(new DeleteImageSetCommand({ datastoreId: ds(), imageSetId: s.imageSetId! }));
        await eventually(async () => ((await isGone(s.imageSetId!)) ? true : undefined), 60_000);
      }
      return copy;
    };
    /** The colleague imports the series' files again: the series' primary image set gets a new version. */
    const importSeries = async () => {
      const s3Root = seeded.emu.service.options.s3Root!;
      const folder = `ownership-import-${++imports}`;
      fs.symlinkSync(dicomdirTestsFile(CT_HEAD_FOLDER), path.join(s3Root, SAMPLE_BUCKET, folder), "dir");
      const { jobId } = await client().send(
        new StartDICOMImportJobCommand({
          datastoreId: ds(),
          dataAccessRoleArn: SEED_ROLE_ARN,
          inputS3Uri: `s3://${SAMPLE_BUCKET}/${folder}/`,
          outputS3Uri: `s3://output/${folder}/`,
        }),
      );
      const status = await eventually(async () => {
        const job = (await client().send(new GetDICOMImportJobCommand({ datastoreId: ds(), jobId }))).jobProperties!;
        return job.jobStatus === "COMPLETED" || job.jobStatus === "FAILED" ? job.jobStatus : undefined;
      }, 60_000);
      assert.equal(status, "COMPLETED");
    };
    /** import, and check that it added a version (IMPORTED) to the promoted image set; returns that version */
    const importInto = async (promoted: string) => {
      const before = (await active(promoted)).versionId!;
      await importSeries();
      const after = await active(promoted);
      assert.equal(after.versionId, String(Number(before) + 1), `the import added a version to the promoted image set (files of ${CT_HEAD_FOLDER})`);
      assert.equal(after.imageSetWorkflowStatus, "IMPORTED");
      assert.equal(after.isPrimary, true);
      return after.versionId!;
    };

    it("refuses, naming the version and onForeignVersions; with onForeignVersions: leave it is left and removed from state", async () => {
      const sourceImageSetId = await readyToPromote();
      const resources = (extra: Record<string, unknown> = {}): Resource[] => [
        { name: "promoted", args: { sourceImageSetId, promoteToPrimary: true, ...extra } },
      ];
      const p = await project("own-promoted", resources());
      await ok(p, ["up", "--yes", "--skip-preview"]);
      const promoted = (await stackOutputs(p)).promoted.imageSetId;
      assert.equal((await active(promoted)).isPrimary, true, "the copy was promoted");
      const foreign = await importInto(promoted);

      // onDrift "revert" never reverts imported data: refresh finds the import, up keeps it
      writeSpec(p, resources({ onDrift: "revert" }));
      const kept = await ok(p, ["up", "--yes", "--skip-preview", "--refresh"]);
      assert.match(kept.stdout + kept.stderr, /imported data is never reverted/, "up says why it keeps the import");
      assert.equal((await active(promoted)).versionId, foreign, "nothing reverted: the import is still the latest version");

      const refused = await destroy(p);
      assert.notEqual(refused.code, 0, `destroy must refuse to delete a version it did not make\n${refused.stdout}\n${refused.stderr}`);
      const said = refused.stdout + refused.stderr;
      assert.match(said, /onForeignVersions/, "the message names the input that decides");
      assert.match(said, new RegExp(`versions?\\D{0,20}\\b${foreign}\\b`), `the message names the foreign version ${foreign}`);
      const still = await active(promoted);
      assert.equal(still.versionId, foreign, "the image set still exists, with the imported version");
      assert.ok((await stateOf(p)).has("promoted"), "still in state");

      writeSpec(p, resources({ onForeignVersions: "leave" }));
      exitedZero("up with onForeignVersions: leave", await up(p));
      exitedZero("destroy with onForeignVersions: leave", await destroy(p));
      const left = await getSet(promoted);
      assert.equal(left.imageSetState, "ACTIVE", "the image set was left");
      assert.equal(left.versionId, foreign);
      assert.equal((await stateOf(p)).size, 0, "and removed from state");
    });

    it("with onForeignVersions: delete it is deleted", async () => {
      const sourceImageSetId = await readyToPromote();
      const p = await project("own-promoted-delete", [{ name: "promoted", args: { sourceImageSetId, promoteToPrimary: true, onForeignVersions: "delete" } }]);
      await ok(p, ["up", "--yes", "--skip-preview"]);
      const promoted = (await stackOutputs(p)).promoted.imageSetId;
      await importInto(promoted);
      exitedZero("destroy with onForeignVersions: delete", await destroy(p));
      assert.ok(await isGone(promoted), "the image set was deleted, foreign version and all");
      assert.equal((await stateOf(p)).size, 0);
    });
  });

  // (4 and 5 in describes of their own so that mocha runs them after 3)
  describe("4. another stack's merge", () => {
    it("a stack declaring the same merge as another stack does not adopt the other stack's version", async () => {
      const series = SERIES.mra2;
      const all = await uidsOf(series);
      const destination = (await colleagueCopy(series, all.slice(0, 1))).imageSetId!;
      const merge: Resource[] = [
        {
          name: "merge",
          args: {
            sourceImageSetId: seeded.imageSetOfSeries(series),
            subset: { series: { [series]: [all[1]] } },
            destination: { imageSetId: destination, versionId: (await active(destination)).versionId! },
          },
        },
      ];
      const a = await project("own-same-merge-a", merge);
      const b = await project("own-same-merge-b", merge);
      exitedZero("A's up", await up(a));
      const aOuts = (await stateOf(a)).get("merge")!;
      assert.equal(aOuts.imageSetId, destination);
      assert.ok(all[1] in (await metadataOf(client(), ds(), destination)).Study.Series[series].Instances);

      await up(b); // may fail (any message) or make its own version; it must not take A's
      for (const [name, outs] of await stateOf(b)) {
        assert.ok(
          !(outs.imageSetId === destination && String(outs.versionId) === String(aOuts.versionId)),
          `B's ${name} records A's version ${aOuts.versionId} of the destination as its own`,
        );
      }
      exitedZero("B's destroy", await destroy(b));
      await active(destination);
      assert.ok(all[1] in (await metadataOf(client(), ds(), destination)).Study.Series[series].Instances, "B's destroy left A's merged instance");

      exitedZero("A's destroy", await destroy(a));
      await active(destination);
      assert.deepEqual(await contents(destination), { [series]: all.slice(0, 1) }, "A's destroy removed it");
    });
  });

  describe("5. concurrent stacks", () => {
    it("two stacks merging into one destination at the same time: each records its own versions in its own tag", async () => {
      const series = SERIES.ct5;
      const all = await uidsOf(series);
      const destination = (await colleagueCopy(series, all.slice(0, 1))).imageSetId!;
      const versionId = (await active(destination)).versionId!;
      const merge = (uid: string): Resource[] => [
        {
          name: "merge",
          args: {
            sourceImageSetId: seeded.imageSetOfSeries(series),
            subset: { series: { [series]: [uid] } },
            destination: { imageSetId: destination, versionId },
          },
        },
      ];
      const stacks = [
        { project: "own-concurrent-a", stack: "a", uid: all[3] },
        { project: "own-concurrent-b", stack: "b", uid: all[4] },
      ];
      const ps = await Promise.all(stacks.map((s) => project(s.project, merge(s.uid), s.stack)));
      const ups = await Promise.all(ps.map((p) => up(p)));
      for (const [i, r] of ups.entries()) exitedZero(`${stacks[i].project}'s up`, r);

      await active(destination);
      assert.deepEqual(await contents(destination), { [series]: [all[0], all[3], all[4]].sort() }, "both merges landed");
      const tags = await tagsOf(destination);
      const madeKeys = Object.keys(tags).filter((k) => k.startsWith(MADE_PREFIX));
      assert.ok(madeKeys.length >= 2, `one ownership tag per stack, got: ${Object.keys(tags).join(", ")}`);
      const versions = new Set<string>();
      for (const [i, s] of stacks.entries()) {
        const key = madeKey(s.project, s.stack);
        assert.ok(key in tags, `the destination has ${s.project}/${s.stack}'s tag ${key} (tags: ${Object.keys(tags).join(", ")})`);
        const outs = (await stateOf(ps[i])).get("merge")!;
        assert.equal(outs.imageSetId, destination);
        const v = Number(outs.versionId);
        assert.ok(decodeRanges(tags[key]).includes(v), `${s.project}'s version ${v} is in its tag (${tags[key]})`);
        versions.add(String(v));
      }
      assert.equal(versions.size, 2, "each stack made a version of its own");

      for (const [i, p] of ps.entries()) exitedZero(`${stacks[i].project}'s destroy`, await destroy(p));
      await active(destination);
      assert.deepEqual(await contents(destination), { [series]: [all[0]] }, "the destination no longer has either instance");
    });
  });
});
