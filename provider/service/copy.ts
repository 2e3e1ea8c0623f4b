// One CopyImageSet, sent once through the write engine, and the wait for it. What to copy, whether
// an earlier run already made it, and what to record are the caller's (lifecycle/, recovery/):
// after an ambiguous failure this module asks the caller for proof, and never resends blindly
// (CopyImageSet has no idempotency token).

import type { CopyImageSetCommandOutput } from "@aws-sdk/client-medical-imaging";
import { buildCopiableAttributes, instancesOf } from "../subset/copiable";
import { forceToSend, levelDifferences, mergeRefusal } from "../subset/mergeCheck";
import { type ResolvedConnection, imagingClient, sdk } from "./client";
import { CLOCK_RESOLUTION_MS, serviceNow } from "./clock";
import { type CopyAccepted, CopyError, type RunOptions, unlocked } from "./reads";
import { findMetadata, type ImageSet } from "./find";
import type { ImageSetMetadata } from "../subset/metadataDocument";
import { serialised } from "./pace";
import { COPY, imageSetStatus } from "./status";
import { runWrite } from "./writeEngine";
import type { InstancesBySeries } from "../subset/types";
import { durationsOf, WaitFailed, WaitTimeout, waitForState } from "./wait";

export { CopyError } from "./reads";
export type { CopyAccepted, RunOptions } from "./reads";

export interface CopyRequest {
  datastoreId: string;
  sourceImageSetId: string;
  /** pinned source version; the copy fails clearly if the source moved on */
  sourceVersionId?: string;
  /** undefined: copy everything */
  selection?: InstancesBySeries;
  instanceCount: number;
  destinationImageSetId?: string;
  /** the destination is the user's (a declared merge), so `force` is theirs to set: failures say so */
  merge: boolean;
  /** may override Study/Series differences (subset/mergeCheck.ts); sent as declared */
  force: boolean;
  /** may override a Patient difference (never `force` alone) */
  mergeAcrossPatients: boolean;
  promoteToPrimary: boolean;
}

/** Whether a refusal of this copy may be the Patient/Study/Series check that `force` overrides. */
const forceMayHelp = (req: Partial<Pick<CopyRequest, "merge" | "force">>) => !!req.merge && !req.force;

/** When an ambiguous request may have been applied, by the service's clock (epoch ms). */
export interface SentWindow {
  from: number;
  to: number;
}

/** The caller's answer to "did this request make anything?", from proof (recovery/). */
export type Proof = { made: CopyAccepted } | "not-made" | "unknown";

export interface Accepted extends CopyAccepted {
  acceptedAt: number;
  serviceUpdatedAt?: number;
  /** the ARN CopyImageSet answered for the image set it wrote to (records.ts tags it without a read) */
  imageSetArn?: string;
}

/**
 * What the caller read moments before, inside the copy queue (lifecycle/create.ts): the source's
 * latest version (not LOCKED), that version's metadata document, and the destination's.
 */
export interface KnownReads {
  source: ImageSet;
  sourceDoc?: ImageSetMetadata;
  destination?: ImageSet;
}

/**
 * Runs `work` in the queue of the image sets a copy locks: a copy locks its source and
 * destination until it ends, so copies sharing one are serialised inside the process.
 */
export function inCopyQueue<T>(req: Pick<CopyRequest, "sourceImageSetId" | "destinationImageSetId">, work: () => Promise<T>): Promise<T> {
  return serialised([`set:${req.sourceImageSetId}`, ...(req.destinationImageSetId ? [`set:${req.destinationImageSetId}`] : [])], work);
}

/** The versions a request was built on. */
export interface BuiltOn {
  sourceVersionId: string;
  destinationVersionBefore: string | null;
}

/** What the caller does around the one send: note it (a journal), and prove what a lost one made. */
export interface LostAnswerRecovery {
  /** right before the request leaves, with the service-clock time it may be applied from */
  sending(from: number, builtOn: BuiltOn): void;
  prove(window: SentWindow, builtOn: BuiltOn): Promise<Proof>;
}

/**
 * Sends CopyImageSet once (paced, conflicts waited out); after an ambiguous failure, asks for proof.
 * `known`: the caller's reads of the source and destination, made moments before in the copy queue.
 */
export async function sendCopy(
  conn: ResolvedConnection,
  req: CopyRequest,
  recovery: LostAnswerRecovery,
  opts: RunOptions,
  known?: KnownReads,
): Promise<Accepted> {
  const reads = imagingClient(conn, "read");
  const once = imagingClient(conn, "once");
  let sourceVersionId = "";
  let destinationVersionBefore: string | null = null;
  let sentFrom = 0;
  // The reads the next attempt may build on instead of reading again: the caller's for the first
  // attempt, the previous attempt's after a throttle. Safe because CopyImageSet carries both
  // versions as its concurrency check: a source or destination that moved or was locked since
  // these reads is refused with a ConflictException, which the write engine explains (a read of
  // each) and answers with a prepare that reads again (`after` is "conflict" then). A throttled
  // request was refused before the service applied anything, so it changed nothing to re-read.
  let reusable: KnownReads | undefined = known;
  // the merge rule's decision for the versions it was last made on (both documents are fixed by version)
  let forceFor: { on: string; force: boolean } | undefined;
  const out = await runWrite<CopyImageSetCommandOutput | CopyAccepted>(
    conn,
    {
      operation: "CopyImageSet",
      datastoreId: req.datastoreId,
      async prepare(after) {
        // the latest versions right before sending: CopyImageSet takes them as its concurrency check
        const given = after === undefined || after === "throttled" ? reusable : undefined;
        reusable = undefined;
        const source = await unlocked(reads, req.datastoreId, req.sourceImageSetId, "source", opts, given?.source);
        sourceVersionId = source.versionId!;
        if (req.sourceVersionId !== undefined && req.sourceVersionId !== sourceVersionId) {
          throw new CopyError(
            `sourceVersionId pins version ${req.sourceVersionId}, but the source image set ${req.sourceImageSetId} is at version ${sourceVersionId}; CopyImageSet only copies the latest version. Update or remove the pin.`,
          );
        }
        const dest = req.destinationImageSetId
          ? await unlocked(reads, req.datastoreId, req.destinationImageSetId, "destination", opts, given?.destination)
          : undefined;
        destinationVersionBefore = dest ? dest.versionId! : null;
        reusable = { source, destination: dest };
        // Into an existing image set: the merge rule decides before anything is sent, on the
        // versions the request names, so a refused merge leaves no COPY_FAILED version behind.
        // Decided once per pair of versions: their documents never change (retries after a throttle
        // or a conflict on the same versions ask the same question).
        const on = `${sourceVersionId}/${destinationVersionBefore}`;
        if (dest && forceFor?.on !== on) {
          // the caller's document of this very source version stands for reading it again
          const sourceDoc = known?.sourceDoc && known.source.versionId === sourceVersionId ? known.sourceDoc : undefined;
          forceFor = { on, force: await mergeForce(reads, req, sourceVersionId, destinationVersionBefore!, sourceDoc) };
        }
        const force = dest ? forceFor!.force : false;
        if (dest?.isPrimary && force) throw new CopyError(forceOnPrimary(req.destinationImageSetId!));
        const copies = req.selection ? { DICOMCopies: { copiableAttributes: buildCopiableAttributes(req.selection) } } : {};
        const input = {
          datastoreId: req.datastoreId,
          sourceImageSetId: req.sourceImageSetId,
          force: force || undefined,
          promoteToPrimary: req.promoteToPrimary || undefined,
          copyImageSetInformation: {
            sourceImageSet: { latestVersionId: sourceVersionId, ...copies },
            ...(dest ? { destinationImageSet: { imageSetId: req.destinationImageSetId!, latestVersionId: destinationVersionBefore! } } : {}),
          },
        };
        return {
          watched: [
            { imageSetId: req.sourceImageSetId, versionId: sourceVersionId, role: "source" },
            ...(dest ? [{ imageSetId: req.destinationImageSetId!, versionId: destinationVersionBefore!, role: "destination" }] : []),
          ],
          send: () => {
            sentFrom = serviceNow() - CLOCK_RESOLUTION_MS;
            recovery.sending(sentFrom, { sourceVersionId, destinationVersionBefore });
            return once.send(new (sdk().CopyImageSetCommand)(input));
          },
        };
      },
      async recover() {
        const proof = await recovery.prove({ from: sentFrom, to: serviceNow() + CLOCK_RESOLUTION_MS }, { sourceVersionId, destinationVersionBefore });
        return proof === "not-made" || proof === "unknown" ? proof : { made: proof.made };
      },
      conflictHint: forceMayHelp(req) ? FORCE_HINT.slice(2) : "",
      fail: (message) => new CopyError(message),
    },
    opts,
  );
  if (!("destinationImageSetProperties" in out)) return { ...(out as CopyAccepted), acceptedAt: Date.now() };
  const destProps = out.destinationImageSetProperties!;
  return {
    imageSetId: destProps.imageSetId!,
    versionId: destProps.latestVersionId!,
    sourceVersionId,
    destinationVersionBefore,
    acceptedAt: Date.now(),
    serviceUpdatedAt: destProps.updatedAt?.getTime(),
    imageSetArn: destProps.imageSetArn,
  };
}

/**
 * Whether a copy into an existing image set must carry `force`; a CopyError when the declared
 * permissions do not cover what differs (subset/mergeCheck.ts). `force` declared is always sent.
 */
async function mergeForce(
  reads: ReturnType<typeof imagingClient>,
  req: CopyRequest,
  sourceVersionId: string,
  destinationVersion: string,
  sourceDoc?: ImageSetMetadata,
): Promise<boolean> {
  const [source, destination] = await Promise.all([
    sourceDoc ?? findMetadata(reads, req.datastoreId, req.sourceImageSetId, sourceVersionId),
    findMetadata(reads, req.datastoreId, req.destinationImageSetId!, destinationVersion),
  ]);
  const differences = levelDifferences(source, destination, req.selection ?? instancesOf(source));
  const refusal = mergeRefusal(differences, req, req.destinationImageSetId!);
  if (refusal) throw new CopyError(`${refusal.property}: ${refusal.reason}`);
  return req.force || forceToSend(differences);
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
  ". If the source's Study or Series attributes differ from the destination's, `force: true` merges anyway (the destination's attributes are kept; not on primary image sets); a Patient difference is never merged by `force` alone.";

/** Waits until the copy's version leaves LOCKED; COPY_FAILED is a CopyError that carries the accepted copy. */
export async function waitForCopy(
  conn: ResolvedConnection,
  req: Pick<CopyRequest, "datastoreId" | "instanceCount"> & Partial<Pick<CopyRequest, "merge" | "force">>,
  accepted: CopyAccepted & { acceptedAt?: number; serviceUpdatedAt?: number },
  opts: RunOptions,
): Promise<CopyAccepted & { imageSet: ImageSet }> {
  const model = durationsOf("copy", conn);
  let set: ImageSet | undefined;
  try {
    set = await waitForState({
      refresh: imageSetStatus(imagingClient(conn, "read"), req.datastoreId, accepted.imageSetId, accepted.versionId),
      ...COPY,
      outlastOutages: true,
      deadline: opts.deadline,
      startedAt: accepted.acceptedAt,
      // asked before every sleep: copies accepted before any copy of this run finished learn from the first that does
      expectedMs: () => model.estimate(req.instanceCount),
      label: `the copy into image set ${accepted.imageSetId} (version ${accepted.versionId}, ${req.instanceCount} instances)`,
      log: opts.log,
    });
  } catch (e) {
    if (!(e instanceof WaitFailed)) throw new CopyError((e as Error).message, accepted, undefined, e instanceof WaitTimeout);
    const failed = e.value as ImageSet | undefined;
    if (!failed) throw new CopyError(`The image set ${accepted.imageSetId} disappeared while it was being copied.`, accepted);
    throw new CopyError(
      `CopyImageSet failed: ${failed.message ?? "the service gave no message"}${forceMayHelp(req) ? FORCE_HINT : ""}`,
      accepted,
      failed.imageSetWorkflowStatus,
    );
  }
  const serviceMs = accepted.serviceUpdatedAt !== undefined && set?.updatedAt ? set.updatedAt.getTime() - accepted.serviceUpdatedAt : undefined;
  model.record(req.instanceCount, serviceMs ?? Date.now() - (accepted.acceptedAt ?? Date.now()));
  return { ...accepted, imageSet: set! };
}
