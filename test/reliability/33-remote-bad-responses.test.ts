// RELIABILITY 33: 500s, 429s and truncated bodies are misses with bounded retries.
//
// Waits for the remote cache (issue 15), which does not exist yet. When it
// does, this test will check:
// A server answering 500, 429 (with Retry-After) or a truncated body: each is a
// miss, retried a bounded number of times (counted at the server), and the build
// goes on and succeeds.
import { test } from "node:test";

test("RELIABILITY 33: 500s, 429s and truncated bodies are misses with bounded retries", { skip: "waits for the remote cache (issue 15)" }, () => {
  // Intentionally empty until the remote cache exists: see the comment above.
});
