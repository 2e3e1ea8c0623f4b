// One running service per data folder: two services writing the same state.json would each
// overwrite the other's records. A service holds `<data folder>/service.lock` (its pid, the
// process's start time, its endpoint) while it runs. A lock whose process is gone (kill -9, a
// crash, a reboot that reused the pid for another program) is stale and taken over.

import * as fs from "node:fs";
import * as path from "node:path";

export const LOCK_FILE = "service.lock";

/** What a lock file says about the service holding it. */
export interface LockHolder {
  pid: number;
  /** /proc/<pid>/stat start time, so a reused pid is not taken for the holder (Linux only) */
  startTime?: string;
  endpoint?: string;
}

/** A held lock: `release()` removes it; `abandon()` also removes the folders locking created. */
export interface DataFolderLock {
  setEndpoint(endpoint: string): void;
  release(): void;
  abandon(): void;
}

// Data folders locked by services of this process: a lock naming this pid but no folder here is
// stale (a previous process that had the same pid, as happens in containers).
const heldHere = new Set<string>();
// How long a live holder is waited for: a service stopping (npm run destroy) closes its port a
// moment before it removes its lock.
const HOLDER_EXIT_WAIT_MS = 2_000;

/** /proc/<pid>/stat fields after "pid (comm) " (state first, starttime 20th), or undefined. */
function statOf(pid: number): string[] | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" "); // comm may hold spaces
  } catch {
    return undefined;
  }
}

function isRunning(holder: LockHolder, lockFile: string): boolean {
  if (holder.pid === process.pid) return heldHere.has(lockFile);
  const stat = statOf(holder.pid);
  if (stat) return stat[0] !== "Z" && (!holder.startTime || stat[19] === holder.startTime); // a zombie has exited
  try {
    process.kill(holder.pid, 0); // no /proc (macOS): signal 0 tells whether the pid exists
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readHolder(lockFile: string): LockHolder | undefined {
  try {
    const holder = JSON.parse(fs.readFileSync(lockFile, "utf8")) as LockHolder;
    return Number.isInteger(holder.pid) ? holder : undefined;
  } catch {
    return undefined; // gone meanwhile, or torn by a crash while written: stale either way
  }
}

/** The one-line refusal for a data folder another running service holds. */
export function dataFolderInUse(dir: string, holder: LockHolder): string {
  const where = holder.endpoint ? `, ${holder.endpoint}` : "";
  return (
    `data folder ${dir} is in use by another healthimaging-local (pid ${holder.pid}${where}): ` +
    `stop it (kill ${holder.pid}; npm run destroy stops the one npm start runs) or give another --data`
  );
}

/**
 * Takes the data folder's lock, creating the folder if needed; throws the one-line refusal when a
 * running service holds it (after waiting briefly for one that is stopping).
 */
export async function lockDataFolder(dir: string, createdByCaller = false): Promise<DataFolderLock> {
  const created = fs.mkdirSync(dir, { recursive: true }) ?? (createdByCaller ? dir : undefined);
  const lockFile = path.join(dir, LOCK_FILE);
  const self: LockHolder = { pid: process.pid, startTime: statOf(process.pid)?.[19] };
  const write = () => fs.writeFileSync(lockFile, JSON.stringify(self));
  const removeCreated = () => {
    if (created) fs.rmSync(created, { recursive: true, force: true });
  };
  const deadline = Date.now() + HOLDER_EXIT_WAIT_MS;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, JSON.stringify(self), { flag: "wx" });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") {
        removeCreated();
        throw e;
      }
    }
    const holder = readHolder(lockFile);
    if (holder && isRunning(holder, lockFile)) {
      if (Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      removeCreated();
      throw new Error(dataFolderInUse(dir, holder));
    }
    // stale: its service is gone (two services taking over the same stale lock at the same
    // instant could both win; starting services one at a time, as scripts do, never races)
    fs.rmSync(lockFile, { force: true });
  }
  heldHere.add(lockFile);
  const release = () => {
    heldHere.delete(lockFile);
    if (readHolder(lockFile)?.pid === process.pid) fs.rmSync(lockFile, { force: true });
  };
  return {
    setEndpoint(endpoint) {
      self.endpoint = endpoint;
      write();
    },
    release,
    abandon() {
      release();
      removeCreated();
    },
  };
}
