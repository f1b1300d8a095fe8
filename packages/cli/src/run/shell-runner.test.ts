// ShellRunner against real processes, once through the spawn helper and once
// spawning directly: both must behave the same. Then what only the helper
// can do wrong: die mid-recipe, die before it is up, keep flow alive.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test, type TestContext } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import type { RunRequest, RunResult } from "@flow/graph";
import { ShellRunner, type ShellRunnerOptions } from "./shell-runner.js";

function workdir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), "flow-runner-test-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function request(dir: string, script: string, extra: Partial<RunRequest> = {}): RunRequest {
  return {
    taskName: "t",
    script,
    cwd: dir,
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", FLOW_TEST_VAR: "v1" },
    logPath: join(dir, "logs", "t.log"),
    signal: new AbortController().signal,
    ...extra,
  };
}

/** Running, not a zombie: an orphan is reaped by init, which may take seconds (it does here). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // /proc/PID/stat: "pid (comm) STATE ..."; comm may hold spaces or parentheses.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return true; // no /proc: kill(0) is all we know
  }
}

async function until(what: string, ok: () => boolean, ms = 5000): Promise<void> {
  for (let waited = 0; !ok(); waited += 20) {
    if (waited > ms) assert.fail(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const PLAIN = { exitCode: 0, signal: null, timedOut: false, interrupted: false, logged: true } satisfies RunResult;

for (const mode of ["helper", "direct"] as const) {
  describe(`ShellRunner (${mode})`, () => {
    // In helper mode, wait until the helper is up: before that the runner spawns directly.
    const runner = async (opts: Partial<ShellRunnerOptions> = {}): Promise<ShellRunner> => {
      const r = new ShellRunner({ graceMs: 5000, spawn: mode, ...opts });
      if (mode === "helper") assert.equal(await r.helperReady(), true);
      return r;
    };

    test("runs /bin/sh -e -c in cwd with exactly the given env; stdout and stderr in order in the log", async (t) => {
      const dir = workdir(t);
      const r = await (await runner()).run(request(dir, 'echo "out $FLOW_TEST_VAR"; echo err >&2; pwd; echo "home=${HOME-unset}"; echo last'));
      assert.deepEqual(r, PLAIN);
      assert.equal(readFileSync(join(dir, "logs", "t.log"), "utf8"), `out v1\nerr\n${dir}\nhome=unset\nlast\n`);
    });

    test("-e: the first failing command ends the recipe with its code", async (t) => {
      const dir = workdir(t);
      const r = await (await runner()).run(request(dir, "echo before; (exit 3); echo after"));
      assert.deepEqual(r, { ...PLAIN, exitCode: 3 });
      assert.equal(readFileSync(join(dir, "logs", "t.log"), "utf8"), "before\n");
    });

    test("a recipe killed by a signal reports the signal, not a code", async (t) => {
      const dir = workdir(t);
      const r = await (await runner()).run(request(dir, "kill -SEGV $$"));
      assert.deepEqual(r, { ...PLAIN, exitCode: null, signal: "SIGSEGV" });
    });

    test("a recipe that succeeds and prints nothing leaves no log file, and removes an earlier run's", async (t) => {
      const dir = workdir(t);
      const run = await runner();
      const log = join(dir, "logs", "t.log");
      assert.deepEqual(await run.run(request(dir, "echo earlier run")), PLAIN);
      assert.equal(readFileSync(log, "utf8"), "earlier run\n");
      for (let i = 0; i < 3; i++) {
        assert.deepEqual(await run.run(request(dir, "touch out")), { ...PLAIN, logged: false });
        assert.equal(existsSync(log), false, "no log for a silent recipe, and the stale one is gone");
      }
      // Only this process's slots in the log directory, none per task.
      assert.deepEqual(readdirSync(join(dir, "logs")), [".slots"]);
      assert.ok(readdirSync(join(dir, "logs", ".slots")).length <= 2, "slots are reused");
    });

    test("slots a dead process left behind are removed; a live process's are kept", async (t) => {
      const dir = workdir(t);
      const slots = join(dir, "logs", ".slots");
      mkdirSync(slots, { recursive: true });
      const dead = spawnSync("true").pid as number;
      writeFileSync(join(slots, `${dead}-1`), "left by a crash");
      writeFileSync(join(slots, `${process.ppid}-1`), "");
      await (await runner()).run(request(dir, "true"));
      assert.equal(existsSync(join(slots, `${dead}-1`)), false);
      assert.equal(existsSync(join(slots, `${process.ppid}-1`)), true);
    });

    test("a silent recipe that fails still has its (empty) log at its log path", async (t) => {
      const dir = workdir(t);
      const r = await (await runner()).run(request(dir, "exit 4"));
      assert.deepEqual(r, { ...PLAIN, exitCode: 4 });
      assert.equal(readFileSync(join(dir, "logs", "t.log"), "utf8"), "");
    });

    test("what a recipe's background child prints after the shell exits goes to that recipe's log, never the next one's", async (t) => {
      const dir = workdir(t);
      const run = await runner();
      const a = join(dir, "logs", "a.log");
      const b = join(dir, "logs", "b.log");
      // The shell exits at once, printing nothing; its child prints later, through the same descriptor.
      await run.run(request(dir, "(sleep 0.3; echo late from a) &", { logPath: a }));
      const rb = await run.run(request(dir, "true", { logPath: b }));
      assert.equal(rb.logged, false);
      await until("the background child to print", () => existsSync(a) && readFileSync(a, "utf8") === "late from a\n");
      assert.equal(existsSync(b), false);
      const rc = await run.run(request(dir, "echo c", { logPath: b }));
      assert.equal(rc.logged, true);
      assert.equal(readFileSync(b, "utf8"), "c\n");
    });

    test("the log is truncated, not appended to", async (t) => {
      const dir = workdir(t);
      const run = await runner();
      await run.run(request(dir, "echo first run, a long line"));
      await run.run(request(dir, "echo second"));
      assert.equal(readFileSync(join(dir, "logs", "t.log"), "utf8"), "second\n");
    });

    test("interrupt: SIGINT reaches the whole process group, background children included", async (t) => {
      const dir = workdir(t);
      const ac = new AbortController();
      // `exec`: no fork between writing bg.pid and blocking, so the SIGINT cannot land in a
      // fork-exec window where the shell defers it (it would then wait out the grace period).
      const pending = (await runner()).run(request(dir, "sleep 30 & echo $! > bg.pid; exec sleep 30", { signal: ac.signal }));
      await until("the recipe to start", () => existsSync(join(dir, "bg.pid")) && readFileSync(join(dir, "bg.pid"), "utf8").endsWith("\n"));
      const bg = Number(readFileSync(join(dir, "bg.pid"), "utf8"));
      ac.abort();
      const r = await pending;
      assert.equal(r.interrupted, true);
      assert.equal(r.signal, "SIGINT");
      await until("the background child to be gone", () => !alive(bg));
    });

    test("interrupt: a recipe that ignores SIGINT is SIGKILLed after the grace period", async (t) => {
      const dir = workdir(t);
      const ac = new AbortController();
      const pending = (await runner({ graceMs: 200 })).run(request(dir, "trap '' INT; touch started; while :; do sleep 0.05; done", { signal: ac.signal }));
      await until("the recipe to start", () => existsSync(join(dir, "started")));
      const t0 = Date.now();
      ac.abort();
      const r = await pending;
      assert.deepEqual([r.interrupted, r.exitCode, r.signal], [true, null, "SIGKILL"]);
      assert.ok(Date.now() - t0 >= 150, `killed after the grace period, not at once (${Date.now() - t0} ms)`);
    });

    test("an already aborted signal stops the recipe at once", async (t) => {
      const dir = workdir(t);
      const ac = new AbortController();
      ac.abort();
      const r = await (await runner()).run(request(dir, "sleep 30", { signal: ac.signal }));
      assert.equal(r.interrupted, true);
    });

    test("force (a second Ctrl-C): every running group is SIGKILLed without waiting", async (t) => {
      const dir = workdir(t);
      const ac = new AbortController();
      const force = new AbortController();
      const run = await runner({ graceMs: 60_000, forceSignal: force.signal });
      const a = run.run(request(dir, "trap '' INT; touch a; sleep 30", { signal: ac.signal, logPath: join(dir, "a.log") }));
      const b = run.run(request(dir, "trap '' INT; touch b; sleep 30", { signal: ac.signal, logPath: join(dir, "b.log") }));
      await until("both recipes to start", () => existsSync(join(dir, "a")) && existsSync(join(dir, "b")));
      ac.abort();
      await sleep(100);
      force.abort();
      const results = await Promise.all([a, b]);
      for (const r of results) assert.deepEqual([r.interrupted, r.signal], [true, "SIGKILL"]);
    });

    test(".TIMEOUT: SIGTERM after timeoutMs, reported as timedOut", async (t) => {
      const dir = workdir(t);
      const r = await (await runner()).run(request(dir, "sleep 30", { timeoutMs: 200 }));
      assert.deepEqual([r.timedOut, r.interrupted, r.exitCode, r.signal], [true, false, null, "SIGTERM"]);
    });

    test("a spawn error is reported, not thrown", async (t) => {
      const dir = workdir(t);
      const r = await (await runner()).run(request(join(dir, "no-such-dir"), "true", { logPath: join(dir, "t.log") }));
      assert.equal(r.exitCode, null);
      assert.match(r.spawnError ?? "", /ENOENT/);
    });

    test("a log that cannot be opened is a spawn error", async (t) => {
      const dir = workdir(t);
      writeFileSync(join(dir, "file"), "");
      const r = await (await runner()).run(request(dir, "touch ran", { logPath: join(dir, "file", "t.log") }));
      assert.match(r.spawnError ?? "", /could not open the log .*file\/t\.log/);
      assert.equal(existsSync(join(dir, "ran")), false, "nothing ran");
    });

    test("the log directory is made when missing", async (t) => {
      const dir = workdir(t);
      const r = await (await runner()).run(request(dir, "echo hi", { logPath: join(dir, "a", "b", "t.log") }));
      assert.equal(r.exitCode, 0);
      assert.equal(readFileSync(join(dir, "a", "b", "t.log"), "utf8"), "hi\n");
    });
  });
}

describe("the spawn helper", () => {
  test("if it dies mid-recipe, the recipe's group is killed and the task fails naming the helper; later recipes still run", async (t) => {
    const dir = workdir(t);
    const run = new ShellRunner({ graceMs: 5000, spawn: "helper" });
    assert.equal(await run.helperReady(), true);
    const pending = run.run(request(dir, "sleep 30 & echo $! > bg.pid; sleep 30"));
    await until("the recipe to start", () => existsSync(join(dir, "bg.pid")) && readFileSync(join(dir, "bg.pid"), "utf8").endsWith("\n"));
    const bg = Number(readFileSync(join(dir, "bg.pid"), "utf8"));
    const helperPid = run.spawnHelper?.pid;
    assert.ok(helperPid !== undefined);
    process.kill(helperPid, "SIGKILL");
    const r = await pending;
    assert.match(r.spawnError ?? "", new RegExp(`the spawn helper \\(pid ${helperPid}\\) died while the recipe ran \\(it was killed by SIGKILL\\); its process group was killed`));
    await until("the orphaned group to be gone", () => !alive(bg));
    const next = await run.run(request(dir, "echo still works"));
    assert.equal(next.exitCode, 0);
    assert.equal(readFileSync(join(dir, "logs", "t.log"), "utf8"), "still works\n");
  });

  test("recipes run directly until it is up, and for good if it never comes up", async (t) => {
    const dir = workdir(t);
    const broken = join(dir, "broken-helper.mjs");
    writeFileSync(broken, "process.exit(3);\n");
    const run = new ShellRunner({ graceMs: 5000, spawn: "helper", helperScript: broken });
    const [a, b] = await Promise.all([
      run.run(request(dir, "echo a", { logPath: join(dir, "a.log") })),
      run.run(request(dir, "echo b", { logPath: join(dir, "b.log") })),
    ]);
    assert.deepEqual([a.exitCode, b.exitCode], [0, 0]);
    assert.equal(readFileSync(join(dir, "a.log"), "utf8") + readFileSync(join(dir, "b.log"), "utf8"), "a\nb\n");
    assert.equal(await run.helperReady(), false);
    assert.equal(run.spawnHelper?.alive, false);
    const c = await run.run(request(dir, "echo c", { logPath: join(dir, "c.log") }));
    assert.equal(c.exitCode, 0);
  });

  test("if flow is SIGKILLed, the helper stops the recipes still running: its own and those flow started before it was up", async (t) => {
    const dir = workdir(t);
    const runnerUrl = new URL("./shell-runner.js", import.meta.url).href;
    // Each recipe leaves a background sleep in its group and records "GROUP BACKGROUND".
    const script = [
      `import { existsSync, readFileSync } from "node:fs";`,
      `import { ShellRunner } from ${JSON.stringify(runnerUrl)};`,
      `const dir = ${JSON.stringify(dir)};`,
      `const run = new ShellRunner({ graceMs: 1000, spawn: "helper" });`,
      `const req = (name) => ({ taskName: name, script: "sleep 30 & echo $$ $! > " + name + ".tmp; mv " + name + ".tmp " + name + ".pids; wait", cwd: dir, env: { PATH: process.env.PATH }, logPath: dir + "/" + name + ".log", signal: new AbortController().signal });`,
      `run.run(req("direct")); // the helper cannot be up yet: flow spawns this one itself`,
      `await run.helperReady();`,
      `run.run(req("helper"));`,
      `while (!existsSync(dir + "/direct.pids") || !existsSync(dir + "/helper.pids")) await new Promise((r) => setTimeout(r, 20));`,
      `process.stdout.write(JSON.stringify({ helper: run.spawnHelper?.pid }));`,
      `process.kill(process.pid, "SIGKILL");`,
    ].join("\n");
    const child = spawn(process.execPath, ["--no-concurrent-recompilation", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => child.on("close", (_code, sig) => resolve(sig)));
    assert.equal(signal, "SIGKILL", out);
    const { helper } = JSON.parse(out) as { helper: number };
    const pids = ["direct", "helper"].flatMap((n) => readFileSync(join(dir, `${n}.pids`), "utf8").trim().split(" ").map(Number));
    assert.equal(pids.length, 4);
    t.after(() => {
      for (const p of pids) if (alive(p)) process.kill(p, "SIGKILL");
    });
    await until("every recipe process to be gone", () => pids.every((p) => !alive(p)), 10_000);
    await until("the helper to exit", () => !alive(helper), 10_000);
  });

  test("an idle helper does not keep the process alive, and exits with it", async (t) => {
    const dir = workdir(t);
    const runnerUrl = new URL("./shell-runner.js", import.meta.url).href;
    const script = [
      `import { ShellRunner } from ${JSON.stringify(runnerUrl)};`,
      `const run = new ShellRunner({ graceMs: 1000, spawn: "helper" });`,
      `await run.helperReady();`,
      `const r = await run.run({ taskName: "t", script: "echo hi", cwd: ${JSON.stringify(dir)}, env: {}, logPath: ${JSON.stringify(join(dir, "t.log"))}, signal: new AbortController().signal });`,
      `process.stdout.write(JSON.stringify({ code: r.exitCode, helper: run.spawnHelper?.pid }));`,
    ].join("\n");
    const child = spawn(process.execPath, ["--no-concurrent-recompilation", "--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    assert.equal(code, 0);
    const { code: recipeCode, helper } = JSON.parse(out) as { code: number; helper: number };
    assert.equal(recipeCode, 0);
    // flow waits for the helper at exit (it reaps it), so it is gone by now.
    assert.equal(alive(helper), false, "the helper exited with its parent");
  });
});

// Keep the compiled helper next to this file honest: it must exist where the client looks for it.
test("spawn-helper.js is built next to the client", () => {
  assert.ok(existsSync(fileURLToPath(new URL("./spawn-helper.js", import.meta.url))));
});
