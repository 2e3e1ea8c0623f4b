// CohortImageSets: many derived image sets, one per series of a cohort, as one Pulumi resource
// (batch/provider.ts). State holds the shared settings once and a few hundred bytes per member,
// instead of one resource (~7 KB of state, ~0.17 s of CLI time) per series.

import type * as pulumiType from "@pulumi/pulumi";
import * as pulumi from "@pulumi/pulumi";
import type { MemberInputs, MemberState } from "../batch/members";
import type { DerivedImageSetArgs } from "./derivedImageSet";
import { serializedCohortProvider } from "./serializedProvider";

/** One member: a series of a source image set, whole or the listed SOP instances (batch/members.ts). */
export type CohortMemberArgs = MemberInputs;

/**
 * The inputs of a {@link CohortImageSets}: the settings its members share, once (each as
 * DerivedImageSet's of the same name), and the members.
 */
export interface CohortImageSetsArgs
  extends Pick<DerivedImageSetArgs, "datastoreId" | "region" | "endpoint" | "timeouts" | "onDrift" | "onForeignVersions" | "checkWithService" | "writeRate"> {
  /** SeriesInstanceUID -> the member's own inputs */
  members: pulumi.Input<Record<string, CohortMemberArgs>>;
}

/**
 * Derived image sets, one per member (SeriesInstanceUID), managed as one resource: each member
 * is created, updated, refreshed and deleted with DerivedImageSet's own rules, and the state keeps
 * per member only its image set, versions and drift.
 */
export class CohortImageSets extends pulumi.dynamic.Resource {
  /** SeriesInstanceUID -> what the member made: imageSetId, versionId, instanceCount, ... */
  declare readonly members: pulumi.Output<Record<string, MemberState>>;

  constructor(name: string, args: CohortImageSetsArgs, opts?: pulumiType.CustomResourceOptions) {
    const props: pulumi.Inputs = { members: undefined };
    for (const [k, v] of Object.entries(args)) if (v !== undefined) props[k] = v;
    props.ownerTag = `${pulumi.getProject()}/${pulumi.getStack()}/${name}`;
    super(serializedCohortProvider, name, props, opts, "healthimaging", "CohortImageSets");
  }
}
