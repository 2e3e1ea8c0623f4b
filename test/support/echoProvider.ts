// Tiny dynamic provider used to test the dynamic-host harness (test/service/dynamic-host.test.ts).
// Behaviour is selected by the `mode` input so a single serialized provider covers every case.
// Type-only import: nothing from @pulumi/pulumi is captured by closure serialization.
import type * as pulumi from "@pulumi/pulumi";

type Inputs = Record<string, any>;

export class EchoProvider implements pulumi.dynamic.ResourceProvider {
  private greeting: string | undefined;
  private secret: string | undefined;

  async configure(req: pulumi.dynamic.ConfigureRequest): Promise<void> {
    // Un-namespaced keys are looked up as `<project>:<key>` (PULUMI_NODEJS_PROJECT).
    this.greeting = req.config.get("greeting");
    this.secret = req.config.get("token");
  }

  async check(_olds: Inputs, news: Inputs): Promise<pulumi.dynamic.CheckResult> {
    if (typeof news.name !== "string" || news.name === "") {
      return { failures: [{ property: "name", reason: "name is required" }] };
    }
    if (news.mode === "undefinedInCheck") return { inputs: { ...news, oops: undefined } };
    return { inputs: { ...news, name: news.name.trim() } };
  }

  async diff(_id: string, olds: Inputs, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
    if (news.mode === "unknownDiff") return {};
    const replaces = olds.name !== news.name ? ["name"] : [];
    return {
      changes: replaces.length > 0 || olds.size !== news.size,
      replaces,
      stables: ["arn"],
      deleteBeforeReplace: news.deleteBeforeReplace === true,
    };
  }

  async create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
    console.log(`echo: create ${inputs.name}`);
    console.error(`echo: stderr during create ${inputs.name}`);
    const id = `echo-${inputs.name}`;
    const outs: Inputs = {
      ...inputs,
      arn: `arn:echo:${inputs.name}`,
      greeting: this.greeting ?? null,
      hasToken: this.secret !== undefined,
      // Proves `require` inside a method resolves from the host's cwd (the repo root).
      grpcVersion: require("@grpc/grpc-js/package.json").version,
    };
    switch (inputs.mode) {
      case "fail":
        throw new Error("boom: bad input");
      case "emptyId":
        return { id: "" };
      case "date":
        return { id, outs: { ...outs, createdAt: new Date(0) } };
      case "undefined":
        return { id, outs: { ...outs, missing: undefined } };
      case "partial":
        // The resource exists but is not ready: keep the id in state (reference §A.5).
        throw Object.assign(new Error("still copying"), {
          id,
          properties: { ...outs, state: "COPYING" },
          reasons: ["image set is still being copied"],
        });
      case "partialPlainObject":
        // A plain object (not an Error) works too: the host only reads its fields.
        throw { message: "plain partial", id, properties: { name: inputs.name }, reasons: ["r1", "r2"] };
      default:
        return { id, outs };
    }
  }

  async read(id: string, props: Inputs): Promise<pulumi.dynamic.ReadResult> {
    if (props.gone) return {}; // resource disappeared → engine drops it on refresh
    return { id, props: { ...props, refreshed: true }, inputs: { name: props.name, size: props.size } };
  }

  async update(id: string, olds: Inputs, news: Inputs): Promise<pulumi.dynamic.UpdateResult> {
    if (news.mode === "partial") {
      throw Object.assign(new Error("update still copying"), {
        id,
        properties: { ...olds, ...news, state: "COPYING" },
        reasons: ["still waiting"],
      });
    }
    if (news.mode === "fail") throw new Error("update failed");
    return { outs: { ...news, arn: olds.arn, updated: true } };
  }

  async delete(id: string, props: Inputs): Promise<void> {
    console.log(`echo: delete ${id}`);
    if (props.mode === "failDelete") throw new Error(`cannot delete ${id}`);
  }
}
