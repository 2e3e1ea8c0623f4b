// Reads the write paths share: the run's deadline and log, reads that must outlast an outage once
// the service accepted a write, and "wait until this image set is writable".

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import type { WriteRate } from "../settings/writeRate";
import { certainlyRejected } from "./errors";
import type { ImageSet } from "./find";
import { imageSetStatus, SETTLED, WRITABLE } from "./status";
import { WaitFailed, waitForState } from "./wait";

/** The bounds of one provider operation: when it must give up, and where progress goes. */
export interface RunOptions {
  deadline: number;
  log: (message: string) => void;
  /** the resource's `writeRate` input: the rates the user states (settings/writeRate.ts) */
  writeRate?: WriteRate;
}

/** A failure of a write; `accepted` is set when the service had accepted a copy (state must keep it). */
export class CopyError extends Error {
  constructor(
    message: string,
    readonly accepted?: CopyAccepted,
    /** the workflow status the copy ended in, when the service reported one (COPY_FAILED) */
    readonly status?: string,
    /** the operation's timeout ran out while the service was still working on it */
    readonly timedOut = false,
  ) {
    super(message);
  }
}

/** What CopyImageSet answered (or what recovery proved it made). */
export interface CopyAccepted {
  imageSetId: string;
  versionId: string;
  sourceVersionId: string;
  destinationVersionBefore: string | null;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

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

/**
 * One version of an image set once it is no longer LOCKED, whatever the write that made it ended
 * in (undefined: gone). It was accepted before we look, so an outage is waited out (to the deadline).
 */
export function settledVersion(
  client: MedicalImagingClient,
  datastoreId: string,
  imageSetId: string,
  versionId: string,
  opts: RunOptions,
): Promise<ImageSet | undefined> {
  return waitForState({
    refresh: imageSetStatus(client, datastoreId, imageSetId, versionId),
    ...SETTLED,
    outlastOutages: true,
    deadline: opts.deadline,
    expectedMs: 0,
    label: `version ${versionId} of image set ${imageSetId}`,
    log: opts.log,
  });
}

/**
 * The image set's latest version once it is not LOCKED (someone else's copy or update holds it).
 * `known`: the image set as the caller already read it; asked again only when it was locked.
 */
export async function unlocked(
  client: MedicalImagingClient,
  datastoreId: string,
  imageSetId: string,
  role: string,
  opts: RunOptions,
  known?: ImageSet,
): Promise<ImageSet> {
  if (known && known.imageSetState !== "LOCKED") return known;
  const set = await waitForState({
    refresh: imageSetStatus(client, datastoreId, imageSetId),
    ...WRITABLE,
    deadline: opts.deadline,
    expectedMs: 0,
    label: `the ${role} image set ${imageSetId} to be unlocked`,
    log: opts.log,
  }).catch((e: Error) => {
    throw e instanceof WaitFailed ? new CopyError(`The ${role} image set ${imageSetId} does not exist in data store ${datastoreId}.`) : e;
  });
  return set!;
}
