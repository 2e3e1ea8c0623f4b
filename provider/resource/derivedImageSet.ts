// The resource users declare. Inputs accept Outputs of other resources; every output is seeded
// in the props so it appears on the object (https://www.pulumi.com/docs/iac/concepts/resources/dynamic-providers/).

import * as pulumi from "@pulumi/pulumi";
import { type INPUTS, OUTPUTS, type OutputName, type SameKeys } from "./schema";
import { serializedProvider } from "./serializedProvider";
import type { SeriesSelection } from "./types";

/** The inputs of a {@link DerivedImageSet}; any of them may be an Output of another resource. */
export interface DerivedImageSetArgs {
  /** The data store holding source (and destination). */
  datastoreId: pulumi.Input<string>;
  /** The image set to copy from. */
  sourceImageSetId: pulumi.Input<string>;
  /** Pin the source version to copy; omitted = the source's latest version at create. */
  sourceVersionId?: pulumi.Input<string>;
  /** What to copy, by SeriesInstanceUID: "all" or a list of SOP Instance UIDs. Omitted = everything. */
  subset?: pulumi.Input<{ series: pulumi.Input<Record<string, pulumi.Input<SeriesSelection>>> }>;
  /** Merge into this existing image set instead of making a new one. */
  destination?: pulumi.Input<{ imageSetId: pulumi.Input<string>; versionId: pulumi.Input<string> }>;
  /** Merge even when Study/Series metadata differs from the destination's (the destination's is kept). Not a Patient difference: see mergeAcrossPatients. */
  force?: pulumi.Input<boolean>;
  /**
   * Merge even when the source's Patient attributes differ from the destination's: that files one
   * patient's images under another patient's header, so it is refused (even with `force`) unless this is true.
   */
  mergeAcrossPatients?: pulumi.Input<boolean>;
  /**
   * Default true: `pulumi preview` (check) reads the service (never writes) to fail early on what `up`
   * would fail on: a missing source, series or destination, a merge that needs `force`, the endpoint,
   * region and credentials. False (or PULUMI_HEALTHIMAGING_CHECK_WITH_SERVICE=false) for offline previews.
   */
  checkWithService?: pulumi.Input<boolean>;
  /** Make the new image set primary (a new primary image set id is returned). */
  promoteToPrimary?: pulumi.Input<boolean>;
  /** Go-style durations; defaults create 30m, update 30m, delete 10m. */
  timeouts?: pulumi.Input<{ create?: pulumi.Input<string>; update?: pulumi.Input<string>; delete?: pulumi.Input<string> }>;
  /**
   * The account's write rates (calls per second) per operation, e.g. `{ copyImageSet: 5 }` after a
   * raised quota: used as the limit from the first call, without probing. Omitted: the rate learned
   * by an earlier run, else AWS's documented one, then discovered (a raised limit is found within
   * minutes). Also PULUMI_HEALTHIMAGING_COPY_TPS / _UPDATE_TPS / _DELETE_TPS. Shared by every
   * resource of the `up`: the lowest stated rate wins.
   */
  writeRate?: pulumi.Input<{
    copyImageSet?: pulumi.Input<number>;
    updateImageSetMetadata?: pulumi.Input<number>;
    deleteImageSet?: pulumi.Input<number>;
  }>;
  /** Default: AWS_REGION. */
  region?: pulumi.Input<string>;
  /** Default: AWS_ENDPOINT_URL_MEDICAL_IMAGING (e.g. the local service), else AWS. */
  endpoint?: pulumi.Input<string>;
  /**
   * Adopt an image set made outside Pulumi (e.g. by a CopyImageSet script) instead of copying: create
   * checks that it holds the declared instances of the source and records it; the stack owns it from
   * then on (`pulumi destroy` deletes it). Not for merges.
   */
  adoptImageSetId?: pulumi.Input<string>;
  /**
   * Versions of this resource's image set made outside Pulumi (found by `pulumi refresh`):
   * "keep" (default) takes the latest as the new baseline without any API call; "revert" reverts
   * them (UpdateImageSetMetadata revertToVersionId). The preview says which versions and what they changed.
   */
  onDrift?: pulumi.Input<"keep" | "revert">;
  /**
   * What `pulumi destroy` does when this resource's image set holds versions the stack did not make
   * (data imported into a promoted primary, a colleague's edits): "stop" (default) fails naming
   * them; "delete" deletes the image set anyway; "leave" keeps it and removes it from state. A
   * merge never needs it: its undo removes only what it copied.
   */
  onForeignVersions?: pulumi.Input<"stop" | "delete" | "leave">;
}

// The Args type and the schema (schema.ts) list the same inputs, or this does not compile.
const argsMatchSchema: SameKeys<DerivedImageSetArgs, typeof INPUTS> = true;
void argsMatchSchema;

/**
 * An image set derived with CopyImageSet: a full copy of a source image set, a subset of its series
 * and instances, or a merge into an existing image set (`destination`). `pulumi up` copies and waits
 * until the image sets are unlocked; `pulumi destroy` deletes the copy or undoes the merge.
 *
 * @example
 * new DerivedImageSet("ct-copy", { datastoreId, sourceImageSetId, subset: { series: { [seriesUid]: "all" } } });
 */
export class DerivedImageSet extends pulumi.dynamic.Resource {
  /** The image set holding the copy: a new one, or the destination of a merge. */
  declare readonly imageSetId: pulumi.Output<string>;
  /** The version this resource produced. */
  declare readonly versionId: pulumi.Output<string>;
  /** The image set's latest version at the last create/update/refresh. */
  declare readonly latestVersionId: pulumi.Output<string>;
  declare readonly imageSetArn: pulumi.Output<string>;
  declare readonly imageSetState: pulumi.Output<string>;
  declare readonly workflowStatus: pulumi.Output<string>;
  declare readonly isPrimary: pulumi.Output<boolean>;
  declare readonly forced: pulumi.Output<boolean>;
  declare readonly instanceCount: pulumi.Output<number>;
  declare readonly seriesCount: pulumi.Output<number>;
  /** The source version copied (resolved when not pinned). */
  declare readonly sourceVersionId: pulumi.Output<string>;
  /** For a merge: the destination version the merge was applied on top of. */
  declare readonly destinationVersionBefore: pulumi.Output<string | null>;
  /** Versions of the image set that no Pulumi resource made (found by refresh). */
  declare readonly driftVersions: pulumi.Output<string[]>;
  /** Copied instances no longer present (found by refresh). */
  declare readonly missingInstances: pulumi.Output<number>;
  /** The versions of the image set this resource made, oldest first. */
  declare readonly versionsMade: pulumi.Output<string[]>;
  /** Which versions were made outside Pulumi and what they changed: attribute names and counts, never values. */
  declare readonly driftSummary: pulumi.Output<string>;
  declare readonly createdAt: pulumi.Output<string>;
  declare readonly updatedAt: pulumi.Output<string>;

  constructor(name: string, args: DerivedImageSetArgs, opts?: pulumi.CustomResourceOptions) {
    if (opts?.import !== undefined) throw importRefused(name, opts.import);
    // every output, seeded so it appears on the object (schema.ts OUTPUTS)
    super(serializedProvider, name, derivedImageSetProps(name, args, OUTPUTS), opts, "healthimaging", "DerivedImageSet");
  }
}

/**
 * The `import` resource option cannot work for a dynamic resource: the engine's import Read reaches
 * the dynamic-provider host with no state, so there is no serialized `__provider` to run and the
 * host fails with "code must be a string, not undefined" and a gRPC stack (pulumi/pulumi#16175).
 * Refused here, before anything is registered, as one line (a RunError prints without a stack).
 *
 * @internal
 */
export function importRefused(name: string, id: pulumi.Input<string>): pulumi.RunError {
  const adopt = typeof id === "string" ? `adoptImageSetId: "${id}"` : "adoptImageSetId: <the image set id>";
  return new pulumi.RunError(
    `DerivedImageSet "${name}": the import resource option cannot work for a dynamic-provider resource (Pulumi's dynamic-provider host cannot read a resource it has no state for); remove import and set ${adopt} instead: pulumi up checks that the image set holds the declared instances and records it without copying.`,
  );
}

/**
 * What a DerivedImageSet registers: the inputs (undefined ones dropped: they are not sent either),
 * the owner tag, and the outputs to expose on the object, seeded as undefined. The Node SDK gives
 * every key of these props an Output of four promises, so a class that needs few outputs (hi.Dataset's
 * children) seeds only those: the inputs and the state are the same, whatever outputs are seeded.
 *
 * @internal
 */
export function derivedImageSetProps(name: string, args: DerivedImageSetArgs, outputs: readonly OutputName[]): pulumi.Inputs {
  const props: pulumi.Inputs = Object.fromEntries(outputs.map((k) => [k, undefined]));
  for (const [k, v] of Object.entries(args)) if (v !== undefined) props[k] = v;
  props.ownerTag = `${pulumi.getProject()}/${pulumi.getStack()}/${name}`;
  return props;
}
