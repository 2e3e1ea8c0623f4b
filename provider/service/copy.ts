// One CopyImageSet from start to finish: wait out locks, check versions, pace the call, recover
// from an ambiguous failure without copying twice, tag what we made, and wait until it is done.
// Copies sharing a source or destination are serialised inside the process.

import type { CopyImageSetCommandOutput, MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { buildCopiableAttributes } from "../subset/copiable";
import { type ResolvedConnection, imagingClient, sdk } from "./client";
import { type CopyAccepted, CopyError, patiently, type RunOptions, tolerantPoll, unlocked } from "./reads";
import { type ImageSet, findImageSet } from "./find";
import { serialised } from "./pace";
import { COPY_STATES, settled } from "./states";
import { runWrite } from "./writeEngine";
import type { InstancesBySeries } from "../resource/types";
import { journal } from "../recovery/journal";
import { processState } from "../settings/processState";
import { INPUTS_TAG, OWNER_TAG } from "../recovery/tags";
import { madeTagFailure, recordMadeVersionsOf } from "../recovery/madeVersions";
import { durationsOf, WaitTimeout, waitFor } from "./wait";

export { OWNER_TAG } from "../recovery/tags";
export { CopyError, patiently, tolerantPoll, unlocked } from "./reads";
export type { CopyAccepted, RunOptions } from "./reads";

export interface CopyPlan {
  datastoreId: string;
  sourceImageSetId: string;
  /** pinned source version; the copy fails clearly if the source moved on */
  sourceVersionId?: string;
  /** undefined: copy everything */
  selection?: InstancesBySeries;
  instanceCount: number;
  destinationImageSetId?: string;
  force: boolean;
  promoteToPrimary: boolean;
  /** who owns what the copy makes: "<project>/<stack>/<resource name>" */
  ownerTag: string;
  /** fingerprint of the declared copy, tagged on a new image set (see recovery/leftovers.ts) */
  fingerprint?: string;
  /** StudyInstanceUID of the source, to find an image set an ambiguous call may have made */
  studyInstanceUid?: string;
}

export interface CopyDone extends CopyAccepted {
  imageSet: ImageSet;
}

export function runCopy(conn: ResolvedConnection, plan: CopyPlan, opts: RunOptions): Promise<CopyDone> {
  const keys = [`set:${plan.sourceImageSetId}`, ...(plan.destinationImageSetId ? [`set:${plan.destinationImageSetId}`] : [])];
  return serialised(keys, async () => {
    const accepted = await startCopy(conn, plan, opts);
    try {
      return await waitForCopy(conn, plan, accepted, opts);
    } catch (e) {
      throw e instanceof CopyError && e.accepted ? e : new CopyError((e as Error).message, accepted, undefined, e instanceof WaitTimeout);
    }
  });
}

async function startCopy(
  conn: ResolvedConnection,
  plan: CopyPlan,
  opts: RunOptions,
): Promise<CopyAccepted & { acceptedAt: number; serviceUpdatedAt?: number }> {
  const reads = imagingClient(conn, "read");
  const once = imagingClient(conn, "once");
  let sourceVersionId = "";
  let destinationVersionBefore: string | null = null;
  const out = await runWrite<CopyImageSetCommandOutput>(
    conn,
    {
      operation: "CopyImageSet",
      datastoreId: plan.datastoreId,
      async prepare() {
        const source = await unlocked(reads, plan.datastoreId, plan.sourceImageSetId, "source", opts);
        sourceVersionId = source.versionId!;
        if (plan.sourceVersionId !== undefined && plan.sourceVersionId !== sourceVersionId) {
          throw new CopyError(
            `sourceVersionId pins version ${plan.sourceVersionId}, but the source image set ${plan.sourceImageSetId} is at version ${sourceVersionId}; CopyImageSet only copies the latest version. Update or remove the pin.`,
          );
        }
        const dest = plan.destinationImageSetId ? await unlocked(reads, plan.datastoreId, plan.destinationImageSetId, "destination", opts) : undefined;
        if (dest?.isPrimary && plan.force) throw new CopyError(forceOnPrimary(plan.destinationImageSetId!));
        destinationVersionBefore = dest ? dest.versionId! : null;
        const copies = plan.selection ? { DICOMCopies: { copiableAttributes: buildCopiableAttributes(plan.selection) } } : {};
        const input = {
          datastoreId: plan.datastoreId,
          sourceImageSetId: plan.sourceImageSetId,
          force: plan.force || undefined,
          promoteToPrimary: plan.promoteToPrimary || undefined,
          copyImageSetInformation: {
            sourceImageSet: { latestVersionId: sourceVersionId, ...copies },
            ...(dest ? { destinationImageSet: { imageSetId: plan.destinationImageSetId!, latestVersionId: destinationVersionBefore! } } : {}),
          },
        };
        return {
          watched: [
            { imageSetId: plan.sourceImageSetId, versionId: sourceVersionId, role: "source" },
            ...(dest ? [{ imageSetId: plan.destinationImageSetId!, versionId: destinationVersionBefore!, role: "destination" }] : []),
          ],
          send: () => once.send(new (sdk().CopyImageSetCommand)(input)),
        };
      },
      // No idempotency token: never copy blindly again; look for the copy the call may have made.
      async recover(_e, sentAt) {
        const found = await findAmbiguousCopy(reads, plan, destinationVersionBefore, sentAt, opts);
        return found === "none" ? "not-made" : found === "unknown" ? "unknown" : { made: found };
      },
      conflictHint: plan.destinationImageSetId && !plan.force ? FORCE_HINT.slice(2) : "",
      fail: (message) => new CopyError(message),
    },
    opts,
  );
  const destProps = out.destinationImageSetProperties!;
  const accepted = {
    imageSetId: destProps.imageSetId!,
    versionId: destProps.latestVersionId!,
    sourceVersionId,
    destinationVersionBefore,
    acceptedAt: Date.now(),
    serviceUpdatedAt: destProps.updatedAt?.getTime(),
  };
  await tagAccepted(reads, plan, accepted, opts);
  return accepted;
}

/**
 * Tag what the copy made so an interrupted run can adopt it and refresh can explain versions.
 * A new image set's tags only help recovery: failing to write them is logged. A merge's version
 * must be recorded in the "made" tag: failing that throws, with the copy as accepted, so the
 * image set stays in state (a partial failure) and the next run records it.
 */
async function tagAccepted(client: MedicalImagingClient, plan: CopyPlan, accepted: CopyAccepted, opts: RunOptions): Promise<void> {
  if (plan.destinationImageSetId) processState().mergedHere.add(`${accepted.imageSetId}@${accepted.versionId}`);
  else processState().madeHere.add(accepted.imageSetId);
  // The journal first: it needs no API call, so it survives a crash right after this point.
  if (plan.fingerprint) journal.write(plan.ownerTag, plan.fingerprint, accepted);
  if (plan.destinationImageSetId) {
    // A merge's version must be known as made by the stack, or other resources would take it for
    // drift: failing to say so is an error (the copy is kept in state; the next `pulumi up` retries).
    try {
      await recordMadeVersionsOf(client, plan.datastoreId, accepted.imageSetId, [accepted.versionId]);
    } catch (e) {
      throw new CopyError(madeTagFailure(accepted.imageSetId, accepted.versionId, e), accepted);
    }
    return;
  }
  const tags = { [OWNER_TAG]: plan.ownerTag, ...(plan.fingerprint ? { [INPUTS_TAG]: plan.fingerprint } : {}) };
  try {
    const arn = (await findImageSet(client, plan.datastoreId, accepted.imageSetId))?.imageSetArn;
    if (!arn) return;
    await client.send(new (sdk().TagResourceCommand)({ resourceArn: arn, tags }));
  } catch (e) {
    // Tags help recovery and drift detection but are not worth failing a good copy for.
    opts.log(`could not tag image set ${accepted.imageSetId}: ${(e as Error).message}`);
  }
}

/**
 * After a network error or 5xx on CopyImageSet: did the service make the copy? For a merge, the
 * destination moved exactly one version (we hold its queue); for a new set, an untagged set of the
 * same study was created since the call. Returns a synthetic response, "none", or "unknown".
 */
async function findAmbiguousCopy(
  client: MedicalImagingClient,
  plan: CopyPlan,
  destinationVersionBefore: string | null,
  sentAt: number,
  opts: RunOptions,
): Promise<CopyImageSetCommandOutput | "none" | "unknown"> {
  // The look itself can fail while the service is unreachable (the same outage that made the
  // copy ambiguous). Keep looking until the deadline: giving up here would leave a copy the
  // service may have made untracked and untagged, and the next run would copy again.
  try {
    return await patiently(
      () => lookForCopy(client, plan, destinationVersionBefore, sentAt),
      opts,
      "looking for the copy an interrupted CopyImageSet may have made",
    );
  } catch {
    return "unknown";
  }
}

async function lookForCopy(
  client: MedicalImagingClient,
  plan: CopyPlan,
  destinationVersionBefore: string | null,
  sentAt: number,
): Promise<CopyImageSetCommandOutput | "none" | "unknown"> {
  if (plan.destinationImageSetId) {
    const dest = await findImageSet(client, plan.datastoreId, plan.destinationImageSetId);
    if (!dest) return "unknown";
    if (dest.versionId === destinationVersionBefore) return "none";
    if (Number(dest.versionId) === Number(destinationVersionBefore) + 1) return synthetic(plan, dest);
    return "unknown";
  }
  if (!plan.studyInstanceUid) return "unknown";
  const found = await client.send(
    new (sdk().SearchImageSetsCommand)({
      datastoreId: plan.datastoreId,
      searchCriteria: {
        filters: [
          { operator: "BETWEEN", values: [{ createdAt: new Date(sentAt - 5000) }, { createdAt: new Date(Date.now() + 5000) }] },
          { operator: "EQUAL", values: [{ DICOMStudyInstanceUID: plan.studyInstanceUid }] },
        ],
      },
    }),
  );
  const candidates = [];
  for (const s of found.imageSetsMetadataSummaries ?? []) {
    if (s.imageSetId === plan.sourceImageSetId) continue;
    // a copy without promoteToPrimary is not primary: the study's primary image sets (one per
    // series since imports organise data by series) are never the copy we are looking for
    if (s.isPrimary === true && !plan.promoteToPrimary) continue;
    // Its version is whatever the service gave it (AWS's own CLI example shows a new copy at "2"):
    // the latest one, since nothing else has written to a set created this moment.
    const set = await findImageSet(client, plan.datastoreId, s.imageSetId!);
    if (!set) return "unknown"; // listed by the search but not readable yet: do not copy again
    const tags = await client.send(new (sdk().ListTagsForResourceCommand)({ resourceArn: set.imageSetArn! }));
    if (!tags.tags?.[OWNER_TAG]) candidates.push(set);
  }
  if (candidates.length === 0) return "none";
  if (candidates.length === 1) return synthetic(plan, candidates[0]);
  return "unknown";
}

function synthetic(plan: CopyPlan, set: ImageSet): CopyImageSetCommandOutput {
  return {
    $metadata: {},
    datastoreId: plan.datastoreId,
    sourceImageSetProperties: { imageSetId: plan.sourceImageSetId, latestVersionId: "" },
    destinationImageSetProperties: { imageSetId: set.imageSetId!, latestVersionId: set.versionId!, updatedAt: set.updatedAt },
  };
}

/**
 * `force` overrides DICOM constraints only on non-primary image sets
 * (https://docs.aws.amazon.com/healthimaging/latest/devguide/update-image-set-metadata.html), so a
 * merge into a primary image set that needs it cannot succeed: refused before anything is sent.
 */
export function forceOnPrimary(imageSetId: string): string {
  return `destination: image set ${imageSetId} is a primary image set, and \`force\` does not apply to primary image sets on AWS (it overrides Patient/Study/Series differences only on non-primary ones). Merge into a non-primary copy of it instead (a DerivedImageSet of it without \`destination\`), or remove \`force\` if the attributes match.`;
}

/** What a failed merge without `force` adds to the service's message: the input that overrides it. */
export const FORCE_HINT =
  ". If the source's Patient, Study or Series attributes differ from the destination's, `force: true` merges anyway (the destination's attributes are kept; not on primary image sets).";

/** Wait until the destination version is no longer being copied; COPY_FAILED is an error. */
export async function waitForCopy(
  conn: ResolvedConnection,
  plan: Pick<CopyPlan, "datastoreId" | "instanceCount"> & Partial<Pick<CopyPlan, "destinationImageSetId" | "force">>,
  accepted: CopyAccepted & { acceptedAt?: number; serviceUpdatedAt?: number },
  opts: RunOptions,
): Promise<CopyDone> {
  const client = imagingClient(conn, "read");
  const model = durationsOf("copy", conn);
  const { value: set } = await waitFor(
    () =>
      tolerantPoll(async () => {
        const s = await findImageSet(client, plan.datastoreId, accepted.imageSetId, accepted.versionId);
        if (!s) throw new CopyError(`The image set ${accepted.imageSetId} disappeared while it was being copied.`, accepted);
        return { done: settled(COPY_STATES, s), value: s, state: `${s.imageSetState}/${s.imageSetWorkflowStatus}` };
      }),
    {
      deadline: opts.deadline,
      startedAt: accepted.acceptedAt,
      expectedMs: model.estimate(plan.instanceCount),
      label: `the copy into image set ${accepted.imageSetId} (version ${accepted.versionId}, ${plan.instanceCount} instances)`,
      log: opts.log,
    },
  );
  if (COPY_STATES.failed.includes(set.imageSetWorkflowStatus ?? "")) {
    throw new CopyError(
      `CopyImageSet failed: ${set.message ?? "the service gave no message"}${plan.destinationImageSetId && !plan.force ? FORCE_HINT : ""}`,
      accepted,
      set.imageSetWorkflowStatus,
    );
  }
  const serviceMs = accepted.serviceUpdatedAt !== undefined && set.updatedAt ? set.updatedAt.getTime() - accepted.serviceUpdatedAt : undefined;
  model.record(plan.instanceCount, serviceMs ?? Date.now() - (accepted.acceptedAt ?? Date.now()));
  return { ...accepted, imageSet: set };
}
