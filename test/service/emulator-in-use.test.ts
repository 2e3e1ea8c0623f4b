// A second `healthimaging-local serve` on a port or data folder another service holds fails in one
// line naming that service and the fix, and leaves nothing created behind; a lock left by a
// service that died (kill -9, crash) is taken over.

import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { LOCK_FILE } from "../../emulator/dataFolderLock";
import type { RunningEmulator } from "../../emulator/server";
import { ensureBuilt } from "../support/build";
import { freePort, startTestEmulator } from "../support/emulator";
import { runProcess } from "../support/run";

const ROOT = path.resolve(__dirname, "..", "..");
const CLI = path.join(ROOT, "emulator", "dist", "cli.js");

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `healthimaging-local serve ...` expected to refuse (asynchronously: the service it meets lives in this process). */
function serveRefused(args: string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, "serve", "--profile", "fast", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`serve ${args.join(" ")} was not refused within 15 s: ${stdout}${stderr}`));
    }, 15_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Every path under dir, relative (to compare a folder before and after). */
const tree = (dir: string) => fs.readdirSync(dir, { recursive: true }).map(String).sort();

describe("local service: a port or data folder already in use", function () {
  this.timeout(60_000);
  let tmp: string;
  let first: RunningEmulator | undefined;

  before(() => ensureBuilt());
  beforeEach(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "hi-in-use-"));
  });
  afterEach(async () => {
    await first?.stop();
    first = undefined;
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("same port: names the other service (pid, data folder) and the fix; creates no data folder", async () => {
    first = await startTestEmulator({ port: await freePort(), dataDir: path.join(tmp, "first") });
    const fresh = path.join(tmp, "second", "data");
    const r = await serveRefused(["--port", String(first.port), "--data", fresh]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, "");
    assert.equal(
      r.stderr,
      `healthimaging-local: port ${first.port} on 127.0.0.1 is in use by another healthimaging-local (pid ${process.pid}, data ${first.dataDir}): ` +
        `stop it (kill ${process.pid}; npm run destroy stops the one npm start runs) or give another --port (0 picks a free one)\n`,
    );
    assert.equal(fs.existsSync(path.join(tmp, "second")), false, "nothing created");
  });

  it("same port, existing data folder (as .healthimaging-local is): the folder is left exactly as it was", async () => {
    first = await startTestEmulator({ port: await freePort(), dataDir: path.join(tmp, "first") });
    const existing = path.join(tmp, "existing");
    fs.mkdirSync(path.join(existing, "data"), { recursive: true });
    fs.writeFileSync(path.join(existing, "seed.json"), "{}");
    const before = tree(existing);
    const r = await serveRefused(["--port", String(first.port), "--data", existing]);
    assert.equal(r.code, 1);
    assert.deepEqual(tree(existing), before, "no docs/, frames/ or lock left behind");
  });

  it("a port another program holds: says it is not a healthimaging-local", async () => {
    const other = net.createServer((socket) => socket.destroy());
    await new Promise<void>((r) => other.listen(0, "127.0.0.1", () => r()));
    const port = (other.address() as net.AddressInfo).port;
    try {
      const r = await serveRefused(["--port", String(port), "--data", path.join(tmp, "data")]);
      assert.equal(r.code, 1);
      assert.match(
        r.stderr,
        new RegExp(
          `^healthimaging-local: port ${port} on 127\\.0\\.0\\.1 is in use by another program \\(not healthimaging-local; .*\\): stop it or give another --port \\(0 picks a free one\\)\\n$`,
        ),
      );
      assert.equal(fs.existsSync(path.join(tmp, "data")), false);
    } finally {
      other.close();
    }
  });

  it("same data folder, another port: names the service holding it (pid, endpoint) and the fix; its folder is untouched", async () => {
    first = await startTestEmulator({ port: await freePort(), dataDir: path.join(tmp, "shared") });
    const before = tree(first.dataDir);
    const r = await serveRefused(["--port", "0", "--data", first.dataDir]);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `healthimaging-local: data folder ${first.dataDir} is in use by another healthimaging-local (pid ${process.pid}, ${first.endpoint}): ` +
        `stop it (kill ${process.pid}; npm run destroy stops the one npm start runs) or give another --data\n`,
    );
    assert.deepEqual(tree(first.dataDir), before);
    assert.equal(JSON.parse(fs.readFileSync(path.join(first.dataDir, LOCK_FILE), "utf8")).pid, process.pid, "the lock is still the first service's");
  });

  it("in one process too: a second service on a data folder the first holds is refused", async () => {
    first = await startTestEmulator({ dataDir: path.join(tmp, "shared") });
    await assert.rejects(startTestEmulator({ dataDir: first.dataDir }), /^Error: data folder .* is in use by another healthimaging-local/);
  });

  it("npm start's ensureService, finding a service of another data folder on its port, says so", async () => {
    first = await startTestEmulator({ port: await freePort(), dataDir: path.join(tmp, "elsewhere") });
    const local = path.join(tmp, "local");
    const code = "require('./scripts/local').ensureService().then((s) => process.stdout.write(s))";
    const r = await runProcess(process.execPath, ["-r", "ts-node/register/transpile-only", "-e", code], {
      cwd: ROOT,
      env: { ...process.env, HEALTHIMAGING_PORT: String(first!.port), HEALTHIMAGING_LOCAL_DIR: local },
    });
    assert.equal(r.stdout, "running", r.stderr);
    assert.equal(
      r.stderr,
      `note: the service on port ${first.port} (pid ${process.pid}) keeps its data in ${first.dataDir}, not ${path.join(local, "data")}; ` +
        "npm run destroy will not stop it (HEALTHIMAGING_PORT picks another port)\n",
    );
  });

  it("a stale lock (its process is gone, or it names this pid but no service here) is taken over; stop() removes the lock", async () => {
    const dataDir = path.join(tmp, "stale");
    fs.mkdirSync(dataDir);
    const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
    for (const pid of [Number(dead.stdout), process.pid]) {
      fs.writeFileSync(path.join(dataDir, LOCK_FILE), JSON.stringify({ pid, endpoint: "http://127.0.0.1:1" }));
      const emu = await startTestEmulator({ dataDir });
      const lock = JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), "utf8"));
      assert.deepEqual([lock.pid, lock.endpoint], [process.pid, emu.endpoint]);
      await emu.stop();
      assert.equal(fs.existsSync(path.join(dataDir, LOCK_FILE)), false);
    }
  });

  it("a service killed with SIGKILL leaves a stale lock: the next one starts on its data folder", async () => {
    const dataDir = path.join(tmp, "killed");
    const child = spawn(process.execPath, [CLI, "serve", "--profile", "fast", "--port", "0", "--data", dataDir], { stdio: ["ignore", "pipe", "pipe"] });
    await new Promise<void>((resolve) => child.stdout.once("data", () => resolve()));
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGKILL");
    await exited;
    assert.equal(JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), "utf8")).pid, child.pid);
    first = await startTestEmulator({ dataDir });
    assert.equal(JSON.parse(fs.readFileSync(path.join(dataDir, LOCK_FILE), "utf8")).pid, process.pid);
  });
});
