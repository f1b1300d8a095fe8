// RELIABILITY 03: flow SIGKILLed in the middle of a task. The lock it held
// names a dead process: the next build takes it over (with a warning) instead
// of waiting forever. The killed task left a partial output and no cache
// record: the next build reruns it. A task that finished before the kill is
// cached, and an output of it deleted since is restored: no task is ever
// reported "up to date" while its output is missing.
//
// test/e2e/lock.test.ts pins the takeover's message and that the recipe of
// the killed build is stopped; this file checks the state the next build
// finds, on a build with a finished task, a killed one and a waiting one.
import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildJson, cleanup, flow, flowAsync, withStatus, writeProject, type JsonSummary } from "../e2e/support.js";

// first.txt is made before slow.txt starts; slow.txt writes half its output, then
// waits for `release` (no input, so not in the key); last.txt needs slow.txt.
const FLOWFILE = [
  ".PHONY: all",
  "all: last.txt",
  "first.txt:",
  "\techo first > $@",
  "slow.txt: first.txt",
  "\techo partial > $@; touch started",
  "\ti=0; while [ ! -f release ] && [ $$i -lt 600 ]; do sleep 0.05; i=$$((i+1)); done",
  "\techo complete >> $@",
  "last.txt: slow.txt",
  "\tcat $< > $@",
  "",
].join("\n");

async function until(what: string, cond: () => boolean, ms = 30_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(25)) if (cond()) return;
  assert.fail(`timed out waiting until ${what}`);
}

/** Every task reported up to date has its output on disk (here each task's output is named after it). */
function assertNoHollowUpToDate(s: JsonSummary, dir: string): void {
  for (const name of withStatus(s, "up-to-date")) {
    if (name === "all") continue; // an aggregate: no output
    assert.ok(existsSync(join(dir, name)), `${name} reported up to date with its output missing`);
  }
}

test("RELIABILITY 03: after a SIGKILL mid-task the next build takes over the lock, reruns the killed task and restores what is missing", async () => {
  const dir = writeProject({ Flowfile: FLOWFILE });
  try {
    const killed = flowAsync(["build", "-j", "1"], { cwd: dir });
    await until("slow.txt's recipe runs", () => existsSync(join(dir, "started")));
    // first.txt's record is written in the background: wait until another process can read it.
    await until("first.txt's record is in the cache", () => flow(["status", "first.txt"], { cwd: dir }).code === 0);
    killed.child.kill("SIGKILL");
    const k = await killed.done;
    assert.equal(k.code, null, "flow died of the SIGKILL");
    assert.ok(existsSync(join(dir, ".flow", "lock")), "the dead build's lock is left behind");
    assert.equal(readFileSync(join(dir, "slow.txt"), "utf8"), "partial\n", "the killed task left half its output");

    // first.txt finished and was recorded before the kill; delete its output so a
    // trusting build would call it up to date with nothing on disk.
    rmSync(join(dir, "first.txt"));
    writeFileSync(join(dir, "release"), "");
    const r = buildJson(["-j", "1"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`took over the workspace lock of flow build \\(pid ${killed.child.pid} on .*\\), which is no longer running`));
    assert.deepEqual(withStatus(r.summary, "restored"), ["first.txt"], "recorded before the kill, its output missing: restored, not up to date");
    assert.deepEqual(withStatus(r.summary, "ran"), ["last.txt", "slow.txt"], "the killed task was never recorded: it reruns, and so does what needs it");
    assertNoHollowUpToDate(r.summary, dir);
    assert.equal(readFileSync(join(dir, "slow.txt"), "utf8"), "partial\ncomplete\n", "the partial output was replaced by a whole run");
    assert.equal(readFileSync(join(dir, "last.txt"), "utf8"), "partial\ncomplete\n");
    assert.equal(existsSync(join(dir, ".flow", "lock")), false, "the lock is released");

    const again = buildJson([], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(withStatus(again.summary, "ran").concat(withStatus(again.summary, "restored")), [], "everything is cached now");
    assertNoHollowUpToDate(again.summary, dir);
  } finally {
    cleanup(dir);
  }
});
