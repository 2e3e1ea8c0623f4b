// The HTTP front of the local service: SigV4 check, rate limit, injected faults, routing and
// error rendering (x-amzn-ErrorType + {"message"} with the documented status codes).

import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { type Credentials, verifySignature } from "./auth";
import { lockDataFolder } from "./dataFolderLock";
import { ServiceError, isErrorName } from "./errors";
import type { FaultSettings } from "./faults";
import { type OperationName, PROFILES, type Profile, type RateLimit, RateLimiter, scaleRates, type Timings } from "./limits";
import { completeCopy } from "./model/copy";
import { completeDatastore } from "./model/datastores";
import { completeDelete } from "./model/deleteImageSet";
import { completeImport } from "./model/imports";
import { Service } from "./model/service";
import { completeUpdate } from "./model/update";
import { type HealthReport, portInUse } from "./portInUse";
import { parseInput } from "./request";
import { matchRoute } from "./routes";
import { validateInput } from "./validate";

/** How {@link startEmulator} runs the local service: port, data folder, timing profile, auth, test controls. */
export interface EmulatorOptions {
  port?: number;
  host?: string;
  /** data folder; default: a new temporary folder */
  dataDir?: string;
  s3Root?: string;
  profile?: "realistic" | "fast" | Profile;
  timings?: Partial<Timings>;
  /** limits over the profile's (an account's raised quota), e.g. { CopyImageSet: { rate: 5, burst: 1 } } */
  rateLimits?: Partial<Record<OperationName, RateLimit>>;
  /** runs the rate table (the profile's and `rateLimits`) this many times faster: time-scaled tests; default 1 */
  rateScale?: number;
  credentials?: Partial<Credentials>;
  accountId?: string;
  /** verify SigV4 signatures (default true) */
  auth?: boolean;
  /** expose /_emulator/* test controls (faults, rate limits, drain); default false */
  controlApi?: boolean;
  lockSourceDuringCopy?: boolean;
  /** time without a touch before an image set is in the archive tier (default the documented 30 days; model/tiers.ts) */
  archiveAfterMs?: number;
  /** log one line per request to stderr */
  log?: boolean;
}

/** A started local service: its endpoint and credentials, its state for tests, and `stop()`. */
export interface RunningEmulator {
  endpoint: string;
  port: number;
  dataDir: string;
  credentials: Credentials;
  service: Service;
  limiter: RateLimiter;
  configureFaults(settings: FaultSettings): void;
  stop(): Promise<void>;
}

/** The credentials the local service accepts by default (LocalStack's convention: access key "test", secret "test", us-east-1). */
export const DEFAULT_CREDENTIALS: Credentials = { accessKeyId: "test", secretAccessKey: "test", region: "us-east-1" };
/** The account id in the ARNs the local service returns by default. */
export const DEFAULT_ACCOUNT_ID = "000000000000";

function resolveProfile(opts: EmulatorOptions): Profile {
  const base = typeof opts.profile === "object" ? opts.profile : PROFILES[opts.profile ?? "realistic"];
  return {
    ...base,
    timings: { ...base.timings, ...opts.timings },
    rateLimits: scaleRates(opts.rateLimits ? { ...base.rateLimits, ...opts.rateLimits } : base.rateLimits, opts.rateScale ?? 1),
  };
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

/** The Date header is the service's own clock (Service.now: ahead of this machine's when a test moved it). */
function send(res: http.ServerResponse, status: number, headers: Record<string, string>, body: Buffer, now = Date.now()): void {
  res.writeHead(status, { Date: new Date(now).toUTCString(), "x-amzn-RequestId": randomUUID(), "Content-Length": String(body.length), ...headers });
  res.end(body);
}

function sendError(res: http.ServerResponse, err: ServiceError, now = Date.now()): void {
  send(res, err.status, { "Content-Type": "application/json", "x-amzn-ErrorType": err.errorType }, Buffer.from(JSON.stringify({ message: err.message })), now);
}

function queryRecord(query: URLSearchParams): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const key of new Set(query.keys())) {
    const all = query.getAll(key);
    out[key] = all.length === 1 ? all[0] : all;
  }
  return out;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function createService(dataDir: string, profile: Profile, credentials: Credentials, opts: EmulatorOptions): Service {
  const service = new Service({
    dataDir,
    s3Root: opts.s3Root,
    profile,
    region: credentials.region,
    accountId: opts.accountId ?? DEFAULT_ACCOUNT_ID,
    lockSourceDuringCopy: opts.lockSourceDuringCopy ?? true,
    archiveAfterMs: opts.archiveAfterMs,
  });
  service.onComplete("copy", completeCopy);
  service.onComplete("update", completeUpdate);
  service.onComplete("delete", completeDelete);
  service.onComplete("import", completeImport);
  service.onComplete("datastore", completeDatastore);
  service.resumePending();
  return service;
}

/**
 * Starts the local HealthImaging service on loopback in this process; resolves once it listens.
 * Refuses, in one line and leaving nothing created, a data folder another running service holds
 * or a port something listens on (naming the other service when it is one).
 */
export async function startEmulator(opts: EmulatorOptions = {}): Promise<RunningEmulator> {
  const credentials: Credentials = { ...DEFAULT_CREDENTIALS, ...opts.credentials };
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "healthimaging-local-"));
  const profile = resolveProfile(opts);
  const host = opts.host ?? "127.0.0.1";
  // the lock first, then the port, then the service's folders: a refusal leaves nothing behind
  const lock = await lockDataFolder(dataDir, opts.dataDir === undefined);
  const limiter = new RateLimiter(profile.rateLimits);
  // created once the port is ours; no request arrives before (listen's callback comes first)
  let service!: Service;

  const server = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? "/", "http://localhost");
      const body = await readBody(req);
      if (url.pathname.startsWith("/_emulator/")) {
        // health is read-only and always there (scripts wait on it); the rest needs --control-api
        if (!opts.controlApi && url.pathname !== "/_emulator/health") throw new ServiceError("AccessDeniedException", "The test control API is disabled.");
        const json = control(url.pathname, body.length ? JSON.parse(body.toString("utf8")) : {});
        return send(res, 200, { "Content-Type": "application/json" }, Buffer.from(JSON.stringify(json)), service.now());
      }
      const match = matchRoute(req.method ?? "GET", url.pathname);
      if (!match) throw new ServiceError("ValidationException", `No operation matches ${req.method} ${url.pathname}.`);
      if (opts.log) process.stderr.write(`[healthimaging-local] ${match.route.operation}\n`);
      if (opts.auth !== false) {
        await verifySignature(
          { method: req.method ?? "GET", rawPath: url.pathname, query: queryRecord(url.searchParams), headers: req.headers, body },
          credentials,
          [Date.now(), service.now()],
        );
      }
      // checked against the service model before the rate limit: a refused request does no work,
      // so it takes none of the operation's budget
      const input = parseInput(match.route.operation, match.params, url.searchParams, body);
      validateInput(match.route.operation, input);
      const delay = service.faults.delayFor(match.route.operation);
      if (delay > 0) await sleep(delay);
      if (!limiter.take(match.route.operation)) throw new ServiceError("ThrottlingException", "Rate exceeded");
      service.faults.check(match.route.operation);
      const out = await match.route.handler({ svc: service, params: match.params, query: url.searchParams, body, input });
      if (out.body) return send(res, out.status ?? 200, out.headers ?? {}, out.body, service.now());
      send(res, out.status ?? 200, { "Content-Type": "application/json", ...out.headers }, Buffer.from(JSON.stringify(out.json ?? {})), service.now());
    } catch (e) {
      if (e instanceof ServiceError) return sendError(res, e, service.now());
      if (e instanceof SyntaxError) return sendError(res, new ServiceError("ValidationException", "The request body is not valid JSON."), service.now());
      process.stderr.write(`[healthimaging-local] internal error: ${(e as Error).stack ?? e}\n`);
      sendError(res, new ServiceError("InternalServerException", "Internal server error."), service.now());
    }
  });

  // biome-ignore lint/suspicious/noExplicitAny: the test control API takes loose JSON
  function control(pathname: string, body: Record<string, any>): unknown {
    switch (pathname) {
      case "/_emulator/health":
        // who this is, so a second service refused this port can name it (portInUse.ts)
        return { ok: true, pending: service.state.pending.length, service: "healthimaging-local", pid: process.pid, dataDir } satisfies HealthReport;
      case "/_emulator/faults":
        if (body.reset) service.faults.reset();
        service.faults.configure(body);
        if (body.failNext) {
          const { operation, count, error, message } = body.failNext;
          if (!isErrorName(error)) throw new ServiceError("ValidationException", `Unknown error ${error}.`);
          service.faults.failNext(operation, count, error, message);
        }
        if (body.failNextCopies) service.faults.failNextCopies(body.failNextCopies.count, body.failNextCopies.message);
        return { ok: true };
      case "/_emulator/rate-limits":
        // { rateLimits } replaces the table; with merge: true it changes only the operations given
        if (body.merge) limiter.raise(body.rateLimits ?? {});
        else limiter.setLimits(body.rateLimits ?? {});
        return { ok: true };
      case "/_emulator/rate-counters":
        return { accepted: limiter.accepted, throttled: limiter.throttled };
      case "/_emulator/drain":
        service.drain();
        return { ok: true };
      case "/_emulator/clock": {
        // {"advanceDays": 31} or {"advanceMs": n}: ages image sets toward the archive tier
        const ms = body.advanceMs ?? (body.advanceDays ?? 0) * 24 * 3600 * 1000;
        if (typeof ms !== "number" || !(ms >= 0)) throw new ServiceError("ValidationException", "advanceMs / advanceDays must be a non-negative number.");
        return { ok: true, now: service.advanceClock(ms) / 1000 };
      }
      default:
        throw new ServiceError("ValidationException", `Unknown control ${pathname}.`);
    }
  }

  // Idle keep-alive connections stay open a minute, as a load balancer in front of a service
  // typically keeps them (inferred; AWS publishes no figure). Node's default, 5 s, closes them while
  // SDK clients still hold them for reuse: a request sent on one as it closes fails with
  // ECONNRESET, which a client with one attempt (the tests' own) reports as an error.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 61_000; // must exceed keepAliveTimeout (Node's http docs)
  try {
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(opts.port ?? 0, host, () => resolve());
    });
    service = createService(dataDir, profile, credentials, opts);
  } catch (e) {
    server.close();
    lock.abandon();
    if ((e as NodeJS.ErrnoException).code === "EADDRINUSE") throw new Error(await portInUse(host, opts.port ?? 0));
    throw e;
  }
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  lock.setEndpoint(endpoint);
  return {
    endpoint,
    port,
    dataDir,
    credentials,
    service,
    limiter,
    configureFaults: (s) => service.faults.configure(s),
    async stop() {
      service.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      lock.release();
    },
  };
}
