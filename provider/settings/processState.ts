// State shared by every resource handled in one provider process: SDK clients, pacers, queues
// and learned copy durations. It lives on globalThis, not in module variables, because the
// provider is serialized by value into each resource's __provider and the host loads one copy
// per distinct serialized text; globalThis is the one thing all copies share.

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";

export interface ProcessState {
  clients: Map<string, MedicalImagingClient>;
  pacers: Map<string, unknown>;
  queues: Map<string, Promise<unknown>>;
  durations: Map<string, unknown>;
  /** image sets whose copy this process started: never leftovers of an earlier run (adopt.ts) */
  madeHere: Set<string>;
  /** "<imageSetId>@<versionId>" of every merge this process made: never a leftover of another run */
  mergedHere: Set<string>;
  /** tags of leftover candidates already looked up, by data store/image set id (adopt.ts) */
  candidateTags: Map<string, Promise<Record<string, string> | undefined>>;
  /** when this process first used the provider (epoch ms) */
  startedAt: number;
  /** the service's clock minus this machine's, from the last answer's Date header (service/clock.ts) */
  serviceClockOffsetMs?: number;
}

const KEY = "__pulumiHealthImaging";

export function processState(): ProcessState {
  const g = globalThis as unknown as Record<string, ProcessState | undefined>;
  let s = g[KEY];
  if (!s) {
    s = {
      clients: new Map(),
      pacers: new Map(),
      queues: new Map(),
      durations: new Map(),
      madeHere: new Set(),
      mergedHere: new Set(),
      candidateTags: new Map(),
      startedAt: Date.now(),
    };
    g[KEY] = s;
  }
  return s;
}
