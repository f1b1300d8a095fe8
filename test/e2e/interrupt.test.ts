// Ctrl-C during a build: every task's process group is stopped, partial
// outputs are removed, nothing of them is cached, exit 130; the next build
// reruns exactly the interrupted tasks.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildJson, cleanup, flowAsync, withStatus, writeProject } from "./support.js";

test("SIGINT stops running tasks, removes their partial outputs, exits 130", async () => {
  const dir = writeProject({
    Flowfile: [
      ".PHONY: all",
      "all: slow.txt quick.txt",
      "quick.txt:",
      "\techo quick > $@",
      "slow.txt:",
      "\techo partial > $@",
      // `delay` is not an input: removing it later leaves the key unchanged, so a
      // wrongly cached interrupted run would show up as up-to-date next time.
      // The background child would outlive a kill of the shell alone.
      "\tif [ -f delay ]; then (sleep 30; echo late > late.txt) & touch started; sleep 30; fi",
      "\techo done >> $@",
      "",
    ].join("\n"),
    delay: "",
  });
  try {
    const { child, done } = flowAsync(["build", "-j", "2", "--json"], { cwd: dir });
    for (let i = 0; i < 200 && !existsSync(join(dir, "started")); i++) await sleep(50);
    assert.ok(existsSync(join(dir, "started")), "the slow task started");
    child.kill("SIGINT");
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.equal(existsSync(join(dir, "slow.txt")), false, "partial output removed");
    const summary = JSON.parse(r.stdout) as { ok: boolean; tasks: { name: string; status: string }[] };
    assert.equal(summary.ok, false);
    assert.equal(summary.tasks.find((t) => t.name === "slow.txt")?.status, "skipped");
    await sleep(300);
    assert.equal(existsSync(join(dir, "late.txt")), false, "the whole process group was stopped");

    // Nothing of the interrupted task was cached: it runs again; quick.txt does not.
    rmSync(join(dir, "delay"));
    const next = buildJson([], { cwd: dir });
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(withStatus(next.summary, "ran"), ["slow.txt"]);
    assert.equal(readFileSync(join(dir, "slow.txt"), "utf8"), "partial\ndone\n");
    assert.equal(next.summary.tasks.find((t) => t.name === "quick.txt")?.status, "up-to-date");
  } finally {
    cleanup(dir);
  }
});
