// The Slurm runner against a fake controller (no cluster): one sbatch per
// array, one squeue per poll whatever the number of tasks, retries of
// NODE_FAIL, and Ctrl-C as one scancel.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { RunRequest, RunResult } from "@flow/graph";
import { SlurmRunner } from "./slurm-runner.js";
import type { ToolResult } from "./slurm-tool.js";

/** A controller: each array's elements end in the state `fate` gives, after `polls` polls. */
function fakeSlurm(fate: (task: string, attempt: number) => string, polls = 1) {
  const calls: { cmd: string; args: readonly string[] }[] = [];
  const arrays = new Map<string, { tasks: string[]; polled: number; cancelled: boolean; ended?: boolean }>();
  const attempts = new Map<string, number>();
  let next = 100;
  const tool = async (cmd: string, args: readonly string[]): Promise<ToolResult> => {
    calls.push({ cmd, args });
    if (cmd === "sbatch") {
      const script = args[args.length - 1] as string;
      const n = Number(/--array=0-(\d+)/.exec(args.join(" "))?.[1]) + 1;
      const tasks = [...readFileSync(script, "utf8").matchAll(/^(\d+)\) # (.*)$/gm)].map((m) => m[2] as string);
      assert.equal(tasks.length, n, "a case per element");
      const id = String(next++);
      arrays.set(id, { tasks, polled: 0, cancelled: false });
      return { code: 0, stdout: `${id}\n`, stderr: "" };
    }
    if (cmd === "scancel") {
      for (const id of args) {
        const a = arrays.get(id);
        if (a) a.cancelled = true;
      }
      return { code: 0, stdout: "", stderr: "" };
    }
    if (cmd === "squeue") {
      const ids = (args.find((a) => a.startsWith("--jobs=")) ?? "").slice(7).split(",");
      const lines: string[] = [];
      for (const id of ids) {
        const a = arrays.get(id);
        if (!a) continue;
        a.polled++;
        if (a.cancelled) a.tasks.forEach((_, i) => lines.push(`${id}_${i}|CANCELLED|0|0:01|None`));
        else if (a.polled <= polls) lines.push(`${id}_[0-${a.tasks.length - 1}]|PENDING|0|0:00|None`);
        else
          a.tasks.forEach((t, i) => {
            // The task's submissions so far, counted once per element when it first ends.
            if (!a.ended) attempts.set(t, (attempts.get(t) ?? 0) + 1);
            lines.push(`${id}_${i}|${fate(t, attempts.get(t) ?? 1)}|1:05|None`);
          });
        if (a.polled > polls) a.ended = true;
      }
      return { code: 0, stdout: lines.join("\n"), stderr: "" };
    }
    return { code: 1, stdout: "", stderr: `unexpected ${cmd}` };
  };
  return { tool, calls, count: (cmd: string) => calls.filter((c) => c.cmd === cmd).length };
}

function setup(fate: (task: string, attempt: number) => string, polls = 1) {
  const root = mkdtempSync(join(tmpdir(), "flow-slurm-unit-"));
  const fake = fakeSlurm(fate, polls);
  const warnings: string[] = [];
  const runner = new SlurmRunner({ root, tool: fake.tool, defaultArgs: ["--partition=p"], retries: 1, pollMs: 5, arraySize: 1000, outputWaitMs: 0, warn: (w) => warnings.push(w.code), retryBaseMs: 1 });
  const abort = new AbortController();
  const req = (name: string, slurm?: string): RunRequest => ({ taskName: name, script: `echo ${name}`, cwd: root, env: { PATH: "/bin" }, logPath: join(root, "logs", name), signal: abort.signal, ...(slurm ? { slurm } : {}) });
  return { root, fake, warnings, runner, abort, req, done: () => rmSync(root, { recursive: true, force: true }) };
}

test("2,500 ready tasks: three arrays (two options sets), one squeue per poll, results by element", async () => {
  const s = setup((t) => (t === "t7" ? "FAILED|768" : t === "big" ? "OUT_OF_MEMORY|0" : "COMPLETED|0"));
  try {
    const runs: Promise<RunResult>[] = [];
    for (let i = 0; i < 2499; i++) runs.push(s.runner.run(s.req(`t${i}`)));
    runs.push(s.runner.run(s.req("big", "--mem=1G")));
    runs.push(s.runner.run({ ...s.req("limited"), timeoutMs: 61_000 }));
    const results = await Promise.all(runs);
    assert.equal(s.fake.count("sbatch"), 5, "1000 + 1000 + 499 tasks, the one with its own options, the one with a .TIMEOUT");
    const sbatch = s.fake.calls.filter((c) => c.cmd === "sbatch").map((c) => c.args.join(" "));
    assert.ok(sbatch.some((a) => /--partition=p --mem=1G/.test(a)), "the task's .SLURM after the default");
    assert.ok(sbatch.some((a) => /--partition=p --time=2 /.test(a)), ".TIMEOUT 61 s as --time=2 (minutes, rounded up)");
    // Each poll asks about every outstanding array at once: two polls (pending, then ended), whatever the number of tasks.
    assert.ok(s.fake.count("squeue") <= 4, `${s.fake.count("squeue")} squeue calls`);
    assert.equal(results[0]?.exitCode, 0);
    assert.deepEqual(results[0]?.job, { id: "100_0", elapsedSec: 65 }, "the job and its run time go with the result");
    assert.equal(results[7]?.exitCode, 3);
    assert.deepEqual(results[2499]?.failure?.reason, "out-of-memory");
    s.runner.close();
    assert.equal(existsSync(join(s.root, ".flow", "slurm-jobs")), false, "the record is removed at the end");
  } finally {
    s.done();
  }
});

test("NODE_FAIL goes in again (once, --slurm-retries 1); a second NODE_FAIL fails the task", async () => {
  const s = setup((t, attempt) => (t === "flaky" && attempt === 1 ? "NODE_FAIL|0" : t === "dead" ? "NODE_FAIL|0" : "COMPLETED|0"));
  try {
    const [flaky, dead] = await Promise.all([s.runner.run(s.req("flaky")), s.runner.run(s.req("dead"))]);
    assert.equal(flaky.exitCode, 0);
    assert.equal(dead.failure?.reason, "node-fail");
    assert.deepEqual(s.warnings, ["SLURM_RETRY", "SLURM_RETRY"]);
  } finally {
    s.done();
  }
});

test("Ctrl-C: one scancel for every submitted array, each task ends interrupted", async () => {
  const s = setup(() => "RUNNING|0", 1000);
  try {
    const runs = [s.runner.run(s.req("a")), s.runner.run(s.req("b")), s.runner.run(s.req("c", "--mem=1G"))];
    while (s.fake.count("squeue") === 0) await new Promise((r) => setTimeout(r, 5));
    s.abort.abort();
    const results = await Promise.all(runs);
    assert.deepEqual(
      results.map((r) => r.interrupted),
      [true, true, true],
    );
    const cancels = s.fake.calls.filter((c) => c.cmd === "scancel");
    assert.equal(cancels.length, 1);
    assert.deepEqual([...(cancels[0]?.args ?? [])].sort(), ["100", "101"]);
  } finally {
    s.done();
  }
});

test("outputs made on a node show late on a shared file system: the result waits for them, bounded", async () => {
  const root = mkdtempSync(join(tmpdir(), "flow-slurm-unit-"));
  const fake = fakeSlurm(() => "COMPLETED|0", 0);
  const runner = new SlurmRunner({ root, tool: fake.tool, defaultArgs: [], retries: 0, pollMs: 5, arraySize: 1000, outputWaitMs: 1000, warn: () => undefined });
  const abort = new AbortController();
  try {
    const req = (name: string, outputs: string[]): RunRequest => ({ taskName: name, script: "true", cwd: root, env: {}, logPath: join(root, "logs", name), signal: abort.signal, outputs });
    const late = runner.run(req("late", ["late.txt"]));
    const t0 = Date.now();
    setTimeout(() => writeFileSync(join(root, "late.txt"), "x"), 200);
    assert.equal((await late).exitCode, 0);
    const waited = Date.now() - t0;
    assert.ok(waited >= 200 && waited < 1000, `waited ${waited} ms: until the output showed`);
    const t1 = Date.now();
    assert.equal((await runner.run(req("never", ["never.txt"]))).exitCode, 0, "the task's own check then says the output is missing");
    const gaveUp = Date.now() - t1;
    assert.ok(gaveUp >= 1000 && gaveUp < 3000, `gave up after ${gaveUp} ms: FLOW_SLURM_OUTPUT_WAIT`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** The fake controller with sacct: `answer` gives sacct's reply for each call (1-based). */
function accountingSetup(answer: (call: number, ids: string[]) => ToolResult) {
  const s = setup(() => "COMPLETED|0");
  let sacct = 0;
  const calls: string[][] = [];
  const tool = async (cmd: string, args: readonly string[]): Promise<ToolResult> => {
    if (cmd !== "sacct") return s.fake.tool(cmd, args);
    calls.push([...args]);
    return answer(++sacct, (args.find((a) => a.startsWith("--jobs=")) ?? "").slice(7).split(","));
  };
  const warnings: string[] = [];
  const runner = new SlurmRunner({ root: s.root, tool, defaultArgs: [], retries: 0, pollMs: 5, arraySize: 1000, outputWaitMs: 0, warn: (w) => warnings.push(w.code), retryBaseMs: 1 });
  return { ...s, runner, warnings, sacctCalls: calls };
}

test("account(): ONE sacct call for all the arrays that ended, asked again while slurmdbd has not recorded the end", async () => {
  const s = accountingSetup((call, ids) => {
    // First answer: the end not recorded yet (the element still RUNNING, no step).
    if (call === 1) return { code: 0, stdout: ids.map((id) => `${id}_0|RUNNING|00:00:01|||0:0`).join("\n"), stderr: "" };
    const lines = ids.flatMap((id) => [0, 1].flatMap((i) => [`${id}_${i}|COMPLETED|00:00:03|00:02.500||0:0`, `${id}_${i}.batch|COMPLETED|00:00:03|00:02.500|${100 + i}M|0:0`]));
    return { code: 0, stdout: lines.join("\n"), stderr: "" };
  });
  try {
    const results = await Promise.all([s.runner.run(s.req("a")), s.runner.run(s.req("b")), s.runner.run(s.req("c", "--mem=1G"))]);
    assert.equal(s.sacctCalls.length, 0, "no sacct while the build runs");
    const acct = await s.runner.account();
    assert.equal(s.sacctCalls.length, 2, "one call per try, not one per task");
    assert.ok(s.sacctCalls.every((a) => a.includes("--jobs=100,101") && a.includes("--parsable2") && a.includes("--noheader")), JSON.stringify(s.sacctCalls));
    const a = acct.get(results[0]?.job?.id ?? "");
    assert.deepEqual(a, { id: "100_0", elapsedSec: 3, cpuSec: 2.5, maxRssBytes: 100 * 1024 * 1024 });
    assert.equal(acct.get("100_1")?.maxRssBytes, 101 * 1024 * 1024);
    assert.equal(acct.size, 3);
    assert.equal((await s.runner.account()).size, 0, "each job is asked about once");
    assert.equal(s.sacctCalls.length, 2);
    assert.deepEqual(s.warnings, []);
  } finally {
    s.runner.close();
    s.done();
  }
});

test("account(): no accounting storage gives nothing and no warning; a failing sacct warns once; neither is asked again", async () => {
  for (const [stderr, warned] of [
    ["sacct: error: Slurm accounting storage is disabled", []],
    ["sacct: error: Invalid field requested: \"TotalCPU\"", ["SLURM_ACCOUNTING_FAILED"]],
  ] as const) {
    const s = accountingSetup(() => ({ code: 1, stdout: "", stderr }));
    try {
      await s.runner.run(s.req("a"));
      assert.equal((await s.runner.account()).size, 0);
      await s.runner.run(s.req("b"));
      assert.equal((await s.runner.account()).size, 0);
      assert.deepEqual(s.warnings, warned);
      assert.equal(s.sacctCalls.length, 1, "the second build's jobs are not asked about");
    } finally {
      s.runner.close();
      s.done();
    }
  }
});
