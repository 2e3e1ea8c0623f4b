// Figure 6: bytes a DerivedImageSet takes in state (inputs + outputs, as the engine stores them,
// __provider included) at 10, 1,000 and 5,000 copied instances, for a whole-series subset ("all")
// and for a subset listing every instance (the user's own input, which state must keep). "0.1.0"
// adds the per-instance list that version kept in outputs (copiedInstances), for comparison.

import { serializedProvider } from "../provider/resource/serializedProvider";
import { buildOutputs } from "../provider/resource/outputs";
import { validateInputs } from "../provider/lifecycle/check";
import { serializeProvider } from "../test/support/dynamicHost";

export interface StateSizeRow {
  instances: number;
  subset: "whole series" | "instance list";
  bytes: number;
  bytes010: number;
}

const uid = (prefix: string, i: number) => `1.2.826.0.1.3680043.8.498.${prefix}${String(i).padStart(10, "0")}`;

export async function runStateSize(log: (m: string) => void): Promise<StateSizeRow[]> {
  const provider = await serializeProvider(serializedProvider);
  const rows: StateSizeRow[] = [];
  for (const instances of [10, 1_000, 5_000]) {
    const series = uid("1", 0);
    const copied = { [series]: Array.from({ length: instances }, (_, i) => uid("2", i)) };
    for (const style of ["whole series", "instance list"] as const) {
      const { inputs, failures } = validateInputs({
        datastoreId: "a".repeat(32),
        sourceImageSetId: "b".repeat(32),
        subset: { series: { [series]: style === "whole series" ? "all" : copied[series] } },
        ownerTag: "project/stack/train-ct-0001",
        __provider: provider,
      });
      if (failures.length) throw new Error(JSON.stringify(failures));
      const outputs = buildOutputs(inputs, {
        imageSet: {
          $metadata: {},
          datastoreId: "a".repeat(32),
          imageSetId: "c".repeat(32),
          versionId: "1",
          imageSetArn: `arn:aws:medical-imaging:us-east-1:000000000000:datastore/${"a".repeat(32)}/imageset/${"c".repeat(32)}`,
          imageSetState: "ACTIVE",
          imageSetWorkflowStatus: "COPIED",
          createdAt: new Date(),
          updatedAt: new Date(),
        },
        imageSetId: "c".repeat(32),
        versionId: "1",
        sourceVersionId: "1",
        destinationVersionBefore: null,
        copiedInstances: copied,
      });
      // the engine keeps inputs and outputs of every resource
      const bytes = Buffer.byteLength(JSON.stringify({ inputs, outputs }));
      const bytes010 = bytes + Buffer.byteLength(JSON.stringify({ copiedInstances: copied }));
      rows.push({ instances, subset: style, bytes, bytes010 });
      log(`state: ${instances} instances, ${style}: ${bytes} B (0.1.0: ${bytes010} B)`);
    }
  }
  return rows;
}
