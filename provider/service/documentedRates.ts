// The write rates AWS documents per operation: where a pacer starts on an AWS endpoint when
// nothing is stated or remembered. From the devguide's current throttling table
// (https://docs.aws.amazon.com/healthimaging/latest/devguide/throttling-limits.html, quotas:
// https://docs.aws.amazon.com/healthimaging/latest/devguide/endpoints-quotas.html). The table has
// changed over time (UpdateImageSetMetadata 0.25 → 10 TPS, StartDICOMImportJob 0.25 → 1 → 40) and
// every limit is adjustable per account, so these are a start, not a limit: pace.ts probes upwards
// from them and remembers what it found (rateStore.ts).

/** Operations the provider paces. */
export type PacedOperation = "CopyImageSet" | "UpdateImageSetMetadata" | "DeleteImageSet" | "StartDICOMImportJob";

export interface DocumentedRate {
  /** sustained calls per second */
  tps: number;
  /** calls the service lets through at once */
  burst: number;
}

export const DOCUMENTED_RATES: Record<PacedOperation, DocumentedRate> = {
  CopyImageSet: { tps: 0.25, burst: 1 },
  DeleteImageSet: { tps: 0.25, burst: 1 },
  UpdateImageSetMetadata: { tps: 10, burst: 40 },
  StartDICOMImportJob: { tps: 40, burst: 80 },
};

export const THROTTLING_PAGE = "https://docs.aws.amazon.com/healthimaging/latest/devguide/throttling-limits.html";

/** The documented rate of an operation; an operation the table does not pace gets the most careful one. */
export function documentedRate(operation: string): DocumentedRate {
  return DOCUMENTED_RATES[operation as PacedOperation] ?? DOCUMENTED_RATES.CopyImageSet;
}
