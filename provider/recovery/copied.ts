// What a resource's copies put into its image set, derived instead of stored: a list of every
// copied instance would make state grow with the instances (~52 bytes each). The declared subset
// resolved against the immutable source version it copied says it exactly; where that version is
// gone, the resource's own version minus the destination's version before the merge does.

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { instancesOf, resolveSubset } from "../subset/copiable";
import { isNotFound } from "../service/errors";
import { findMetadata } from "../service/find";
import { minus, union } from "../subset/instanceSets";
import type { Outputs } from "../resource/outputs";
import type { InstancesBySeries } from "../subset/types";

/** The instances this resource copied into its image set (state written by 0.1.0 lists them). */
export async function copiedBy(client: MedicalImagingClient, props: Outputs): Promise<InstancesBySeries> {
  const copied = await copiedByDeclared(client, props);
  if (props.subsetInFlight === undefined) return copied;
  // An update that failed half-way may have copied part of the subset it was converging to.
  const inFlight = resolveSubset(props.subsetInFlight ?? undefined, await findMetadata(client, props.datastoreId, props.sourceImageSetId));
  return union(copied, inFlight);
}

async function copiedByDeclared(client: MedicalImagingClient, props: Outputs): Promise<InstancesBySeries> {
  if (props.copiedInstances) return props.copiedInstances;
  try {
    return resolveSubset(props.subset, await findMetadata(client, props.datastoreId, props.sourceImageSetId, props.sourceVersionId || undefined));
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  // The source (or that version) was deleted since: what the resource's version holds beyond what
  // the destination held before the merge (inferred: versions stay readable while the set exists).
  const ours = instancesOf(await findMetadata(client, props.datastoreId, props.imageSetId, props.versionId));
  if (props.destinationVersionBefore === null) return ours;
  return minus(ours, instancesOf(await findMetadata(client, props.datastoreId, props.imageSetId, props.destinationVersionBefore)));
}
