// Plain (resolved, non-Output) shapes of the DerivedImageSet resource, as the provider sees them.
// The resource class wraps these in pulumi.Input<> for users; the provider works on these.

import type { INPUTS, SameKeys } from "./schema";
import type { InstancesBySeries, Subset } from "../subset/types";
import type { Timeouts } from "../settings/settings";
import type { WriteRate } from "../settings/writeRate";

export { containsUnknown, type InstancesBySeries, isUnknown, type SeriesSelection, type Subset, UNKNOWN } from "../subset/types";
export type { Timeouts } from "../settings/settings";
export type { WriteRate } from "../settings/writeRate";

/** An existing image set (and its current latest version) to merge the copy into. */
export interface Destination {
  imageSetId: string;
  versionId: string;
}

/** The inputs of a derived image set as the provider receives them (resolved, validated by check). */
export interface DerivedImageSetInputs {
  datastoreId: string;
  sourceImageSetId: string;
  /** Omitted: the source's latest version at create time. */
  sourceVersionId?: string;
  /** Omitted: copy everything. */
  subset?: Subset;
  /** Omitted: the copy makes a new image set. */
  destination?: Destination;
  force?: boolean;
  /** Merge even when the Patient attributes differ from the destination's (`force` never does). */
  mergeAcrossPatients?: boolean;
  /** Default true: check (and so preview) reads the service for what `up` would fail on. */
  checkWithService?: boolean;
  promoteToPrimary?: boolean;
  timeouts?: Timeouts;
  /** Write calls per second the account allows, per operation; omitted: remembered or documented, then discovered. */
  writeRate?: WriteRate;
  /** Omitted: AWS_REGION. */
  region?: string;
  /** Omitted: AWS_ENDPOINT_URL_MEDICAL_IMAGING, else the SDK's default endpoint. */
  endpoint?: string;
  /** An image set made outside Pulumi (e.g. by a CopyImageSet script) to record instead of copying. */
  adoptImageSetId?: string;
  /** Versions of our image set made outside Pulumi: "keep" (default) records them, "revert" reverts them. */
  onDrift?: OnDrift;
  /** What destroy does when the image set holds versions this stack did not make: "stop" (default), "delete", "leave". */
  onForeignVersions?: OnForeignVersions;
  /** Set by the resource class, not by users: "<project>/<stack>/<name>", tagged on what the resource makes. */
  ownerTag?: string;
}

export type ImageSetState = "ACTIVE" | "LOCKED" | "DELETED";

/** A version of an image set, and the workflow status that made it (UPDATED, IMPORTED, COPIED, ...). */
export interface ForeignVersion {
  versionId: string;
  status: string;
}

/** The versions after a resource's baseline, by who made them (recovery/ownership.ts accountVersions). */
export interface DriftAccount {
  /** made outside this stack: a colleague, a script, an import */
  outside: ForeignVersion[];
  /** made by another resource of this stack (a merge into this image set) */
  byStack: string[];
  latestVersionId: string;
  /** what the outside versions changed: attribute names and counts only (recovery/driftSummary.ts) */
  summary?: string;
}

/** What update does about versions of an image set we own that nobody in the stack made. */
export type OnDrift = "keep" | "revert";

/**
 * What `pulumi destroy` does with an image set that holds versions this stack did not make (imports
 * into a promoted primary, a colleague's edits): "stop" with a message naming them, "delete" it
 * anyway, or "leave" it and remove it from state.
 */
export type OnForeignVersions = "stop" | "delete" | "leave";

/** What the resource did, recorded so diff, read and delete can reason about versions, not guesses. */
export interface DerivedImageSetOutputs extends DerivedImageSetInputs {
  imageSetId: string;
  /** The image set's version this resource produced (the copy's version). */
  versionId: string;
  imageSetArn: string;
  imageSetState: ImageSetState;
  /** ImageSetWorkflowStatus; a plain string because the service adds values the SDK passes through. */
  workflowStatus: string;
  isPrimary: boolean;
  forced: boolean;
  instanceCount: number;
  seriesCount: number;
  /** The source version actually copied (the input, or the latest version at create). */
  sourceVersionId: string;
  /** The destination version the merge was applied on top of; null when the copy made a new image set. */
  destinationVersionBefore: string | null;
  /** Only in state written by 0.1.0 (the instances copied); derived since (recovery/copied.ts), so state stays small. */
  copiedInstances?: InstancesBySeries;
  /** The versions of the image set this resource made (create, in-place updates, reverts), oldest first. */
  versionsMade?: string[];
  /** Versions made outside Pulumi and what they changed (attribute names and counts only; refresh fills it). */
  driftSummary?: string;
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601. */
  updatedAt: string;
}

// The provider's input type and the schema (schema.ts) list the same inputs, or this does not compile.
const inputsMatchSchema: SameKeys<Omit<DerivedImageSetInputs, "ownerTag">, typeof INPUTS> = true;
void inputsMatchSchema;
