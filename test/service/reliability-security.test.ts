// Reliability: security. Unsigned, wrongly signed, expired-signature, other-account and
// other-region requests get 403 and change nothing; the local service binds to loopback by
// default (in-process and as the `serve` CLI); the provider's logs (the dynamic-provider host's
// captured stdout/stderr), its outputs and its error messages carry no patient-level DICOM value
// (every PatientName, PatientID and PatientBirthDate of the seeded data, read at test time).
// The Pulumi state and CLI output are scanned in reliability-cli.test.ts.

import { Sha256 } from "@aws-crypto/sha256-js";
import { HttpRequest } from "@smithy/protocol-http";
import { SignatureV4 } from "@smithy/signature-v4";
import { spawn } from "node:child_process";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { serializedProvider } from "../../provider/resource/serializedProvider";
import { startEmulator } from "../../emulator/server";
import { ensureBuilt } from "../support/build";
import { type DynamicHost, dynamicUrn, serializeProvider, startDynamicHost } from "../support/dynamicHost";
import { instancesIn, metadataOf, patientValues, type Seeded, startSeeded, SERIES } from "../support/seeded";

export const SECURITY_FIGURES: Record<string, { tried: number; lost: number }> = {};

describe("reliability: security", function () {
  this.timeout(120_000);
  let seeded: Seeded;
  let ds: string;
  let head: string;
  let arn: string;

  before(async () => {
    ensureBuilt();
    seeded = await startSeeded();
    ds = seeded.datastoreId;
    head = seeded.imageSetOfSeries(SERIES.ctHead);
    arn = seeded.emu.service.state.imageSets[head].imageSetArn;
  });
  after(async () => seeded?.stop());

  type Creds = { accessKeyId: string; secretAccessKey: string };
  async function send(
    req: { method: string; path: string; query?: Record<string, string>; body?: string },
    how: { creds?: Creds; region?: string; signingDate?: Date; unsigned?: boolean; tamper?: boolean },
  ) {
    const url = new URL(seeded.emu.endpoint);
    let headers: Record<string, string> = { host: url.host, "content-type": "application/json" };
    if (!how.unsigned) {
      const signer = new SignatureV4({
        credentials: how.creds ?? { accessKeyId: "test", secretAccessKey: "test" },
        region: how.region ?? "us-east-1",
        service: "medical-imaging",
        sha256: Sha256,
      });
      const signed = await signer.sign(
        new HttpRequest({
          method: req.method,
          protocol: "http:",
          hostname: url.hostname,
          port: Number(url.port),
          path: req.path,
          query: req.query ?? {},
          headers,
          body: req.body,
        }),
        how.signingDate ? { signingDate: how.signingDate } : {},
      );
      headers = signed.headers as Record<string, string>;
    }
    const qs = new URLSearchParams(req.query ?? {}).toString();
    const body = how.tamper && req.body ? req.body.replace("}", ', "force": true}') : req.body;
    const res = await fetch(`${seeded.emu.endpoint}${req.path}${qs ? `?${qs}` : ""}`, { method: req.method, headers, body });
    return { status: res.status, type: res.headers.get("x-amzn-errortype"), text: await res.text() };
  }

  it("unsigned, wrongly signed, tampered, expired, other-account and other-region requests: 403, nothing changes", async () => {
    const requests: { method: string; path: string; query?: Record<string, string>; body?: string }[] = [
      {
        method: "POST",
        path: `/datastore/${ds}/imageSet/${head}/copyImageSet`,
        body: JSON.stringify({ copyImageSetInformation: { sourceImageSet: { latestVersionId: "1" } } }),
      },
      { method: "POST", path: `/datastore/${ds}/imageSet/${head}/deleteImageSet` },
      {
        method: "POST",
        path: `/datastore/${ds}/imageSet/${head}/updateImageSetMetadata`,
        query: { latestVersion: "1" },
        body: JSON.stringify({ revertToVersionId: "1" }),
      },
      { method: "POST", path: `/tags/${encodeURIComponent(arn)}`, body: JSON.stringify({ tags: { owner: "intruder" } }) },
      { method: "DELETE", path: `/tags/${encodeURIComponent(arn)}`, query: { tagKeys: "x" } },
      { method: "POST", path: "/datastore", body: JSON.stringify({ datastoreName: "intruder", clientToken: "intruder-token" }) },
      { method: "DELETE", path: `/datastore/${ds}` },
      { method: "POST", path: `/datastore/${ds}/imageSet/${head}/getImageSetMetadata` },
      { method: "POST", path: `/datastore/${ds}/searchImageSets`, body: "{}" },
    ];
    const ways: [string, Parameters<typeof send>[1]][] = [
      ["unsigned", { unsigned: true }],
      ["wrong secret", { creds: { accessKeyId: "test", secretAccessKey: "not-the-secret" } }],
      ["other account (unknown access key)", { creds: { accessKeyId: "AKIAOTHERACCOUNT0001", secretAccessKey: "other-secret" } }],
      ["other region", { region: "eu-west-1" }],
      ["expired (20 minutes old)", { signingDate: new Date(Date.now() - 20 * 60_000) }],
      ["from the future (20 minutes ahead)", { signingDate: new Date(Date.now() + 20 * 60_000) }],
      ["tampered body", { tamper: true }],
    ];
    const before = JSON.stringify(seeded.emu.service.state);
    let tried = 0;
    for (const [label, how] of ways) {
      for (const req of requests) {
        if (how.tamper && !req.body) continue;
        const r = await send(req, how);
        tried++;
        assert.equal(r.status, 403, `${label}: ${req.method} ${req.path} -> ${r.status} ${r.text}`);
        assert.ok(r.type && /Signature|AccessDenied|UnrecognizedClient|Token|Auth/i.test(r.type), `${label}: error type ${r.type}`);
        assert.ok(!r.text.includes(ds) || r.type !== null, "a 403 carries no data");
      }
    }
    // nothing changed, not even a read's side effect
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(JSON.stringify(seeded.emu.service.state), before);
    // the same requests, correctly signed, do go through (the 403s were the signature's doing)
    const ok = await send(requests[requests.length - 1], {});
    assert.equal(ok.status, 200, ok.text);
    SECURITY_FIGURES["forged / unsigned / expired / foreign requests"] = { tried, lost: 0 };
  });

  it("the local service binds to loopback by default, in-process and as the serve CLI", async () => {
    const emu = await startEmulator({ profile: "fast", dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "hi-bind-")) });
    try {
      assert.equal(new URL(emu.endpoint).hostname, "127.0.0.1");
      await assertLoopbackOnly(emu.port);
    } finally {
      await emu.stop();
      fs.rmSync(emu.dataDir, { recursive: true, force: true });
    }
    const data = fs.mkdtempSync(path.join(os.tmpdir(), "hi-bind-cli-"));
    const child = spawn(
      process.execPath,
      [path.resolve(__dirname, "..", "..", "emulator", "dist", "cli.js"), "serve", "--port", "0", "--profile", "fast", "--data", data],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (d) => {
          out += d;
          if (out.includes("\n")) resolve(out.split("\n")[0]);
        });
        child.on("exit", (code) => reject(new Error(`serve exited ${code}`)));
      });
      const endpoint = new URL(JSON.parse(line).endpoint);
      assert.equal(endpoint.hostname, "127.0.0.1");
      await assertLoopbackOnly(Number(endpoint.port));
    } finally {
      child.kill("SIGKILL");
      fs.rmSync(data, { recursive: true, force: true });
    }
  });

  async function assertLoopbackOnly(port: number): Promise<void> {
    const connect = (host: string) =>
      new Promise<boolean>((resolve) => {
        const s = net.connect({ host, port, timeout: 2000 }, () => {
          s.destroy();
          resolve(true);
        });
        s.on("error", () => resolve(false));
        s.on("timeout", () => {
          s.destroy();
          resolve(false);
        });
      });
    assert.equal(await connect("127.0.0.1"), true, "reachable on loopback");
    const external = Object.values(os.networkInterfaces())
      .flat()
      .filter((i) => i && !i.internal && i.family === "IPv4")
      .map((i) => i!.address);
    for (const address of external) assert.equal(await connect(address), false, `not reachable on ${address}`);
  }

  describe("no patient-level values in provider logs, outputs and errors", () => {
    let host: DynamicHost;
    let values: string[];
    before(async () => {
      values = await patientValues(seeded);
      assert.ok(values.length >= 3, "the sample data has patient values to look for");
      host = await startDynamicHost({
        callTimeoutMs: 90_000,
        provider: await serializeProvider(serializedProvider),
        env: {
          AWS_ACCESS_KEY_ID: "test",
          AWS_SECRET_ACCESS_KEY: "test",
          AWS_REGION: "us-east-1",
          AWS_ENDPOINT_URL_MEDICAL_IMAGING: seeded.emu.endpoint,
          PULUMI_HEALTHIMAGING_JOURNAL: fs.mkdtempSync(path.join(os.tmpdir(), "hi-sec-journal-")),
        },
      });
    });
    after(async () => host?.stop());

    it("creates, an update, failing copies, rejected checks and deletes: logs, outputs and errors are clean", async () => {
      const urn = (n: string) => dynamicUrn(n, { type: "pulumi-nodejs:dynamic/healthimaging:DerivedImageSet" });
      const texts: string[] = [];
      const create = async (name: string, inputs: Record<string, unknown>) => {
        const checked = await host.check(urn(name), {}, { ownerTag: `sec/dev/${name}`, datastoreId: ds, ...inputs });
        texts.push(JSON.stringify(checked));
        if (checked.failures.length) return undefined;
        try {
          const r = await host.create(urn(name), checked.inputs);
          texts.push(JSON.stringify(r));
          return r;
        } catch (e) {
          texts.push(String((e as Error).message), JSON.stringify(e));
          return undefined;
        }
      };
      const mra = seeded.imageSetOfSeries(SERIES.mra700);
      const series = instancesIn(await metadataOf(seeded.client, ds, mra));
      const [big] = Object.keys(series);
      const full = await create("full", { sourceImageSetId: head });
      assert.ok(full, "a plain copy works");
      const sub = await create("sub", { sourceImageSetId: mra, subset: { series: { [big]: series[big].slice(0, 3) } } });
      assert.ok(sub);
      // a merge of a different patient's study without force: the service refuses (COPY_FAILED)
      assert.equal(await create("mismatch", { sourceImageSetId: head, destination: { imageSetId: sub!.id, versionId: "1" } }), undefined);
      // a merge of instances already there: refused
      assert.equal(
        await create("dup", {
          sourceImageSetId: mra,
          subset: { series: { [big]: series[big].slice(0, 1) } },
          destination: { imageSetId: sub!.id, versionId: "1" },
          force: true,
        }),
        undefined,
      );
      // unknown UIDs, a stale pin, bad inputs
      assert.equal(await create("unknownuid", { sourceImageSetId: mra, subset: { series: { [big]: ["1.2.3.4"] } } }), undefined);
      assert.equal(await create("pin", { sourceImageSetId: head, sourceVersionId: "7" }), undefined);
      assert.equal(await create("badinput", { sourceImageSetId: "NOT-AN-ID", subset: { series: { "01.2": "all" } } }), undefined);
      // update in place and delete
      const checked = await host.check(
        urn("sub"),
        {},
        { ownerTag: "sec/dev/sub", datastoreId: ds, sourceImageSetId: mra, subset: { series: { [big]: series[big].slice(1, 5) } } },
      );
      const upd = await host.update(urn("sub"), sub!.id, sub!.outs, checked.inputs);
      texts.push(JSON.stringify(upd));
      await host.delete(urn("sub"), sub!.id, upd.outs);
      await host.delete(urn("full"), full!.id, full!.outs);
      await new Promise((r) => setTimeout(r, 200));
      texts.push(host.stdout, host.stderr);
      const all = texts.join("\n");
      assert.match(all, /CopyImageSet failed|already exists|don't match|does not|pins version/, "the failures were captured");
      for (const v of values) assert.ok(!all.includes(v), `provider logs/outputs/errors contain a patient-level value (${v.length} chars)`);
      SECURITY_FIGURES["provider logs, outputs, errors scanned"] = { tried: values.length, lost: 0 };
    });
  });
});
