// RELIABILITY 31: the remote cache server is down: one warning, a local build, exit 0.
//
// Waits for the remote cache (issue 15), which does not exist yet. When it
// does, this test will check:
// The remote cache's server refuses connections (a closed port on 127.0.0.1):
// one warning for the whole build (not one per task), every task builds locally,
// exit 0.
import { test } from "node:test";

test("RELIABILITY 31: the remote cache server is down: one warning, a local build, exit 0", { skip: "waits for the remote cache (issue 15)" }, () => {
  // Intentionally empty until the remote cache exists: see the comment above.
});
