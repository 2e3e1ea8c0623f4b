// Reads the write paths share: the run's deadline and log, reads that must outlast an outage once
// the service accepted a write, and "wait until this image set is not LOCKED".

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { certainlyRejected } from "./errors";
import { type ImageSet, findImageSet } from "./find";
import { waitFor } from "./wait";

/** The bounds of one provider operation: when it must give up, and where progress goes. */
export interface RunOptions {
  deadline: number;
  log: (message: string) => void;
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

/** What CopyImageSet answered (or what recovery found it made). */
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
