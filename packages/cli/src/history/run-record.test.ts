import assert from "node:assert/strict";
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { BuildOutcome, Task, TaskGraph, TaskResult } from "@flow/graph";
import { RunRecorder } from "./run-record.js";
import { readTasks, taskRows } from "./run-read.js";
import { taskTable } from "./run-text.js";

function build(results: readonly [string, TaskResult][]): { graph: TaskGraph; outcome: BuildOutcome } {
  const tasks = results.map(([name], id) => ({ id, name, env: [] as string[], deps: [] as number[] }) as unknown as Task);
  const map = new Map(results.map(([, r], id) => [id, r] as const));
  return {
    graph: { tasks, byName: new Map(), byOutput: new Map(), goals: [], warnings: [] },
    outcome: { ok: results.every(([, r]) => r.status !== "failed"), order: tasks.map((t) => t.id), results: map, outputs: new Map() },
  };
}

test("the record is columnar: names, one status letter each, durations, keys; exit codes and logs only where there are some", (t) => {
  const root = mkdtempSync(join(tmpdir(), "flow-run-record-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, ".flow", "logs"), { recursive: true });
  const log = join(root, ".flow", "logs", "b.log");
  writeFileSync(log, "oops\n");
  const b = build([
    ["a", { status: "up-to-date", key: "k1", durationMs: 0.4 }],
    ["b", { status: "failed", key: "k2", durationMs: 12.6, exitCode: 2, logPath: log }],
    ["c", { status: "cannot-run", durationMs: 0 }],
  ]);
  const recorder = new RunRecorder({ args: ["build"], cwd: root, words: [], env: {} });
  // The build's events: its -j, and a timing for the one task that did work (b, failed running).
  const t0 = recorder.clock();
  recorder.observe({ type: "build-start", total: 3, concurrency: 2 });
  recorder.observe({ type: "task-end", task: b.graph.tasks[1] as Task, result: b.outcome.results.get(1) as TaskResult, timing: { startMs: t0 + 10, endMs: t0 + 22, phases: [] } });
  const n = recorder.finish({ root, ...b, interrupted: false });
  assert.equal(n, 1);
  const file = JSON.parse(readFileSync(join(root, ".flow", "runs", "1", "tasks.json"), "utf8")) as Record<string, unknown>;
  const { spans, ...rest } = file;
  assert.deepEqual(rest, { version: 1, names: ["a", "b", "c"], status: "UFN", durationsMs: [0, 13, 0], keys: ["k1", "k2", ""], exitCodes: [[1, 2]], logs: [[1, "b.log"]], jobs: 2 });
  // [task index, start, end, slot], in ms from the recorder's start (which came a moment before t0).
  assert.equal((spans as unknown[]).length, 1);
  const [index, start, end, slot] = (spans as [number, number, number, number][])[0] ?? assert.fail("no span");
  assert.deepEqual([index, slot, end - start], [1, 1, 12]);
  assert.ok(start >= 10 && start <= 60, `start ${start}`);
  const rows = taskRows(readTasks(root, 1) as NonNullable<ReturnType<typeof readTasks>>);
  assert.deepEqual(
    rows.map((r) => [r.name, r.status, r.cache, r.key]),
    [
      ["a", "up-to-date", "hit", "k1"],
      ["b", "failed", "miss", "k2"],
      ["c", "cannot-run", "none", null],
    ],
  );
  assert.equal(readFileSync(join(root, ".flow", "runs", "1", "logs", "b.log"), "utf8"), "oops\n");
  // No temporary file is left behind.
  assert.deepEqual(readdirSync(join(root, ".flow", "runs", "1")).sort(), ["env.json", "logs", "run.json", "tasks.json"]);
});

test("nothing is written through a link in place of .flow/runs", (t) => {
  const root = mkdtempSync(join(tmpdir(), "flow-run-record-"));
  const elsewhere = mkdtempSync(join(tmpdir(), "flow-run-record-out-"));
  t.after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(elsewhere, { recursive: true, force: true });
  });
  mkdirSync(join(root, ".flow"));
  symlinkSync(elsewhere, join(root, ".flow", "runs"));
  const b = build([["a", { status: "ran", key: "k", durationMs: 5 }]]);
  const n = new RunRecorder({ args: ["build"], cwd: root, words: [], env: {} }).finish({ root, ...b, interrupted: false });
  assert.equal(n, undefined);
  assert.ok(lstatSync(join(root, ".flow", "runs")).isSymbolicLink());
  assert.deepEqual(readdirSync(elsewhere), [], "nothing written where the link points");
});

test("clusterJobs: sacct's CPU time and peak memory read back; a record of three items (before them) still reads", () => {
  const base = { version: 1, names: ["a", "b", "c"], status: "rrr", durationsMs: [1, 2, 3], keys: ["", "", ""], exitCodes: [], logs: [] } as const;
  const rows = taskRows({ ...base, clusterJobs: [[0, "7_0", 3, 1.25, 104857600], [1, "7_1", 2, null, null], [2, "8_0", 1]] });
  assert.deepEqual(rows[0]?.job, { id: "7_0", elapsedSec: 3, cpuSec: 1.25, maxRssBytes: 104857600 });
  assert.deepEqual(rows[1]?.job, { id: "7_1", elapsedSec: 2, cpuSec: null, maxRssBytes: null }, "null: the cluster keeps no accounting");
  assert.deepEqual(rows[2]?.job, { id: "8_0", elapsedSec: 1 }, "an older record: no such fields");
  const text = taskTable(rows);
  assert.match(text, /^status\s+took\s+cache\s+cpu\s+peak mem\s+task$/m);
  assert.match(text, /1\.3s\s+100\.0 MiB\s+a$/m);
  assert.doesNotMatch(taskTable(taskRows({ ...base, clusterJobs: [[2, "8_0", 1]] })), /peak mem/, "no accounting: no such columns");
});
