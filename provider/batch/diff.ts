// The member diff of a CohortImageSets, from state alone (no API call): each member is compared
// with the single resource's own diff (lifecycle/diff.ts) on its expanded inputs and outputs, so
// the rules (what replaces, what updates in place, drift) are the same. Shared settings whose
// change is only recorded (region, endpoint, timeouts, ...) touch no member.

import { diffDerivedImageSet } from "../lifecycle/diff";
import { type BatchInputs, type BatchState, type BaseLookup, memberCreateInputs, memberOutputs, RECORDED_SHARED, sharedOf } from "./members";

export type MemberChange = "add" | "delete" | "update" | "replace";

export interface BatchDiff {
  /** per member key, what `up` does to it; unchanged members are absent */
  members: Record<string, MemberChange>;
  /** a shared setting changed (recorded in state; no member call unless a member changes too) */
  sharedChanged: boolean;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function diffMembers(olds: BatchState, news: BatchInputs): BatchDiff {
  const out: Record<string, MemberChange> = {};
  const oldMembers = olds.members ?? {};
  const newMembers = news.members ?? {};
  // the old side with the new recorded settings: recording them calls nothing per member
  const oldShared = { ...sharedOf(olds), ...Object.fromEntries(RECORDED_SHARED.map((k) => [k, news[k]])) };
  const oldBase: BaseLookup = (k) => oldMembers[k] && { imageSetId: oldMembers[k].imageSetId, versionId: oldMembers[k].versionId };
  // a new merge's destination is its base's image set as state has it, unless the base is made anew
  const newBase: BaseLookup = (k) => (out[k] === "add" || out[k] === "replace" || !newMembers[k] ? undefined : oldBase(k));
  const keys = Object.keys(newMembers).sort((a, b) => Number(!!newMembers[a].mergeInto) - Number(!!newMembers[b].mergeInto) || a.localeCompare(b));
  for (const key of keys) {
    const m = newMembers[key];
    const s = oldMembers[key];
    if (!s) {
      out[key] = "add";
      continue;
    }
    if (m.mergeInto !== s.mergeInto || (m.mergeInto && newBase(m.mergeInto) === undefined)) {
      out[key] = "replace";
      continue;
    }
    const d = diffDerivedImageSet(
      memberOutputs(oldShared, olds.ownerTag, key, s, oldBase),
      memberCreateInputs(news, news.ownerTag ?? olds.ownerTag, key, m, newBase),
    );
    if (d.replaces.length) out[key] = "replace";
    // a create or update that was interrupted while its copy ran: update resumes waiting for it
    else if (d.changes || s.imageSetState === "LOCKED") out[key] = "update";
  }
  for (const key of Object.keys(oldMembers)) if (!newMembers[key]) out[key] = "delete";
  const sharedChanged = Object.keys(sharedOf(olds)).length + Object.keys(sharedOf(news)).length > 0 && !same(sharedOf(olds), sharedOf(news));
  return { members: out, sharedChanged };
}

/** `members["<key>"]`: the property path of one member, as the engine and the PR summary name it. */
export const memberPath = (key: string) => `members["${key}"]`;
