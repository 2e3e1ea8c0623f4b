// The dynamic provider: thin methods over the modules that do the work. One instance serves
// every resource (serialization is cached per provider object; https://www.pulumi.com/docs/iac/concepts/resources/dynamic-providers/).

import type * as pulumi from "@pulumi/pulumi";
import { createDerivedImageSet, type CreateInputs } from "./create";
import { deleteDerivedImageSet } from "./delete";
import { diffDerivedImageSet, driftPlan } from "./diff";
import { progressLog } from "../settings/settings";
import type { Outputs } from "../resource/outputs";
import { readDerivedImageSet } from "./read";
import { updateDerivedImageSet } from "./update";
import { validateInputs } from "./check";
import { checkWithService } from "./preflight";
import type { Connection } from "../service/client";
import { explainFailure } from "../service/explain";
import { startEngineWatch } from "../settings/engineWatch";

// Loaded by the dynamic-provider host on its first request (and by programs through the package's
// index): if the CLI that started this process dies, exit instead of lingering (settings/engineWatch.ts).
startEngineWatch();

/**
 * The dynamic provider behind {@link DerivedImageSet}: check, diff, create, read, update and delete
 * of derived image sets. Exported for programs that drive it directly (tests, custom tooling).
 */
export class DerivedImageSetProvider implements pulumi.dynamic.ResourceProvider {
  async check(olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const { inputs, failures } = validateInputs(news);
    // Reads only once the inputs are well formed: what `up` would fail on, found by the preview.
    return { inputs, failures: failures.length ? failures : await checkWithService(olds, inputs) };
  }

  async diff(_id: string, olds: Outputs, news: CreateInputs): Promise<pulumi.dynamic.DiffResult> {
    const result = diffDerivedImageSet(olds, news);
    const drift = driftPlan(olds, news);
    if (drift) progressLog(news.ownerTag ?? olds.imageSetId)(drift);
    return result;
  }

  async create(inputs: CreateInputs): Promise<pulumi.dynamic.CreateResult> {
    return explained("create", inputs, () => createDerivedImageSet(inputs));
  }

  async read(id: string, props: Outputs): Promise<pulumi.dynamic.ReadResult> {
    return explained("refresh", props, () => readDerivedImageSet(id, props));
  }

  async update(id: string, olds: Outputs, news: CreateInputs): Promise<pulumi.dynamic.UpdateResult> {
    return explained("update", news, () => updateDerivedImageSet(id, olds, news));
  }

  async delete(_id: string, props: Outputs): Promise<void> {
    await explained("delete", props, () => deleteDerivedImageSet(props));
  }
}

/**
 * Runs one provider method; connection and signing failures come back naming the endpoint and
 * settings. The dynamic-provider host prints `${e}: ${e.stack}` for a failed delete or refresh: the
 * message already says what failed and what to do, so the stack is kept only for debugging
 * (PULUMI_HEALTHIMAGING_DEBUG=1).
 */
async function explained<T>(operation: string, settings: Connection, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    const err = explainFailure(operation, settings, e);
    if (err instanceof Error && !process.env.PULUMI_HEALTHIMAGING_DEBUG) err.stack = "";
    throw err;
  }
}

export const derivedImageSetProvider = new DerivedImageSetProvider();

export { CohortImageSetsProvider, cohortImageSetsProvider } from "../batch/provider";
