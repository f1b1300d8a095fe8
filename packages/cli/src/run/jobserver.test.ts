import assert from "node:assert/strict";
import { closeSync, constants, openSync, readSync, writeSync } from "node:fs";
import { test } from "node:test";
import { Jobserver, JobserverRunner, makeflagsJobs, parseJobserverAuth } from "./jobserver.js";
import { formatMakeflags, makeflagsOverrides } from "./sub-make.js";

/** The tokens in the pipe right now, counted without taking them (read, then written back). */
function tokensIn(js: Jobserver): number {
  const fd = openSync(`/proc/self/fd/${js.childFds[0]}`, constants.O_RDONLY | constants.O_NONBLOCK);
  const buf = Buffer.alloc(64);
  let n = 0;
  try {
    n = readSync(fd, buf, 0, 64, null);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
  } finally {
    closeSync(fd);
  }
  if (n > 0) {
    const w = openSync(`/proc/self/fd/${js.childFds[1]}`, constants.O_WRONLY);
    try {
      // Written back through a descriptor of our own, so the pool is as it was.
      writeSync(w, buf.subarray(0, n));
    } finally {
      closeSync(w);
    }
  }
  return n;
}

test("a served jobserver starts with N-1 tokens; a slot beyond the implicit one takes one, and gives it back", async () => {
  const js = Jobserver.serve(3);
  assert.ok(js !== undefined);
  try {
    assert.equal(tokensIn(js), 2);
    const ac = new AbortController();
    const a = await js.acquire(ac.signal);
    assert.deepEqual(a, { token: undefined }, "the first slot is the implicit one");
    const b = await js.acquire(ac.signal);
    const c = await js.acquire(ac.signal);
    assert.ok(b?.token !== undefined && c?.token !== undefined);
    assert.equal(tokensIn(js), 0);
    js.release(b);
    assert.equal(tokensIn(js), 1);
    js.release(c);
    js.release(a as { token: undefined });
    assert.equal(tokensIn(js), 2);
  } finally {
    js.close();
  }
});

test("a wait for a token ends when one is written back, and ends empty-handed on abort", async () => {
  const js = Jobserver.serve(2);
  assert.ok(js !== undefined);
  try {
    const ac = new AbortController();
    const implicit = await js.acquire(ac.signal);
    const t1 = await js.acquire(ac.signal);
    assert.ok(t1?.token !== undefined);
    let got: unknown = "pending" as unknown;
    const waiting = js.acquire(ac.signal).then((s) => (got = s));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(got, "pending", "no token left: it waits");
    js.release(t1);
    await waiting;
    assert.ok((got as { token?: number }).token !== undefined, "it got the token given back");
    js.release(got as unknown as { token: number });
    js.release(implicit as { token: undefined });
    // Both slots busy again, then a waiter aborted (Ctrl-C): it gets nothing and takes nothing.
    const a = await js.acquire(ac.signal);
    const b = await js.acquire(ac.signal);
    const aborted = js.acquire(ac.signal);
    ac.abort();
    assert.equal(await aborted, undefined);
    js.release(b as { token: number });
    js.release(a as { token: undefined });
    assert.equal(tokensIn(js), 1);
  } finally {
    js.close();
  }
});

test("close writes back tokens still held (a build that stops with recipes running)", async () => {
  const js = Jobserver.serve(3);
  assert.ok(js !== undefined);
  const r = openSync(`/proc/self/fd/${js.childFds[0]}`, constants.O_RDWR);
  try {
    const ac = new AbortController();
    await js.acquire(ac.signal);
    await js.acquire(ac.signal);
    await js.acquire(ac.signal);
    js.close();
    const buf = Buffer.alloc(8);
    const n = readSync(r, buf, 0, 8, null);
    assert.equal(n, 2, "both tokens are back in the pipe");
  } finally {
    closeSync(r);
  }
});

test("a recipe that fails gives its token back (JobserverRunner)", { timeout: 30_000 }, async () => {
  const js = Jobserver.serve(2);
  assert.ok(js !== undefined);
  try {
    let running = 0;
    let most = 0;
    const inner = {
      run: async () => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 20));
        running--;
        return { exitCode: 1, signal: null, timedOut: false, interrupted: false };
      },
    };
    const runner = new JobserverRunner(inner, () => js);
    const ac = new AbortController();
    const req = { taskName: "t", script: "false", cwd: "/", env: {}, logPath: "/dev/null", signal: ac.signal };
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => runner.run(req)));
    assert.ok(results.every((r) => r.exitCode === 1));
    assert.equal(most, 2, "two at once: the implicit slot and the one token");
    assert.equal(tokensIn(js), 1, "the token is back after the failures");
  } finally {
    js.close();
  }
});

test("MAKEFLAGS: the jobserver and -j are read; make's own format is written", () => {
  assert.deepEqual(parseJobserverAuth("k -j2 --jobserver-auth=3,4 -- Y=a\\ b X=1"), { kind: "fds", read: 3, write: 4 });
  assert.deepEqual(parseJobserverAuth(" -j8 --jobserver-fds=5,6"), { kind: "fds", read: 5, write: 6 });
  assert.deepEqual(parseJobserverAuth("-j4 --jobserver-auth=fifo:/tmp/GMfifo1"), { kind: "fifo", path: "/tmp/GMfifo1" });
  assert.equal(parseJobserverAuth("k -- X=--jobserver-auth=3,4"), undefined, "a variable's value is not an option");
  assert.equal(parseJobserverAuth(undefined), undefined);
  assert.equal(makeflagsJobs("k -j2 --jobserver-auth=3,4"), 2);
  // As GNU make 4.3 writes it for `make -k -j2 X=1 "Y=a b"`.
  assert.equal(formatMakeflags({ letters: "k", jobserverWords: "-j2 --jobserver-auth=3,4", overrides: new Map([["X", "1"], ["Y", "a b"]]) }), "k -j2 --jobserver-auth=3,4 -- Y=a\\ b X=1");
  assert.equal(formatMakeflags({ letters: "", jobserverWords: "-j2 --jobserver-auth=3,4", overrides: new Map() }), " -j2 --jobserver-auth=3,4");
  assert.equal(formatMakeflags({ letters: "", overrides: new Map() }), "");
  // Letters from the command line and from the MAKEFLAGS above, in make's order.
  assert.equal(formatMakeflags({ letters: ["s", "R", "k", "r"], overrides: new Map() }), "krRs");
  assert.deepEqual([...makeflagsOverrides("k -j2 --jobserver-auth=3,4 -- Y=a\\ b X=1")], [["X", "1"], ["Y", "a b"]]);
});
