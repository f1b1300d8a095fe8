// RELIABILITY 8 and 3: one build or clean at a time per workspace. A second
// one waits with a message naming the holder (or, with --no-wait, fails at
// once); a lock whose holder died is taken over with a warning.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildJson, cleanup, flow, flowAsync, withStatus, writeProject, type JsonSummary } from "./support.js";

// The task holds the build until the test creates `release` (30 s at most); `release` is no input, so it is not in the key.
const SLOW = [
  ".PHONY: all",
  "all: out.txt",
  "out.txt:",
  "\ttouch started; i=0; while [ ! -f release ] && [ $$i -lt 600 ]; do sleep 0.05; i=$$((i+1)); done; echo done > $@",
  "",
].join("\n");

async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(25)) if (cond()) return;
  assert.fail(`timed out waiting until ${what}`);
}

/** A lock file naming a live process that is not flow (so nothing releases it until the test does). */
function holdLock(t: TestContext, dir: string): number {
  const holder = spawn("sleep", ["60"], { stdio: "ignore" });
  t.after(() => holder.kill("SIGKILL"));
  mkdirSync(join(dir, ".flow"), { recursive: true });
  const lock = { pid: holder.pid, host: hostname(), startedAt: "2026-01-01T00:00:00.000Z", command: "flow build", token: "held-by-test" };
  writeFileSync(join(dir, ".flow", "lock"), JSON.stringify(lock));
  return holder.pid as number;
}

test("a second build waits for the first, naming it, and then finds everything done", async () => {
  const dir = writeProject({ Flowfile: SLOW });
  try {
    const first = flowAsync(["build", "--json"], { cwd: dir });
    await until("the first build runs its task", () => existsSync(join(dir, "started")));
    const second = flowAsync(["build", "--json"], { cwd: dir });
    let waiting = "";
    second.child.stderr.on("data", (d: Buffer) => (waiting += d.toString()));
    await until("the second build says it waits", () => waiting.includes("waiting for the workspace lock"));
    writeFileSync(join(dir, "release"), "");
    const [a, b] = await Promise.all([first.done, second.done]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stderr, new RegExp(`^flow: waiting for the workspace lock held by flow build \\(pid ${first.child.pid} on `, "m"));
    assert.deepEqual(withStatus(JSON.parse(a.stdout) as JsonSummary, "ran"), ["out.txt"]);
    assert.deepEqual(withStatus(JSON.parse(b.stdout) as JsonSummary, "ran"), [], "no interleaving: the second build started after the first ended");
    assert.equal(existsSync(join(dir, ".flow", "lock")), false, "released");
  } finally {
    cleanup(dir);
  }
});

test("--no-wait fails at once with exit 1, naming the holder; nothing runs or is removed", (t) => {
  const dir = writeProject({ Flowfile: SLOW, release: "" });
  try {
    assert.equal(buildJson([], { cwd: dir }).code, 0);
    const pid = holdLock(t, dir);
    for (const cmd of ["build", "clean"]) {
      const r = flow([cmd, "--no-wait"], { cwd: dir });
      assert.equal(r.code, 1, `${cmd}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stderr, `flow: the workspace is locked by flow build (pid ${pid} on ${hostname()}, since 2026-01-01T00:00:00.000Z); not waiting (--no-wait)\n`);
    }
    assert.equal(readFileSync(join(dir, "out.txt"), "utf8"), "done\n");
  } finally {
    cleanup(dir);
  }
});

test("clean takes the same lock: it waits while a build holds it", async (t) => {
  const dir = writeProject({ Flowfile: SLOW, release: "" });
  try {
    assert.equal(buildJson([], { cwd: dir }).code, 0);
    holdLock(t, dir);
    const clean = flowAsync(["clean"], { cwd: dir });
    let stderr = "";
    clean.child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    await until("clean says it waits", () => stderr.includes("waiting for the workspace lock held by flow build"));
    await sleep(200);
    assert.ok(existsSync(join(dir, "out.txt")), "nothing removed while waiting");
    rmSync(join(dir, ".flow", "lock"));
    const r = await clean.done;
    assert.equal(r.code, 0, r.stderr);
    assert.equal(existsSync(join(dir, "out.txt")), false);
  } finally {
    cleanup(dir);
  }
});

test("flow SIGKILLed mid-task: the next build takes over its lock with a warning and reruns the task", async () => {
  const dir = writeProject({ Flowfile: SLOW });
  try {
    const killed = flowAsync(["build"], { cwd: dir });
    await until("the task runs", () => existsSync(join(dir, "started")));
    killed.child.kill("SIGKILL");
    await killed.done;
    assert.ok(existsSync(join(dir, ".flow", "lock")), "a SIGKILL leaves the lock behind");
    writeFileSync(join(dir, "release"), "");
    await sleep(500); // the recipe was stopped by the spawn helper; had it been left, it would finish now
    const r = buildJson([], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`^flow: warning: took over the workspace lock of flow build \\(pid ${killed.child.pid} on .*\\), which is no longer running$`, "m"));
    assert.deepEqual(withStatus(r.summary, "ran"), ["out.txt"], "never cached by the killed build");
  } finally {
    cleanup(dir);
  }
});

test("flow SIGKILLed mid-task: its recipe is stopped too, so it writes nothing beside the next build", async () => {
  // The recipe records its shell's pid (its process group's id) and would write out.txt once released.
  const dir = writeProject({ Flowfile: SLOW.split("\ttouch started;").join("\techo $$$$ > pid; touch started;") });
  try {
    const killed = flowAsync(["build"], { cwd: dir });
    await until("the task runs", () => existsSync(join(dir, "started")) && readFileSync(join(dir, "pid"), "utf8").endsWith("\n"));
    const group = Number(readFileSync(join(dir, "pid"), "utf8"));
    assert.ok(groupAlive(group), "the recipe runs");
    killed.child.kill("SIGKILL");
    await killed.done;
    await until("the recipe's process group is gone", () => !groupAlive(group));
    writeFileSync(join(dir, "release"), "");
    await sleep(300);
    assert.equal(existsSync(join(dir, "out.txt")), false, "the stopped recipe wrote nothing after flow died");
    const r = buildJson([], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(withStatus(r.summary, "ran"), ["out.txt"]);
  } finally {
    cleanup(dir);
  }
});

/** Whether any process of the group lives (zombies aside: a SIGKILLed group's members are reaped by init). */
function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch {
    return false;
  }
  const r = spawnSync("ps", ["-o", "stat=", "-g", String(pgid)], { encoding: "utf8" });
  return r.stdout.split("\n").some((st) => st.trim() !== "" && !st.trim().startsWith("Z"));
}

test("an unreadable lock file older than its grace period is taken over", () => {
  const dir = writeProject({ Flowfile: "out.txt:\n\techo hi > $@\n" });
  try {
    mkdirSync(join(dir, ".flow"));
    writeFileSync(join(dir, ".flow", "lock"), "garbage");
    spawnSync("touch", ["-d", "1 minute ago", join(dir, ".flow", "lock")]);
    const r = flow(["build"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /took over the workspace lock of a process that has not written its name yet/);
  } finally {
    cleanup(dir);
  }
});
