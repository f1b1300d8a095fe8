// RELIABILITY 34: a failing upload never fails the build.
//
// Uploads rejected with 500, or cut off by a reset connection in the middle
// of the body: the build still exits 0 with its outputs, its local cache
// entries are intact (the next build, remote off, does nothing), and the
// failure is one warning plus a count in the summary, not an error.
import assert from "node:assert/strict";
import type { IncomingMessage, ServerResponse } from "node:http";
import { test } from "node:test";
import { buildJson, cleanup, flowAsync, withStatus } from "../e2e/support.js";
import { fakeServer, remoteEnv } from "../e2e/remote-support.js";
import { manyTasks, outputs } from "./support.js";

const UPLOADS: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  "500": (_req, res) => res.writeHead(500).end(),
  "a reset mid-body": (req) => req.once("data", () => req.socket.destroy()),
};

for (const [name, answer] of Object.entries(UPLOADS)) {
  test(`RELIABILITY 34: uploads that fail (${name}) never fail the build`, async () => {
    const dir = manyTasks(3);
    const server = await fakeServer((req, res) => (req.method === "PUT" ? answer(req, res) : res.writeHead(404).end()));
    try {
      const r = await flowAsync(["build", "-j", "1"], { cwd: dir, env: remoteEnv(server.url) }).done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(Object.keys(outputs(dir)).length, 3);
      assert.ok(server.requests.some((q) => q.startsWith("PUT ")), "uploads were tried");
      const failed = r.stdout.split("\n").filter((l) => l.includes("REMOTE_UPLOAD_FAILED"));
      assert.equal(failed.length, 1, r.stdout);
      assert.match(r.stdout, /remote cache http:\/\/127\.0\.0\.1:\d+: 0 restored, 0 uploaded, 3 uploads failed/);
      const again = buildJson([], { cwd: dir });
      assert.equal(again.code, 0);
      assert.deepEqual(withStatus(again.summary, "ran"), [], "the local cache holds every entry");
    } finally {
      await server.close();
      cleanup(dir);
    }
  });
}
