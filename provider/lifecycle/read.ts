// read (refresh): what the image set looks like now. A deleted image set (or a merge whose
// destination is gone) leaves state. Drift is recorded in outputs so the next preview shows it:
// copied instances that went missing, and for an image set we own, versions none of our
// resources made.

import { instancesOf } from "../subset/copiable";
import { imagingClient } from "../service/client";
import { countInstances, stillPresent } from "../subset/instanceSets";
import { copiedBy } from "../recovery/copied";
import { findImageSet, findMetadata } from "../service/find";
import { inputsOf, isoDate, type Outputs, plain } from "../resource/outputs";
import { connectionOf } from "../settings/settings";
import { describeVersionChanges } from "../recovery/driftSummary";
import { accountVersions, driftAccountOf } from "../recovery/ownership";

export async function readDerivedImageSet(id: string, props: Outputs): Promise<{ id?: string; props?: Outputs; inputs?: Record<string, unknown> }> {
  if (!props.imageSetId) return { id, props, inputs: inputsOf(props) }; // an unresolved copy: the next `up` decides
  const client = imagingClient(connectionOf(props));
  const set = await findImageSet(client, props.datastoreId, props.imageSetId);
  // Being deleted counts as gone: nothing can stop a delete once the service accepted it.
  if (!set || set.imageSetWorkflowStatus === "DELETING") return {};
  const locked = set.imageSetState === "LOCKED";
  const latest = locked ? undefined : await findMetadata(client, props.datastoreId, props.imageSetId);
  const present = latest && instancesOf(latest);
  const copied = present ? await copiedBy(client, props) : {};
  const missing = present ? countInstances(copied) - countInstances(stillPresent(copied, present)) : (props.missingInstances ?? 0);
  // Only an image set this resource owns can drift by versions; a shared destination moves on
  // whenever others write to it, which is theirs to do. Who made each later version, and what the
  // outside ones changed (by attribute name and count only), is what the preview decides from.
  const account = props.destination
    ? undefined
    : await accountVersions(client, { ...props, arn: set.imageSetArn!, ownerTag: props.ownerTag ?? "" }, props.versionId, props.versionsMade);
  const outside = account?.foreign.map((v) => v.versionId) ?? [];
  const documentAt = (v: string) => findMetadata(client, props.datastoreId, props.imageSetId, v);
  const driftSummary =
    outside.length === 0
      ? ""
      : latest
        ? await describeVersionChanges(outside, [props.versionId, ...(props.versionsMade ?? []), ...account!.explained], documentAt)
        : (props.driftSummary ?? "");
  const refreshed: Outputs = plain({
    ...props,
    copiedInstances: undefined, // 0.1.0 listed them; derived now (recovery/copied.ts)
    latestVersionId: set.versionId ?? props.latestVersionId,
    imageSetState: (set.imageSetState ?? props.imageSetState) as Outputs["imageSetState"],
    workflowStatus: set.imageSetWorkflowStatus ?? props.workflowStatus,
    isPrimary: set.isPrimary ?? props.isPrimary,
    updatedAt: isoDate(set.updatedAt) || props.updatedAt,
    driftVersions: outside,
    driftSummary,
    driftAccount: account && outside.length ? driftAccountOf(account, driftSummary) : undefined,
    missingInstances: missing,
  });
  return { id, props: refreshed, inputs: inputsOf(refreshed) };
}
