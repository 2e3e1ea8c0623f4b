// The resource's properties, declared once. Check's known keys, the diff rule of each input, the
// inputs read() reports, and the outputs the resource class exposes all derive from these lists;
// compile-time checks in derivedImageSet.ts and types.ts keep the TypeScript types in step.

/** What a change of an input does to the resource. */
export type ChangeRule =
  /** a new image set: the old one is deleted (a merge undone) */
  | "replace"
  /** converged in place by update (e.g. the subset: copy added instances, remove removed ones) */
  | "update"
  /** recorded by update without any API call (how to reach the service, how long to wait) */
  | "recorded"
  /** decided by a rule of its own in diffRules.ts */
  | "special";

/** Every input: its change rule and its default (what an omitted value means for the diff). */
export const INPUTS = {
  datastoreId: { change: "replace" },
  sourceImageSetId: { change: "replace" },
  /** replace only when pinned to a version other than the one copied */
  sourceVersionId: { change: "special" },
  subset: { change: "update", keys: ["series"] },
  /** replace when the destination image set changes; its versionId is recorded */
  destination: { change: "special", keys: ["imageSetId", "versionId"] },
  force: { change: "recorded", default: false },
  /** a merge whose Patient attributes differ from the destination's: refused unless true (force never suffices) */
  mergeAcrossPatients: { change: "recorded", default: false },
  /** check and preview read the service to catch what `up` would fail on (off for offline previews) */
  checkWithService: { change: "recorded", default: true },
  promoteToPrimary: { change: "replace", default: false },
  /** adopt an image set made outside Pulumi instead of copying; only read at create */
  adoptImageSetId: { change: "recorded" },
  /** what update does about versions made outside Pulumi */
  onDrift: { change: "update", default: "keep" },
  /** what destroy does when the image set holds versions the stack did not make */
  onForeignVersions: { change: "recorded", default: "stop" },
  timeouts: { change: "recorded", keys: ["create", "update", "delete"] },
  /** the account's write rates the user states (settings/writeRate.ts): how fast, not what */
  writeRate: { change: "recorded", keys: ["copyImageSet", "updateImageSetMetadata", "deleteImageSet"] },
  region: { change: "recorded" },
  endpoint: { change: "recorded" },
} as const satisfies Record<string, { change: ChangeRule; default?: unknown; keys?: readonly string[] }>;

/** Set by the resource class, not by users: "<project>/<stack>/<name>". */
export const OWNER_TAG_INPUT = "ownerTag";

export type InputName = keyof typeof INPUTS;
export const INPUT_NAMES = Object.keys(INPUTS) as InputName[];

/** The keys an object input takes (check rejects any other). */
export function nestedKeys<K extends "subset" | "destination" | "timeouts" | "writeRate">(key: K): (typeof INPUTS)[K]["keys"] {
  return INPUTS[key].keys;
}

/** Inputs a change of which is converged or recorded by update, by rule. */
export const inputsWithRule = (rule: ChangeRule): InputName[] => INPUT_NAMES.filter((k) => INPUTS[k].change === rule);

/** What an omitted input means (its schema default), so `force: false` and no force are the same. */
export function defaultOf(key: InputName): unknown {
  const rule = INPUTS[key];
  return "default" in rule ? rule.default : undefined;
}

/** Outputs the resource exposes beyond its inputs (seeded as undefined by the class so they appear on it). */
export const OUTPUTS = [
  "imageSetId",
  "versionId",
  "latestVersionId",
  "imageSetArn",
  "imageSetState",
  "workflowStatus",
  "isPrimary",
  "forced",
  "instanceCount",
  "seriesCount",
  "sourceVersionId",
  "destinationVersionBefore",
  "versionsMade",
  "driftVersions",
  "driftSummary",
  "missingInstances",
  "createdAt",
  "updatedAt",
] as const;
export type OutputName = (typeof OUTPUTS)[number];

/** Exactly A when A and B have the same keys; a compile error otherwise (keeps types and schema in step). */
export type SameKeys<A, B> = [Exclude<keyof A, keyof B>, Exclude<keyof B, keyof A>] extends [never, never]
  ? true
  : { missing: Exclude<keyof B, keyof A>; extra: Exclude<keyof A, keyof B> };
