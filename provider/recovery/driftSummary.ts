// What versions made outside this stack changed, said without the values: the names of the Patient,
// Study and Series attributes that differ, and how many instances came and went. Shown by the
// preview (diff) and stored as the driftSummary output, so it must never carry a DICOM value.

import { instancesOf } from "../subset/copiable";
import type { ImageSetMetadata } from "../subset/metadataDocument";

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** Names of the attributes that differ between two attribute objects (added, removed or changed). */
function changedNames(before: Record<string, unknown> | undefined, after: Record<string, unknown> | undefined): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...keys].filter((k) => !same(before?.[k], after?.[k])).sort();
}

/** What one version changed over the one before it: "Study.StudyDescription changed; instances 0 added, 0 removed". */
export function describeChange(before: ImageSetMetadata, after: ImageSetMetadata): string {
  const changes = [
    ...changedNames(before.Patient?.DICOM, after.Patient?.DICOM).map((k) => `Patient.${k}`),
    ...changedNames(before.Study.DICOM, after.Study.DICOM).map((k) => `Study.${k}`),
  ];
  const seriesChanged = new Map<string, number>();
  for (const uid of Object.keys(after.Study.Series)) {
    for (const k of changedNames(before.Study.Series[uid]?.DICOM, after.Study.Series[uid]?.DICOM)) seriesChanged.set(k, (seriesChanged.get(k) ?? 0) + 1);
  }
  for (const [k, n] of [...seriesChanged].sort()) changes.push(`Series.${k} (${n} series)`);
  const was = instancesOf(before);
  const now = instancesOf(after);
  const count = (from: Record<string, string[]>, not: Record<string, string[]>) =>
    Object.entries(from).reduce((n, [s, uids]) => n + uids.filter((u) => !(not[s] ?? []).includes(u)).length, 0);
  return `${changes.length ? `${changes.join(", ")} changed` : "no Patient, Study or Series attribute changed"}; instances ${count(now, was)} added, ${count(was, now)} removed`;
}

/** Versions described one by one at most (each costs two metadata reads); the rest are counted. */
export const VERSIONS_DESCRIBED = 5;

/**
 * What the given versions changed, each over the version before it (whoever made that one), so a
 * colleague's edit is not blamed for a merge made between: "3: Study.X changed; ..." per version.
 */
export async function describeVersionChanges(
  versions: string[],
  earlier: string[],
  documentAt: (versionId: string) => Promise<ImageSetMetadata>,
): Promise<string> {
  const known = [...new Set([...earlier, ...versions])].map(Number).sort((a, b) => a - b);
  const described = await Promise.all(
    versions.slice(0, VERSIONS_DESCRIBED).map(async (v) => {
      const before = known.filter((k) => k < Number(v)).pop();
      const change = before === undefined ? "its first version" : describeChange(await documentAt(String(before)), await documentAt(v));
      return versions.length === 1 ? change : `${v}: ${change}`;
    }),
  );
  const more = versions.length - described.length;
  return [...described, ...(more > 0 ? [`${more} more not described`] : [])].join(" / ");
}
