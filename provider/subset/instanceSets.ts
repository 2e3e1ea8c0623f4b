// Set operations on instances keyed by series (SeriesInstanceUID → SOP Instance UIDs): what a
// subset declares, what an image set holds, what a resource copied.

import type { InstancesBySeries } from "./types";

/** Instances of `a` that are not in `b`. */
export function minus(a: InstancesBySeries, b: InstancesBySeries): InstancesBySeries {
  const out: InstancesBySeries = {};
  for (const [series, uids] of Object.entries(a)) {
    const other = new Set(b[series] ?? []);
    const left = uids.filter((u) => !other.has(u));
    if (left.length) out[series] = left;
  }
  return out;
}

/** Instances in `a` or `b`. */
export function union(a: InstancesBySeries, b: InstancesBySeries): InstancesBySeries {
  const out: InstancesBySeries = structuredClone(a);
  for (const [series, uids] of Object.entries(b)) out[series] = [...new Set([...(out[series] ?? []), ...uids])];
  return out;
}

/** Instances of `copied` still in `present`. */
export function stillPresent(copied: InstancesBySeries, present: InstancesBySeries): InstancesBySeries {
  return minus(copied, minus(copied, present));
}

export const isEmpty = (m: InstancesBySeries) => Object.keys(m).length === 0;
export const countInstances = (m: InstancesBySeries) => Object.values(m).reduce((n, l) => n + l.length, 0);
