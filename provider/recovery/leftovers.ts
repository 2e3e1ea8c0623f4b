// Adoption of what an interrupted `pulumi up` left behind. If the CLI dies after CopyImageSet
// was accepted but before the engine recorded the result, the image set exists but state does
// not know it. Before copying, create looks for such a leftover made by this same resource
// (same owner tag, same declared inputs) and adopts it instead of copying twice.
//
// Two ways to find it, cheapest first:
//   1. a local journal entry written right after the copy was accepted and removed once create
//      returned (same machine; no API call);
//   2. the service: image sets of the source's study created in the last 24 hours, and before
//      this process started (with 5 minutes for clock skew), whose tags say this resource with
//      these inputs made them. Image sets this process made itself are skipped without a call, so
//      a fleet of copies of one study costs one search per create, not one lookup per sibling
//      (BENCHMARKS.md §2). At most 25 candidates are inspected, each at most once per process
//      (their tags are remembered), with one ListTagsForResource on an ARN built from the
//      source's.
// For a merge, the declared instances must all be in the destination already, made by a version
// this resource tagged; otherwise there is nothing to adopt.

import type { MedicalImagingClient } from "@aws-sdk/client-medical-imaging";
import { createHash } from "node:crypto";
import { instancesOf } from "../subset/copiable";
import { sdk } from "../service/client";
import { type CopyAccepted, CopyError } from "../service/copy";
import { journal } from "./journal";
import { serialised } from "../service/pace";
import { processState } from "../settings/processState";
import { INPUTS_TAG, OWNER_TAG } from "./tags";
import { madeVersionsOf } from "./madeVersions";
import { findImageSet, findMetadata, listTags, listVersions } from "../service/find";
import type { DerivedImageSetInputs, InstancesBySeries } from "../resource/types";

const MAX_CANDIDATES = 25;
const DAY_MS = 24 * 60 * 60 * 1000;
const CLOCK_SKEW_MS = 5 * 60 * 1000;

/**
 * Short, stable fingerprint of what a create copies (not of how it is reached). It covers every
 * input whose change replaces the resource, the source version included: during a replacement
 * the old image set (same owner) still exists and must never be mistaken for a leftover.
 */
export function inputsFingerprint(inputs: DerivedImageSetInputs, copied: InstancesBySeries, sourceVersionId: string): string {
  const canonical = JSON.stringify([
    inputs.datastoreId,
    inputs.sourceImageSetId,
    sourceVersionId,
    inputs.destination?.imageSetId ?? null,
    inputs.promoteToPrimary ?? false,
    Object.keys(copied)
      .sort()
      .map((s) => [s, [...copied[s]].sort()]),
  ]);
  return createHash("sha256").update(canonical).digest("hex").slice(0, 32);
}

export interface LeftoverQuery {
  inputs: DerivedImageSetInputs;
  ownerTag: string;
  fingerprint: string;
  copied: InstancesBySeries;
  studyInstanceUid?: string;
  /** the source image set's ARN: candidates are in the same data store, so theirs follow from it */
  sourceArn?: string;
}

export async function findLeftover(client: MedicalImagingClient, q: LeftoverQuery): Promise<CopyAccepted | undefined> {
  const journaled = journal.read(q.ownerTag, q.fingerprint);
  if (journaled) {
    // for a merge, the version the journal names (the destination's latest may be another's)
    const set = await findImageSet(client, q.inputs.datastoreId, journaled.imageSetId, q.inputs.destination ? journaled.versionId : undefined);
    if (set && set.imageSetWorkflowStatus !== "COPY_FAILED") return journaled;
  }
  // A merge's look waits for this process's other copies into the destination: it reads the
  // destination's latest version, which must not be one of ours still COPYING.
  return q.inputs.destination ? serialised([`set:${q.inputs.destination.imageSetId}`], () => findMergeLeftover(client, q)) : findNewSetLeftover(client, q);
}

async function findNewSetLeftover(client: MedicalImagingClient, q: LeftoverQuery): Promise<CopyAccepted | undefined> {
  if (!q.studyInstanceUid) return undefined;
  const found = await client.send(
    new (sdk().SearchImageSetsCommand)({
      datastoreId: q.inputs.datastoreId,
      maxResults: 50,
      searchCriteria: {
        filters: [
          { operator: "BETWEEN", values: [{ createdAt: new Date(Date.now() - DAY_MS) }, { createdAt: new Date(processState().startedAt + CLOCK_SKEW_MS) }] },
          { operator: "EQUAL", values: [{ DICOMStudyInstanceUID: q.studyInstanceUid }] },
        ],
      },
    }),
  );
  const madeHere = processState().madeHere;
  const candidates = (found.imageSetsMetadataSummaries ?? []).filter((s) => s.imageSetId !== q.inputs.sourceImageSetId && !madeHere.has(s.imageSetId!));
  if (candidates.length > MAX_CANDIDATES || found.nextToken) return undefined;
  for (const c of candidates) {
    const tags = await candidateTags(client, q, c.imageSetId!);
    if (tags?.[OWNER_TAG] !== q.ownerTag || tags[INPUTS_TAG] !== q.fingerprint) continue;
    // The copy's version is the set's first one, whatever number the service gave it.
    const [first] = (await listVersions(client, q.inputs.datastoreId, c.imageSetId!)).sort((a, b) => Number(a.versionId) - Number(b.versionId));
    if (!first) {
      // Ours by its tags, but its versions are not readable yet: adopting blind or copying again
      // would both be wrong. Fail with the id, so state keeps it and the next run looks again.
      throw new CopyError(
        `Image set ${c.imageSetId} was made for this resource by an interrupted run, but its versions cannot be read yet; run \`pulumi up\` again to adopt it.`,
        {
          imageSetId: c.imageSetId!,
          versionId: "",
          sourceVersionId: "",
          destinationVersionBefore: null,
        },
      );
    }
    if (first.ImageSetWorkflowStatus === "COPY_FAILED") continue;
    return { imageSetId: c.imageSetId!, versionId: first.versionId!, sourceVersionId: "", destinationVersionBefore: null };
  }
  return undefined;
}

/**
 * Tags of an image set an earlier run may have made, looked up once per process: a fleet of
 * creates from one study meets the same candidates again and again, and their tags cannot become
 * ours meanwhile (only this process tags what it makes, and that is never a candidate).
 */
function candidateTags(client: MedicalImagingClient, q: LeftoverQuery, imageSetId: string): Promise<Record<string, string> | undefined> {
  const cache = processState().candidateTags;
  const key = `${q.inputs.datastoreId}/${imageSetId}`;
  let tags = cache.get(key);
  if (!tags) {
    tags = lookUpTags(client, q, imageSetId);
    cache.set(key, tags);
    tags.catch(() => cache.delete(key));
  }
  return tags;
}

async function lookUpTags(client: MedicalImagingClient, q: LeftoverQuery, imageSetId: string): Promise<Record<string, string> | undefined> {
  const derived = q.sourceArn && /\/imageset\/[0-9a-z]+$/.test(q.sourceArn) ? q.sourceArn.replace(/[0-9a-z]+$/, imageSetId) : undefined;
  const arn = derived ?? (await findImageSet(client, q.inputs.datastoreId, imageSetId))?.imageSetArn;
  if (!arn) return undefined;
  try {
    return await listTags(client, arn);
  } catch (e) {
    if ((e as { name?: string }).name === "ResourceNotFoundException") return undefined;
    throw e;
  }
}

async function findMergeLeftover(client: MedicalImagingClient, q: LeftoverQuery): Promise<CopyAccepted | undefined> {
  const destId = q.inputs.destination!.imageSetId;
  const dest = await findImageSet(client, q.inputs.datastoreId, destId);
  if (!dest?.imageSetArn) return undefined;
  // Without the journal (another machine): a finished version the stack made (the "made" tag),
  // not by this process, that holds every declared instance. Two merges cannot bring the same SOP
  // instances into one image set, so that version is this resource's.
  const made = madeVersionsOf(await listTags(client, dest.imageSetArn));
  const mergedHere = processState().mergedHere;
  const ours = (await listVersions(client, q.inputs.datastoreId, destId))
    .filter((v) => made.has(v.versionId!) && !mergedHere.has(`${destId}@${v.versionId}`) && v.ImageSetWorkflowStatus === "COPIED")
    .sort((a, b) => Number(b.versionId) - Number(a.versionId));
  if (!ours.length) return undefined;
  const present = instancesOf(await findMetadata(client, q.inputs.datastoreId, destId));
  const all = Object.entries(q.copied).every(([s, uids]) => uids.every((u) => present[s]?.includes(u)));
  if (!all) return undefined;
  const versionId = ours[0].versionId!;
  return { imageSetId: destId, versionId, sourceVersionId: "", destinationVersionBefore: String(Number(versionId) - 1) };
}
