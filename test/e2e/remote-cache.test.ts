// The shared remote cache (issue 15) end to end, against the real
// turborepo-remote-cache started by the test on 127.0.0.1.
import assert from "node:assert/strict";
import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildJson, cleanup, copyRecipe, flow, flowAsync, withStatus, writeProject } from "./support.js";
import { fakeServer, freePort, REMOTE_TOKEN, remoteEnv, startRemoteServer, type RemoteServer } from "./remote-support.js";

/** Three independent tasks and an aggregate, with content no other test shares (so no other test's artifacts match). */
function uniqueProject(tag: string, failing = false): string {
  const files: Record<string, string> = {
    Flowfile: `.PHONY: all\nall: out/a.txt out/b.txt out/c.txt\nout/%.txt: src/%.txt\n\t@mkdir -p $(@D)\n\t${failing ? "exit 3" : "cat $< > $@"}\n`,
  };
  for (const n of ["a", "b", "c"]) files[`src/${n}.txt`] = `${tag} ${n} ${process.pid} ${Date.now()}\n`;
  return writeProject(files);
}

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

  test("flow cache warm uploads what the remote lacks; a second run uploads nothing and says so; read-only uploads nothing; only a failed build fails it", async () => {
    const dir = uniqueProject("warm");
    const ro = uniqueProject("warm-ro");
    const failing = uniqueProject("warm-fail", true);
    try {
      const env = remoteEnv(server.url);
      const first = flow(["cache", "warm"], { cwd: dir, env });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /flow cache warm: 3 tasks: 0 found in the remote cache, 3 uploaded, 0 could not be uploaded\n/);
      const second = flow(["cache", "warm"], { cwd: dir, env });
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /flow cache warm: 3 tasks: 3 found in the remote cache, 0 uploaded, 0 could not be uploaded; the remote cache already had everything, nothing uploaded/);
      // A fresh checkout now restores all three.
      const fresh = writeProject({ Flowfile: readFileSync(join(dir, "Flowfile"), "utf8"), ...Object.fromEntries(["a", "b", "c"].map((n) => [`src/${n}.txt`, readFileSync(join(dir, `src/${n}.txt`), "utf8")])) });
      try {
        assert.deepEqual(withStatus(buildJson([], { cwd: fresh, env }).summary, "restored"), ["out/a.txt", "out/b.txt", "out/c.txt"]);
      } finally {
        cleanup(fresh);
      }

      const count = server.artifacts().size;
      const readOnly = flow(["cache", "warm", "--remote-read-only"], { cwd: ro, env });
      assert.equal(readOnly.code, 0, readOnly.stderr);
      assert.match(readOnly.stdout, /0 uploaded, 3 could not be uploaded \(read-only: nothing is uploaded\)/);
      assert.equal(server.artifacts().size, count, "read-only uploaded nothing");

      const down = flow(["cache", "warm", "--force"], { cwd: ro, env: remoteEnv(`http://127.0.0.1:${await freePort()}`) });
      assert.equal(down.code, 0, "a server that is down does not fail warm");
      assert.match(down.stdout, /0 uploaded, 3 could not be uploaded/);

      assert.equal(flow(["cache", "warm"], { cwd: failing, env }).code, 1, "a failed build does");
      assert.equal(flow(["cache", "warm", "--no-remote"], { cwd: dir, env }).code, 2, "no remote: a usage error");
    } finally {
      cleanup(dir);
      cleanup(ro);
      cleanup(failing);
    }
  });

  test("flow status marks the stale tasks whose results the remote cache has (one HEAD each)", () => {
    const a = uniqueProject("status");
    try {
      const env = remoteEnv(server.url);
      const b = writeProject(Object.fromEntries(["Flowfile", "src/a.txt", "src/b.txt", "src/c.txt"].map((p) => [p, readFileSync(join(a, p), "utf8")])));
      try {
        const before = flow(["status"], { cwd: b, env });
        assert.match(before.stdout, /3 stale \(0 in the remote cache\)/);
        assert.equal(buildJson([], { cwd: a, env }).code, 0);
        const after = flow(["status"], { cwd: b, env });
        assert.equal(after.code, 1, "something would still be done");
        assert.match(after.stdout, /3 stale \(3 in the remote cache\)/);
        assert.equal((after.stdout.match(/in the remote cache: a build restores it/g) ?? []).length, 3);
        const plan = JSON.parse(flow(["status", "--plan", "json"], { cwd: b, env }).stdout) as { tasks: { name: string; remote?: boolean }[] };
        assert.deepEqual(plan.tasks.filter((t) => t.remote === true).map((t) => t.name).sort(), ["out/a.txt", "out/b.txt", "out/c.txt"]);
        assert.doesNotMatch(flow(["status", "--no-remote"], { cwd: b, env }).stdout, /remote/);
      } finally {
        cleanup(b);
      }
    } finally {
      cleanup(a);
    }
  });
});

describe("remote cache, the end of a build", () => {
  test("uploads still running at the end are waited for at most FLOW_REMOTE_FLUSH_TIMEOUT_MS, then counted as abandoned; exit 0", async () => {
    // Lookups miss; uploads are accepted and never answered.
    const server = await fakeServer((req, res) => (req.method === "PUT" ? req.resume() : res.writeHead(404).end()));
    const dir = uniqueProject("flush");
    try {
      const env = remoteEnv(server.url, { FLOW_REMOTE_TIMEOUT_MS: "120000", FLOW_REMOTE_FLUSH_TIMEOUT_MS: "1000" });
      const r = await flowAsync(["build", "-j", "1"], { cwd: dir, env }).done;
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /flow: waiting up to 1s for [1-3] uploads? to the remote cache/);
      assert.match(r.stdout, /warning REMOTE_UPLOAD_FAILED: 3 uploads to the remote cache abandoned: they did not finish within 1s \(FLOW_REMOTE_FLUSH_TIMEOUT_MS\)/);
      assert.match(r.stdout, /remote cache http:\/\/127\.0\.0\.1:\d+: 0 restored, 0 uploaded, 3 uploads unfinished/);
    } finally {
      await server.close();
      cleanup(dir);
    }
  });

  test("Ctrl-C while the build waits for its uploads abandons them at once: exit 130", async () => {
    const server = await fakeServer((req, res) => (req.method === "PUT" ? req.resume() : res.writeHead(404).end()));
    const dir = uniqueProject("flush-sigint");
    try {
      const env = remoteEnv(server.url, { FLOW_REMOTE_TIMEOUT_MS: "120000", FLOW_REMOTE_FLUSH_TIMEOUT_MS: "120000" });
      const run = flowAsync(["build", "-j", "1"], { cwd: dir, env });
      let out = "";
      run.child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      while (!/waiting up to 120s/.test(out)) await new Promise((r) => setTimeout(r, 20));
      run.child.kill("SIGINT");
      const r = await run.done;
      assert.equal(r.code, 130, r.stdout + r.stderr);
      assert.match(r.stdout, /REMOTE_UPLOAD_FAILED: 3 uploads to the remote cache abandoned: the build was interrupted/);
      assert.equal(flow(["build", "--no-wait"], { cwd: dir }).code, 0, "the lock was released and the local cache closed");
    } finally {
      await server.close();
      cleanup(dir);
    }
  });
});
