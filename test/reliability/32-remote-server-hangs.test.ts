// RELIABILITY 32: a server that accepts but never answers costs a bounded time.
//
// Waits for the remote cache (issue 15), which does not exist yet. When it
// does, this test will check:
// A server on 127.0.0.1 that accepts connections and never answers: each request
// times out, and after a few timeouts a circuit breaker stops asking, so the time
// lost is bounded for the whole build, not per task. Asserted by counting the
// requests the server received (no timing assertion).
import { test } from "node:test";

test("RELIABILITY 32: a server that accepts but never answers costs a bounded time", { skip: "waits for the remote cache (issue 15)" }, () => {
  // Intentionally empty until the remote cache exists: see the comment above.
});
