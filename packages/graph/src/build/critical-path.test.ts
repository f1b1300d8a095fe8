import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { median, ReadyQueue, remainingPaths } from "./critical-path.js";
import { topologicalOrder, type Task, type TaskGraph } from "../graph/task-graph.js";
import { mkGraph } from "../test-support.js";

function dependentsOf(g: TaskGraph, selected: readonly number[]): number[][] {
  const out: number[][] = [];
  for (const id of selected) for (const d of (g.tasks[id] as Task).deps) (out[d] ??= []).push(id);
  return out;
}

function paths(g: TaskGraph, expected: Record<string, number | undefined> | undefined): Record<string, number> {
  const sel = topologicalOrder(g, [0]);
  const rem = remainingPaths(g, sel, dependentsOf(g, sel), expected === undefined ? undefined : (t) => expected[t.name]);
  return Object.fromEntries(sel.map((id) => [(g.tasks[id] as Task).name, rem[id] as number]));
}

describe("remainingPaths", () => {
  const g = () => {
    const graph = mkGraph([
      ["all", ["a", "c"]],
      ["a", ["b"]],
      ["b", []],
      ["c", ["b"]],
    ]);
    // `all` is an aggregate: no recipe, no weight.
    (graph.tasks[0] as { recipe: string }).recipe = "";
    return graph;
  };

  test("no durations known: every task with a recipe weighs 1, so the path counts tasks", () => {
    assert.deepEqual(paths(g(), undefined), { b: 2, a: 1, c: 1, all: 0 });
  });

  test("known durations: a task's own plus its heaviest dependent path", () => {
    assert.deepEqual(paths(g(), { a: 100, b: 10, c: 30 }), { b: 110, a: 100, c: 30, all: 0 });
  });

  test("an unknown duration is the median of the known ones; a recorded zero still weighs 1 ms", () => {
    assert.deepEqual(paths(g(), { a: 100, b: 0 }), { b: 101, a: 100, c: 50, all: 0 });
    assert.deepEqual(paths(g(), { a: 100, b: 10, c: undefined }), { b: 110, a: 100, c: 55, all: 0 });
  });
});

describe("median", () => {
  test("odd, even, repeated, one", () => {
    assert.equal(median(Float64Array.from([5, 1, 3])), 3);
    assert.equal(median(Float64Array.from([4, 1, 3, 2])), 2.5);
    assert.equal(median(Float64Array.from([7, 7, 7, 1, 7])), 7);
    assert.equal(median(Float64Array.from([9])), 9);
  });

  test("agrees with sorting on random arrays", () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    for (let n = 1; n < 60; n++) {
      const xs = Float64Array.from({ length: n }, () => Math.floor(rnd() * 20));
      const sorted = [...xs].sort((a, b) => a - b);
      const want = n % 2 === 1 ? (sorted[n >> 1] as number) : ((sorted[(n >> 1) - 1] as number) + (sorted[n >> 1] as number)) / 2;
      assert.equal(median(xs), want, `n=${n}`);
    }
  });
});

describe("ReadyQueue", () => {
  test("highest priority first, ties to the lowest order, whatever the insertion order", () => {
    const q = new ReadyQueue();
    const names: string[] = [];
    const run = (n: string) => async () => void names.push(n);
    const items: [string, number, number][] = [["c", 1, 5], ["a", 3, 9], ["d", 1, 2], ["b", 2, 0], ["e", 1, 7]];
    for (const [n, priority, order] of items) q.enqueue(run(n), { priority, order });
    assert.equal(q.size, 5);
    for (let f = q.dequeue(); f !== undefined; f = q.dequeue()) void f();
    assert.deepEqual(names, ["a", "b", "d", "c", "e"]);
    assert.equal(q.size, 0);
  });
});
