// RELIABILITY 31: the remote cache server is down: one warning, a local build, exit 0.
//
// A closed port on 127.0.0.1 (connections refused): one REMOTE_UNAVAILABLE
// for the whole build, not one per task; every task builds locally; exit 0.
// And the real server killed in the middle of a build: the build finishes
// locally, exit 0, with at most one warning about it; the time it added is
// printed (the bound asserted is generous: the machine is shared).
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, flowAsync, withStatus, writeProject } from "../e2e/support.js";
import { freePort, remoteEnv, startRemoteServer } from "../e2e/remote-support.js";
import { manyTasks, outputs } from "./support.js";

test("RELIABILITY 31: the remote cache server is down: one warning, a local build, exit 0", async () => {
  const dir = manyTasks(8);
  try {
    const port = await freePort();
    const r = buildJson(["-j", "4"], { cwd: dir, env: remoteEnv(`http://127.0.0.1:${port}`) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(withStatus(r.summary, "ran").length, 8);
    assert.equal(Object.keys(outputs(dir)).length, 8);
    const warnings = r.stderr.split("\n").filter((l) => l.includes("warning"));
    assert.equal(warnings.length, 1, warnings.join("\n"));
    assert.match(warnings[0] as string, /warning REMOTE_UNAVAILABLE: the remote cache is unavailable: http:\/\/127\.0\.0\.1:\d+ is unreachable \(ECONNREFUSED\); building without it for the rest of this run/);
  } finally {
    cleanup(dir);
  }
});

test("RELIABILITY 31: the server killed in the middle of a build: the build finishes locally, exit 0", async () => {
  const n = 6;
  const rules = Array.from({ length: n }, (_, i) => `out/s${i}.txt:${i > 0 ? ` out/s${i - 1}.txt` : ""}\n\t@mkdir -p out\n\tsleep 0.3\n\techo step ${i} > $@\n`);
  const files = { Flowfile: `all: out/s${n - 1}.txt\n.PHONY: all\n${rules.join("")}` };
  const local = writeProject(files);
  const dir = writeProject(files);
  const server = await startRemoteServer();
  try {
    const t0 = Date.now();
    const base = flowAsync(["build", "--json"], { cwd: local });
    assert.equal((await base.done).code, 0);
    const localMs = Date.now() - t0;

    const t1 = Date.now();
    const run = flowAsync(["build", "--json"], { cwd: dir, env: remoteEnv(server.url) });
    // Killed once the first task's output is there (its upload may be in flight).
    while (!existsSync(join(dir, "out/s0.txt"))) await new Promise((r) => setTimeout(r, 20));
    server.child.kill("SIGKILL");
    const r = await run.done;
    const remoteMs = Date.now() - t1;
    assert.equal(r.code, 0, r.stderr);
    const summary = JSON.parse(r.stdout) as { tasks: { name: string; status: string }[] };
    assert.equal(summary.tasks.filter((t) => t.status === "ran").length, n);
    assert.equal(existsSync(join(dir, `out/s${n - 1}.txt`)), true);
    const warnings = r.stderr.split("\n").filter((l) => l.includes("warning REMOTE_"));
    assert.ok(warnings.length <= 2, warnings.join("\n"));
    assert.ok(warnings.some((w) => /REMOTE_UNAVAILABLE/.test(w)), r.stderr);
    console.log(`# server killed mid-build: ${remoteMs} ms with the remote, ${localMs} ms without (added ${remoteMs - localMs} ms)`);
    assert.ok(remoteMs - localMs < 30_000, "a generous bound: the outage costs seconds, not a timeout per task");
  } finally {
    await server.stop();
    cleanup(local);
    cleanup(dir);
  }
});
