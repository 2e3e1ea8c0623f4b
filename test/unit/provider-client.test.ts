// Where the SDK client of provider/service/client.ts sends each operation: an AWS host given as
// `endpoint` keeps the `runtime-` host prefix of the image-set operations
// (https://docs.aws.amazon.com/healthimaging/latest/devguide/endpoints-quotas.html), any other host
// gets none. No network: a middleware at the end of the build step (after the endpoint, the host
// prefix and the serializer, before signing) records the host and throws instead of sending. The
// SDK resolves credentials before serializing, so placeholder keys are set for the duration.

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { GetDatastoreCommand, GetImageSetCommand, type MedicalImagingClient, SearchImageSetsCommand } from "@aws-sdk/client-medical-imaging";
import { AWS_DNS_SUFFIXES, imagingClient, isAwsEndpoint, PerOperationRateLimiter } from "../../provider/service/client";
import { suiteEnv } from "../support/suiteEnv";

const DATASTORE = "a".repeat(32);
const IMAGE_SET = "b".repeat(32);

class Captured extends Error {
  constructor(readonly hostname: string) {
    super(`captured ${hostname}`);
  }
}

/** The host the client would have sent `command` to. */
async function hostOf(client: MedicalImagingClient, send: (c: MedicalImagingClient) => Promise<unknown>): Promise<string> {
  const name = "captureHost";
  client.middlewareStack.add(
    () => async (args) => {
      throw new Captured((args.request as { hostname: string }).hostname);
    },
    { step: "build", priority: "low", name },
  );
  try {
    await send(client);
  } catch (e) {
    if (e instanceof Captured) return e.hostname;
    throw e;
  } finally {
    client.middlewareStack.remove(name);
  }
  throw new Error("the request was not captured");
}

describe("provider/client: endpoints and the runtime- host prefix", () => {
  const fips = "https://medical-imaging-fips.us-east-1.amazonaws.com";
  suiteEnv({ AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "placeholder", AWS_SESSION_TOKEN: undefined });

  for (const kind of ["read", "once"] as const) {
    it(`an AWS FIPS endpoint: image-set operations go to runtime-, data-store operations do not (${kind} client)`, async () => {
      const client = imagingClient({ region: "us-east-1", endpoint: fips }, kind);
      assert.equal(
        await hostOf(client, (c) => c.send(new GetImageSetCommand({ datastoreId: DATASTORE, imageSetId: IMAGE_SET }))),
        "runtime-medical-imaging-fips.us-east-1.amazonaws.com",
      );
      assert.equal(
        await hostOf(client, (c) => c.send(new SearchImageSetsCommand({ datastoreId: DATASTORE }))),
        "runtime-medical-imaging-fips.us-east-1.amazonaws.com",
      );
      assert.equal(await hostOf(client, (c) => c.send(new GetDatastoreCommand({ datastoreId: DATASTORE }))), "medical-imaging-fips.us-east-1.amazonaws.com");
    });
  }

  it("the default endpoint (no `endpoint`) resolves the same way", async () => {
    const client = imagingClient({ region: "us-west-2" });
    assert.equal(
      await hostOf(client, (c) => c.send(new GetImageSetCommand({ datastoreId: DATASTORE, imageSetId: IMAGE_SET }))),
      "runtime-medical-imaging.us-west-2.amazonaws.com",
    );
    assert.equal(await hostOf(client, (c) => c.send(new GetDatastoreCommand({ datastoreId: DATASTORE }))), "medical-imaging.us-west-2.amazonaws.com");
  });

  it("the local service and other hosts get no prefix", async () => {
    for (const endpoint of ["http://127.0.0.1:1234", "http://localhost:4566", "https://imaging.example.com"]) {
      const client = imagingClient({ region: "us-east-1", endpoint });
      const host = new URL(endpoint).hostname;
      assert.equal(await hostOf(client, (c) => c.send(new GetImageSetCommand({ datastoreId: DATASTORE, imageSetId: IMAGE_SET }))), host, endpoint);
      assert.equal(await hostOf(client, (c) => c.send(new GetDatastoreCommand({ datastoreId: DATASTORE }))), host, endpoint);
    }
  });

  it("isAwsEndpoint: AWS partitions' hosts only, by whole DNS labels", () => {
    for (const yes of [
      fips,
      "https://medical-imaging.us-east-1.amazonaws.com/",
      "https://medical-imaging.cn-north-1.amazonaws.com.cn",
      "https://medical-imaging.us-east-1.api.aws",
      "https://MEDICAL-IMAGING.us-east-1.AMAZONAWS.COM.",
    ])
      assert.ok(isAwsEndpoint(yes), yes);
    for (const no of [
      "http://127.0.0.1:1234",
      "http://localhost:8080",
      "https://notamazonaws.com",
      "https://amazonaws.com.evil.example",
      "https://api.aws",
      "not a url",
    ])
      assert.ok(!isAwsEndpoint(no), no);
  });

  it("the suffix list covers every partition of the SDK's partitions data", () => {
    const file = path.join(path.dirname(require.resolve("@aws-sdk/util-endpoints")), "lib/aws/partitions.json");
    const data = JSON.parse(fs.readFileSync(file, "utf8")) as { partitions: { outputs: { dnsSuffix: string; dualStackDnsSuffix: string } }[] };
    const suffixes = data.partitions.flatMap((p) => [p.outputs.dnsSuffix, p.outputs.dualStackDnsSuffix]);
    assert.ok(suffixes.length > 0);
    for (const s of suffixes) assert.ok(AWS_DNS_SUFFIXES.includes(s), `${s} (from ${file}) is missing from AWS_DNS_SUFFIXES`);
  });
});

describe("provider/client: a throttled operation slows only itself", () => {
  suiteEnv({ AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "placeholder", AWS_SESSION_TOKEN: undefined, PULUMI_HEALTHIMAGING_MAX_ATTEMPTS: "2" });

  it("the read client's adaptive limiter is the SDK's, one per operation: a GetImageSet throttle leaves SearchImageSets and TagResource alone", async () => {
    const client = imagingClient({ region: "eu-test-1", endpoint: "http://127.0.0.1:9" }, "read");
    const strategy = (await client.config.retryStrategy()) as unknown as { mode: string; rateLimiter: unknown };
    assert.equal(strategy.mode, "adaptive");
    assert.ok(strategy.rateLimiter instanceof PerOperationRateLimiter);
    const limiter = strategy.rateLimiter as PerOperationRateLimiter;
    // every attempt answered with a ThrottlingException (after the retry middleware, before anything is sent)
    const name = "throttleEverything";
    client.middlewareStack.add(
      () => async () => {
        throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException", $metadata: { httpStatusCode: 429 } });
      },
      { step: "deserialize", name },
    );
    try {
      await assert.rejects(client.send(new GetImageSetCommand({ datastoreId: DATASTORE, imageSetId: IMAGE_SET })), /Rate exceeded/);
    } finally {
      client.middlewareStack.remove(name);
    }
    const enabled = (op: string) => (limiter.of(op) as unknown as { enabled: boolean }).enabled;
    assert.equal(enabled("GetImageSetCommand"), true, "the throttled operation's limiter took over its sending rate");
    assert.equal(enabled("SearchImageSetsCommand"), false);
    assert.equal(enabled("TagResourceCommand"), false);
  });
});

describe("provider/client: a check retries throttles, and anything else once", function () {
  this.timeout(20_000);
  suiteEnv({ AWS_ACCESS_KEY_ID: "AKIDEXAMPLE", AWS_SECRET_ACCESS_KEY: "placeholder", AWS_SESSION_TOKEN: undefined, PULUMI_HEALTHIMAGING_MAX_ATTEMPTS: "3" });

  /** The attempts a check client makes of GetImageSet when every attempt fails with `error`. */
  async function attemptsOn(region: string, error: Record<string, unknown>): Promise<number> {
    const client = imagingClient({ region, endpoint: "http://127.0.0.1:9" }, "check");
    let attempts = 0;
    const name = "failEveryAttempt";
    client.middlewareStack.add(
      () => async () => {
        attempts++;
        throw Object.assign(new Error(String(error.message)), error);
      },
      { step: "deserialize", name },
    );
    try {
      await assert.rejects(client.send(new GetImageSetCommand({ datastoreId: DATASTORE, imageSetId: IMAGE_SET })));
    } finally {
      client.middlewareStack.remove(name);
    }
    return attempts;
  }

  it("a ThrottlingException is retried like a read's (PULUMI_HEALTHIMAGING_MAX_ATTEMPTS): a dataset's checks share the read quota with the copies", async () => {
    assert.equal(await attemptsOn("eu-check-1", { name: "ThrottlingException", message: "Rate exceeded", $metadata: { httpStatusCode: 429 } }), 3);
  });

  it("a server or connection error is retried once, so a wrong endpoint fails a preview in seconds", async () => {
    assert.equal(await attemptsOn("eu-check-2", { name: "InternalServerException", message: "boom", $fault: "server", $metadata: { httpStatusCode: 500 } }), 2);
    assert.equal(await attemptsOn("eu-check-3", { name: "TimeoutError", message: "socket hang up", code: "ECONNRESET" }), 2);
  });
});
