// A 402 ServiceQuotaExceededException in the write engine (provider/service/writeEngine.ts), driven
// in-process with a fake send: whatever the message says, it is one kind ("quota"), waited out a
// bounded number of times within a bounded time and never past the deadline, then fails with the
// service's message plus the quotas it could be for the operation and how to raise them. The waits
// are shortened here; their defaults are checked against the ~60 s bound.

import assert from "node:assert/strict";
import { classifyWriteError, quotasFor } from "../../provider/service/classify";
import { QUOTA_RETRY, runWrite, type WriteOperation } from "../../provider/service/writeEngine";

let port = 40_000;
/** a connection of its own per run: pacers and clients are per endpoint */
const conn = () => ({ region: "us-east-1", endpoint: `http://127.0.0.1:${port++}` });

const quotaError = (message: string) =>
  Object.assign(new Error(message), { name: "ServiceQuotaExceededException", $fault: "client", $metadata: { httpStatusCode: 402 } });

/** Runs one write whose first `refusals` sends answer 402 with `message`; counts the sends. */
async function run(operation: WriteOperation, refusals: number, opts: { message?: string; deadlineMs?: number } = {}) {
  let sends = 0;
  const logs: string[] = [];
  const started = Date.now();
  const result = runWrite(
    conn(),
    {
      operation,
      datastoreId: "d".repeat(32),
      prepare: async () => ({
        watched: [],
        send: async () => {
          sends++;
          if (sends <= refusals) throw quotaError(opts.message ?? "Something nobody documented happened (ref 8f2c)");
          return "made";
        },
      }),
    },
    { deadline: started + (opts.deadlineMs ?? 60_000), log: (m) => logs.push(m) },
  );
  const outcome = await result.then(
    (value) => ({ value, error: undefined as Error | undefined }),
    (error: Error) => ({ value: undefined, error }),
  );
  return { ...outcome, sends: () => sends, logs, elapsed: Date.now() - started };
}

describe("provider/writeEngine: a 402 ServiceQuotaExceededException", () => {
  const saved = { ...QUOTA_RETRY };
  beforeEach(() => Object.assign(QUOTA_RETRY, { attempts: 4, firstWaitMs: 20, capWaitMs: 80, budgetMs: 5_000 }));
  after(() => Object.assign(QUOTA_RETRY, saved));

  it("is one kind whatever the message says (the model's error has only `message`)", () => {
    for (const message of ["", "Concurrent operations limit", "4 image frames; the quota is 3", "payload too large", "lorem ipsum"])
      assert.deepEqual(classifyWriteError(quotaError(message)), { kind: "quota" }, message);
    // by status alone, as an unmodeled error would come
    assert.deepEqual(classifyWriteError(Object.assign(new Error("x"), { $metadata: { httpStatusCode: 402 } })), { kind: "quota" });
  });

  it("with an arbitrary message is retried a bounded number of times, then fails naming the quotas and how to raise them", async () => {
    const r = await run("CopyImageSet", 1000);
    assert.ok(r.error, "it fails");
    assert.equal(r.sends(), QUOTA_RETRY.attempts, "exactly the bounded attempts");
    assert.equal(r.logs.length, QUOTA_RETRY.attempts - 1, "one log line per wait");
    const m = r.error.message;
    assert.match(
      m,
      /^CopyImageSet failed: ServiceQuotaExceededException: Something nobody documented happened \(ref 8f2c\)\./,
      "the service's own message first",
    );
    assert.match(m, /refused the request 4 times/);
    for (const q of [
      "concurrent CopyImageSet requests per data store (100)",
      "ImageFrames copied per CopyImageSet request (1,000)",
      "ImageSetMetadata size per CopyImageSet (50 MB)",
    ])
      assert.ok(m.includes(q), `names "${q}": ${m}`);
    assert.match(m, /endpoints-quotas\.html/);
    assert.match(m, /Service Quotas/);
  });

  it("a quota that frees up (two refusals) ends in the write, sent once more each time", async () => {
    const r = await run("CopyImageSet", 2);
    assert.equal(r.error, undefined);
    assert.equal(r.value, "made");
    assert.equal(r.sends(), 3);
  });

  it("names UpdateImageSetMetadata's and DeleteImageSet's own quotas", async () => {
    const update = await run("UpdateImageSetMetadata", 1000);
    for (const q of quotasFor("UpdateImageSetMetadata")) assert.ok(update.error?.message.includes(q), q);
    assert.match(
      update.error?.message ?? "",
      /concurrent UpdateImageSetMetadata requests per data store \(100\).*payload size \(10 KB\).*ImageSetMetadata size \(50 MB\)/s,
    );
    const del = await run("DeleteImageSet", 1000);
    assert.match(del.error?.message ?? "", /concurrent DeleteImageSet requests per data store \(100\)/);
    assert.ok(!/ImageFrames/.test(del.error?.message ?? ""), "not another operation's quotas");
  });

  it("stops within the time budget even when more attempts are allowed", async () => {
    Object.assign(QUOTA_RETRY, { attempts: 1000, firstWaitMs: 50, capWaitMs: 100, budgetMs: 400 });
    const r = await run("DeleteImageSet", 100_000);
    assert.ok(r.error);
    assert.ok(r.sends() < 20, `bounded by time: ${r.sends()} sends`);
    assert.ok(r.elapsed < 1_500, `${r.elapsed} ms`);
    assert.match(r.error.message, /concurrent DeleteImageSet requests per data store/);
  });

  it("never waits past the deadline: a wait that would cross it fails at once, naming the quotas", async () => {
    Object.assign(QUOTA_RETRY, { attempts: 5, firstWaitMs: 10_000, capWaitMs: 30_000, budgetMs: 60_000 });
    const r = await run("CopyImageSet", 1000, { deadlineMs: 2_000 });
    assert.equal(r.sends(), 1);
    assert.ok(r.elapsed < 1_000, `${r.elapsed} ms`);
    assert.match(r.error?.message ?? "", /refused the request 1 time .*concurrent CopyImageSet requests per data store/s);
  });

  it("the default bounds: a few attempts, and all their waits within about a minute", () => {
    assert.deepEqual(saved, { attempts: 5, firstWaitMs: 4_000, capWaitMs: 30_000, budgetMs: 60_000 });
    let worst = 0;
    for (let i = 0; i < saved.attempts - 1; i++) worst += Math.min(saved.capWaitMs, saved.firstWaitMs * 2 ** i);
    assert.ok(saved.attempts <= 5 && worst <= 60_000 && saved.budgetMs <= 60_000, `worst case ${worst} ms`);
  });
});
