// RELIABILITY 33: 500s, 429s and truncated bodies are misses with bounded retries.
//
// A server answering every lookup with 500, with 429 (Retry-After: 0), or
// with a body cut short: each lookup is tried 3 times, then is a miss; after
// three such lookups in a row the breaker opens and the rest of the build
// asks nothing more (counted at the server, -j 1 so the count is exact),
// even though this server's uploads succeed (failures are counted per kind
// of request). The build goes on and succeeds.
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import { test } from "node:test";
import { cleanup, flowAsync } from "../e2e/support.js";
import { fakeServer, remoteEnv } from "../e2e/remote-support.js";
import { manyTasks, outputs } from "./support.js";

const ANSWERS: Record<string, (res: ServerResponse) => void> = {
  "500": (res) => res.writeHead(500).end("internal error"),
  "429": (res) => res.writeHead(429, { "retry-after": "0" }).end(),
  "a truncated body": (res) => {
    res.writeHead(200, { "content-length": "65536", "content-type": "application/octet-stream" });
    res.write(Buffer.from("FLOWART\x01R"));
    setImmediate(() => res.destroy());
  },
};

for (const [name, answer] of Object.entries(ANSWERS)) {
  test(`RELIABILITY 33: ${name}: a miss after 3 tries, the breaker after 3 such lookups, the build succeeds`, async () => {
    const dir = manyTasks(5);
    const server = await fakeServer((req, res) => (req.method === "GET" ? answer(res) : res.writeHead(200).end("{}")));
    try {
      const r = await flowAsync(["build", "-j", "1"], { cwd: dir, env: remoteEnv(server.url) }).done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(Object.keys(outputs(dir)).length, 5);
      const gets = server.requests.filter((q) => q.startsWith("GET "));
      assert.equal(gets.length, 9, `3 lookups x 3 tries, then none: ${gets.join(", ")}`);
      assert.equal(new Set(gets).size, 3);
      // Only the two tasks that ran before the breaker opened may have uploaded (this server takes uploads).
      assert.ok(server.requests.filter((q) => q.startsWith("PUT ")).length <= 2, server.requests.join(", "));
      assert.match(r.stdout, /warning REMOTE_LOOKUP_FAILED: could not look up key [0-9a-f]{32} in the remote cache: .*\(3 attempts\); treated as a miss/);
      assert.match(r.stdout, /warning REMOTE_UNAVAILABLE/);
    } finally {
      await server.close();
      cleanup(dir);
    }
  });
}
