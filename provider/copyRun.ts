// One CopyImageSet from start to finish: wait out locks, check versions, pace the call, recover
// from an ambiguous failure without copying twice, tag what we made, and wait until it is done.
// Copies sharing a source or destination are serialised inside the process.

import type { CopyImageSetCommandOutput, MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { buildCopiableAttributes } from "./copiable";
import { ResolvedConnection, imagingClient, sdk } from "./client";
import { certainlyRejected, describe, isConflict, isThrottling } from "./errors";
import { ImageSet, findImageSet } from "./find";
import { pacerFor, serialised } from "./pace";
import { InstancesBySeries } from "./types";
import { journal } from "./journal";
import { processState } from "./processState";
import { INPUTS_TAG, OWNER_TAG, versionTag } from "./tags";
import { durationsOf, waitFor } from "./wait";

export { OWNER_TAG, versionTag } from "./tags";

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
  /** fingerprint of the declared copy, tagged on a new image set (see adopt.ts) */
  fingerprint?: string;
  /** StudyInstanceUID of the source, to find an image set an ambiguous call may have made */
  studyInstanceUid?: string;
}

export interface CopyAccepted {
  imageSetId: string;
  versionId: string;
  sourceVersionId: string;
  destinationVersionBefore: string | null;
}

export interface CopyDone extends CopyAccepted {
  imageSet: ImageSet;
}

/** A failure; `accepted` is set when the service had accepted the copy (state must keep it). */
export class CopyError extends Error {
  constructor(
    message: string,
    readonly accepted?: CopyAccepted,
  ) {
    super(message);
  }
}

export interface RunOptions {
  deadline: number;
  log: (message: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A read whose answer matters after the service accepted a write (was the write made? is it done?):
 * a network error or 5xx (the service restarting, a connection reset) is waited out, with backoff,
 * until the deadline (at most `capMs` from now), instead of failing the operation and losing track
 * of work the service may have done. A certain rejection (4xx) is thrown at once.
 */
export async function patiently<T>(read: () => Promise<T>, opts: RunOptions, label: string, capMs = 120_000): Promise<T> {
  const until = Math.min(opts.deadline, Date.now() + capMs);
  for (let delay = 250; ; delay = Math.min(delay * 2, 5000)) {
    try {
      return await read();
    } catch (e) {
      if (certainlyRejected(e) || Date.now() + delay >= until) throw e;
      opts.log(`${label}: ${(e as Error).message}; trying again`);
      await sleep(delay);
    }
  }
}

/** A poll of a waiter that tolerates a transient read failure (reported as not done yet). */
export async function tolerantPoll<T>(poll: () => Promise<{ done: boolean; value: T; state: string }>): Promise<{ done: boolean; value: T; state: string }> {
  try {
    return await poll();
  } catch (e) {
    if (e instanceof CopyError || certainlyRejected(e) || !(e instanceof Error) || (e as Error).message.includes("disappeared")) throw e;
    return { done: false, value: undefined as T, state: `unreachable (${(e as Error).message})` };
  }
}

/** Latest version of an image set once it is not LOCKED (someone else's copy or update). */
export async function unlocked(client: MedicalImagingClient, datastoreId: string, imageSetId: string, role: string, opts: RunOptions): Promise<ImageSet> {
  const look = async () => {
    const set = await findImageSet(client, datastoreId, imageSetId);
    if (!set) throw new CopyError(`The ${role} image set ${imageSetId} does not exist in data store ${datastoreId}.`);
    return { done: set.imageSetState !== "LOCKED", value: set, state: `${set.imageSetState}/${set.imageSetWorkflowStatus}` };
  };
  // Usually it is not locked: ask at once, and only then start waiting.
  const first = await look();
  if (first.done) return first.value;
  const { value } = await waitFor(look, { deadline: opts.deadline, expectedMs: 0, label: `the ${role} image set ${imageSetId} to be unlocked`, log: opts.log });
  return value;
}

export function runCopy(conn: ResolvedConnection, plan: CopyPlan, opts: RunOptions): Promise<CopyDone> {
  const keys = [`set:${plan.sourceImageSetId}`, ...(plan.destinationImageSetId ? [`set:${plan.destinationImageSetId}`] : [])];
  return serialised(keys, async () => {
    const accepted = await startCopy(conn, plan, opts);
    try {
      return await waitForCopy(conn, plan, accepted, opts);
    } catch (e) {
      throw e instanceof CopyError && e.accepted ? e : new CopyError((e as Error).message, accepted);
    }
  });
}

async function startCopy(conn: ResolvedConnection, plan: CopyPlan, opts: RunOptions): Promise<CopyAccepted & { acceptedAt: number; serviceUpdatedAt?: number }> {
  const reads = imagingClient(conn, "read");
  const once = imagingClient(conn, "once");
  const pacer = pacerFor(conn.endpoint, "CopyImageSet");
  for (;;) {
    const source = await unlocked(reads, plan.datastoreId, plan.sourceImageSetId, "source", opts);
    const sourceVersionId = source.versionId!;
    if (plan.sourceVersionId !== undefined && plan.sourceVersionId !== sourceVersionId) {
      throw new CopyError(
        `sourceVersionId pins version ${plan.sourceVersionId}, but the source image set ${plan.sourceImageSetId} is at version ${sourceVersionId}; CopyImageSet only copies the latest version. Update or remove the pin.`,
      );
    }
    const dest = plan.destinationImageSetId ? await unlocked(reads, plan.datastoreId, plan.destinationImageSetId, "destination", opts) : undefined;
    const destinationVersionBefore = dest ? dest.versionId! : null;
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
    if (Date.now() >= opts.deadline) throw new CopyError("timed out before the copy could start");
    const grant = await pacer.acquire();
    const sentAt = Date.now();
    let out: CopyImageSetCommandOutput | undefined;
    try {
      out = await once.send(new (sdk().CopyImageSetCommand)(input));
      pacer.succeeded();
    } catch (e) {
      if (isThrottling(e)) {
        pacer.throttled(grant);
        continue;
      }
      if (isConflict(e)) {
        // locked or moved on since we looked: look again (the loop re-reads versions)
        opts.log(`CopyImageSet: ${(e as Error).message}; retrying`);
        await sleep(200);
        continue;
      }
      if (certainlyRejected(e)) throw new CopyError(describe("CopyImageSet", e));
      if (neverSent(e)) {
        // the connection was refused: the request never reached the service, nothing was made
        opts.log(`CopyImageSet: ${(e as Error).message}; the request was not sent, retrying`);
        await sleep(500);
        continue;
      }
      // Ambiguous: the copy may have been made. Never copy blindly again (no idempotency token).
      const found = await findAmbiguousCopy(reads, plan, destinationVersionBefore, sentAt, opts);
      if (found === "none") {
        opts.log(`CopyImageSet: ${(e as Error).message}; the service made no copy, retrying`);
        continue;
      }
      if (found === "unknown") throw new CopyError(`${describe("CopyImageSet", e)}. The copy may or may not have been made; check the data store before retrying.`);
      out = found;
    }
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
}

/**
 * Tag what the copy made so an interrupted run can adopt it and refresh can explain versions.
 * Never throws: the copy was accepted, so a failure here must not lose track of it (the caller
 * would report a plain error without the image set id, and the next run would copy again).
 */
async function tagAccepted(client: MedicalImagingClient, plan: CopyPlan, accepted: CopyAccepted, opts: RunOptions): Promise<void> {
  processState().madeHere.add(accepted.imageSetId);
  // The journal first: it needs no API call, so it survives a crash right after this point.
  if (!plan.destinationImageSetId && plan.fingerprint) journal.write(plan.ownerTag, plan.fingerprint, accepted);
  const tags = plan.destinationImageSetId
    ? { [versionTag(accepted.versionId)]: plan.ownerTag }
    : { [OWNER_TAG]: plan.ownerTag, ...(plan.fingerprint ? { [INPUTS_TAG]: plan.fingerprint } : {}) };
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
    return await patiently(() => lookForCopy(client, plan, destinationVersionBefore, sentAt), opts, "looking for the copy an interrupted CopyImageSet may have made");
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
  {
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
      const set = await findImageSet(client, plan.datastoreId, s.imageSetId!);
      if (!set || set.versionId !== "1") continue;
      const tags = await client.send(new (sdk().ListTagsForResourceCommand)({ resourceArn: set.imageSetArn! }));
      if (!tags.tags?.[OWNER_TAG]) candidates.push(set);
    }
    if (candidates.length === 0) return "none";
    if (candidates.length === 1) return synthetic(plan, candidates[0]);
    return "unknown";
  }
}

/** A connection refused: the request was certainly never delivered. */
function neverSent(e: unknown): boolean {
  const code = (e as { code?: string })?.code;
  return code === "ECONNREFUSED" && (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode === undefined;
}

function synthetic(plan: CopyPlan, set: ImageSet): CopyImageSetCommandOutput {
  return {
    $metadata: {},
    datastoreId: plan.datastoreId,
    sourceImageSetProperties: { imageSetId: plan.sourceImageSetId, latestVersionId: "" },
    destinationImageSetProperties: { imageSetId: set.imageSetId!, latestVersionId: set.versionId!, updatedAt: set.updatedAt },
  };
}

/** Wait until the destination version is no longer being copied; COPY_FAILED is an error. */
export async function waitForCopy(
  conn: ResolvedConnection,
  plan: Pick<CopyPlan, "datastoreId" | "instanceCount">,
  accepted: CopyAccepted & { acceptedAt?: number; serviceUpdatedAt?: number },
  opts: RunOptions,
): Promise<CopyDone> {
  const client = imagingClient(conn, "read");
  const model = durationsOf("copy", conn);
  const { value: set } = await waitFor(
    () => tolerantPoll(async () => {
      const s = await findImageSet(client, plan.datastoreId, accepted.imageSetId, accepted.versionId);
      if (!s) throw new CopyError(`The image set ${accepted.imageSetId} disappeared while it was being copied.`, accepted);
      return { done: s.imageSetState !== "LOCKED" || s.imageSetWorkflowStatus === "COPY_FAILED" || s.imageSetWorkflowStatus === "COPIED", value: s, state: `${s.imageSetState}/${s.imageSetWorkflowStatus}` };
    }),
    {
      deadline: opts.deadline,
      startedAt: accepted.acceptedAt,
      expectedMs: model.estimate(plan.instanceCount),
      label: `the copy into image set ${accepted.imageSetId} (version ${accepted.versionId}, ${plan.instanceCount} instances)`,
      log: opts.log,
    },
  );
  if (set.imageSetWorkflowStatus === "COPY_FAILED") {
    throw new CopyError(`CopyImageSet failed: ${set.message ?? "the service gave no message"}`, accepted);
  }
  const serviceMs = accepted.serviceUpdatedAt !== undefined && set.updatedAt ? set.updatedAt.getTime() - accepted.serviceUpdatedAt : undefined;
  model.record(plan.instanceCount, serviceMs ?? Date.now() - (accepted.acceptedAt ?? Date.now()));
  return { ...accepted, imageSet: set };
}
