// Tests for the dynamic-host harness (test/support/dynamicHost.ts), which drives Pulumi's real
// dynamic-provider gRPC host. They double as executable documentation of how the host behaves.
import * as assert from "node:assert";
import {
  type DynamicHost,
  DynamicHostError,
  PartialFailureError,
  PROVIDER_KEY,
  dynamicUrn,
  serializeProvider,
  startDynamicHost,
  withoutProvider,
} from "../support/dynamicHost";
import { EchoProvider } from "../support/echoProvider";

describe("dynamic host harness (real pulumi-nodejs dynamic provider over gRPC)", () => {
  let host: DynamicHost;
  const urn = dynamicUrn("r");

  before(async () => {
    host = await startDynamicHost({
      provider: new EchoProvider(),
      project: "proj",
      config: { greeting: "hi" }, // sent as "proj:greeting"
      secretConfig: { token: "s3cret" }, // sent wrapped as a secret; host unwraps it
    });
  });

  after(async () => {
    if (!host) return; // before() failed
    await host.stop();
    assert.ok(host.exited, "host process must be gone after stop()");
  });

  describe("serialization", () => {
    it("reports the serialized provider size and serializes the ts-node-compiled JS", () => {
      assert.ok(host.providerText);
      assert.strictEqual(host.providerBytes, Buffer.byteLength(host.providerText!, "utf8"));
      // A small class should stay small; later tests use this to catch accidental captures
      // (e.g. an AWS SDK client class captured by value is ~10 KB+).
      assert.ok(host.providerBytes > 1000 && host.providerBytes < 16_000, `size ${host.providerBytes}`);
      // Closure serialization saw compiled JS (no TS syntax) and the method bodies.
      assert.match(host.providerText!, /async function \/\*create\*\/\(inputs\)/);
      assert.doesNotMatch(host.providerText!, /private greeting|: Promise</);
      // Instance fields are captured with their values at serialization time.
      assert.match(host.providerText!, /__provider\.greeting = undefined;/);
    });
  });

  describe("check", () => {
    it("forwards failures, and the host still echoes the news (with __provider)", async () => {
      const res = await host.check(urn, {}, { size: 1 });
      assert.deepStrictEqual(res.failures, [{ property: "name", reason: "name is required" }]);
      assert.deepStrictEqual(withoutProvider(res.inputs), { size: 1 });
    });

    it("returns the provider's inputs and re-adds __provider", async () => {
      const res = await host.check(urn, {}, { name: "  a  ", size: 1 });
      assert.deepStrictEqual(res.failures, []);
      assert.deepStrictEqual(withoutProvider(res.inputs), { name: "a", size: 1 });
      assert.strictEqual(res.inputs[PROVIDER_KEY], host.providerText);
    });

    it("rejects with 'Unexpected struct type.' when the returned inputs contain undefined", async () => {
      await assert.rejects(host.check(urn, {}, { name: "a", mode: "undefinedInCheck" }), {
        name: "DynamicHostError",
        message: "Unexpected struct type.",
      });
    });
  });

  describe("create", () => {
    it("returns id and outs incl. __provider, config from configure and requires from the host cwd", async () => {
      const { id, outs } = await host.create(urn, { name: "a", size: 1 });
      assert.strictEqual(id, "echo-a");
      assert.strictEqual(outs[PROVIDER_KEY], host.providerText);
      assert.deepStrictEqual(withoutProvider(outs), {
        name: "a",
        size: 1,
        arn: "arn:echo:a",
        greeting: "hi", // config.get("greeting") found "proj:greeting"
        hasToken: true, // the secret config value arrived (as plaintext)
        grpcVersion: require("@grpc/grpc-js/package.json").version,
      });
    });

    it("turns a Date in outs into {} silently", async () => {
      const { outs } = await host.create(urn, { name: "d", mode: "date" });
      assert.deepStrictEqual(outs.createdAt, {});
    });

    it("fails the whole create on undefined in outs — after the provider already created it", async () => {
      host.clearOutput();
      await assert.rejects(host.create(urn, { name: "leak", mode: "undefined" }), (e: unknown) => {
        // A plain failure without an id: the engine would forget the resource → leaked.
        assert.ok(e instanceof DynamicHostError && !(e instanceof PartialFailureError));
        assert.strictEqual(e.message, "Unexpected struct type.");
        return true;
      });
      await host.waitForOutput("echo: create leak");
    });

    it("rejects an empty id like the engine does", async () => {
      await assert.rejects(host.create(urn, { name: "e", mode: "emptyId" }), /returned empty resource\.ID/);
    });

    it("surfaces a plain error with exactly the provider's message", async () => {
      await assert.rejects(host.create(urn, { name: "f", mode: "fail" }), (e: unknown) => {
        assert.ok(e instanceof DynamicHostError && !(e instanceof PartialFailureError));
        assert.strictEqual(e.message, "boom: bad input");
        assert.strictEqual(e.method, "create");
        return true;
      });
    });

    it("decodes a partial failure (Error with id/properties/reasons)", async () => {
      await assert.rejects(host.create(urn, { name: "p", mode: "partial" }), (e: unknown) => {
        assert.ok(e instanceof PartialFailureError);
        assert.strictEqual(e.message, "still copying");
        assert.strictEqual(e.id, "echo-p");
        assert.deepStrictEqual(e.reasons, ["image set is still being copied"]);
        assert.strictEqual(e.properties.state, "COPYING");
        assert.strictEqual(e.properties.arn, "arn:echo:p");
        // Present only because the provider spread its inputs into `properties`.
        assert.strictEqual(e.properties[PROVIDER_KEY], host.providerText);
        return true;
      });
    });

    it("decodes a partial failure thrown as a plain object; __provider is NOT added by the host", async () => {
      await assert.rejects(host.create(urn, { name: "q", mode: "partialPlainObject" }), (e: unknown) => {
        assert.ok(e instanceof PartialFailureError);
        assert.strictEqual(e.message, "plain partial");
        assert.strictEqual(e.id, "echo-q");
        assert.deepStrictEqual(e.properties, { name: "q" });
        assert.deepStrictEqual(e.reasons, ["r1", "r2"]);
        return true;
      });
    });

    it("preview does not call the host (supportsPreview=false): inputs echoed, empty id", async () => {
      host.clearOutput();
      const res = await host.create(urn, { name: "pv" }, { preview: true });
      assert.deepStrictEqual(res, { id: "", outs: { name: "pv", [PROVIDER_KEY]: host.providerText } });
      // Output is ordered, so once the next real create is logged, a preview create would have been too.
      await host.create(urn, { name: "after-preview" });
      const out = await host.waitForOutput("echo: create after-preview");
      assert.doesNotMatch(out, /echo: create pv/);
    });
  });

  describe("diff", () => {
    const olds = { name: "a", size: 1, arn: "arn:echo:a" };

    it("maps changes:false to none", async () => {
      const res = await host.diff(urn, "echo-a", olds, { name: "a", size: 1 });
      assert.strictEqual(res.changes, "none");
      assert.deepStrictEqual(res.replaces, []);
    });

    it("maps changes:true to some, drops stables, never sets diffs/detailedDiff", async () => {
      const res = await host.diff(urn, "echo-a", olds, { name: "a", size: 2 });
      assert.deepStrictEqual(res, {
        changes: "some",
        replaces: [],
        deleteBeforeReplace: false,
        stables: [], // the provider returned ["arn"]
        diffs: [],
        hasDetailedDiff: false,
      });
    });

    it("forwards replaces and deleteBeforeReplace", async () => {
      const res = await host.diff(urn, "echo-a", olds, { name: "b", size: 1, deleteBeforeReplace: true });
      assert.strictEqual(res.changes, "some");
      assert.deepStrictEqual(res.replaces, ["name"]);
      assert.strictEqual(res.deleteBeforeReplace, true);
    });

    it("maps changes left undefined to unknown", async () => {
      const res = await host.diff(urn, "echo-a", olds, { name: "a", mode: "unknownDiff" });
      assert.strictEqual(res.changes, "unknown");
    });

    it("refuses an empty id (the engine asserts one)", async () => {
      await assert.rejects(host.diff(urn, "", olds, olds), /requires an id/);
    });
  });

  describe("read", () => {
    it("returning {} yields an empty id (resource deleted) and props with only __provider", async () => {
      const res = await host.read(urn, "echo-a", { name: "a", gone: true });
      assert.strictEqual(res.id, "");
      assert.deepStrictEqual(res.props, { [PROVIDER_KEY]: host.providerText });
      assert.strictEqual(res.inputs, undefined);
    });

    it("returns props and inputs, both with __provider re-added", async () => {
      const res = await host.read(urn, "echo-a", { name: "a", size: 3 });
      assert.strictEqual(res.id, "echo-a");
      assert.deepStrictEqual(withoutProvider(res.props), { name: "a", size: 3, refreshed: true });
      assert.deepStrictEqual(res.inputs, { name: "a", size: 3, [PROVIDER_KEY]: host.providerText });
    });
  });

  describe("update", () => {
    const olds = { name: "a", size: 1, arn: "arn:echo:a" };

    it("returns the provider's outs plus __provider", async () => {
      const { outs } = await host.update(urn, "echo-a", olds, { name: "a", size: 2 });
      assert.deepStrictEqual(withoutProvider(outs), { name: "a", size: 2, arn: "arn:echo:a", updated: true });
      assert.strictEqual(outs[PROVIDER_KEY], host.providerText);
    });

    it("decodes a partial failure from update", async () => {
      await assert.rejects(host.update(urn, "echo-a", olds, { name: "a", size: 2, mode: "partial" }), (e: unknown) => {
        assert.ok(e instanceof PartialFailureError);
        assert.strictEqual(e.id, "echo-a");
        assert.strictEqual(e.method, "update");
        assert.strictEqual(e.properties.state, "COPYING");
        assert.deepStrictEqual(e.reasons, ["still waiting"]);
        return true;
      });
    });

    it("surfaces a plain update error message", async () => {
      await assert.rejects(host.update(urn, "echo-a", olds, { name: "a", mode: "fail" }), {
        message: "update failed",
      });
    });

    it("uses a per-call __provider; a provider without update() loses all outputs but __provider", async () => {
      // A second serialized provider in the same host (the host caches one instance per text).
      const noUpdate = await serializeProvider({
        async create(inputs: Record<string, unknown>) {
          return { id: "n", outs: { ...inputs, extra: 1 } };
        },
      });
      const { id, outs } = await host.create(urn, { name: "n", [PROVIDER_KEY]: noUpdate });
      assert.deepStrictEqual(withoutProvider(outs), { name: "n", extra: 1 });
      const res = await host.update(urn, id, outs, { name: "n2", [PROVIDER_KEY]: noUpdate });
      assert.deepStrictEqual(res.outs, { [PROVIDER_KEY]: noUpdate });
    });
  });

  describe("delete", () => {
    it("resolves and the provider's console.log shows up in captured stdout", async () => {
      await host.delete(urn, "echo-a", { name: "a" });
      await host.waitForOutput("echo: delete echo-a");
      assert.match(host.stdout, /echo: delete echo-a/);
    });

    it("surfaces a delete error with the provider's message (the host also logs it to stderr)", async () => {
      await assert.rejects(host.delete(urn, "echo-x", { name: "x", mode: "failDelete" }), {
        message: "cannot delete echo-x",
      });
      await host.waitForOutput("Error: cannot delete echo-x");
    });
  });

  describe("console output", () => {
    it("captures console.log on stdout and console.error on stderr", async () => {
      host.clearOutput();
      await host.create(urn, { name: "log" });
      await host.waitForOutput("echo: stderr during create log");
      await host.waitForOutput("echo: create log");
      assert.match(host.stdout, /echo: create log/);
      assert.match(host.stderr, /echo: stderr during create log/);
    });
  });
});
