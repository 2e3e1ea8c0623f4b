// A watchdog for the processes the Pulumi CLI starts around our code. When the CLI dies without
// closing them (`kill -9`, an OOM kill, a closed CI runner), nothing tells the dynamic-provider host
// or the program: the host's gRPC server and the SDK's clients keep their event loops alive for
// tens of minutes, holding SDK clients, journal files and sockets. So each of those processes
// probes the engine's gRPC address (the one the CLI passed it) and exits once it refuses
// connections.
//
// Why the address and not the parent pid: the CLI starts the host through the shell wrapper
// `pulumi-resource-pulumi-nodejs` (`sh` runs node as a child, not with exec), so when the CLI dies
// the shell is reparented and the node process keeps its parent. A closed listening port is what
// every case has in common, and a live engine always accepts (the kernel completes the handshake
// even while the CLI is busy or stopped), so only a refusal counts, never a slow answer.

import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

export interface EngineAddress {
  host: string;
  port: number;
}

export interface EngineWatchOptions {
  /** time between probes */
  intervalMs?: number;
  /** consecutive refusals that mean the engine is gone (a restart of the listener is not a thing, this guards flukes) */
  refusalsToExit?: number;
  /** what to do once it is gone; exits the process by default */
  onGone?: (address: EngineAddress) => void;
  /**
   * The process's output streams, to the CLI's pipes. A write after the CLI died fails with EPIPE;
   * unhandled, that error reaches the dynamic-provider host's uncaughtException handler, which
   * logs it with console.error: another EPIPE, forever, on process.nextTick, so no timer (this
   * watch's probes included) ever runs again, while the handler's Set of seen errors grows (a
   * host at 3 GB and a full core, 20 minutes after its CLI was killed). Here such an error is
   * handled, and the engine is probed at once.
   */
  streams?: NodeJS.WritableStream[];
}

const HOST_PORT = /^([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

function parseAddress(s: string | undefined): EngineAddress | undefined {
  const m = s === undefined ? null : HOST_PORT.exec(s);
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port < 1 || port > 65535) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ""), port };
}

/**
 * The engine address of this process, if it is one the CLI started: the dynamic-provider host
 * (`cmd/dynamic-provider <log flags> <engine>`: the engine is the last host:port argument) or the
 * program run by the language host (`cmd/run` puts `--engine` into PULUMI_NODEJS_ENGINE).
 * Anything else (tests calling the provider directly, tools importing the package) gets none.
 */
export function engineAddressOf(argv: readonly string[], env: NodeJS.ProcessEnv): EngineAddress | undefined {
  // argv[1] is ".../@pulumi/pulumi/cmd/<name>/index.js" or the folder itself
  const script = (argv[1] ?? "")
    .split(path.sep)
    .join("/")
    .replace(/\/index\.js$/, "")
    .replace(/\/$/, "");
  const dir = script.endsWith("/cmd/dynamic-provider") ? "dynamic-provider" : script.endsWith("/cmd/run") ? "run" : undefined;
  if (dir === "dynamic-provider") {
    const args = argv.slice(2);
    for (let i = args.length - 1; i >= 0; i--) {
      if (args[i - 1] === "--tracing") continue; // the tracing endpoint is a host:port too
      const a = parseAddress(args[i]);
      if (a) return a;
    }
    return undefined;
  }
  if (dir === "run") return parseAddress(env.PULUMI_NODEJS_ENGINE);
  return undefined;
}

/** "up": something accepts connections there; "refused": nothing listens; "unknown": anything else. */
export function probeEngine(address: EngineAddress, timeoutMs = 5_000): Promise<"up" | "refused" | "unknown"> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address.host, port: address.port });
    socket.unref(); // a probe never keeps the process alive
    const done = (r: "up" | "refused" | "unknown") => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(timeoutMs, () => done("unknown"));
    socket.once("connect", () => done("up"));
    socket.once("error", (e: NodeJS.ErrnoException) => done(e.code === "ECONNREFUSED" ? "refused" : "unknown"));
  });
}

/**
 * Probes `address` every intervalMs (a refusal again soon after) and calls onGone after
 * `refusalsToExit` refusals in a row, but only once the engine has answered at least once: a host
 * started with a placeholder address (the test harness's) is never stopped. The timer is unref'd.
 * Returns a stop function.
 */
export function watchEngine(address: EngineAddress, options: EngineWatchOptions = {}): () => void {
  // Every 2 s (a localhost connect costs nothing), and a refusal is confirmed 250 ms later: a
  // provider host keeps sending copies until it exits, and each one sent after the CLI died is
  // recorded in no state (the next run adopts it by its tags). At 10 s it sent ~250 copies at a
  // bench's 12.5 copies/s after the kill.
  const intervalMs = options.intervalMs ?? 2_000;
  const recheckMs = Math.min(250, intervalMs);
  const refusalsToExit = options.refusalsToExit ?? 2;
  const onGone = options.onGone ?? exitBecauseGone;
  let seen = false;
  let refusals = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(tick, ms);
    timer.unref();
  };
  let probing = false;
  const tick = async () => {
    if (probing || stopped) return;
    probing = true;
    clearTimeout(timer);
    let r: Awaited<ReturnType<typeof probeEngine>>;
    try {
      r = await probeEngine(address, Math.min(5_000, intervalMs));
    } finally {
      probing = false;
    }
    if (stopped) return;
    if (r === "up") {
      seen = true;
      refusals = 0;
    } else if (r === "refused" && seen && ++refusals >= refusalsToExit) {
      stopped = true;
      onGone(address);
      return;
    }
    schedule(refusals > 0 ? recheckMs : intervalMs);
  };
  const onStreamError = (e: NodeJS.ErrnoException) => {
    if (e.code === "EPIPE" || e.code === "ERR_STREAM_DESTROYED") void tick();
  };
  for (const stream of options.streams ?? []) stream.on("error", onStreamError);
  void tick();
  return () => {
    stopped = true;
    clearTimeout(timer);
    for (const stream of options.streams ?? []) stream.off("error", onStreamError);
  };
}

const addressText = (a: EngineAddress) => (a.host.includes(":") ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`);

/**
 * Ends the language hosts (`pulumi-language-nodejs <engine>`, Go) the same CLI started for this
 * engine: they check it only every 5 minutes (rpcutil.Healthcheck) and serve nobody once it is
 * gone. Matched by the exact engine address ending their command line, which just refused us
 * twice, so no live deployment's host is touched. Linux only (/proc); elsewhere they still exit
 * on their own check. Returns the pids signalled.
 */
export function endLanguageHostsOf(address: EngineAddress): number[] {
  const ended: number[] = [];
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return ended;
  }
  const wanted = addressText(address);
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const argv = fs
        .readFileSync(`/proc/${pid}/cmdline`, "utf8")
        .split("\0")
        .filter((a) => a !== "");
      if (argv.length < 2 || !/^pulumi-language-/.test(path.basename(argv[0])) || argv[argv.length - 1] !== wanted) continue;
      process.kill(pid, "SIGTERM");
      ended.push(pid);
    } catch {
      // gone meanwhile, or not ours to signal
    }
  }
  return ended;
}

function exitBecauseGone(address: EngineAddress): void {
  const hosts = endLanguageHostsOf(address);
  try {
    // fs.writeSync: the CLI's end of our stderr pipe is usually closed by now, and an EPIPE
    // emitted on process.stderr would crash with a stack instead of this line.
    fs.writeSync(
      2,
      `[pulumi-healthimaging] the Pulumi engine at ${addressText(address)} is gone (was the CLI killed?); process ${process.pid} exits${hosts.length > 0 ? ` and ended its language host ${hosts.join(", ")}` : ""}. Recover with the steps in the README's Troubleshooting, "An interrupted \`pulumi up\`".\n`,
    );
  } catch {
    // nobody is reading
  }
  process.exit(1);
}

const STARTED = Symbol.for("pulumi-healthimaging.engineWatch");

/**
 * Starts the watchdog once per process if this process was started by the Pulumi CLI (see
 * engineAddressOf); a no-op everywhere else.
 */
export function startEngineWatch(options: EngineWatchOptions = {}): void {
  const g = globalThis as unknown as Record<symbol, boolean | undefined>;
  if (g[STARTED]) return;
  const address = engineAddressOf(process.argv, process.env);
  if (!address) return;
  g[STARTED] = true;
  watchEngine(address, { streams: [process.stdout, process.stderr], ...options });
}
