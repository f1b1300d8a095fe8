// RELIABILITY 23: a tampered remote artifact is a miss.
//
// Waits for the remote cache (issue 15), which does not exist yet. When it
// does, this test will check:
// A remote artifact whose bytes were flipped, or whose body is another key's, is
// a miss: its signature and its content hashes are checked before anything is
// written; the task runs (or is restored from the local cache), the build succeeds,
// and nothing of the bad artifact reaches the workspace or the local cache.
import { test } from "node:test";

test("RELIABILITY 23: a tampered remote artifact is a miss", { skip: "waits for the remote cache (issue 15)" }, () => {
  // Intentionally empty until the remote cache exists: see the comment above.
});
