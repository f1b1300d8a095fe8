// RELIABILITY 34: a failing upload never fails the build.
//
// Waits for the remote cache (issue 15), which does not exist yet. When it
// does, this test will check:
// Uploads rejected (500, connection reset mid-body): the build still exits 0 with
// its outputs and local cache entries intact; the failure is a warning.
import { test } from "node:test";

test("RELIABILITY 34: a failing upload never fails the build", { skip: "waits for the remote cache (issue 15)" }, () => {
  // Intentionally empty until the remote cache exists: see the comment above.
});
