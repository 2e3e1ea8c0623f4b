// What versions made outside Pulumi changed, said without the values: the names of the Patient,
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

/** "versions 2, 3 made outside Pulumi: Study.StudyDescription changed; instances 0 added, 0 removed". */
export function describeDrift(versions: string[], before: ImageSetMetadata, after: ImageSetMetadata): string {
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
  const label = `version${versions.length === 1 ? "" : "s"} ${versions.join(", ")} made outside Pulumi`;
  return `${label}: ${changes.length ? `${changes.join(", ")} changed` : "no Patient, Study or Series attribute changed"}; instances ${count(now, was)} added, ${count(was, now)} removed`;
}
