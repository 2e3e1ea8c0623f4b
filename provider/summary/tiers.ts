// Storage tiers for the pull-request summary (`summarize --read-tiers`): which source image sets
// the change copies from sit in the Archive Instant Access tier, what `pulumi up` does to them and
// what new storage it makes, with the prices that apply, every estimate labelled as one.
//
// What is documented (https://docs.aws.amazon.com/healthimaging/latest/devguide/understanding-storage-tiers.html,
// https://docs.aws.amazon.com/healthimaging/latest/devguide/cost-optimization.html): image sets start
// in Frequent Access, move to Archive Instant Access after 30 consecutive days without access, and
// back on access; GetImageSetMetadata, GetImageFrame, CopyImageSet (the image set it makes or merges
// into) and UpdateImageSetMetadata count as access, GetImageSet does not; image sets are billed at
// a minimum of 5 MB; there is no charge for moving between tiers. `pulumi up` reads each source's
// metadata before it copies (lifecycle/create.ts, update.ts): that read moves an archived source.
//
// The tiers are read with GetImageSet only (no access: reading them moves nothing), one call per
// source, paced and bounded. Sizes are not read: they need the metadata, whose read is access.

import type { ResourceChange } from "./summarize";

/** Example prices of the pricing page, US East (N. Virginia), USD per GB-month (https://aws.amazon.com/healthimaging/pricing/). */
export const PRICES = { FREQUENT_ACCESS: 0.105, ARCHIVE_INSTANT_ACCESS: 0.006 } as const;
/** Image sets are billed at a minimum size of 5 MB (cost-optimization page). */
export const MIN_BILLED_MB = 5;
/** 30 consecutive days without access before the archive tier (storage tiers page). */
export const ARCHIVE_AFTER_DAYS = 30;
/** Reads at most this many sources unless told otherwise. */
export const MAX_READS_DEFAULT = 200;
/** GetImageSet calls per second (its documented quota is higher; the summary leaves room for others). */
export const READ_TPS_DEFAULT = 5;

const DAY_MS = 24 * 3600 * 1000;
const HOUR_MS = 3600 * 1000;

/** A source image set that `pulumi up` reads and copies from. */
export interface TierSource {
  datastoreId: string;
  imageSetId: string;
  region?: string;
  endpoint?: string;
  /** the derived image sets that copy from it */
  resources: string[];
}

/** What GetImageSet said of one source (or why it could not be read). */
export interface TierReading {
  imageSetId: string;
  storageTier?: string;
  lastAccessedAt?: Date;
  /** the error's name (never its message: no values), or "not found" */
  error?: string;
}

/** The parts of a preview step this module reads (summarize.ts has the full shape). */
interface Step {
  urn: string;
  newState?: { type?: string; inputs?: Record<string, unknown> };
}

/** The engine's placeholder for a value not known until `pulumi up`. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const ID = /^[0-9a-z]{32}$/;

/** The sources of the changes that copy (creates, replacements, updates that add instances), one entry per image set. */
export function tierSources(preview: { steps?: Step[] }, changes: ResourceChange[]): TierSource[] {
  const copying = new Set(changes.filter((c) => c.calls.CopyImageSet > 0).map((c) => c.name));
  const out = new Map<string, TierSource>();
  for (const step of preview.steps ?? []) {
    const name = step.urn.split("::").pop() ?? step.urn;
    const inputs = step.newState?.inputs;
    if (!copying.has(name) || !inputs) continue;
    const datastoreId = inputs.datastoreId;
    const imageSetId = inputs.sourceImageSetId;
    if (typeof datastoreId !== "string" || typeof imageSetId !== "string" || !ID.test(datastoreId) || !ID.test(imageSetId) || imageSetId === UNKNOWN) continue;
    const key = `${datastoreId}/${imageSetId}`;
    const known = out.get(key);
    if (known) {
      if (!known.resources.includes(name)) known.resources.push(name);
      continue;
    }
    const text = (k: string) => (typeof inputs[k] === "string" && inputs[k] !== UNKNOWN ? (inputs[k] as string) : undefined);
    out.set(key, { datastoreId, imageSetId, region: text("region"), endpoint: text("endpoint"), resources: [name] });
  }
  return [...out.values()];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Read the tiers: one GetImageSet per source, one at a time at most `tps` per second, the first
 * `maxReads` sources only (the rest are reported as not read). Read-only; never throws for one source.
 */
export async function readTiers(
  sources: TierSource[],
  read: (s: TierSource) => Promise<{ storageTier?: string; lastAccessedAt?: Date } | undefined>,
  opts: { maxReads?: number; tps?: number } = {},
): Promise<TierReading[]> {
  const max = opts.maxReads ?? MAX_READS_DEFAULT;
  const gap = 1000 / (opts.tps ?? READ_TPS_DEFAULT);
  const out: TierReading[] = [];
  let last = 0;
  for (const s of sources.slice(0, max)) {
    const wait = last + gap - Date.now();
    if (last && wait > 0) await sleep(wait);
    last = Date.now();
    try {
      const got = await read(s);
      out.push(
        got ? { imageSetId: s.imageSetId, storageTier: got.storageTier, lastAccessedAt: got.lastAccessedAt } : { imageSetId: s.imageSetId, error: "not found" },
      );
    } catch (e) {
      out.push({ imageSetId: s.imageSetId, error: (e as Error).name || "Error" });
    }
  }
  return out;
}

/** Dollars for people: cents from a dollar up, three significant digits below (prices stay exact: $0.105). */
export function dollars(v: number): string {
  if (v === 0) return "$0";
  return v >= 1 ? `$${v.toFixed(2)}` : `$${Number(v.toPrecision(3))}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function daysRange(ages: number[]): string {
  const days = ages.map((ms) => Math.floor(ms / DAY_MS));
  const [lo, hi] = [Math.min(...days), Math.max(...days)];
  return lo === hi ? `${lo} days ago` : `${lo}–${hi} days ago`;
}

/** The storage section of the summary (Markdown lines). */
export function tierSection(changes: ResourceChange[], sources: TierSource[], readings: TierReading[], now: Date = new Date()): string[] {
  const out = ["### Storage tiers and cost (estimates)", ""];
  const read = readings.filter((r) => !r.error);
  const archived = read.filter((r) => r.storageTier === "ARCHIVE_INSTANT_ACCESS");
  const frequent = read.filter((r) => r.storageTier === "FREQUENT_ACCESS");
  const recent = frequent.filter((r) => r.lastAccessedAt && now.getTime() - r.lastAccessedAt.getTime() < HOUR_MS);
  const failed = readings.filter((r) => r.error);
  const notRead = sources.length - readings.length;

  if (sources.length === 0) out.push("Source image sets: this change copies from none.");
  else {
    out.push(
      `Source image sets this change copies from: ${sources.length}; tiers read with GetImageSet (not an access: reading them moves nothing) for ${read.length}` +
        `${notRead > 0 ? `, ${notRead} not read (the first ${readings.length} only: \`--max-reads\`)` : ""}` +
        `${failed.length ? `, ${failed.length} unreadable (${[...new Set(failed.map((f) => f.error))].join(", ")})` : ""}.`,
      "",
    );
    const ages = archived.flatMap((r) => (r.lastAccessedAt ? [now.getTime() - r.lastAccessedAt.getTime()] : []));
    out.push(
      `- **${plural(archived.length, "source")} in Archive Instant Access**${ages.length ? ` (last accessed ${daysRange(ages)})` : ""}, ${frequent.length} in Frequent Access` +
        `${read.length - archived.length - frequent.length > 0 ? `, ${read.length - archived.length - frequent.length} in another tier` : ""}.`,
    );
    if (archived.length) {
      const delta = PRICES.FREQUENT_ACCESS - PRICES.ARCHIVE_INSTANT_ACCESS;
      const floorGb = (archived.length * MIN_BILLED_MB) / 1024;
      out.push(
        `- \`pulumi up\` reads each source's metadata (GetImageSetMetadata) before copying it, which counts as access: the ${plural(archived.length, "archived source")} move to Frequent Access and stay there until ${ARCHIVE_AFTER_DAYS} days pass without access.` +
          ` Their storage then costs ${dollars(PRICES.FREQUENT_ACCESS)} instead of ${dollars(PRICES.ARCHIVE_INSTANT_ACCESS)} per GB-month for at least a month: +${dollars(delta)} per GB of their size` +
          ` (sizes not read: that needs the metadata, whose read is access itself; at the ${MIN_BILLED_MB} MB billing minimum per image set, at least +${dollars(floorGb * delta)} a month). Moving between tiers has no charge.`,
      );
    } else if (read.length) out.push("- `pulumi up` moves no source between tiers: none is archived.");
    if (recent.length)
      out.push(
        `- ${plural(recent.length, "source was", "sources were")} last accessed less than an hour before this read, probably by this preview's own checks (a preview reads a new source's metadata, which counts as access): their tier before the preview is not visible here; run \`summarize --read-tiers\` on a preview with \`checkWithService: false\` to see it.`,
      );
  }

  // New storage: every copy makes (or grows) an image set in Frequent Access.
  const made = changes.filter((c) => (c.op === "create" || c.op === "replace") && !isMerge(c));
  const merges = changes.filter((c) => c.calls.CopyImageSet > 0 && isMerge(c));
  const instances = changes.reduce((n, c) => n + Object.values(c.added).reduce((m, v) => m + (v === "all" ? 0 : v.length), 0), 0);
  const whole = changes.reduce((n, c) => n + Object.values(c.added).filter((v) => v === "all").length, 0);
  const newGb = (made.length * MIN_BILLED_MB) / 1024;
  out.push(
    "",
    `New storage: ${plural(made.length, "new image set")}${merges.length ? ` and ${plural(merges.length, "merge")} into existing image sets` : ""}, bringing ${[instances ? plural(instances, "instance") : "", whole ? `${whole} whole series` : ""].filter(Boolean).join(" and ") || "no instances"}, in Frequent Access (new and merged-into image sets start there) for at least ${ARCHIVE_AFTER_DAYS} days.` +
      (made.length
        ? ` At the ${MIN_BILLED_MB} MB minimum per image set that is at least ${(made.length * MIN_BILLED_MB).toLocaleString("en-US")} MB, ${dollars(newGb * PRICES.FREQUENT_ACCESS)} a month; the copies' real size is their instances' bytes (not read).`
        : ""),
    "",
    `Prices: the pricing page's US East (N. Virginia) examples, ${dollars(PRICES.FREQUENT_ACCESS)} (Frequent Access) and ${dollars(PRICES.ARCHIVE_INSTANT_ACCESS)} (Archive Instant Access) per GB-month (https://aws.amazon.com/healthimaging/pricing/); other regions differ. Read: the tiers. Documented: the ${ARCHIVE_AFTER_DAYS} days, which calls count as access, the ${MIN_BILLED_MB} MB minimum. Estimated: every dollar figure.`,
    "",
  );
  return out;
}

/** A merge (a destination given): it grows an existing image set instead of making one. */
function isMerge(c: ResourceChange): boolean {
  return c.merge === true;
}
