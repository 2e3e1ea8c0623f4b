// The provider as `pulumi up` runs it: serialized like pulumi.dynamic.Resource does, loaded by
// Pulumi's real dynamic-provider host over gRPC, talking to a seeded local service with the real
// SDK. `up`/`change`/`destroy` follow the engine's call sequence (check -> create, or check ->
// diff -> update/replace).

import { serializedProvider } from "../../provider/resource/serializedProvider";
import { ensureBuilt } from "./build";
import { type DynamicHost, PartialFailureError, type Props, dynamicUrn, serializeProvider, startDynamicHost } from "./dynamicHost";
import { type Seeded, startSeeded } from "./seeded";
import type { EmulatorOptions } from "../../emulator/server";
import { type CountingProxy, startProxy } from "./countingProxy";
import { awsEnv } from "./emulator";

export interface ProviderFixture {
  seeded: Seeded;
  host: DynamicHost;
  /** with `countCalls`: the proxy between the provider and the service, recording every call */
  proxy?: CountingProxy;
  datastoreId: string;
  urn(name: string): string;
  /** check + create; the check must pass */
  create(name: string, inputs: Props): Promise<{ id: string; outs: Props }>;
  /** check + diff (+ update when diff says so, no replacement handling) */
  change(name: string, id: string, olds: Props, inputs: Props): Promise<{ diff: Awaited<ReturnType<DynamicHost["diff"]>>; outs?: Props }>;
  stop(): Promise<void>;
}

export interface ProviderFixtureOptions {
  emulator?: EmulatorOptions;
  env?: NodeJS.ProcessEnv;
  callTimeoutMs?: number;
  /** put a counting proxy between the provider and the service */
  countCalls?: boolean;
}

export async function startProviderFixture(opts: ProviderFixtureOptions = {}): Promise<ProviderFixture> {
  ensureBuilt();
  const seeded = await startSeeded(opts.emulator);
  const proxy = opts.countCalls ? await startProxy(seeded.emu.endpoint) : undefined;
  const host = await startDynamicHost({
    callTimeoutMs: opts.callTimeoutMs ?? 120_000,
    provider: await serializeProvider(serializedProvider),
    env: {
      ...awsEnv(seeded.emu, proxy?.url ?? seeded.emu.endpoint),
      ...opts.env,
    },
  });
  const urn = (name: string) => dynamicUrn(name, { type: "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet" });
  return {
    seeded,
    host,
    proxy,
    datastoreId: seeded.datastoreId,
    urn,
    async create(name, inputs) {
      const checked = await host.check(urn(name), {}, { ownerTag: `proj/dev/${name}`, ...inputs });
      if (checked.failures.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
      return host.create(urn(name), checked.inputs);
    },
    async change(name, id, olds, inputs) {
      // the engine passes the old inputs: check reads the service only when they changed
      const checked = await host.check(urn(name), olds, { ownerTag: `proj/dev/${name}`, ...inputs });
      if (checked.failures.length) throw new Error(`check failed: ${JSON.stringify(checked.failures)}`);
      const diff = await host.diff(urn(name), id, olds, checked.inputs);
      if (diff.changes !== "some" || diff.replaces.length) return { diff };
      const { outs } = await host.update(urn(name), id, olds, checked.inputs);
      return { diff, outs };
    },
    async stop() {
      await host.stop();
      await proxy?.stop();
      await seeded.stop();
    },
  };
}

export { PartialFailureError };
