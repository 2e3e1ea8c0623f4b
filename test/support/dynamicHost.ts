// Test harness: run a dynamic provider object through Pulumi's REAL dynamic-provider host
// (`@pulumi/pulumi/cmd/dynamic-provider`, the process `pulumi up` launches as the plugin
// `pulumi-resource-pulumi-nodejs`) and talk to it over gRPC the way the engine does — no CLI needed.
//
// What this exercises that calling provider methods directly does not (reference notes §A, §C.3):
// closure serialization of the provider into `__provider`, `require-from-string` loading inside a
// separate node process (so `require`s must resolve from that process' cwd), `configure`,
// google.protobuf.Struct conversion of every input/output, the host's DiffResult mapping and
// partial-failure encoding (pulumirpc.ErrorResourceInitFailed in `grpc-status-details-bin`).
//
// Engine behaviours mirrored here (sdk/go/common/resource/plugin/provider_plugin.go):
// - Configure: `args` = whole stack config with namespaced keys, `variables` = the legacy
//   `pulumi-nodejs:config:<key>` spelling, acceptSecrets/acceptResources/sendsOldInputs* = true.
// - The host answers Configure with supportsPreview=false, so in a preview the engine never sends
//   Create/Update to it: it just echoes the inputs as outputs. `create/update({preview: true})` do
//   the same here (no RPC); the host itself ignores the `preview` flag and would really create.
// - The host answers acceptSecrets=false, so the engine sends secrets as plaintext; we do too.
// - Create returning an empty id is an engine error ("returned empty resource.ID").
// - Diff/Read/Update/Delete with an empty id are engine assertion failures; we reject early.
//
// Host behaviours worth knowing (observed, @pulumi/pulumi 3.248.0, Node 20; see test/service/dynamic-host.test.ts):
// - Outputs go through Struct.fromJavaScript: a Date (also Map, Set, Error, RegExp) silently becomes
//   {}; undefined (also in arrays), BigInt, functions, Buffers fail the call with "Unexpected struct
//   type." — for create that happens AFTER the provider did its work, as a plain error without id,
//   so the engine would forget a resource that exists.
// - Errors: the message is the thrown object's `message`; throwing a non-Error (e.g. a string)
//   gives the message "undefined". Partial failure needs a truthy `id` on the thrown object (an
//   Error or a plain object). check/diff/read/delete failures are also printed to the host's
//   stderr with a stack; create/update failures are not.
// - `require` inside provider methods resolves from the host's cwd (`require("./package.json")` is
//   the repo's); the host is plain node, so requiring a .ts file from a method fails.
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { createRequire } from "node:module";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";

/** Repository root (has node_modules): the host's cwd, like the project dir under `pulumi up`. */
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

/** Reserved input/output key carrying the serialized provider (SDK `dynamic/index.js`). */
export const PROVIDER_KEY = "__provider";

/** What the engine sends for a value not known during preview (inputs derived from unknown outputs). */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** Type token `new pulumi.dynamic.Resource(...)` registers when no module/type is given. */
export const DYNAMIC_TYPE = "pulumi-nodejs:dynamic:Resource";

/** Builds a URN like the engine's: `urn:pulumi:<stack>::<project>::<type>::<name>`. */
export function dynamicUrn(name: string, opts: { stack?: string; project?: string; type?: string } = {}): string {
  return `urn:pulumi:${opts.stack ?? "dev"}::${opts.project ?? "proj"}::${opts.type ?? DYNAMIC_TYPE}::${name}`;
}

/**
 * Serializes a provider exactly like `pulumi.dynamic.Resource` does (SDK `dynamic/index.js`):
 * `serializeFunction(() => provider, {allowSecrets: true}).text`. Under ts-node this serializes
 * the compiled JS. Size in bytes: `Buffer.byteLength(text)`.
 */
export async function serializeProvider(provider: object): Promise<string> {
  const sf = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return sf.text;
}

/** Returns a shallow copy without `__provider` (handy for deepEqual on outputs). */
export function withoutProvider(props: Record<string, unknown>): Record<string, unknown> {
  const { [PROVIDER_KEY]: _ignored, ...rest } = props;
  return rest;
}

/** A failed call. `message` is exactly the provider's error message (gRPC status details). */
export class DynamicHostError extends Error {
  constructor(
    message: string,
    /** gRPC status code (2 = UNKNOWN for anything the provider throws). */
    readonly code: number,
    /** The RPC that failed, e.g. "create". */
    readonly method: string,
  ) {
    super(message);
    this.name = "DynamicHostError";
  }
}

/**
 * Create/Update failed after the resource exists: the provider threw something with a truthy `id`.
 * The engine then keeps the resource in state with these properties and the reasons as init errors.
 * Note: `properties` are exactly what the provider put in `e.properties` — the host does NOT add
 * `__provider` here (unlike successful outputs).
 */
export class PartialFailureError extends DynamicHostError {
  constructor(
    message: string,
    code: number,
    method: string,
    readonly id: string,
    readonly properties: Record<string, unknown>,
    readonly reasons: string[],
  ) {
    super(message, code, method);
    this.name = "PartialFailureError";
  }
}

export type Props = Record<string, unknown>;

export interface CheckResult {
  inputs: Props;
  failures: { property: string; reason: string }[];
}

export interface DiffResult {
  /** DIFF_SOME / DIFF_NONE / DIFF_UNKNOWN (`changes: true` / `false` / absent in the provider). */
  changes: "none" | "some" | "unknown";
  replaces: string[];
  deleteBeforeReplace: boolean;
  /** Forwarded by the engine but never set by the Node host (it drops `stables`). */
  stables: string[];
  /** Changed keys; never set by the Node host. */
  diffs: string[];
  /** Never set by the Node host (no detailedDiff in the Node dynamic API). */
  hasDetailedDiff: boolean;
}

export interface StartOptions {
  /** Provider object (serialized here) or already-serialized `__provider` text. */
  provider?: object | string;
  /** Extra environment for the host (merged over this process' env, like the CLI does). */
  env?: NodeJS.ProcessEnv;
  /** Project name: PULUMI_NODEJS_PROJECT / PULUMI_PROJECT and the default config namespace. */
  project?: string;
  /** Stack config. Keys without ":" are namespaced as `<project>:<key>`. */
  config?: Record<string, string>;
  /** Like `config`, but sent as secrets (the host unwraps them to plaintext). */
  secretConfig?: Record<string, string>;
  /** Host working directory; default the repo root so provider `require`s resolve. */
  cwd?: string;
  /** Deadline per RPC (the engine has none; this keeps a hung test from hanging mocha). */
  callTimeoutMs?: number;
}

export interface OpOptions {
  /** Mirror a preview: the engine does not call the host for Create/Update (see file header). */
  preview?: boolean;
}

export interface DynamicHost {
  readonly pid: number;
  readonly port: number;
  readonly project: string;
  /** The default `__provider` text added to requests (undefined if none was given). */
  readonly providerText: string | undefined;
  /** UTF-8 size of `providerText` (0 if none): keep the serialized provider small. */
  readonly providerBytes: number;
  /** Everything the host printed after the port line (provider console.log goes here). */
  readonly stdout: string;
  /** Everything the host printed to stderr (console.error, and the host's own error logging). */
  readonly stderr: string;
  /** True once the process has ended. */
  readonly exited: boolean;
  /** Exit code once the process ended by itself (null while running or when killed by a signal). */
  readonly exitCode: number | null;
  /** Signal that ended the process (e.g. "SIGTERM" after stop()), else null. */
  readonly exitSignal: NodeJS.Signals | null;

  /** olds = old inputs ({} for a new resource), news = new program inputs. */
  check(urn: string, olds: Props, news: Props): Promise<CheckResult>;
  /** olds = old OUTPUTS (state), news = checked new inputs; oldInputs optional (host ignores it). */
  diff(urn: string, id: string, olds: Props, news: Props, opts?: { oldInputs?: Props }): Promise<DiffResult>;
  /** Rejects with PartialFailureError when the provider threw with an `id`. */
  create(urn: string, props: Props, opts?: OpOptions): Promise<{ id: string; outs: Props }>;
  /** props = state outputs. An empty returned id means "resource is gone". */
  read(urn: string, id: string, props: Props, inputs?: Props): Promise<{ id: string; props: Props; inputs?: Props }>;
  /** olds = old outputs, news = new inputs. Rejects with PartialFailureError like create. */
  update(urn: string, id: string, olds: Props, news: Props, opts?: OpOptions & { oldInputs?: Props }): Promise<{ outs: Props }>;
  /** props = state outputs. */
  delete(urn: string, id: string, props: Props, oldInputs?: Props): Promise<void>;

  /** Resolves once stdout+stderr contains `pattern` (console output can trail the RPC reply). */
  waitForOutput(pattern: string | RegExp, timeoutMs?: number): Promise<string>;
  /** Forget captured output so far. */
  clearOutput(): void;
  /** Closes the channel and kills the process (SIGTERM, then SIGKILL). Idempotent. */
  stop(): Promise<void>;
}

// --- protobuf / gRPC modules, loaded relative to @pulumi/pulumi so the classes are the ones its
// generated code uses (google-protobuf is only installed inside @pulumi/pulumi's node_modules). ---
// The generated .d.ts files reference google-protobuf types we don't have, so keep these untyped.
/* eslint-disable @typescript-eslint/no-explicit-any */
const pulumiRequire = createRequire(require.resolve("@pulumi/pulumi/package.json"));
const structproto: any = pulumiRequire("google-protobuf/google/protobuf/struct_pb");
const provproto: any = pulumiRequire("./proto/provider_pb");
const provrpc: any = pulumiRequire("./proto/provider_grpc_pb");
const statusproto: any = pulumiRequire("./proto/status_pb");
const HOST_SCRIPT = pulumiRequire.resolve("./cmd/dynamic-provider");

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

// Hosts not stopped by their test still die with this process.
const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/**
 * Plain JS → Struct. The engine can never send `undefined` (the SDK drops undefined inputs before
 * registering), so drop it from objects and map it to null in arrays instead of letting
 * Struct.fromJavaScript throw "Unexpected struct type.". Everything else (including Dates, which
 * become {}) goes through Struct.fromJavaScript unchanged, as on the real path.
 */
function toStruct(props: Props): any {
  return structproto.Struct.fromJavaScript(dropUndefined(props));
}

function dropUndefined(v: unknown): unknown {
  if (Array.isArray(v)) return v.map((e) => (e === undefined ? null : dropUndefined(e)));
  if (v !== null && typeof v === "object" && Object.getPrototypeOf(v) === Object.prototype) {
    const out: Props = {};
    for (const [k, e] of Object.entries(v)) if (e !== undefined) out[k] = dropUndefined(e);
    return out;
  }
  return v;
}

function fromStruct(s: any): Props {
  return s ? (s.toJavaScript() as Props) : {};
}

/** URN `urn:pulumi:stack::project::[parentType$]type::name` → name and type, as the engine sends. */
function urnParts(urn: string): { name: string; type: string } {
  const parts = urn.split("::");
  if (parts.length < 4 || !parts[0].startsWith("urn:pulumi:")) throw new Error(`malformed URN: ${urn}`);
  const qualifiedType = parts[2];
  return { name: parts.slice(3).join("::"), type: qualifiedType.slice(qualifiedType.lastIndexOf("$") + 1) };
}

/** Starts the host, connects, sends Configure. Always `stop()` it (e.g. in a mocha `after`). */
export async function startDynamicHost(opts: StartOptions = {}): Promise<DynamicHost> {
  const project = opts.project ?? "proj";
  const callTimeoutMs = opts.callTimeoutMs ?? 30_000;
  const providerText = opts.provider === undefined ? undefined : typeof opts.provider === "string" ? opts.provider : await serializeProvider(opts.provider);

  // Namespaced config, as the engine sends it for pulumi-nodejs (the whole stack config).
  const ns = (k: string) => (k.includes(":") ? k : `${project}:${k}`);
  const config: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.config ?? {})) config[ns(k)] = v;
  const secretKeys = new Set(Object.keys(opts.secretConfig ?? {}).map(ns));
  for (const [k, v] of Object.entries(opts.secretConfig ?? {})) config[ns(k)] = v;

  // Env as the CLI builds it: its own env + project vars + PULUMI_CONFIG (pulumi-nodejs:* only).
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env, PULUMI_NODEJS_PROJECT: project, PULUMI_PROJECT: project };
  const nodejsConfig: Record<string, string> = {};
  for (const [k, v] of Object.entries(config)) {
    if (k.startsWith("pulumi-nodejs:")) nodejsConfig[k.slice("pulumi-nodejs:".length)] = v;
  }
  if (Object.keys(nodejsConfig).length > 0) env.PULUMI_CONFIG = JSON.stringify(nodejsConfig);

  // The only argument is the engine address; the host requires it but never dials it.
  const child = spawn(process.execPath, [HOST_SCRIPT, "127.0.0.1:1"], {
    cwd: opts.cwd ?? REPO_ROOT,
    env,
    stdio: ["ignore", "pipe", "pipe"],
  });
  live.add(child);
  // Don't let a forgotten host keep mocha alive; the exit handler above kills it.
  child.unref();
  (child.stdout as any).unref?.();
  (child.stderr as any).unref?.();

  let stdout = "";
  let stderr = "";
  let exited = false;
  let exitCode: number | null = null;
  let exitSignal: NodeJS.Signals | null = null;
  const outputWaiters = new Set<() => void>();
  const notify = () => {
    for (const w of outputWaiters) w();
  };
  child.stdout!.setEncoding("utf8");
  child.stderr!.setEncoding("utf8");
  child.stderr!.on("data", (d: string) => {
    stderr += d;
    notify();
  });
  const exitPromise = new Promise<void>((resolve) =>
    child.on("exit", (code, signal) => {
      exited = true;
      exitCode = code;
      exitSignal = signal;
      live.delete(child);
      notify();
      resolve();
    }),
  );

  // First stdout line is the port; the rest is provider output.
  const port = await new Promise<number>((resolve, reject) => {
    let buf = "";
    let gotPort = false;
    const timer = setTimeout(() => fail(new Error("timed out waiting for the host's port")), 20_000);
    function fail(err: Error) {
      clearTimeout(timer);
      child.kill("SIGKILL");
      reject(new Error(`${err.message}\nstdout: ${buf}\nstderr: ${stderr}`));
    }
    child.stdout!.on("data", (d: string) => {
      if (gotPort) {
        stdout += d;
        notify();
        return;
      }
      buf += d;
      const nl = buf.indexOf("\n");
      if (nl < 0) return;
      gotPort = true;
      clearTimeout(timer);
      stdout = buf.slice(nl + 1);
      const p = Number(buf.slice(0, nl).trim());
      if (Number.isInteger(p) && p > 0) resolve(p);
      else fail(new Error(`unexpected first line from host: ${buf.slice(0, nl)}`));
    });
    child.on("exit", (code) => {
      if (!gotPort) fail(new Error(`host exited with ${code} before printing its port`));
    });
    child.on("error", (e) => fail(e));
  });

  const client = new provrpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());

  function rpc<T = any>(method: string, req: any): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const deadline = new Date(Date.now() + callTimeoutMs);
      client[method](req, new grpc.Metadata(), { deadline }, (err: grpc.ServiceError | null, resp: T) => {
        if (err) reject(toHostError(method, err));
        else resolve(resp);
      });
    });
  }

  const withProvider = (props: Props): Props => (PROVIDER_KEY in props || providerText === undefined ? props : { ...props, [PROVIDER_KEY]: providerText });
  const requireId = (method: string, id: string) => {
    if (!id) throw new Error(`${method} requires an id (the engine asserts this)`);
  };
  const setUrn = (req: any, urn: string) => {
    const { name, type } = urnParts(urn);
    req.setUrn(urn);
    req.setName(name);
    req.setType(type);
  };

  // Configure, as the engine does for the default pulumi-nodejs provider before any resource op.
  {
    const req = new provproto.ConfigureRequest();
    const args: Props = {};
    for (const [k, v] of Object.entries(config)) {
      args[k] = secretKeys.has(k) ? { [SECRET_SIG_KEY]: SECRET_SIG, value: v } : v;
      req.getVariablesMap().set(`pulumi-nodejs:config:${k}`, v);
    }
    req.setArgs(toStruct(args));
    req.setAcceptsecrets(true);
    req.setAcceptresources(true);
    req.setSendsOldInputs(true);
    req.setSendsOldInputsToDelete(true);
    req.setUrn(`urn:pulumi:dev::${project}::pulumi:providers:pulumi-nodejs::default`);
    req.setName("default");
    req.setType("pulumi:providers:pulumi-nodejs");
    req.setId(randomUUID());
    try {
      await rpc("configure", req);
    } catch (e) {
      child.kill("SIGKILL");
      throw e;
    }
  }

  let stopping: Promise<void> | undefined;

  const host: DynamicHost = {
    pid: child.pid!,
    port,
    project,
    providerText,
    providerBytes: providerText === undefined ? 0 : Buffer.byteLength(providerText, "utf8"),
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    get exited() {
      return exited;
    },
    get exitCode() {
      return exitCode;
    },
    get exitSignal() {
      return exitSignal;
    },

    async check(urn, olds, news) {
      const req = new provproto.CheckRequest();
      setUrn(req, urn);
      // Old inputs from state carry __provider too; a new resource has empty olds.
      req.setOlds(toStruct(Object.keys(olds).length ? withProvider(olds) : olds));
      req.setNews(toStruct(withProvider(news)));
      req.setRandomseed(randomBytes(32));
      const resp = await rpc("check", req);
      return {
        inputs: fromStruct(resp.getInputs()),
        failures: resp.getFailuresList().map((f: any) => ({ property: f.getProperty(), reason: f.getReason() })),
      };
    },

    async diff(urn, id, olds, news, o = {}) {
      requireId("diff", id);
      const req = new provproto.DiffRequest();
      setUrn(req, urn);
      req.setId(id);
      req.setOlds(toStruct(withProvider(olds)));
      req.setNews(toStruct(withProvider(news)));
      req.setOldInputs(toStruct(withProvider(o.oldInputs ?? olds)));
      const resp = await rpc("diff", req);
      const C = provproto.DiffResponse.DiffChanges;
      const c = resp.getChanges();
      return {
        changes: c === C.DIFF_SOME ? "some" : c === C.DIFF_NONE ? "none" : "unknown",
        replaces: resp.getReplacesList(),
        deleteBeforeReplace: resp.getDeletebeforereplace(),
        stables: resp.getStablesList(),
        diffs: resp.getDiffsList(),
        hasDetailedDiff: resp.getHasdetaileddiff(),
      };
    },

    async create(urn, props, o = {}) {
      const inputs = withProvider(props);
      if (o.preview) return { id: "", outs: inputs };
      const req = new provproto.CreateRequest();
      setUrn(req, urn);
      req.setProperties(toStruct(inputs));
      const resp = await rpc("create", req);
      const id: string = resp.getId();
      if (!id) {
        throw new DynamicHostError(`plugin for package 'pulumi-nodejs' returned empty resource.ID from create '${urn}'`, 2, "create");
      }
      return { id, outs: fromStruct(resp.getProperties()) };
    },

    async read(urn, id, props, inputs) {
      requireId("read", id);
      const req = new provproto.ReadRequest();
      setUrn(req, urn);
      req.setId(id);
      req.setProperties(toStruct(withProvider(props)));
      if (inputs) req.setInputs(toStruct(withProvider(inputs)));
      const resp = await rpc("read", req);
      const result: { id: string; props: Props; inputs?: Props } = {
        id: resp.getId(),
        props: fromStruct(resp.getProperties()),
      };
      if (resp.hasInputs()) result.inputs = fromStruct(resp.getInputs());
      return result;
    },

    async update(urn, id, olds, news, o = {}) {
      requireId("update", id);
      const newInputs = withProvider(news);
      if (o.preview) return { outs: newInputs };
      const req = new provproto.UpdateRequest();
      setUrn(req, urn);
      req.setId(id);
      req.setOlds(toStruct(withProvider(olds)));
      req.setNews(toStruct(newInputs));
      req.setOldInputs(toStruct(withProvider(o.oldInputs ?? olds)));
      const resp = await rpc("update", req);
      return { outs: fromStruct(resp.getProperties()) };
    },

    async delete(urn, id, props, oldInputs) {
      requireId("delete", id);
      const req = new provproto.DeleteRequest();
      setUrn(req, urn);
      req.setId(id);
      req.setProperties(toStruct(withProvider(props)));
      req.setOldInputs(toStruct(withProvider(oldInputs ?? props)));
      await rpc("delete", req);
    },

    waitForOutput(pattern, timeoutMs = 5_000) {
      const matches = () => {
        const all = stdout + stderr;
        return typeof pattern === "string" ? all.includes(pattern) : pattern.test(all);
      };
      if (matches()) return Promise.resolve(stdout + stderr);
      return new Promise<string>((resolve, reject) => {
        const done = () => {
          clearTimeout(timer);
          outputWaiters.delete(check);
        };
        const check = () => {
          if (matches()) {
            done();
            resolve(stdout + stderr);
          } else if (exited) {
            done();
            reject(new Error(`host exited (${exitCode ?? exitSignal}) before printing ${pattern}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`timed out waiting for ${pattern}; stdout: ${stdout}\nstderr: ${stderr}`));
        }, timeoutMs);
        outputWaiters.add(check);
      });
    },

    clearOutput() {
      stdout = "";
      stderr = "";
    },

    stop() {
      stopping ??= (async () => {
        client.close();
        if (exited) return;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 2_000);
        await exitPromise;
        clearTimeout(timer);
      })();
      return stopping;
    },
  };
  return host;
}

/** gRPC error → DynamicHostError (message = provider's message) or PartialFailureError. */
function toHostError(method: string, err: grpc.ServiceError): DynamicHostError {
  const message = err.details ?? err.message;
  const bin = err.metadata?.get("grpc-status-details-bin")?.[0];
  if (bin) {
    const status = statusproto.Status.deserializeBinary(new Uint8Array(bin as Buffer));
    for (const any of status.getDetailsList()) {
      const detail = any.unpack(provproto.ErrorResourceInitFailed.deserializeBinary, "pulumirpc.ErrorResourceInitFailed");
      if (detail) {
        return new PartialFailureError(
          status.getMessage() || message,
          err.code,
          method,
          detail.getId(),
          fromStruct(detail.getProperties()),
          detail.getReasonsList(),
        );
      }
    }
  }
  return new DynamicHostError(message, err.code, method);
}
