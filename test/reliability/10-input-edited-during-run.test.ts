// RELIABILITY 10: an input edited while its task runs: the result is not cached.
//
// The edit here is undone before the recipe ends, so the input's content at
// the end equals its content at the start: only its identity (mtime, ctime)
// tells that it changed. The recipe and the test take turns through marker
// files, so the interleaving is exact on any machine, however loaded.
import assert from "node:assert/strict";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, flow, flowAsync, read, withStatus, writeProject } from "../e2e/support.js";

const FLOWFILE = [
  "out: in",
  // Wait for the test's edit, copy the (edited) input, then wait until the edit is undone.
  "\ttouch started; while [ ! -f go1 ]; do sleep 0.02; done",
  "\tcat in > out; touch copied",
  "\twhile [ ! -f go2 ]; do sleep 0.02; done",
  "",
].join("\n");

async function until(path: string, what: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!existsSync(path)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test("RELIABILITY 10: an input edited and reverted while its task runs is not cached", async () => {
  const dir = writeProject({ Flowfile: FLOWFILE, in: "OLD\n" });
  try {
    const run = flowAsync(["build", "--json", "out"], { cwd: dir });
    await until(join(dir, "started"), "the recipe to start");
    writeFileSync(join(dir, "in"), "NEW\n");
    writeFileSync(join(dir, "go1"), "");
    await until(join(dir, "copied"), "the recipe to copy its input");
    writeFileSync(join(dir, "in"), "OLD\n"); // same size, same content as at the start
    writeFileSync(join(dir, "go2"), "");
    const first = await run.done;
    assert.equal(first.code, 0, first.stderr);
    assert.equal(read(dir, "out"), "NEW\n", "the recipe saw the edit");
    assert.match(first.stderr, /INPUT_CHANGED_DURING_RUN/);
    assert.match(first.stderr, /'in' changed while 'out' ran/);

    // Nothing was filed under the key of OLD: the plan and the build both rerun it
    // (the markers stay, so the recipe now runs straight through).
    const status = flow(["status", "out"], { cwd: dir });
    assert.equal(status.code, 1, `status must not call 'out' fresh:\n${status.stdout}${status.stderr}`);
    const second = buildJson(["out"], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(withStatus(second.summary, "ran"), ["out"]);
    assert.equal(read(dir, "out"), "OLD\n");

    // And the cache holds only the clean result: a removed output comes back as OLD.
    rmSync(join(dir, "out"));
    const third = buildJson(["out"], { cwd: dir });
    assert.equal(third.code, 0, third.stderr);
    assert.deepEqual(withStatus(third.summary, "restored"), ["out"]);
    assert.equal(read(dir, "out"), "OLD\n");
  } finally {
    cleanup(dir);
  }
});
