// What a subset resolves to on one version of a source image set, handed from check to create in
// one provider process. `pulumi up` checks every resource before creating it (lifecycle/preflight.ts
// reads the source's metadata document to vouch for the subset and the frames quota), and create
// needed the same document again. A version's document never changes (an edit makes a new
// version), and the resolution is a pure function of the document and the subset, so create,
// having read the source's latest version itself, takes the check's resolution of that very
// version instead of a second GetImageSetMetadata. Another version (the source moved since the
// check), or nothing kept, and create reads the document as before.

import { processState } from "../settings/processState";
import type { InstancesBySeries, Subset } from "./types";

export interface Resolution {
  declared: InstancesBySeries;
  frames: number;
}

/**
 * SOP Instance UIDs kept at most (~100 bytes each: ~25 MB): a preview of a huge dataset, whose
 * creates never come, stays bounded; the oldest resolutions go first.
 */
export const RESOLVED_UIDS_KEPT = 250_000;

interface Kept {
  entries: Map<string, Resolution & { uids: number }>;
  uids: number;
}

function kept(): Kept {
  const state = processState() as unknown as { resolvedSubsets?: Kept };
  state.resolvedSubsets ??= { entries: new Map(), uids: 0 };
  return state.resolvedSubsets;
}

export interface ResolvedKey {
  /** the endpoint (undefined: AWS) and Region the version was read from */
  endpoint?: string;
  region?: string;
  datastoreId: string;
  sourceImageSetId: string;
  versionId: string;
  subset: Subset | undefined;
}

const keyOf = (k: ResolvedKey) => JSON.stringify([k.endpoint ?? "aws", k.region ?? "", k.datastoreId, k.sourceImageSetId, k.versionId, k.subset ?? null]);

/** Keeps what the check resolved on this version (lifecycle/preflight.ts). */
export function keepResolution(k: ResolvedKey, r: Resolution): void {
  const store = kept();
  const key = keyOf(k);
  const uids = Object.values(r.declared).reduce((n, list) => n + list.length, 0);
  if (uids > RESOLVED_UIDS_KEPT) return;
  const old = store.entries.get(key);
  if (old) {
    store.entries.delete(key);
    store.uids -= old.uids;
  }
  store.entries.set(key, { ...r, uids });
  store.uids += uids;
  for (const [k2, e] of store.entries) {
    if (store.uids <= RESOLVED_UIDS_KEPT) break;
    store.entries.delete(k2);
    store.uids -= e.uids;
  }
}

/** The check's resolution on exactly this version, once (create uses it and frees it), or undefined. */
export function takeResolution(k: ResolvedKey): Resolution | undefined {
  const store = kept();
  const key = keyOf(k);
  const e = store.entries.get(key);
  if (!e) return undefined;
  store.entries.delete(key);
  store.uids -= e.uids;
  return { declared: e.declared, frames: e.frames };
}
