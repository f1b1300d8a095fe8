import assert from "node:assert/strict";
import { test } from "node:test";
import type { BuildEvent, Decision, Task, TaskResult } from "@flow/graph";
import { clock, elapsed, LiveFrame } from "./live-frame.js";

const task = (name: string) => ({ id: 0, name }) as unknown as Task;
const start = (name: string): BuildEvent => ({ type: "task-start", task: task(name), decision: {} as Decision });
const end = (name: string, status: TaskResult["status"]): BuildEvent => ({ type: "task-end", task: task(name), result: { status, durationMs: 0 } });

test("a line per running task with its time so far, then done/total and the counts", () => {
  const f = new LiveFrame();
  f.observe({ type: "build-start", total: 8, concurrency: 2 }, 0);
  f.observe(start("compile a"), 1000);
  f.observe(start("compile b"), 2500);
  assert.equal(
    f.text(4000, 120, 30),
    ["  running   compile a (3.0s)", "  running   compile b (1.5s)", "  [....................] 0/8 done, 0 restored, 0 failed, 2 running"].join("\n"),
  );
  f.observe(end("compile a", "ran"), 5000);
  f.observe(end("x", "restored"), 5000);
  f.observe(end("y", "failed"), 5000);
  f.observe(end("z", "up-to-date"), 5000);
  assert.equal(f.text(5000, 120, 30), ["  running   compile b (2.5s)", "  [##########..........] 4/8 done, 1 restored, 1 failed, 1 running"].join("\n"));
});

test("the ETA: recorded durations, the median for a task without one, shared between the job slots", () => {
  const f = new LiveFrame();
  // Known: a 10 s, b 20 s, c 40 s; d has none: the median, 20 s.
  f.plan(["a", "b", "c", "d"], new Map([["a", 10_000], ["b", 20_000], ["c", 40_000], ["gone", 1]]));
  f.observe({ type: "build-start", total: 4, concurrency: 2 }, 0);
  // Median of 1, 10 000, 20 000, 40 000 is 15 000: (10 + 20 + 40 + 15) s over 2 slots.
  assert.match(f.text(0, 200, 30), /ETA 43s$/);
  f.observe(start("c"), 0);
  f.observe(start("a"), 0);
  // 6 s later: c has 34 s to go, a 4 s, b and d wait (20 + 15): 73 s over 2 slots.
  assert.match(f.text(6000, 200, 30), /ETA 37s$/);
  // A task over its time counts nothing more, never less than nothing.
  f.observe(end("c", "ran"), 6000);
  f.observe(end("b", "up-to-date"), 6000);
  f.observe(end("d", "restored"), 6000);
  assert.match(f.text(20_000, 200, 30), /1 running, ETA 0s$/);
});

test("no recorded durations: no ETA at all", () => {
  const f = new LiveFrame();
  f.plan(["a"], new Map());
  f.observe({ type: "build-start", total: 1, concurrency: 1 }, 0);
  assert.doesNotMatch(f.text(0, 200, 30), /ETA/);
});

test("lines are cut to the width, and running lines to the height, the rest counted", () => {
  const f = new LiveFrame();
  f.observe({ type: "build-start", total: 10, concurrency: 10 }, 0);
  for (let i = 0; i < 10; i++) f.observe(start(`task-with-a-long-name-${i}`), 0);
  const lines = f.text(0, 30, 6).split("\n");
  // 6 rows: 3 running lines, the count of the others, the overall line, and the row the cursor waits on.
  assert.equal(lines.length, 5);
  assert.deepEqual(lines.slice(0, 4), ["  running   task-with-a-lon...", "  running   task-with-a-lon...", "  running   task-with-a-lon...", "  ... and 7 more running"]);
  for (const l of lines) assert.ok(l.length <= 30, l);
});

test("times: tenths of a second while short, minutes and seconds after", () => {
  assert.equal(elapsed(400), "0.4s");
  assert.equal(elapsed(61_000), "1m01s");
  assert.equal(clock(12_400), "12s");
  assert.equal(clock(125_000), "2m05s");
  assert.equal(clock(3_720_000), "1h02m");
});
