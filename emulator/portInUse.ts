// When the port is taken, say by whom: another healthimaging-local answers /_emulator/health with
// its pid and data folder; anything else is "another program".

/** What /_emulator/health returns (pid and dataDir since the service says who it is). */
export interface HealthReport {
  ok: boolean;
  pending: number;
  service?: "healthimaging-local";
  pid?: number;
  dataDir?: string;
}

async function healthOf(host: string, port: number): Promise<HealthReport | undefined> {
  const hostname = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host.includes(":") ? `[${host}]` : host;
  try {
    const res = await fetch(`http://${hostname}:${port}/_emulator/health`, { signal: AbortSignal.timeout(2_000) });
    const body = (await res.json()) as HealthReport;
    return res.ok && body.ok === true && typeof body.pending === "number" ? body : undefined;
  } catch {
    return undefined;
  }
}

/** The one-line refusal for a port something already listens on. */
export async function portInUse(host: string, port: number): Promise<string> {
  const fix = "or give another --port (0 picks a free one)";
  const health = await healthOf(host, port);
  if (!health) {
    return `port ${port} on ${host} is in use by another program (not healthimaging-local; \`ss -ltnp 'sport = :${port}'\` names it): stop it ${fix}`;
  }
  const who = [health.pid && `pid ${health.pid}`, health.dataDir && `data ${health.dataDir}`].filter(Boolean).join(", ");
  const stop = health.pid
    ? `stop it (kill ${health.pid}; npm run destroy stops the one npm start runs)`
    : "stop it (npm run destroy stops the one npm start runs)";
  return `port ${port} on ${host} is in use by another healthimaging-local${who ? ` (${who})` : ""}: ${stop} ${fix}`;
}
