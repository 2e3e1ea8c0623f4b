// The dynamic provider behind CohortImageSets: many derived image sets (one per series of a cohort)
// in one Pulumi resource, with compact state (batch/members.ts). Every member runs the single
// DerivedImageSet's own lifecycle functions (create, update, delete, read, diff, check), so copy,
// ownership proof and recovery are the same code; what is here is only the fan-out, the order
// (a merge after its base), and what state keeps when some members fail: every image set made
// so far, so the next `pulumi up` resumes.

import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import { validateInputs } from "../lifecycle/check";
import { createDerivedImageSet } from "../lifecycle/create";
import { deleteDerivedImageSet } from "../lifecycle/delete";
import { driftPlan } from "../lifecycle/diff";
import { checkWithService } from "../lifecycle/preflight";
import { readDerivedImageSet } from "../lifecycle/read";
import { updateDerivedImageSet } from "../lifecycle/update";
import type { Outputs } from "../resource/outputs";
import { containsUnknown, isUnknown } from "../resource/types";
import { PartialFailure } from "../service/errors";
import { explainFailure } from "../service/explain";
import { progressLog } from "../settings/settings";
import { type BatchDiff, diffMembers, memberPath } from "./diff";
import {
  type BaseLookup,
  type BatchInputs,
  type BatchState,
  compactMember,
  inDependencyOrder,
  type MemberInputs,
  type MemberState,
  memberConcurrency,
  memberCreateInputs,
  memberInputsOf,
  memberOutputs,
  SHARED_KEYS,
  settleAll,
  sharedOf,
} from "./members";

const MEMBER_KEYS = ["sourceImageSetId", "instances", "mergeInto"];
const TOP_KEYS = [...SHARED_KEYS, "members", "ownerTag", "__provider"];

export const batchId = (ownerTag: string | undefined) =>
  `cohort-${createHash("sha256")
    .update(ownerTag ?? "")
    .digest("hex")
    .slice(0, 16)}`;

/** The base lookup over a state being built: a member made (and resolved) so far. */
const baseIn =
  (members: Record<string, MemberState>): BaseLookup =>
  (k) =>
    members[k]?.imageSetId ? { imageSetId: members[k].imageSetId, versionId: members[k].versionId } : undefined;

/** What one member's failure says, one line, naming it. */
function failureLine(key: string, op: string, settings: BatchInputs | BatchState, e: unknown): string {
  const err = explainFailure(op, settings, e);
  return `members["${key}"]: ${err instanceof Error ? err.message : String(err)}`;
}

function failureMessage(op: string, lines: string[], total: number): string {
  const shown = lines.slice(0, 5);
  const more = lines.length > shown.length ? `\n  … and ${lines.length - shown.length} more` : "";
  return `${op} of ${lines.length} of ${total} members failed; every image set made is recorded in state, and the next \`pulumi up\` resumes:\n  ${shown.join("\n  ")}${more}`;
}

const plainState = (s: BatchState): BatchState => JSON.parse(JSON.stringify(s)) as BatchState;

/**
 * The dynamic provider behind {@link CohortImageSets}: check, diff, create, read, update and delete
 * of a cohort's derived image sets, member by member with DerivedImageSet's own functions.
 */
export class CohortImageSetsProvider implements pulumi.dynamic.ResourceProvider {
  async check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const failures: { property: string; reason: string }[] = [];
    const inputs = Object.fromEntries(Object.entries(news ?? {}).filter(([, v]) => v !== null)) as unknown as BatchInputs;
    for (const k of Object.keys(inputs))
      if (!TOP_KEYS.includes(k)) failures.push({ property: k, reason: `is not an input of CohortImageSets (${TOP_KEYS.slice(0, -1).join(", ")})` });
    const members = inputs.members;
    // known only at `up` (an output of another resource): checked then
    if (isUnknown(members)) return { inputs, failures };
    if (typeof members !== "object" || members === null || Array.isArray(members)) {
      failures.push({ property: "members", reason: "must be an object: SeriesInstanceUID -> { sourceImageSetId, instances?, mergeInto? }" });
      return { inputs, failures };
    }
    const shared = new Set<string>();
    for (const [key, m] of Object.entries(members)) {
      const where = memberPath(key);
      if (isUnknown(m)) continue;
      if (typeof m !== "object" || m === null) {
        failures.push({ property: where, reason: "must be an object { sourceImageSetId, instances?, mergeInto? }" });
        continue;
      }
      for (const k of Object.keys(m))
        if (!MEMBER_KEYS.includes(k)) failures.push({ property: `${where}.${k}`, reason: `is not a member input (${MEMBER_KEYS.join(", ")})` });
      if (m.mergeInto !== undefined) {
        const base = members[m.mergeInto];
        if (!base) failures.push({ property: `${where}.mergeInto`, reason: `names no member of this resource: ${JSON.stringify(m.mergeInto)}` });
        else if (base.mergeInto)
          failures.push({
            property: `${where}.mergeInto`,
            reason: `names member "${m.mergeInto}", which is itself merged into another: merge into the image set's first member`,
          });
      }
      // the single resource's rules on the member's own inputs (a placeholder destination: its base's, unknown here)
      const single = { ...memberCreateInputs(inputs, undefined, key, m, () => undefined) } as Record<string, unknown>;
      delete single.ownerTag;
      delete single.formerOwnerTag;
      for (const f of validateInputs(single).failures) {
        if ((SHARED_KEYS as readonly string[]).includes(f.property.split(".")[0])) {
          if (!shared.has(f.property)) failures.push(f);
          shared.add(f.property);
        } else failures.push({ property: `${where}.${f.property.startsWith("subset") ? "instances" : f.property}`, reason: f.reason });
      }
    }
    if (failures.length) return { inputs, failures };
    // Reads only for members that are new or changed: a no-change preview reads nothing.
    const oldMembers = ((olds as unknown as BatchInputs)?.members ?? {}) as Record<string, MemberInputs>;
    const sameShared = JSON.stringify(sharedOf(olds as unknown as BatchInputs)) === JSON.stringify(sharedOf(inputs));
    const touched = Object.entries(members).filter(([k, m]) => !sameShared || JSON.stringify(oldMembers[k] ?? null) !== JSON.stringify(m));
    const results = await settleAll(touched, 8, async ([key, m]) => {
      const single = memberCreateInputs(inputs, undefined, key, m, () => undefined);
      const old = oldMembers[key] ? memberCreateInputs(olds as unknown as BatchInputs, undefined, key, oldMembers[key], () => undefined) : {};
      return (await checkWithService(old, single)).map((f) => ({
        property: (SHARED_KEYS as readonly string[]).includes(f.property.split(".")[0]) ? f.property : `${memberPath(key)}.${f.property}`,
        reason: f.reason,
      }));
    });
    const seen = new Set<string>();
    for (const r of results)
      for (const f of r.status === "fulfilled" ? r.value : [{ property: "members", reason: String((r.reason as Error)?.message ?? r.reason) }]) {
        const line = `${f.property}\u0000${f.reason}`;
        if (!seen.has(line)) failures.push(f);
        seen.add(line);
      }
    return { inputs, failures };
  }

  async diff(_id: string, olds: BatchState, news: BatchInputs): Promise<pulumi.dynamic.DiffResult> {
    // members not known until `up` (preview): some may change
    if (containsUnknown(news.members)) return { changes: true, replaces: [], deleteBeforeReplace: false };
    const d = diffMembers(olds, news);
    const log = progressLog(news.ownerTag ?? olds.ownerTag ?? "");
    const counts = countChanges(d);
    if (counts) log(`members: ${counts}`);
    for (const key of Object.keys(olds.members ?? {})) {
      const s = olds.members[key];
      const m = news.members?.[key];
      if (!m || !(s.driftVersions?.length || s.missingInstances || s.workflowStatus === "UNKNOWN")) continue;
      const base = baseIn(olds.members);
      const drift = driftPlan(memberOutputs(olds, olds.ownerTag, key, s, base), memberCreateInputs(news, news.ownerTag, key, m, base));
      if (drift) log(`${memberPath(key)}: ${drift}`);
    }
    return {
      changes: Object.keys(d.members).length > 0 || d.sharedChanged || Object.keys(olds.retired ?? {}).length > 0,
      replaces: [],
      deleteBeforeReplace: false,
    };
  }

  async create(inputs: BatchInputs): Promise<pulumi.dynamic.CreateResult> {
    const id = batchId(inputs.ownerTag);
    const state: BatchState = { ...sharedOf(inputs), ownerTag: inputs.ownerTag, members: {}, ...(inputs.__provider ? { __provider: inputs.__provider } : {}) };
    const failed: string[] = [];
    for (const phase of inDependencyOrder(inputs.members ?? {})) {
      await settleAll(phase, memberConcurrency(), async ([key, m]) => {
        try {
          await this.createMember(inputs, state, key, m);
        } catch (e) {
          failed.push(failureLine(key, "create", inputs, e));
        }
      });
    }
    if (failed.length)
      throw new PartialFailure(
        id,
        plainState(state) as unknown as Record<string, unknown>,
        failureMessage("create", failed, Object.keys(inputs.members ?? {}).length),
      );
    return { id, outs: plainState(state) };
  }

  /** Creates one member into `state` (a partial failure's image set too); throws on failure. */
  private async createMember(inputs: BatchInputs, state: BatchState, key: string, m: MemberInputs): Promise<void> {
    if (m.mergeInto && !baseIn(state.members)(m.mergeInto)) throw new Error(`not made: the member it merges into ("${m.mergeInto}") was not made`);
    try {
      const r = await createDerivedImageSet(memberCreateInputs(inputs, inputs.ownerTag, key, m, baseIn(state.members), inputs.__provider));
      state.members[key] = compactMember(key, m, r.id, r.outs as Outputs & Record<string, unknown>);
    } catch (e) {
      if (e instanceof PartialFailure) state.members[key] = compactMember(key, m, e.id, e.properties as Outputs & Record<string, unknown>);
      throw e;
    }
  }

  async read(id: string, props: BatchState): Promise<pulumi.dynamic.ReadResult> {
    const state: BatchState = { ...props, members: { ...(props.members ?? {}) } };
    const base = baseIn(props.members ?? {});
    const failed: string[] = [];
    await settleAll(Object.entries(props.members ?? {}), memberConcurrency(), async ([key, s]) => {
      try {
        const r = await readDerivedImageSet(s.id ?? s.imageSetId, memberOutputs(props, props.ownerTag, key, s, base));
        if (!r.props) delete state.members[key];
        else state.members[key] = compactMember(key, memberInputsOf(s), r.id ?? s.id ?? s.imageSetId, r.props as Outputs & Record<string, unknown>);
      } catch (e) {
        failed.push(failureLine(key, "refresh", props, e));
      }
    });
    if (failed.length) throw new Error(failureMessage("refresh", failed, Object.keys(props.members ?? {}).length));
    const clean = plainState(state);
    const inputs = {
      ...sharedOf(clean),
      ownerTag: clean.ownerTag,
      members: Object.fromEntries(Object.entries(clean.members).map(([k, s]) => [k, memberInputsOf(s)])),
    };
    return { id, props: clean, inputs };
  }

  async update(id: string, olds: BatchState, news: BatchInputs): Promise<pulumi.dynamic.UpdateResult> {
    const d = diffMembers(olds, news);
    const ownerTag = news.ownerTag ?? olds.ownerTag;
    const state: BatchState = {
      ...sharedOf(news),
      ownerTag,
      members: { ...(olds.members ?? {}) },
      ...(news.__provider ? { __provider: news.__provider } : {}),
    };
    const oldBase = baseIn(olds.members ?? {});
    const failed: string[] = [];
    const total = new Set([...Object.keys(olds.members ?? {}), ...Object.keys(news.members ?? {})]).size;
    const oldOuts = (key: string) => memberOutputs(olds, olds.ownerTag, key, olds.members[key], oldBase);
    const going = (key: string) => d.members[key] === "delete" || d.members[key] === "replace";
    /** a merge whose base image set is deleted anyway needs no undo (the stack recorded its versions) */
    const undoNeeded = (key: string) => !(olds.members[key].mergeInto && going(olds.members[key].mergeInto!));
    // image sets of replaced members still to delete: an earlier run's that failed, and this run's
    const retire: [string, MemberState][] = Object.values(olds.retired ?? {}).map((s) => [s.key, s.state]);
    const stillRetired: Record<string, { key: string; state: MemberState }> = {};
    const guarded = async (key: string, op: string, run: () => Promise<void>) => {
      try {
        await run();
      } catch (e) {
        failed.push(failureLine(key, op, news, e));
      }
    };

    for (const phase of inDependencyOrder(news.members ?? {})) {
      await settleAll(
        phase.filter(([k]) => d.members[k]),
        memberConcurrency(),
        async ([key, m]) => {
          const change = d.members[key];
          if (change === "add") return guarded(key, "create", () => this.createMember(news, state, key, m));
          if (change === "update")
            return guarded(key, "update", async () => {
              const s = olds.members[key];
              try {
                const r = await updateDerivedImageSet(
                  s.id ?? s.imageSetId,
                  oldOuts(key),
                  memberCreateInputs(news, ownerTag, key, m, baseIn(state.members), news.__provider),
                );
                state.members[key] = compactMember(key, m, s.id ?? s.imageSetId, r.outs as Outputs & Record<string, unknown>);
              } catch (e) {
                if (e instanceof PartialFailure)
                  state.members[key] = compactMember(key, memberInputsOf(s), e.id, e.properties as Outputs & Record<string, unknown>);
                throw e;
              }
            });
          // replace: a merge is undone first (it cannot be made twice into one image set); a new image set is made first
          const s = olds.members[key];
          if (s.mergeInto) {
            if (undoNeeded(key)) {
              try {
                await deleteDerivedImageSet(oldOuts(key));
              } catch (e) {
                failed.push(failureLine(key, "replace (undoing the old merge)", news, e));
                return;
              }
            }
            delete state.members[key];
            return guarded(key, "create", () => this.createMember(news, state, key, m));
          }
          delete state.members[key];
          await guarded(key, "create", () => this.createMember(news, state, key, m));
          if (state.members[key]) retire.push([key, s]);
          else state.members[key] = s;
        },
      );
    }
    // then what is no longer declared: merges (undone, unless their image set goes too), then bases, then replaced image sets
    const removed = Object.entries(olds.members ?? {}).filter(([k]) => d.members[k] === "delete");
    for (const phase of [...inDependencyOrder(Object.fromEntries(removed)).reverse(), retire]) {
      await settleAll(phase, memberConcurrency(), async ([key, s]) => {
        const isRetired = retire.some(([k]) => k === key);
        if (s.mergeInto && !undoNeeded(key)) {
          if (!isRetired) delete state.members[key];
          return;
        }
        await guarded(key, isRetired ? "replace (deleting the old image set)" : "delete", async () => {
          try {
            await deleteDerivedImageSet(memberOutputs(olds, olds.ownerTag, key, s, oldBase));
          } catch (e) {
            if (isRetired) stillRetired[`${key}@${s.imageSetId}`] = { key, state: s };
            throw e;
          }
          if (!isRetired) delete state.members[key];
        });
      });
    }
    if (Object.keys(stillRetired).length) state.retired = stillRetired;
    if (failed.length) throw new PartialFailure(id, plainState(state) as unknown as Record<string, unknown>, failureMessage("update", failed, total));
    return { outs: plainState(state) };
  }

  async delete(_id: string, props: BatchState): Promise<void> {
    const members = props.members ?? {};
    const base = baseIn(members);
    const failed: string[] = [];
    // A merge into a member's image set needs no undo: that image set is deleted as a whole (its
    // merges' versions are the stack's own, recorded in its tag, so they are not foreign).
    const [bases, merges] = inDependencyOrder(members);
    const alone = merges.filter(([, s]) => !members[s.mergeInto!]);
    const retired = Object.values(props.retired ?? {}).map((r): [string, MemberState] => [r.key, r.state]);
    for (const phase of [alone, [...bases, ...retired]]) {
      await settleAll(phase, memberConcurrency(), async ([key, s]) => {
        try {
          await deleteDerivedImageSet(memberOutputs(props, props.ownerTag, key, s, base));
        } catch (e) {
          failed.push(failureLine(key, "delete", props, e));
        }
      });
    }
    if (failed.length)
      throw new Error(failureMessage("delete", failed, Object.keys(members).length).replace("the next `pulumi up` resumes", "`pulumi destroy` again resumes"));
  }
}

/** "1 to update (members["<uid>"]), 2 to add (…)": what the preview log says, naming up to 10 members per kind. */
function countChanges(d: BatchDiff): string {
  const keys: Record<string, string[]> = {};
  for (const [key, c] of Object.entries(d.members)) (keys[c] ??= []).push(key);
  return Object.entries(keys)
    .map(([c, list]) => `${list.length} to ${c} (${list.slice(0, 10).map(memberPath).join(", ")}${list.length > 10 ? `, … ${list.length - 10} more` : ""})`)
    .join(", ");
}

export const cohortImageSetsProvider = new CohortImageSetsProvider();
