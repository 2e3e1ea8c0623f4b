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
  const ask = async () => {
    try {
      const res = await fetch(`http://${hostname}:${port}/_emulator/health`, { signal: AbortSignal.timeout(2_000) });
      const body = (await res.json()) as HealthReport;
      return res.ok && body.ok === true && typeof body.pending === "number" ? body : undefined;
    } catch {
      return undefined;
    }
  };
  // A program that drops the connection at once can leave fetch unsettled with nothing keeping
  // the process alive (AbortSignal.timeout's timer is unref'd): the CLI then exited 0 without a
  // word. This timer is ref'd, so the answer is "not ours" after 2 s at the latest.
  let timer: NodeJS.Timeout | undefined;
  const giveUp = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), 2_000);
  });
  try {
    return await Promise.race([ask(), giveUp]);
  } finally {
    clearTimeout(timer);
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
