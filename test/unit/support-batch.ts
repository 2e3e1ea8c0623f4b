// A DerivedImageSet's outputs as create returns them, for the batch unit tests.

import { buildOutputs, type Outputs } from "../../provider/resource/outputs";
import type { DerivedImageSetInputs } from "../../provider/resource/types";

export function createDerivedImageSetOutputsForTest(
  inputs: DerivedImageSetInputs & { ownerTag?: string },
  made: { imageSetId: string; versionId: string; destinationVersionBefore: string | null; instanceCount: number },
): Outputs & Record<string, unknown> {
  const copied = { [Object.keys(inputs.subset?.series ?? { s: 1 })[0]]: Array.from({ length: made.instanceCount }, (_, i) => `9.${i + 1}`) };
  return buildOutputs(inputs, {
    imageSet: {
      $metadata: {},
      datastoreId: inputs.datastoreId,
      imageSetId: made.imageSetId,
      versionId: made.versionId,
      imageSetState: "ACTIVE",
      imageSetWorkflowStatus: "COPIED",
    },
    imageSetId: made.imageSetId,
    versionId: made.versionId,
    sourceVersionId: "1",
    destinationVersionBefore: made.destinationVersionBefore,
    copiedInstances: copied,
  }) as Outputs & Record<string, unknown>;
}
