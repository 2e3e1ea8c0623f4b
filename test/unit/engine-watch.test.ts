// The engine watchdog (provider/settings/engineWatch.ts): which processes it runs in, that it
// notices a closed engine port and only that, and that it never keeps a process alive. Real
// sockets and real child processes; the end-to-end case (the CLI killed mid-copy) is in
// test/e2e/e2e-cli.test.ts.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";
import { type EngineAddress, endLanguageHostsOf, engineAddressOf, probeEngine, watchEngine } from "../../provider/settings/engineWatch";

const HOST = "/p/node_modules/@pulumi/pulumi/cmd/dynamic-provider/index.js";
const RUN = "/p/node_modules/@pulumi/pulumi/cmd/run";

async function listening(): Promise<{ server: net.Server; address: EngineAddress }> {
  const server = net.createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return { server, address: { host: "127.0.0.1", port: (server.address() as net.AddressInfo).port } };
}

const closed = (server: net.Server) => new Promise<void>((r) => server.close(() => r()));

describe("engine watchdog", () => {
  it("finds the engine address of the dynamic-provider host (after log and tracing flags) and of the program", () => {
    assert.deepEqual(engineAddressOf(["node", HOST, "127.0.0.1:41234"], {}), { host: "127.0.0.1", port: 41234 });
    assert.deepEqual(engineAddressOf(["node", HOST, "--logtostderr", "-v=9", "--tracing", "127.0.0.1:9411", "127.0.0.1:5000"], {}), {
      host: "127.0.0.1",
      port: 5000,
    });
    assert.deepEqual(engineAddressOf(["node", path.dirname(HOST), "localhost:7"], {}), { host: "localhost", port: 7 });
    assert.deepEqual(engineAddressOf(["node", RUN, "--monitor", "127.0.0.1:1", "."], { PULUMI_NODEJS_ENGINE: "127.0.0.1:6000" }), {
      host: "127.0.0.1",
      port: 6000,
    });
  });

  it("finds none anywhere else: mocha, a tool importing the package, a host without an address", () => {
    assert.equal(engineAddressOf(["node", "/p/node_modules/mocha/bin/mocha.js", "127.0.0.1:5000"], { PULUMI_NODEJS_ENGINE: "127.0.0.1:1" }), undefined);
    assert.equal(engineAddressOf(["node", "/p/scripts/start.ts"], { PULUMI_NODEJS_ENGINE: "127.0.0.1:6000" }), undefined);
    assert.equal(engineAddressOf(["node", HOST], {}), undefined);
    assert.equal(engineAddressOf(["node", HOST, "--tracing", "127.0.0.1:9411"], {}), undefined);
    assert.equal(engineAddressOf(["node", RUN, "."], {}), undefined);
  });

  it("a probe tells a listening port from a closed one", async () => {
    const { server, address } = await listening();
    assert.equal(await probeEngine(address), "up");
    await closed(server);
    assert.equal(await probeEngine(address), "refused");
  });

  it("calls onGone once the engine it has seen stops accepting connections, not before", async () => {
    const { server, address } = await listening();
    let gone = 0;
    const stop = watchEngine(address, { intervalMs: 50, onGone: () => gone++ });
    try {
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(gone, 0, "a live engine is left alone");
      await closed(server);
      const deadline = Date.now() + 5_000;
      while (gone === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(gone, 1);
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(gone, 1, "once");
    } finally {
      stop();
    }
  });

  it("confirms a refusal soon after it, not a whole interval later (copies sent meanwhile are in no state)", async () => {
    const { server, address } = await listening();
    let goneAt = 0;
    const start = Date.now();
    const stop = watchEngine(address, { intervalMs: 1_000, onGone: () => (goneAt = Date.now()) });
    try {
      await new Promise((r) => setTimeout(r, 100)); // the first probe (at once) saw it up
      await closed(server);
      while (goneAt === 0 && Date.now() - start < 5_000) await new Promise((r) => setTimeout(r, 20));
      // refused at ~1 s, confirmed ~250 ms later; two intervals would be 2 s
      assert.ok(goneAt > 0 && goneAt - start < 1_800, `gone ${goneAt - start} ms after the start`);
    } finally {
      stop();
    }
  });

  it("never acts on an address that never answered (the test harness's placeholder engine)", async () => {
    const { server, address } = await listening();
    await closed(server);
    let gone = 0;
    const stop = watchEngine(address, { intervalMs: 30, onGone: () => gone++ });
    await new Promise((r) => setTimeout(r, 400));
    stop();
    assert.equal(gone, 0);
  });

  it("never keeps a process alive, and exits one whose engine is gone with one line", async function () {
    this.timeout(30_000);
    const { server, address } = await listening();
    const script = (exitOnGone: boolean) => `
      require("ts-node/register/transpile-only");
      const { watchEngine } = require(${JSON.stringify(path.resolve(__dirname, "../../provider/settings/engineWatch.ts"))});
      watchEngine(${JSON.stringify(address)}, { intervalMs: 100${exitOnGone ? "" : ", onGone: () => {}"} });
      ${exitOnGone ? "setInterval(() => {}, 1000); // a busy process, like the host's gRPC server" : ""}
    `;
    const runNode = (code: string) =>
      new Promise<{ code: number | null; stderr: string; ms: number }>((resolve) => {
        const t = Date.now();
        const child = spawn(process.execPath, ["-e", code], { cwd: path.resolve(__dirname, "../.."), stdio: ["ignore", "ignore", "pipe"] });
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        const kill = setTimeout(() => child.kill("SIGKILL"), 20_000);
        child.on("close", (c) => {
          clearTimeout(kill);
          resolve({ code: c, stderr, ms: Date.now() - t });
        });
      });
    // with nothing else to do, the process ends although the engine is alive: the watchdog holds nothing
    const idle = await runNode(script(false));
    assert.equal(idle.code, 0, idle.stderr);
    const busy = runNode(script(true));
    await new Promise((r) => setTimeout(r, 2_000));
    await closed(server);
    const r = await busy;
    assert.equal(r.code, 1, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0], new RegExp(`the Pulumi engine at 127\\.0\\.0\\.1:${address.port} is gone`));
  });

  it("a host whose CLI died while it logged an error exits, instead of logging its EPIPE forever (the host's own uncaughtException handler)", async function () {
    this.timeout(30_000);
    const { server, address } = await listening();
    // the dynamic-provider host's handler (cmd/dynamic-provider/index.js): console.error of each new error;
    // probes every 60 s, so only the stream's error can end it within the test
    const code = `
      require("ts-node/register/transpile-only");
      const seen = new Set();
      process.on("uncaughtException", (err) => { if (!seen.has(err)) { seen.add(err); console.error(err.stack); } });
      const { watchEngine } = require(${JSON.stringify(path.resolve(__dirname, "../../provider/settings/engineWatch.ts"))});
      watchEngine(${JSON.stringify(address)}, { intervalMs: 60_000, streams: [process.stdout, process.stderr] });
      setInterval(() => {}, 1000); // a busy process, like the host's gRPC server
      setTimeout(() => process.stdout.write("ready\\n"), 300);
      process.stdin.once("data", () => setTimeout(() => { throw new Error("a late failure, after the CLI died"); }, 200));
    `;
    const child = spawn(process.execPath, ["-e", code], { cwd: path.resolve(__dirname, "../.."), stdio: ["pipe", "pipe", "pipe"] });
    const exited = new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)));
    const kill = setTimeout(() => child.kill("SIGKILL"), 20_000);
    try {
      let stderr = "";
      child.stderr!.on("data", (d) => (stderr += d));
      const ready = await Promise.race([new Promise<boolean>((resolve) => child.stdout!.once("data", () => resolve(true))), exited.then(() => false)]);
      assert.ok(ready, `the child ended before it was ready: ${stderr}`);
      // the CLI dies: its end of the pipes and its engine port close
      child.stderr!.destroy();
      await closed(server);
      child.stdin!.write("go\n");
      assert.equal(await exited, 1, "exited on its own (null: killed after 20 s, still logging)");
    } finally {
      clearTimeout(kill);
      child.kill("SIGKILL");
    }
  });

  it("ends the language hosts of the gone engine, matched by the address ending their command line, and no other", async () => {
    const start = (address: string) =>
      spawn(process.execPath, ["-e", "setInterval(() => {}, 1000)", address], { argv0: "pulumi-language-nodejs", stdio: "ignore" });
    const gone = start("127.0.0.1:41001");
    const other = start("127.0.0.1:41002");
    const exited = (c: ReturnType<typeof spawn>) => new Promise<NodeJS.Signals | null>((r) => c.once("exit", (_code, signal) => r(signal)));
    const goneExit = exited(gone);
    try {
      await new Promise((r) => setTimeout(r, 300)); // the cmdline is the final one once node has started
      assert.deepEqual(endLanguageHostsOf({ host: "127.0.0.1", port: 41001 }), [gone.pid]);
      assert.equal(await goneExit, "SIGTERM");
      assert.equal(other.exitCode, null);
      assert.equal(other.signalCode, null, "another engine's language host runs on");
    } finally {
      gone.kill("SIGKILL");
      other.kill("SIGKILL");
    }
  });
});
