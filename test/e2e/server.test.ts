// `flow server start|stop|status` and `flow build --watch`, run as a user
// would. Every server started here is stopped in `finally`.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cleanup, flow, flowAsync, read, tempDir, writeProject } from "./support.js";

async function until(cond: () => boolean, what: () => string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test("flow server start, status, stop: one server per root, found with -C, and the exit codes say whether one runs", () => {
  const dir = writeProject({ Flowfile: "all:\n\ttrue\n" });
  const elsewhere = tempDir();
  try {
    const started = flow(["server", "start", "-C", dir], { cwd: elsewhere });
    assert.equal(started.code, 0, started.stderr);
    assert.match(started.stdout, /server started for .* \(pid [0-9]+\)/);
    const again = flow(["server", "start"], { cwd: dir });
    assert.equal(again.code, 0);
    assert.match(again.stdout, /already runs/);
    writeFileSync(join(dir, "a.txt"), "x");
    const status = flow(["server", "status", "-C", dir], { cwd: elsewhere });
    assert.equal(status.code, 0, status.stderr);
    for (const label of ["pid", "uptime", "sequence", "events", "losses", "errors"]) assert.match(status.stdout, new RegExp(`^  ${label} `, "m"));
    const json = JSON.parse(flow(["server", "status", "--json"], { cwd: dir }).stdout) as { running: boolean; root: string; pid: number };
    assert.equal(json.running, true);
    assert.equal(json.root, dir);
    const stopped = flow(["server", "stop", "-C", dir], { cwd: elsewhere });
    assert.equal(stopped.code, 0);
    assert.match(stopped.stdout, new RegExp(`server stopped \\(pid ${json.pid}\\)`));
    const none = flow(["server", "status", "-C", dir], { cwd: elsewhere });
    assert.equal(none.code, 1);
    assert.match(none.stdout, /no server runs/);
    assert.equal(flow(["server", "stop", "-C", dir], { cwd: elsewhere }).code, 0);
    assert.equal(flow(["server", "status"], { cwd: elsewhere }).code, 2, "no Flowfile: a usage error");
  } finally {
    flow(["server", "stop", "-C", dir], { cwd: dir });
    cleanup(dir);
    cleanup(elsewhere);
  }
});

test("flow build --watch rebuilds after an edit, a change during a build queues one more build, its own outputs do not loop, Ctrl-C exits 130", async () => {
  // The recipe copies, then sleeps: an edit lands while it runs, after the copy.
  const dir = writeProject({ Flowfile: "out.txt: in.txt\n\tcp in.txt out.txt\n\tsleep 1\n", "in.txt": "v1\n" });
  const run = flowAsync(["build", "--watch"], { cwd: dir });
  let out = "";
  run.child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const rounds = () => out.split("\n").filter((l) => l.startsWith("flow: ") && l.includes("changed; building again")).length;
  const outTxt = () => {
    try {
      return read(dir, "out.txt");
    } catch {
      return "";
    }
  };
  try {
    await until(() => outTxt() === "v1\n" && out.includes("watching"), () => out);
    writeFileSync(join(dir, "in.txt"), "v2\n");
    // While the v2 build sleeps, v3: one more build must follow and end with v3.
    await until(() => rounds() >= 1, () => out);
    await new Promise((r) => setTimeout(r, 300));
    writeFileSync(join(dir, "in.txt"), "v3\n");
    await until(() => outTxt() === "v3\n", () => `out.txt is ${JSON.stringify(outTxt())}\n${out}`);
    // Quiet again: the rebuilds' own writes (out.txt) bring at most one no-op round each, then it waits.
    await until(() => out.trimEnd().endsWith("(Ctrl-C to stop)"), () => out);
    const settled = rounds();
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(rounds(), settled, `no build started without a change:\n${out}`);
    assert.ok(settled <= 4, `one edit, one edit during a build and their outputs: ${settled} rounds\n${out}`);
    run.child.kill("SIGINT");
    const r = await run.done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stdout, /stopped watching/);
  } finally {
    run.child.kill("SIGKILL");
    cleanup(dir);
  }
});
