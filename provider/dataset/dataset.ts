// hi.Dataset: a curated dataset as one declaration. The program reads the data store to resolve
// the cohorts (read-only calls), then declares one DerivedImageSet per cohort and series, children
// of this component named "<dataset>/<cohort>/<SeriesInstanceUID>", and exposes the dataset
// manifest a training job reads: cohort -> the image sets, versions, UIDs and instance counts.

import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { type DerivedImageSetArgs, derivedImageSetProps } from "../resource/derivedImageSet";
import { CohortImageSets, type CohortMemberArgs } from "../resource/cohortImageSets";
import { serializedProvider } from "../resource/serializedProvider";
import { type Connection, imagingClient, resolveConnection } from "../service/client";
import { connectionProblem } from "../service/explain";
import { writeFileAtomic } from "../settings/home";
import { type CroissantInfo, croissantInfoProblems, croissantOf } from "./croissant";
import { envRateProblems, type WriteRate, writeRateProblems } from "../settings/writeRate";
import { type DatasetSpec, DatasetError, loadDataset, validateDataset } from "./manifest";
import { type DatasetPlan, type PlannedImageSet, planDataset } from "./plan";
import { SeriesFinder } from "./resolve";

/** One series of a cohort in the dataset manifest. */
export interface DatasetEntry {
  imageSetId: string;
  /** the image set's version holding the cohort's data (a study's latest merge for perStudy cohorts) */
  versionId: string;
  seriesInstanceUID: string;
  studyInstanceUID: string;
  instanceCount: number;
}

/** What a training job reads: cohort -> its series' image sets, by series UID order. */
export interface DatasetManifest {
  datastoreId: string;
  cohorts: Record<string, DatasetEntry[]>;
}

/** The arguments of a {@link Dataset}: where the series are, and the declaration. */
export interface DatasetArgs extends Connection {
  /** The data store the series are in, and the derived image sets are made in. */
  datastoreId: string;
  /** The declaration: a YAML/JSON file (relative paths from the program's folder), or the object itself. */
  dataset: string | DatasetSpec;
  /** Also write the dataset manifest to this JSON file after `pulumi up` (not during preview). */
  manifestFile?: string;
  /**
   * Also write the dataset as an MLCommons Croissant 1.1 description (JSON-LD) to this file after
   * `pulumi up`: the cohorts as splits and the manifest's entries as records. Needs `croissant`.
   */
  croissantFile?: string;
  /** What Croissant asks that the declaration does not say: at least the data's license and a url. */
  croissant?: CroissantInfo;
  /**
   * The account's write rates (calls per second) per operation, e.g. `{ copyImageSet: 5 }` after a
   * raised quota: every image set of the dataset is written at most this fast, without probing.
   * Omitted: remembered from an earlier run, else AWS's documented rate, then discovered.
   */
  writeRate?: WriteRate;
  /**
   * "perSeries" (default): one DerivedImageSet resource per cohort and series, named
   * "<dataset>/<cohort>/<SeriesInstanceUID>". "perCohort": one CohortImageSets resource per cohort,
   * named "<dataset>/<cohort>", holding its series as members: state of a few hundred bytes per
   * series instead of ~7 KB, and a preview that does not grow with the CLI's per-resource cost.
   * Switching a stack from perSeries to perCohort copies nothing again: each member takes over the
   * image set its per-series resource made (proven by that resource's tags).
   */
  layout?: "perSeries" | "perCohort";
  /** Every derived image set's `onDrift` (DerivedImageSet): "keep" (default) or "revert" versions made outside Pulumi. */
  onDrift?: "keep" | "revert";
  /** Every derived image set's `onForeignVersions` (DerivedImageSet): what destroy does with versions the stack did not make. */
  onForeignVersions?: "stop" | "delete" | "leave";
}

/**
 * A curated dataset: cohorts of DICOM series (by UID, by criteria resolved with SearchImageSets,
 * or shared out by patient in seeded splits), one derived image set per cohort and series.
 */
export class Dataset extends pulumi.ComponentResource<DatasetPlan> {
  /** cohort -> [{imageSetId, versionId, seriesInstanceUID, studyInstanceUID, instanceCount}] */
  readonly manifest: pulumi.Output<DatasetManifest>;
  /** The derived image sets, by "<cohort>/<SeriesInstanceUID>" */
  readonly imageSets: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: DatasetArgs, opts?: pulumi.ComponentResourceOptions) {
    super("healthimaging:index:Dataset", name, { ...args, name }, opts);
    if (args.layout !== undefined && args.layout !== "perSeries" && args.layout !== "perCohort")
      throw new pulumi.RunError(`Dataset "${name}": layout must be "perSeries" or "perCohort", got ${JSON.stringify(args.layout)}`);
    const built = this.getData().then((plan) => this.declare(name, args, plan));
    this.manifest = pulumi.output(built.then((b) => b.manifest));
    this.imageSets = pulumi.output(built.then((b) => b.ids));
    // Nothing registered on the component: the manifest reaches state once, as the program exports it.
    this.registerOutputs({});
    if (args.manifestFile && !pulumi.runtime.isDryRun()) {
      const file = args.manifestFile;
      // atomically: a training job reading the file never sees half of it
      this.manifest.apply((m) => writeFileAtomic(path.resolve(file), `${JSON.stringify(m, null, 2)}\n`));
    }
    if (args.croissantFile && args.croissant && !pulumi.runtime.isDryRun()) {
      const file = args.croissantFile;
      const info = args.croissant;
      const descriptions = built.then((b) => b.descriptions);
      // atomically too: an ML job reading the file never sees half of it
      pulumi
        .all([this.manifest, descriptions])
        .apply(([m, d]) => writeFileAtomic(path.resolve(file), `${JSON.stringify(croissantOf(name, m, info, { cohortDescriptions: d }), null, 2)}\n`));
    }
  }

  /**
   * Resolve the declaration against the data store (runs once, from the base class constructor).
   * Problems are reported on this component, one line each, and the program then stops with a
   * short RunError naming the component.
   */
  protected override async initialize(props: pulumi.Inputs): Promise<DatasetPlan> {
    const { name, ...args } = props as DatasetArgs & { name: string };
    try {
      return await this.resolve(name, args);
    } catch (e) {
      if (!(e instanceof DatasetError)) throw e;
      await pulumi.log.error(e.message, this);
      throw new pulumi.RunError(
        `Dataset "${name}": ${e.problems.length === 1 ? "a problem" : `${e.problems.length} problems`} in the declaration, listed under its healthimaging:index:Dataset (${name})`,
      );
    }
  }

  private async resolve(name: string, args: DatasetArgs): Promise<DatasetPlan> {
    const file = typeof args.dataset === "string" ? args.dataset : "the dataset";
    const spec = typeof args.dataset === "string" ? loadDataset(args.dataset) : validateDataset(args.dataset, file);
    if (args.croissantFile) {
      const problems = croissantInfoProblems(args.croissant, `Dataset "${name}"`);
      if (problems.length) throw new DatasetError(problems);
    }
    const rateProblems = [...writeRateProblems(args.writeRate), ...envRateProblems()];
    if (rateProblems.length) throw new DatasetError(rateProblems.map((p) => `Dataset "${name}": ${p}`));
    // DatastoreId pattern [0-9a-z]{32} (service model); a placeholder fails here, before any read.
    if (!/^[0-9a-z]{32}$/.test(String(args.datastoreId)))
      throw new DatasetError([
        `Dataset "${name}": datastoreId: ${JSON.stringify(args.datastoreId)} is not a data store id (32 lowercase letters and digits); set the data store the series are in`,
      ]);
    const finder = new SeriesFinder(imagingClient(resolveConnection(args)), args.datastoreId);
    try {
      return await planDataset(spec, finder, file);
    } catch (e) {
      if (e instanceof DatasetError) throw e;
      // where the service is (endpoint, region, credentials): one line naming the setting, no stack trace
      const problem = connectionProblem(args, e);
      if (problem) throw new DatasetError([`Dataset ${file}: reading data store ${args.datastoreId}: ${problem.message}`]);
      throw e;
    } finally {
      const calls = Object.entries(finder.calls).map(([op, n]) => `${n} ${op}`);
      pulumi.log.info(`dataset ${file}: ${calls.join(", ") || "no"} read calls`, this);
    }
  }

  private declare(name: string, args: DatasetArgs, plan: DatasetPlan) {
    if (args.layout === "perCohort") return this.declarePerCohort(name, args, plan);
    const sets = new Map<string, DatasetImageSet>();
    const common = sharedSettings(args);
    for (const p of plan.imageSets) {
      const base = p.mergeInto ? sets.get(p.mergeInto) : undefined;
      const set = withoutPromiseStacks(
        () =>
          new DatasetImageSet(
            `${name}/${p.key}`,
            {
              ...common,
              sourceImageSetId: p.sourceImageSetId,
              subset: p.subset,
              // Another series into a (non-primary) image set needs force: without it the service refuses
              // "Series of SourceImageSet and DestinationImageSet don't match" (the AWS CLI's
              // list-image-set-versions example; that force admits a new series is inferred). The
              // series share their study, so the destination's Patient/Study attributes it keeps are theirs.
              ...(base ? { destination: { imageSetId: base.imageSetId, versionId: base.versionId }, force: true } : {}),
            },
            { parent: this },
          ),
      );
      sets.set(p.key, set);
    }
    const entries = plan.imageSets.map((p) => entryOf(p, sets.get(p.key)!));
    const manifest = pulumi.all(entries).apply((list) => manifestOf(args.datastoreId, plan, list));
    const ids = pulumi.all(Object.fromEntries([...sets].map(([k, s]) => [k, s.imageSetId])));
    return { manifest, ids, descriptions: plan.descriptions };
  }

  /** One CohortImageSets per cohort, "<dataset>/<cohort>", its series as members. */
  private declarePerCohort(name: string, args: DatasetArgs, plan: DatasetPlan) {
    const byCohort = new Map<string, PlannedImageSet[]>();
    for (const p of plan.imageSets) {
      const list = byCohort.get(p.cohort);
      if (list) list.push(p);
      else byCohort.set(p.cohort, [p]);
    }
    // one Output per cohort, not three per series: at 10,000 series those were 30,000 Outputs, a
    // second of the program's time in Output plumbing and garbage collection (bench/NOTES.md §7)
    const cohorts: pulumi.Output<{ entries: (DatasetEntry & { cohort: string })[]; ids: Record<string, string> }>[] = [];
    for (const [cohort, list] of byCohort) {
      const members: Record<string, CohortMemberArgs> = {};
      for (const p of list) {
        const selection = p.subset.series[p.seriesInstanceUid];
        members[p.seriesInstanceUid] = {
          sourceImageSetId: p.sourceImageSetId,
          ...(Array.isArray(selection) ? { instances: selection } : {}),
          ...(p.mergeInto ? { mergeInto: p.mergeInto.slice(cohort.length + 1) } : {}),
        };
      }
      const batch = new CohortImageSets(`${name}/${cohort}`, { ...sharedSettings(args), members }, { parent: this });
      cohorts.push(
        batch.members.apply((made) => ({
          entries: list.map((p) => {
            const m = made[p.seriesInstanceUid];
            return entryFor(p, m.imageSetId, m.versionId, m.instanceCount ?? 0);
          }),
          ids: Object.fromEntries(list.map((p) => [p.key, made[p.seriesInstanceUid].imageSetId])),
        })),
      );
    }
    const all = pulumi.all(cohorts);
    const manifest = all.apply((list) =>
      manifestOf(
        args.datastoreId,
        plan,
        list.flatMap((c) => c.entries),
      ),
    );
    return { manifest, ids: all.apply((list) => Object.assign({}, ...list.map((c) => c.ids)) as Record<string, string>), descriptions: plan.descriptions };
  }
}

/**
 * Run `make` (a resource constructor) with V8 capturing no stack frames for new Errors. The Node SDK
 * tags each promise it makes for a resource with `new Error().stack` (runtime/debuggable.ts), which
 * its own source-map support then maps frame by frame: that was ~60 % of the time to declare a child
 * (bench/NOTES.md §7). Those stacks are printed only for PULUMI_DEBUG_PROMISE_LEAKS, which keeps
 * them; the resource's source position has its own capture (Resource.callsites lifts the limit).
 */
function withoutPromiseStacks<T>(make: () => T): T {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return make();
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

const DATASET_OUTPUTS = ["imageSetId", "versionId", "instanceCount"] as const;

/**
 * A child of the dataset: a DerivedImageSet (same type, inputs, provider and state) that exposes only
 * the outputs the dataset reads. The Node SDK makes four promises for every property a resource
 * exposes, each of which captures and source-maps a stack trace; seeding 3 outputs instead of the
 * class's 18 makes a child ~3× cheaper to declare (bench/NOTES.md §7).
 */
class DatasetImageSet extends pulumi.dynamic.Resource {
  declare readonly imageSetId: pulumi.Output<string>;
  declare readonly versionId: pulumi.Output<string>;
  declare readonly instanceCount: pulumi.Output<number>;

  constructor(name: string, args: DerivedImageSetArgs, opts: pulumi.CustomResourceOptions) {
    super(serializedProvider, name, derivedImageSetProps(name, args, DATASET_OUTPUTS), opts, "healthimaging", "DerivedImageSet");
  }
}
function entryOf(p: PlannedImageSet, set: DatasetImageSet) {
  return pulumi
    .all([set.imageSetId, set.versionId, set.instanceCount])
    .apply(([imageSetId, versionId, instanceCount]) => entryFor(p, imageSetId, versionId, instanceCount));
}

/** A series' manifest entry, from the image set and version that hold it. */
function entryFor(p: PlannedImageSet, imageSetId: string, versionId: string, instanceCount: number): DatasetEntry & { cohort: string } {
  return { cohort: p.cohort, imageSetId, versionId, seriesInstanceUID: p.seriesInstanceUid, studyInstanceUID: p.studyInstanceUid, instanceCount };
}

/**
 * The settings every image set of the dataset shares, whichever resource holds it (a
 * DerivedImageSet per series, or a CohortImageSets per cohort): where the service is, the drift and
 * foreign-version policies, and the write rates (only when given).
 */
function sharedSettings(args: DatasetArgs) {
  return {
    datastoreId: args.datastoreId,
    region: args.region,
    endpoint: args.endpoint,
    onDrift: args.onDrift,
    onForeignVersions: args.onForeignVersions,
    ...(args.writeRate ? { writeRate: args.writeRate } : {}),
  };
}

/** The manifest; a perStudy image set's entries all carry its latest version (merges bump it). */
export function manifestOf(datastoreId: string, plan: DatasetPlan, list: (DatasetEntry & { cohort: string })[]): DatasetManifest {
  const latest = new Map<string, string>();
  for (const e of list) {
    const seen = latest.get(e.imageSetId);
    if (seen === undefined || Number(e.versionId) > Number(seen)) latest.set(e.imageSetId, e.versionId);
  }
  const cohorts: Record<string, DatasetEntry[]> = Object.fromEntries(Object.keys(plan.seriesPerCohort).map((c) => [c, []]));
  for (const { cohort, ...e } of list) cohorts[cohort].push({ ...e, versionId: latest.get(e.imageSetId) ?? e.versionId });
  return { datastoreId, cohorts };
}
