import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { fileURLToPath } from "node:url";
import { describeHolder, WorkspaceLock, type LockHolder } from "./workspace-lock.js";

function workspace(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "flow-lock-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeLock(root: string, holder: Partial<LockHolder>): void {
  mkdirSync(join(root, ".flow"), { recursive: true });
  const full = { host: hostname(), startedAt: "2026-01-01T00:00:00.000Z", command: "flow build", token: "t0", ...holder };
  writeFileSync(WorkspaceLock.pathFor(root), JSON.stringify(full));
}

function liveProcess(t: TestContext): ChildProcess & { pid: number } {
  const child = spawn("sleep", ["30"], { stdio: "ignore" });
  t.after(() => child.kill("SIGKILL"));
  assert.ok(child.pid);
  return child as ChildProcess & { pid: number };
}

function deadPid(): number {
  const r = spawnSync("true");
  assert.ok(r.pid);
  return r.pid;
}

test("acquire writes the holder; release removes the lock; it can be taken again", async (t) => {
  const root = workspace(t);
  const first = await WorkspaceLock.acquire(root, { command: "flow clean", wait: false });
  assert.ok(first.ok);
  const onDisk = JSON.parse(readFileSync(WorkspaceLock.pathFor(root), "utf8")) as LockHolder;
  assert.deepEqual([onDisk.pid, onDisk.host, onDisk.command], [process.pid, hostname(), "flow clean"]);
  const again = await WorkspaceLock.acquire(root, { command: "flow build", wait: false });
  assert.equal(again.ok, false, "our own lock is never stolen");
  first.lock.release();
  first.lock.release();
  const second = await WorkspaceLock.acquire(root, { command: "flow build", wait: false });
  assert.ok(second.ok);
  second.lock.release();
});

test("a live holder: --no-wait fails at once naming it; waiting resumes when it goes", async (t) => {
  const root = workspace(t);
  const holder = liveProcess(t);
  writeLock(root, { pid: holder.pid, token: "live" });
  const now = await WorkspaceLock.acquire(root, { command: "flow build", wait: false });
  assert.equal(now.ok, false);
  assert.equal(!now.ok && now.holder?.pid, holder.pid);
  assert.match(describeHolder(!now.ok ? now.holder : undefined), new RegExp(`^flow build \\(pid ${holder.pid} on `));

  const waits: (LockHolder | undefined)[] = [];
  const pending = WorkspaceLock.acquire(root, { command: "flow build", wait: true, pollMs: 10, onWait: (h) => waits.push(h) });
  await new Promise((r) => setTimeout(r, 150));
  rmSync(WorkspaceLock.pathFor(root)); // the holder finishes
  const got = await pending;
  assert.ok(got.ok);
  assert.equal(waits.length, 1, "one message, not one per poll");
  assert.equal(waits[0]?.pid, holder.pid);
  got.lock.release();
});

test("a dead holder on this host is taken over; on another host it is waited for", async (t) => {
  const root = workspace(t);
  const pid = deadPid();
  writeLock(root, { pid, token: "dead" });
  const taken: (LockHolder | undefined)[] = [];
  const r = await WorkspaceLock.acquire(root, { command: "flow build", wait: false, onTakeover: (h) => taken.push(h) });
  assert.ok(r.ok);
  assert.deepEqual(taken.map((h) => h?.pid), [pid]);
  r.lock.release();

  writeLock(root, { pid, host: "some-other-host", token: "remote" });
  const remote = await WorkspaceLock.acquire(root, { command: "flow build", wait: false });
  assert.equal(remote.ok, false);
});

test("an unreadable lock is waited for a while (its holder may be writing it), then taken over", async (t) => {
  const root = workspace(t);
  mkdirSync(join(root, ".flow"));
  writeFileSync(WorkspaceLock.pathFor(root), "");
  assert.equal((await WorkspaceLock.acquire(root, { command: "flow build", wait: false })).ok, false);
  const old = new Date(Date.now() - 60_000);
  utimesSync(WorkspaceLock.pathFor(root), old, old);
  const r = await WorkspaceLock.acquire(root, { command: "flow build", wait: false });
  assert.ok(r.ok);
  r.lock.release();
});

test("processes racing for a dead holder's lock never hold it at once", async (t) => {
  const root = workspace(t);
  writeLock(root, { pid: deadPid(), token: "dead" });
  const log = join(root, "log");
  writeFileSync(log, "");
  const moduleUrl = new URL("./workspace-lock.js", import.meta.url).href;
  const script = `
    import { appendFileSync } from "node:fs";
    import { WorkspaceLock } from ${JSON.stringify(moduleUrl)};
    const r = await WorkspaceLock.acquire(${JSON.stringify(root)}, { command: "race", wait: true, pollMs: 5 });
    if (!r.ok) process.exit(3);
    appendFileSync(${JSON.stringify(log)}, "in " + process.pid + "\\n");
    await new Promise((res) => setTimeout(res, 30));
    appendFileSync(${JSON.stringify(log)}, "out " + process.pid + "\\n");
    r.lock.release();
  `;
  const runs = Array.from({ length: 6 }, () => {
    const c = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: "inherit", cwd: fileURLToPath(new URL(".", import.meta.url)) });
    return new Promise<number | null>((res) => c.on("close", res));
  });
  assert.deepEqual(await Promise.all(runs), [0, 0, 0, 0, 0, 0]);
  const lines = readFileSync(log, "utf8").trim().split("\n");
  assert.equal(lines.length, 12);
  for (let i = 0; i < lines.length; i += 2) {
    const [a, b] = [lines[i]?.split(" "), lines[i + 1]?.split(" ")];
    assert.deepEqual([a?.[0], b?.[0], a?.[1]], ["in", "out", b?.[1]], `interleaved: ${lines.join(", ")}`);
  }
});
