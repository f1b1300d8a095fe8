// RELIABILITY 01: SIGINT at any moment exits 130 with a message. The run
// during a build (forwarded to the task groups, partial outputs removed,
// nothing cached, the next build reruns exactly those) is covered by
// test/e2e/interrupt.test.ts; this adds the moment before any task starts:
// while the Flowfile is being read.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildJson, cleanup, flowAsync, withStatus, writeProject } from "../e2e/support.js";

test("RELIABILITY 01: SIGINT while the Flowfile is read: a message, exit 130, nothing run, lock free", async () => {
  const dir = writeProject({
    // $(shell) runs while the Flowfile is read: `loading` says flow got there;
    // the loop holds it there until the test writes `go` (30 s at most). flow
    // runs $(shell) synchronously, so it handles the SIGINT once the shell
    // returns: the test writes `go` right after the kill (the signal is
    // pending in flow by then), instead of waiting out a fixed sleep (35 s).
    Flowfile: [
      "X := $(shell touch loading; i=0; while [ ! -f go ] && [ $$i -lt 600 ]; do sleep 0.05; i=$$((i+1)); done)",
      "out.txt:",
      "\techo built > $@",
      "",
    ].join("\n"),
  });
  try {
    const { child, done } = flowAsync(["build"], { cwd: dir });
    for (let i = 0; i < 600 && !existsSync(join(dir, "loading")); i++) await sleep(50);
    assert.ok(existsSync(join(dir, "loading")), "flow started reading the Flowfile");
    child.kill("SIGINT");
    writeProject({ go: "" }, dir);
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /flow: interrupted before any task started; nothing was run/);
    assert.equal(existsSync(join(dir, "out.txt")), false);
    assert.equal(existsSync(join(dir, ".flow", "lock")), false);

    const next = buildJson([], { cwd: dir });
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(withStatus(next.summary, "ran"), ["out.txt"]);
  } finally {
    cleanup(dir);
  }
});
