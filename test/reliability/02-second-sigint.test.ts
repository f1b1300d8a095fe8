// RELIABILITY 02: a second SIGINT force-kills tasks that ignore the first;
// the state stays consistent: exit 130, partial outputs removed, nothing
// cached for them, and the next build reruns exactly those tasks.
import assert from "node:assert/strict";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildJson, cleanup, flowAsync, withStatus, writeProject } from "../e2e/support.js";

test("RELIABILITY 02: a second SIGINT kills a recipe that ignores the first; state consistent, next build reruns it", async () => {
  const dir = writeProject({
    Flowfile: [
      "all: stubborn.txt quick.txt",
      "quick.txt:",
      "\techo quick > $@",
      // Ignores SIGINT (and the grace period is 5 s): only the force-kill stops it. `delay` is not an input.
      "stubborn.txt:",
      "\techo partial > $@",
      "\tif [ -f delay ]; then trap '' INT; touch started; sleep 60; fi",
      "\techo done >> $@",
      "",
    ].join("\n"),
    delay: "",
  });
  try {
    const { child, done } = flowAsync(["build", "-j", "2", "--json"], { cwd: dir });
    for (let i = 0; i < 600 && !existsSync(join(dir, "started")); i++) await sleep(50);
    assert.ok(existsSync(join(dir, "started")), "the stubborn task started");
    let seen = "";
    child.stderr.on("data", (d: Buffer) => (seen += d.toString()));
    child.kill("SIGINT");
    // Two signals sent back to back can arrive as one: send the second once the first was handled.
    for (let i = 0; i < 600 && !seen.includes("interrupted;"); i++) await sleep(20);
    child.kill("SIGINT");
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /flow: interrupted again; killing every task now/);
    assert.equal(existsSync(join(dir, "stubborn.txt")), false, "partial output removed");
    assert.equal(existsSync(join(dir, ".flow", "lock")), false, "lock released");

    rmSync(join(dir, "delay"));
    const next = buildJson([], { cwd: dir });
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(withStatus(next.summary, "ran"), ["stubborn.txt"]);
    assert.equal(next.summary.tasks.find((t) => t.name === "quick.txt")?.status, "up-to-date");
  } finally {
    cleanup(dir);
  }
});
