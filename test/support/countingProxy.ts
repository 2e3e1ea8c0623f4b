// A counting HTTP proxy in front of the local service: every request is forwarded unchanged
// (SigV4 signs the Host header, which the client set to the proxy's address and the service
// verifies as received) and recorded by operation and image set, so benchmarks and tests count API
// calls without touching the service.

import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { matchRoute } from "../../emulator/routes";

export interface Call {
  at: number;
  op: string;
  imageSetId?: string;
  status: number;
  errorType?: string;
}

export interface CountingProxy {
  url: string;
  calls: Call[];
  /** calls in [from, to) */
  between(from: number, to?: number): Call[];
  stop(): Promise<void>;
}

export async function startProxy(target: string): Promise<CountingProxy> {
  const upstream = new URL(target);
  // No keep-alive upstream, and a long keep-alive towards clients: otherwise a client reusing an
  // idle connection at the moment a server's 5 s keep-alive timeout closes it gets ECONNRESET
  // (pollers that sleep 5 s hit exactly that).
  const agent = new http.Agent({ keepAlive: false, maxSockets: 256 });
  const calls: Call[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://localhost");
    const match = matchRoute(req.method ?? "GET", url.pathname);
    const call: Call = {
      at: Date.now(),
      op: match?.route.operation ?? `${req.method} ${url.pathname}`,
      imageSetId: match?.params.imageSetId ?? match?.params.sourceImageSetId,
      status: 0,
    };
    calls.push(call);
    const out = http.request({ host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent }, (up) => {
      call.status = up.statusCode ?? 0;
      const et = up.headers["x-amzn-errortype"];
      if (et) call.errorType = String(et);
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    out.on("error", (e) => {
      call.status = 502;
      res.destroy(e);
    });
    req.pipe(out);
  });
  server.keepAliveTimeout = 300_000;
  server.headersTimeout = 301_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    between: (from, to = Infinity) => calls.filter((c) => c.at >= from && c.at < to),
    async stop() {
      server.closeAllConnections();
      agent.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

export function byOperation(calls: Call[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of calls) out[c.op] = (out[c.op] ?? 0) + 1;
  return out;
}
