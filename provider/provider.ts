// The dynamic provider: thin methods over the modules that do the work. One instance serves
// every resource (serialization is cached per provider object; https://www.pulumi.com/docs/iac/concepts/resources/dynamic-providers/).

import type * as pulumi from "@pulumi/pulumi";
import { createDerivedImageSet, CreateInputs } from "./create";
import { deleteDerivedImageSet } from "./delete";
import { diffDerivedImageSet } from "./diffRules";
import { Outputs } from "./outputs";
import { readDerivedImageSet } from "./read";
import { updateDerivedImageSet } from "./update";
import { validateInputs } from "./validate";

/**
 * The dynamic provider behind {@link DerivedImageSet}: check, diff, create, read, update and delete
 * of derived image sets. Exported for programs that drive it directly (tests, custom tooling).
 */
export class DerivedImageSetProvider implements pulumi.dynamic.ResourceProvider {
  async check(_olds: Record<string, unknown>, news: Record<string, unknown>): Promise<pulumi.dynamic.CheckResult> {
    const { inputs, failures } = validateInputs(news);
    return { inputs, failures };
  }

  async diff(_id: string, olds: Outputs, news: CreateInputs): Promise<pulumi.dynamic.DiffResult> {
    return diffDerivedImageSet(olds, news);
  }

  async create(inputs: CreateInputs): Promise<pulumi.dynamic.CreateResult> {
    return createDerivedImageSet(inputs);
  }

  async read(id: string, props: Outputs): Promise<pulumi.dynamic.ReadResult> {
    return readDerivedImageSet(id, props);
  }

  async update(id: string, olds: Outputs, news: CreateInputs): Promise<pulumi.dynamic.UpdateResult> {
    return updateDerivedImageSet(id, olds, news);
  }

  async delete(_id: string, props: Outputs): Promise<void> {
    await deleteDerivedImageSet(props);
  }
}

export const derivedImageSetProvider = new DerivedImageSetProvider();
