// RELIABILITY 32: a server that accepts but never answers costs a bounded time.
//
// A server on 127.0.0.1 that accepts connections and never answers: each
// request times out (FLOW_REMOTE_TIMEOUT_MS, 1 s here), and the first timeout
// opens the circuit breaker, so later lookups and uploads never reach it.
// Asserted by counting the requests the server received: at most the few in
// flight when the breaker opened, not one per task. The time added is
// printed; the bound asserted on it is generous.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cleanup, flowAsync } from "../e2e/support.js";
import { fakeServer, remoteEnv } from "../e2e/remote-support.js";
import { manyTasks, outputs } from "./support.js";

test("RELIABILITY 32: a server that accepts but never answers costs a bounded time", async () => {
  const tasks = 20;
  const local = manyTasks(tasks);
  const dir = manyTasks(tasks);
  const hung = await fakeServer(() => undefined);
  try {
    const t0 = Date.now();
    assert.equal((await flowAsync(["build", "-j", "2"], { cwd: local }).done).code, 0);
    const localMs = Date.now() - t0;

    const t1 = Date.now();
    const r = await flowAsync(["build", "-j", "2"], { cwd: dir, env: remoteEnv(hung.url, { FLOW_REMOTE_TIMEOUT_MS: "1000" }) }).done;
    const remoteMs = Date.now() - t1;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(Object.keys(outputs(dir)).length, tasks);
    assert.ok(hung.requests.length <= 2, `only the lookups in flight when the breaker opened (-j 2): ${hung.requests.join(", ")}`);
    const warnings = r.stdout.split("\n").filter((l) => l.includes("warning"));
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0] as string, /REMOTE_UNAVAILABLE: the remote cache is unavailable: http:\/\/127\.0\.0\.1:\d+ did not answer within 1000 ms/);
    console.log(`# hung server: ${remoteMs} ms with it, ${localMs} ms without (added ${remoteMs - localMs} ms for ${tasks} tasks; ${hung.requests.length} requests reached it)`);
    assert.ok(remoteMs - localMs < 30_000, "a generous bound: about one timeout, not one per task");
  } finally {
    await hung.close();
    cleanup(local);
    cleanup(dir);
  }
});
