// The shared remote cache (issue 15) end to end, against the real
// turborepo-remote-cache started by the test on 127.0.0.1.
import assert from "node:assert/strict";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildJson, cleanup, copyRecipe, flow, withStatus } from "./support.js";
import { REMOTE_TOKEN, remoteEnv, startRemoteServer, type RemoteServer } from "./remote-support.js";

/** Every regular file under `dir`, relative path -> bytes (the project's outputs and sources). */
function files(dir: string, under: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const p = join(rel, name);
      const st = lstatSync(join(dir, p));
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.set(p, readFileSync(join(dir, p)));
    }
  };
  walk(under);
  return out;
}

/** Every file of a directory tree (cache, logs) that contains `needle`. */
function filesContaining(dir: string, needle: string): string[] {
  return [...files(dir, ".")].filter(([, bytes]) => bytes.includes(needle)).map(([p]) => p);
}

describe("remote cache, end to end", () => {
  let server: RemoteServer;
  before(async () => {
    server = await startRemoteServer();
  });
  after(() => server.stop());

  test("a fresh checkout at another path, with an empty local cache, restores every task from the remote: none runs, outputs byte-identical, the same keys", () => {
    const first = copyRecipe("c-project");
    const second = copyRecipe("c-project");
    try {
      assert.notEqual(first, second);
      const env = remoteEnv(server.url);
      const built = buildJson([], { cwd: first, env });
      assert.equal(built.code, 0, built.stderr);
      const ran = withStatus(built.summary, "ran");
      assert.ok(ran.length >= 4, `the first build runs the tasks: ${ran.join(", ")}`);
      assert.equal(server.artifacts().size, ran.length, "one artifact per task that ran");

      const restored = buildJson([], { cwd: second, env });
      assert.equal(restored.code, 0, restored.stderr);
      assert.deepEqual(withStatus(restored.summary, "ran"), [], "nothing runs in the fresh checkout");
      assert.deepEqual(withStatus(restored.summary, "restored"), ran, "every task that ran there is restored here");
      // Portable keys: no absolute path, host, user or time in any key.
      const keys = (s: typeof built.summary) => Object.fromEntries(s.tasks.map((t) => [t.name, t.key]));
      assert.deepEqual(keys(restored.summary), keys(built.summary));
      const a = files(first, "build");
      const b = files(second, "build");
      assert.deepEqual([...b.keys()], [...a.keys()]);
      for (const [p, bytes] of a) assert.ok(bytes.equals(b.get(p) as Buffer), `${p} is byte-identical`);
      assert.equal((restored.summary as unknown as { remote: { hits: number } }).remote.hits, ran.length);
      // The restored tree is a normal local cache now: a third build does nothing and asks nothing.
      const again = buildJson([], { cwd: second, env });
      assert.deepEqual(withStatus(again.summary, "ran"), []);
      assert.deepEqual(withStatus(again.summary, "restored"), []);
    } finally {
      cleanup(first);
      cleanup(second);
    }
  });

  test("the token never appears in output, --json, logs or the cache; not even from a URL that carries it", () => {
    const dir = copyRecipe("c-project");
    try {
      const env = remoteEnv(server.url);
      const runs = [
        flow(["build", "--json"], { cwd: dir, env }),
        flow(["build", "-v"], { cwd: dir, env }),
        flow(["status"], { cwd: dir, env }),
        // A URL with the token as its password, to a closed port: the warning names the server without it.
        flow(["build", "--force"], { cwd: dir, env: { ...env, FLOW_REMOTE_URL: `http://user:${REMOTE_TOKEN}@127.0.0.1:9/?token=${REMOTE_TOKEN}` } }),
      ];
      for (const r of runs) {
        assert.ok(!r.stdout.includes(REMOTE_TOKEN) && !r.stderr.includes(REMOTE_TOKEN), `${r.stdout}\n${r.stderr}`);
      }
      assert.match(runs[3]?.stdout ?? "", /remote cache http:\/\/127\.0\.0\.1:9: .*unavailable/);
      assert.deepEqual(filesContaining(dir, REMOTE_TOKEN), []);
    } finally {
      cleanup(dir);
    }
  });

  test("read-only mode restores but uploads nothing", () => {
    const dir = copyRecipe("c-project");
    const before = server.artifacts().size;
    try {
      for (const env of [remoteEnv(server.url, { FLOW_REMOTE_READ_ONLY: "1" }), remoteEnv(server.url)]) {
        const r = flow(["build", "--force", ...(env.FLOW_REMOTE_READ_ONLY ? [] : ["--remote-read-only"]), "CFLAGS=-O1"], { cwd: dir, env });
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, /read-only: nothing uploaded/);
      }
      assert.equal(server.artifacts().size, before, "no artifact was added");
    } finally {
      cleanup(dir);
    }
  });
});
