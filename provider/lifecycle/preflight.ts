// check, second half: what `pulumi up` would fail on, found at `pulumi preview` with reads (never
// a write). In order: the connection (endpoint, region, credentials), the source and its version,
// every declared series and instance, the frames-per-copy quota, the destination, and whether the
// service would refuse the merge (the same rule the send uses: subset/mergeCheck.ts). Each problem
// is one check failure naming the input, the cause and the fix. It also says, in the preview's
// output, when `up` will adopt an image set instead of copying.
//
// Cost follows the edit: a resource whose inputs did not change is not read again (refresh finds
// drift). Reads are shared within the process (a source named by many resources is read once),
// and at most CONCURRENT_READS are in flight. Off with `checkWithService: false` or
// PULUMI_HEALTHIMAGING_CHECK_WITH_SERVICE=false, for previews without the service.

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { countFrames, maxFramesPerCopy, resolveSubset } from "../subset/copiable";
import { levelDifferences, mergeRefusal, forceToSend } from "../subset/mergeCheck";
import type { ImageSetMetadata } from "../subset/metadataDocument";
import { keepResolution } from "../subset/resolved";
import { imagingClient } from "../service/client";
import { forceOnPrimary } from "../service/copy";
import { connectionProblem } from "../service/explain";
import { isThrottling } from "../service/errors";
import { findImageSet, findMetadata, type ImageSet } from "../service/find";
import { processState } from "../settings/processState";
import { connectionOf, progressLog } from "../settings/settings";
import { fingerprintOf, journal } from "../recovery/records";
import { type DerivedImageSetInputs, containsUnknown } from "../resource/types";
import type { CheckFailure } from "./check";

type Inputs = DerivedImageSetInputs & { ownerTag?: string; __provider?: string };

/** Reads in flight at once from one preview: a preview of 1,000 resources stays within read quotas. */
const CONCURRENT_READS = 8;

export function checkWithServiceEnabled(inputs: Inputs, env: NodeJS.ProcessEnv = process.env): boolean {
  if (/^(false|0|no|off)$/i.test(env.PULUMI_HEALTHIMAGING_CHECK_WITH_SERVICE ?? "")) return false;
  return inputs.checkWithService !== false;
}

/** The inputs that decide what `up` reads; when none changed since the last run, nothing is read. */
const READ_INPUTS = ["datastoreId", "sourceImageSetId", "sourceVersionId", "subset", "destination", "force", "mergeAcrossPatients", "adoptImageSetId"] as const;
const sameInputs = (olds: Record<string, unknown>, news: Inputs) =>
  READ_INPUTS.every((k) => JSON.stringify(olds[k] ?? null) === JSON.stringify(news[k] ?? null)) &&
  (olds.region ?? null) === (news.region ?? null) &&
  (olds.endpoint ?? null) === (news.endpoint ?? null);

export async function checkWithService(olds: Record<string, unknown>, inputs: Inputs): Promise<CheckFailure[]> {
  if (!checkWithServiceEnabled(inputs)) return [];
  const isNew = Object.keys(olds).length === 0;
  if (!isNew && sameInputs(olds, inputs)) return [];
  // An input still unknown in preview is checked by `up`, when it is known.
  if ([...READ_INPUTS, "region", "endpoint"].some((k) => containsUnknown(inputs[k as keyof Inputs]))) return [];
  try {
    return await readAndCheck(inputs, isNew);
  } catch (e) {
    const problem = connectionProblem(inputs, e);
    if (problem) return [{ property: problem.setting === "credentials" ? "region" : problem.setting, reason: problem.message }];
    // Any other refusal of a read (AccessDeniedException, a quota): the preview cannot vouch for up.
    const err = e as Error & { $metadata?: { attempts?: number } };
    if (isThrottling(e))
      return [
        {
          property: "datastoreId",
          reason: `the preview's reads of data store ${inputs.datastoreId} were still throttled after ${err.$metadata?.attempts ?? "several"} attempts (${err.name}: ${err.message}): other work shares the read quotas (GetImageSet, GetImageSetMetadata); run it again when it is done, ask AWS for a higher read quota, or set \`checkWithService: false\` to preview without reading`,
        },
      ];
    if (err?.$metadata)
      return [
        {
          property: "datastoreId",
          reason: `the preview's reads of data store ${inputs.datastoreId} failed: ${err.name}: ${err.message} (the credentials need medical-imaging:GetImageSet and GetImageSetMetadata; \`checkWithService: false\` previews without reading)`,
        },
      ];
    throw e;
  }
}

async function readAndCheck(inputs: Inputs, isNew: boolean): Promise<CheckFailure[]> {
  const conn = connectionOf(inputs);
  const client = imagingClient(conn, "check");
  const at = `data store ${inputs.datastoreId} (region ${conn.region}${conn.endpoint ? `, endpoint ${conn.endpoint}` : ""})`;
  const source = await read(conn.endpoint, `set:${inputs.datastoreId}/${inputs.sourceImageSetId}`, () =>
    findImageSet(client, inputs.datastoreId, inputs.sourceImageSetId),
  );
  if (!source)
    return [
      {
        property: "sourceImageSetId",
        reason: `image set ${inputs.sourceImageSetId} does not exist in ${at}: check sourceImageSetId, datastoreId and the region`,
      },
    ];
  if (inputs.sourceVersionId !== undefined && inputs.sourceVersionId !== source.versionId && isNew) {
    return [
      {
        property: "sourceVersionId",
        reason: `pins version ${inputs.sourceVersionId}, but image set ${inputs.sourceImageSetId} is at version ${source.versionId} and CopyImageSet copies only the latest version: update or remove the pin`,
      },
    ];
  }
  const sourceDoc = await metadata(client, conn.endpoint, inputs.datastoreId, inputs.sourceImageSetId, source.versionId!);
  let declared: ReturnType<typeof resolveSubset>;
  try {
    declared = resolveSubset(inputs.subset, sourceDoc);
  } catch (e) {
    return [
      { property: "subset", reason: `${(e as Error).message.replace(/^subset: /, "")} (image set ${inputs.sourceImageSetId}, version ${source.versionId})` },
    ];
  }
  const failures: CheckFailure[] = [];
  const frames = countFrames(declared, sourceDoc);
  // create, next in this process during `pulumi up`, takes this instead of reading the document again (subset/resolved.ts)
  if (isNew)
    keepResolution(
      {
        endpoint: conn.endpoint,
        region: conn.region,
        datastoreId: inputs.datastoreId,
        sourceImageSetId: inputs.sourceImageSetId,
        versionId: source.versionId!,
        subset: inputs.subset,
      },
      { declared, frames },
    );
  if (isNew && frames > maxFramesPerCopy()) {
    failures.push({
      property: "subset",
      reason: `the copy would copy ${frames} image frames, more than the ${maxFramesPerCopy()} per CopyImageSet the service allows: split it across resources (merge several subsets into one destination)`,
    });
  }
  if (inputs.destination) failures.push(...(await checkMerge(client, conn.endpoint, inputs, at, sourceDoc, declared)));
  if (isNew && failures.length === 0) await sayAdoption(client, conn.endpoint, inputs, declared, source, at, failures);
  return failures;
}

/** The destination exists, and the service would accept the merge with the inputs as declared. */
async function checkMerge(
  client: MedicalImagingClient,
  endpoint: string | undefined,
  inputs: Inputs,
  at: string,
  sourceDoc: ImageSetMetadata,
  declared: ReturnType<typeof resolveSubset>,
): Promise<CheckFailure[]> {
  const destinationId = inputs.destination!.imageSetId;
  const destination = await read(endpoint, `set:${inputs.datastoreId}/${destinationId}`, () => findImageSet(client, inputs.datastoreId, destinationId));
  if (!destination)
    return [{ property: "destination.imageSetId", reason: `image set ${destinationId} does not exist in ${at}: check destination.imageSetId and datastoreId` }];
  const destinationDoc = await metadata(client, endpoint, inputs.datastoreId, destinationId, destination.versionId!);
  const differences = levelDifferences(sourceDoc, destinationDoc, declared);
  const refusal = mergeRefusal(differences, { force: inputs.force ?? false, mergeAcrossPatients: inputs.mergeAcrossPatients ?? false }, destinationId);
  if (refusal) return [{ property: refusal.property, reason: refusal.reason }];
  if (destination.isPrimary && (inputs.force || forceToSend(differences))) return [{ property: "force", reason: forceOnPrimary(destinationId) }];
  return [];
}

/** An adoption previews as a create: say that `up` copies nothing (or that the adopted set is missing). */
async function sayAdoption(
  client: MedicalImagingClient,
  endpoint: string | undefined,
  inputs: Inputs,
  declared: ReturnType<typeof resolveSubset>,
  source: ImageSet,
  at: string,
  failures: CheckFailure[],
): Promise<void> {
  const log = progressLog(inputs.ownerTag ?? inputs.sourceImageSetId);
  if (inputs.adoptImageSetId) {
    const adopted = await read(endpoint, `set:${inputs.datastoreId}/${inputs.adoptImageSetId}`, () =>
      findImageSet(client, inputs.datastoreId, inputs.adoptImageSetId!),
    );
    if (!adopted) failures.push({ property: "adoptImageSetId", reason: `image set ${inputs.adoptImageSetId} does not exist in ${at}: check adoptImageSetId` });
    else
      log(
        `preview: \`pulumi up\` adopts image set ${inputs.adoptImageSetId} (adoptImageSetId, version ${adopted.versionId}) after checking it holds the declared instances; it copies nothing`,
      );
    return;
  }
  // A leftover of an interrupted run of this resource, as this machine's journal recorded it.
  const entry = journal.read(inputs.ownerTag ?? "", fingerprintOf(inputs, declared, source.versionId!));
  if (entry?.accepted)
    log(
      `preview: \`pulumi up\` adopts image set ${entry.accepted.imageSetId} (version ${entry.accepted.versionId}), made for this resource by an interrupted run, if it still holds exactly the declared instances; it copies only otherwise`,
    );
  else if (entry?.sent)
    log(
      "preview: an interrupted run sent this resource's CopyImageSet without an answer; `pulumi up` first proves whether it made an image set, and copies only if not",
    );
}

// ---- shared, bounded reads ----

/** Reads kept for sharing: an image set's latest version moves, so it is kept only this long. */
const IMAGE_SET_READ_MS = 10_000;
/** Metadata documents kept at most (a version's document never changes; memory stays bounded). */
const DOCUMENTS_KEPT = 200;

/** The same read by many resources of one preview is made once; at most CONCURRENT_READS at a time. */
function read<T>(endpoint: string | undefined, key: string, fn: () => Promise<T>, keepMs = IMAGE_SET_READ_MS): Promise<T> {
  const { results, gate } = checkReads();
  const k = `${endpoint ?? "aws"}|${key}`;
  let p = results.get(k) as Promise<T> | undefined;
  if (!p) {
    p = gate(fn);
    results.set(k, p);
    if (results.size > DOCUMENTS_KEPT) results.delete(results.keys().next().value!);
    const forget = () => results.get(k) === p && results.delete(k);
    // a failed read is not remembered: the next resource asks again
    p.then(() => Number.isFinite(keepMs) && setTimeout(forget, keepMs).unref(), forget);
  }
  return p;
}

/** A version's metadata document never changes, so it is shared by key for as long as it is kept. */
function metadata(client: MedicalImagingClient, endpoint: string | undefined, datastoreId: string, imageSetId: string, versionId: string) {
  return read(endpoint, `doc:${datastoreId}/${imageSetId}@${versionId}`, () => findMetadata(client, datastoreId, imageSetId, versionId), Infinity);
}

interface CheckReads {
  results: Map<string, Promise<unknown>>;
  gate: <T>(fn: () => Promise<T>) => Promise<T>;
}

/** Per process: what check read (shared by the resources of one preview), and the gate of its reads. */
function checkReads(): CheckReads {
  const state = processState() as unknown as { checkReads?: CheckReads };
  if (!state.checkReads) {
    let running = 0;
    const waiting: (() => void)[] = [];
    const gate = async <T>(fn: () => Promise<T>): Promise<T> => {
      if (running >= CONCURRENT_READS) await new Promise<void>((r) => waiting.push(r));
      running++;
      try {
        return await fn();
      } finally {
        running--;
        waiting.shift()?.();
      }
    };
    state.checkReads = { results: new Map(), gate };
  }
  return state.checkReads;
}
