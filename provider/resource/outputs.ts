// Outputs are plain JSON: ISO strings for dates, null instead of undefined (the engine's
// Struct conversion rejects undefined and turns Dates into {}; https://www.pulumi.com/docs/iac/concepts/resources/dynamic-providers/).

import type { ImageSet } from "../service/find";
import { INPUT_NAMES, type OutputName, OWNER_TAG_INPUT, type SameKeys } from "./schema";
import type { DerivedImageSetInputs, DriftAccount, DerivedImageSetOutputs, InstancesBySeries, Subset } from "./types";

export interface Recorded {
  imageSet: ImageSet;
  sourceVersionId: string;
  destinationVersionBefore: string | null;
  copiedInstances: InstancesBySeries;
  /** the image set id the resource tracks (the destination, for a merge) */
  imageSetId: string;
  /** the version this resource produced */
  versionId: string;
  /** every version this resource made on the image set (default: versionId) */
  versionsMade?: string[];
}

/** versionsMade keeps this many (the newest): a revert only ever needs the ones after the merge. */
export const VERSIONS_MADE_KEPT = 100;

export type Outputs = DerivedImageSetOutputs & {
  /** "<project>/<stack>/<name>": tags what this resource made */
  ownerTag?: string;
  /** whether sourceVersionId was declared (it is always recorded, resolved) */
  sourceVersionPinned: boolean;
  /** latest version seen at the last create/update/refresh */
  latestVersionId: string;
  /** versions after ours that none of our resources made (refresh fills it) */
  driftVersions: string[];
  /** copied instances no longer present (refresh fills it) */
  missingInstances: number;
  /** the subset a failed update was converging to, as declared (null: everything); cleared by the next update */
  subsetInFlight?: Subset | null;
  /** who made the versions after ours, as refresh found them: what the preview decides drift from */
  driftAccount?: DriftAccount;
};

export function isoDate(d: Date | undefined): string {
  return d ? d.toISOString() : "";
}

/** Remove undefined members recursively so the engine can carry the value. */
export function plain<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/** The outputs a resource exposes (schema.ts OUTPUTS): the recorded state minus the inputs and the provider's own bookkeeping. */
type ExposedOutputs = Omit<
  Outputs,
  Exclude<keyof DerivedImageSetInputs, "sourceVersionId"> | "sourceVersionPinned" | "copiedInstances" | "subsetInFlight" | "driftAccount"
>;
// OUTPUTS and the Outputs type list the same outputs, or this does not compile.
const outputsMatchSchema: SameKeys<Record<OutputName, unknown>, ExposedOutputs> = true;
void outputsMatchSchema;

export function buildOutputs(inputs: DerivedImageSetInputs & { ownerTag?: string; __provider?: string }, r: Recorded): Outputs {
  const series = Object.keys(r.copiedInstances);
  // typed, so a property the schema does not know fails to compile
  const outs: Outputs = {
    ...inputs,
    imageSetId: r.imageSetId,
    versionId: r.versionId,
    latestVersionId: r.imageSet.versionId ?? r.versionId,
    imageSetArn: r.imageSet.imageSetArn ?? "",
    imageSetState: (r.imageSet.imageSetState ?? "ACTIVE") as Outputs["imageSetState"],
    workflowStatus: r.imageSet.imageSetWorkflowStatus ?? "",
    isPrimary: r.imageSet.isPrimary ?? false,
    forced: r.imageSet.overrides?.forced ?? false,
    instanceCount: series.reduce((n, s) => n + r.copiedInstances[s].length, 0),
    seriesCount: series.length,
    sourceVersionId: r.sourceVersionId,
    sourceVersionPinned: inputs.sourceVersionId !== undefined,
    destinationVersionBefore: r.destinationVersionBefore,
    versionsMade: [...new Set(r.versionsMade ?? [r.versionId])].filter(Boolean).slice(-VERSIONS_MADE_KEPT),
    driftVersions: [],
    driftSummary: "",
    missingInstances: 0,
    createdAt: isoDate(r.imageSet.createdAt),
    updatedAt: isoDate(r.imageSet.updatedAt),
  };
  return plain(outs);
}

/** The inputs part of stored outputs (what the user declared), for read's `inputs`. */
export function inputsOf(outs: Outputs): Record<string, unknown> {
  const keys: string[] = [...INPUT_NAMES.filter((k) => k !== "sourceVersionId" || outs.sourceVersionPinned), OWNER_TAG_INPUT, "__provider"];
  const record = outs as unknown as Record<string, unknown>;
  return Object.fromEntries(keys.filter((k) => record[k] !== undefined).map((k) => [k, record[k]]));
}
