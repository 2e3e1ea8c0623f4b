// A small TCP proxy for network-fault tests: listens on 127.0.0.1 and forwards every connection
// to a target (the local service). On command it can, for the next request whose bytes match a
// pattern (e.g. /copyImageSet/):
//   - "dropRequest":  reset the client connection without forwarding the request (the service
//                     never sees it);
//   - "dropResponse": forward the request, then reset the client connection when the service's
//                     response arrives (the service did the work, the client never learns it);
//   - "stall":        forward the request, then hold the response for `ms` before resetting
//                     (a hung connection that ends in a reset);
//   - "delay":        hold the request for `ms`, then forward it normally.
// An armed fault may carry a `beforeFault` hook, awaited when the matching request arrives and
// before the fault is applied (e.g. another client's write lands exactly while the request is lost).
// It also supports resetting every open connection at once and a global per-chunk delay.
// HTTP is only sniffed (request line in a client chunk); everything else is plain byte forwarding.

import * as net from "node:net";

export type FaultKind = "dropRequest" | "dropResponse" | "stall" | "delay";

export interface ArmedFault {
  kind: FaultKind;
  match: RegExp;
  /** how many matching requests this applies to (default 1) */
  count?: number;
  /** for stall / delay */
  ms?: number;
  /**
   * Awaited when a matching request arrives, before the fault is applied (the request is held
   * meanwhile). A rejection is recorded in stats.hookErrors and the fault is applied anyway.
   */
  beforeFault?: () => Promise<void>;
}

export interface ProxyStats {
  connections: number;
  /** faults applied, by kind */
  applied: Record<FaultKind, number>;
  /** request lines seen from clients (method + path), in order */
  requests: string[];
  /** errors thrown by beforeFault hooks */
  hookErrors: unknown[];
}

export interface TcpProxy {
  port: number;
  endpoint: string;
  stats: ProxyStats;
  /** arm a fault for the next matching request(s) */
  arm(fault: ArmedFault): void;
  /** faults still armed (count left > 0) */
  pending(): number;
  /** reset every open connection */
  resetAll(): void;
  /** extra delay added to every client->server chunk */
  setLatency(ms: number): void;
  close(): Promise<void>;
}

const REQUEST_LINE = /^(GET|POST|PUT|DELETE|HEAD|PATCH|OPTIONS) (\S+) HTTP\/1\.[01]\r\n/m;

export async function startTcpProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<TcpProxy> {
  const armed: (ArmedFault & { left: number })[] = [];
  const sockets = new Set<net.Socket>();
  const stats: ProxyStats = { connections: 0, applied: { dropRequest: 0, dropResponse: 0, stall: 0, delay: 0 }, requests: [], hookErrors: [] };
  let latency = 0;

  const take = (line: string): (ArmedFault & { left: number }) | undefined => {
    const f = armed.find((a) => a.left > 0 && a.match.test(line));
    if (f) {
      f.left--;
      stats.applied[f.kind]++;
    }
    return f;
  };

  const server = net.createServer((client) => {
    stats.connections++;
    const upstream = net.connect(targetPort, targetHost);
    sockets.add(client);
    sockets.add(upstream);
    let responseFault: ArmedFault | undefined;
    let queue = Promise.resolve();
    const kill = () => {
      client.resetAndDestroy();
      upstream.destroy();
    };
    client.on("close", () => {
      sockets.delete(client);
      upstream.destroy();
    });
    upstream.on("close", () => {
      sockets.delete(upstream);
      client.destroy();
    });
    client.on("error", () => upstream.destroy());
    upstream.on("error", () => client.destroy());

    client.on("data", (chunk: Buffer) => {
      // keep order: chunks go through a promise chain so a delayed one is not overtaken
      queue = queue.then(async () => {
        if (client.destroyed) return;
        const m = REQUEST_LINE.exec(chunk.toString("latin1"));
        let fault: ArmedFault | undefined;
        if (m) {
          const line = `${m[1]} ${m[2]}`;
          stats.requests.push(line);
          fault = take(line);
        }
        if (fault?.beforeFault) {
          try {
            await fault.beforeFault();
          } catch (e) {
            stats.hookErrors.push(e);
          }
        }
        if (latency > 0) await new Promise((r) => setTimeout(r, latency));
        if (fault?.kind === "dropRequest") return kill();
        if (fault?.kind === "delay") await new Promise((r) => setTimeout(r, fault!.ms ?? 1000));
        if (fault?.kind === "dropResponse" || fault?.kind === "stall") responseFault = fault;
        if (!upstream.destroyed) upstream.write(chunk);
      });
    });
    upstream.on("data", (chunk: Buffer) => {
      if (responseFault?.kind === "dropResponse") return kill();
      if (responseFault?.kind === "stall") {
        const ms = responseFault.ms ?? 1000;
        responseFault = undefined;
        upstream.pause();
        setTimeout(kill, ms);
        return;
      }
      client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    arm(fault) {
      armed.push({ ...fault, left: fault.count ?? 1 });
    },
    pending: () => armed.reduce((n, a) => n + a.left, 0),
    resetAll() {
      for (const s of sockets) s.resetAndDestroy();
    },
    setLatency(ms) {
      latency = ms;
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
