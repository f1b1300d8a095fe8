import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ContentHash } from "@flow/cache";
import type { BuildEvent } from "./events.js";
import type { DoneTask } from "./decide-task.js";
import { isSuccess, schedule, type ExecuteFn } from "./scheduler.js";
import { topologicalOrder, type Task, type TaskGraph } from "../graph/task-graph.js";
import type { TaskResult, TaskStatus } from "./task-result.js";
import { mkGraph, sleep } from "../test-support.js";

interface Trace {
  readonly exec: ExecuteFn;
  readonly started: string[];
  readonly ended: string[];
  readonly depsSeen: Map<string, string[]>;
  maxInFlight: number;
}

/** An ExecuteFn that sleeps `ms(name)` then returns `status(name)`; records order and concurrency. */
function tracer(opts: { ms?: (n: string) => number; status?: (n: string) => TaskStatus; onStart?: (n: string) => void; throws?: (n: string) => boolean } = {}): Trace {
  let inFlight = 0;
  const tr: Trace = {
    started: [],
    ended: [],
    depsSeen: new Map(),
    maxInFlight: 0,
    exec: async (task, deps) => {
      tr.started.push(task.name);
      tr.depsSeen.set(task.name, deps.map(([t]) => t.name));
      inFlight++;
      tr.maxInFlight = Math.max(tr.maxInFlight, inFlight);
      opts.onStart?.(task.name);
      try {
        await sleep(opts.ms?.(task.name) ?? 1);
        if (opts.throws?.(task.name)) throw new Error(`boom in ${task.name}`);
        const status = opts.status?.(task.name) ?? "ran";
        const result: TaskResult = { status, durationMs: 1, ...(status === "failed" ? { reason: "exit-code" as const, exitCode: 1 } : {}) };
        return { result, outputs: [] } satisfies DoneTask;
      } finally {
        inFlight--;
        tr.ended.push(task.name);
      }
    },
  };
  return tr;
}

async function run(g: TaskGraph, roots: string[], tr: Trace, o: { j?: number; keepGoing?: boolean; signal?: AbortSignal } = {}) {
  const events: BuildEvent[] = [];
  const order = topologicalOrder(
    g,
    roots.map((r) => g.byName.get(r) as number),
  );
  const done = await schedule(g, order, tr.exec, {
    concurrency: o.j ?? 4,
    keepGoing: o.keepGoing ?? false,
    signal: o.signal ?? new AbortController().signal,
    emit: (e) => events.push(e),
  });
  const result = (n: string) => done.get(g.byName.get(n) as number)?.result;
  const status = (n: string) => result(n)?.status;
  const statuses = Object.fromEntries(order.map((id) => [(g.tasks[id] as Task).name, done.get(id)?.result.status]));
  return { done, events, result, status, statuses, order };
}

const wide = (n: number) => mkGraph([["all", Array.from({ length: n }, (_, i) => `w${i}`)], ...Array.from({ length: n }, (_, i) => [`w${i}`, []] as const)]);

describe("schedule", () => {
  test("keeps a finished task's outputs for its dependents without a small file's bytes (memory in the number of tasks)", async () => {
    const g = mkGraph([
      ["b", ["a"]],
      ["a", []],
    ]);
    const bytes = new Uint8Array([104, 105]);
    const seen: DoneTask[] = [];
    const exec: ExecuteFn = async (task, deps) => {
      for (const [, d] of deps) seen.push(d);
      const outputs = task.name === "a" ? [{ path: "a", kind: "file" as const, hash: "h".repeat(32) as ContentHash, size: 2, mode: 0o644, data: bytes }] : [];
      return { result: { status: "ran", durationMs: 1 }, outputs };
    };
    const done = await schedule(g, topologicalOrder(g, [g.byName.get("b") as number]), exec, { concurrency: 2, keepGoing: false, signal: new AbortController().signal, emit: () => undefined });
    const kept = done.get(g.byName.get("a") as number)?.outputs;
    assert.deepEqual(kept, [{ path: "a", kind: "file", hash: "h".repeat(32), size: 2, mode: 0o644 }]);
    assert.deepEqual(seen[0]?.outputs, kept);
  });

  for (const j of [1, 3, 8]) {
    test(`concurrency never exceeds -j ${j}, and reaches it`, async () => {
      const tr = tracer({ ms: () => 5 });
      const r = await run(wide(12), ["all"], tr, { j });
      assert.equal(tr.maxInFlight, Math.min(j, 12));
      assert.equal(tr.started.length, 13);
      assert.ok(Object.values(r.statuses).every((s) => s === "ran"));
    });
  }

  test("-j 0 is treated as 1", async () => {
    const tr = tracer({ ms: () => 2 });
    await run(wide(4), ["all"], tr, { j: 0 });
    assert.equal(tr.maxInFlight, 1);
  });

  test("a task starts only after all its dependencies ended", async () => {
    // a diamond under a chain, plus order-only
    const g = mkGraph([
      ["top", ["left", "right"]],
      ["left", ["base"]],
      ["right", ["base", "mid"]],
      ["mid", ["base"]],
      ["base", []],
    ]);
    (g.tasks[1] as unknown as { orderOnly: number[] }).orderOnly = [3]; // left | mid
    const ms: Record<string, number> = { base: 15, mid: 10, left: 1, right: 1, top: 1 };
    const events: string[] = [];
    const tr = tracer({ ms: (n) => ms[n] ?? 1, onStart: (n) => events.push(`start ${n}`) });
    const inner = tr.exec;
    const exec: ExecuteFn = async (t, d) => {
      const r = await inner(t, d);
      events.push(`end ${t.name}`);
      return r;
    };
    await run(g, ["top"], { ...tr, exec }, { j: 8 });
    const at = (e: string) => events.indexOf(e);
    for (const t of g.tasks) {
      for (const d of [...t.deps, ...t.orderOnly]) {
        const dn = (g.tasks[d] as Task).name;
        assert.ok(at(`end ${dn}`) >= 0 && at(`end ${dn}`) < at(`start ${t.name}`), `${t.name} started before ${dn} ended: ${events.join(", ")}`);
      }
    }
    // order-only deps run first but are not handed over as deps
    assert.deepEqual(tr.depsSeen.get("left"), ["base"]);
    assert.deepEqual(tr.depsSeen.get("top"), ["left", "right"]);
  });

  test("independent tasks run in parallel (the slow one does not serialize the rest)", async () => {
    const g = mkGraph([
      ["all", ["slow", "q1", "q2", "q3"]],
      ["slow", []],
      ["q1", []],
      ["q2", []],
      ["q3", ["q2"]],
    ]);
    const tr = tracer({ ms: (n) => (n === "slow" ? 40 : 1) });
    await run(g, ["all"], tr, { j: 2 });
    assert.deepEqual(tr.ended.slice(0, 3).sort(), ["q1", "q2", "q3"]);
    assert.deepEqual(tr.ended.slice(3), ["slow", "all"]);
  });

  const failGraph = () =>
    mkGraph([
      ["all", ["c", "d", "e", "f"]],
      ["a", []],
      ["b", ["a"]],
      ["c", ["b"]],
      ["d", []],
      ["e", []],
      ["f", ["e"]],
    ]);

  test("a failure marks descendants cannot-run and, without keepGoing, skips what has not started", async () => {
    const tr = tracer({ status: (n) => (n === "a" ? "failed" : "ran") });
    const r = await run(failGraph(), ["all"], tr, { j: 1 });
    assert.equal(tr.started[0], "a");
    assert.deepEqual(tr.started, ["a"]);
    assert.deepEqual(r.statuses, { a: "failed", b: "cannot-run", c: "cannot-run", d: "skipped", e: "skipped", f: "skipped", all: "cannot-run" });
    const b = r.result("b");
    assert.equal(b?.reason, "dependency-failed");
    assert.equal(b?.message, "'a' did not succeed");
    const d = r.result("d");
    assert.equal(d?.reason, "dependency-failed");
    assert.equal(d?.message, "not started after an earlier failure");
  });

  test("with keepGoing, everything that does not depend on the failure finishes", async () => {
    const tr = tracer({ status: (n) => (n === "a" ? "failed" : "ran") });
    const r = await run(failGraph(), ["all"], tr, { j: 1, keepGoing: true });
    assert.deepEqual(r.statuses, { a: "failed", b: "cannot-run", c: "cannot-run", d: "ran", e: "ran", f: "ran", all: "cannot-run" });
    assert.deepEqual([...tr.started].sort(), ["a", "d", "e", "f"]);
  });

  test("tasks already running when another fails are allowed to finish", async () => {
    const tr = tracer({ ms: (n) => (n === "d" ? 30 : 1), status: (n) => (n === "a" ? "failed" : "ran") });
    const g = mkGraph([
      ["all", ["a", "d", "e"]],
      ["d", []],
      ["a", []],
      ["e", []],
    ]);
    const r = await run(g, ["all"], tr, { j: 2 });
    assert.equal(r.status("d"), "ran");
    assert.equal(r.status("a"), "failed");
    assert.equal(r.status("e"), "skipped");
    assert.ok(!tr.started.includes("e"));
  });

  test("a thrown error fails only that task, as an internal error", async () => {
    const tr = tracer({ throws: (n) => n === "b" });
    const g = mkGraph([
      ["all", ["b", "c"]],
      ["b", []],
      ["c", []],
    ]);
    const r = await run(g, ["all"], tr, { j: 1, keepGoing: true });
    const b = r.result("b");
    assert.equal(b?.status, "failed");
    assert.equal(b?.reason, "io");
    assert.match(b?.message ?? "", /^internal error: Error: boom in b/);
    assert.equal(r.status("c"), "ran");
    assert.equal(r.status("all"), "cannot-run");
  });

  test("a task with two failed dependencies is marked once", async () => {
    const g = mkGraph([
      ["all", ["x", "y"]],
      ["x", []],
      ["y", []],
    ]);
    const tr = tracer({ status: (n) => (n === "all" ? "ran" : "failed") });
    const r = await run(g, ["all"], tr, { j: 2, keepGoing: true });
    const ends = r.events.filter((e) => e.type === "task-end").map((e) => (e.type === "task-end" ? e.task.name : ""));
    assert.deepEqual([...ends].sort(), ["all", "x", "y"]);
    assert.equal(r.status("all"), "cannot-run");
  });

  test("one task-end event per task", async () => {
    const tr = tracer({ status: (n) => (n === "a" ? "failed" : "ran") });
    const g = failGraph();
    const r = await run(g, ["all"], tr, { j: 3 });
    const ends = r.events.flatMap((e) => (e.type === "task-end" ? [e.task.name] : []));
    assert.equal(ends.length, g.tasks.length);
    assert.equal(new Set(ends).size, g.tasks.length);
  });

  test("an abort skips what has not started; running tasks finish", async () => {
    const ac = new AbortController();
    const tr = tracer({
      ms: (n) => (n === "w0" ? 20 : 1),
      onStart: (n) => {
        if (n === "w0") setTimeout(() => ac.abort(), 5);
      },
    });
    const r = await run(wide(6), ["all"], tr, { j: 1, signal: ac.signal });
    assert.deepEqual(tr.started, ["w0"]);
    assert.equal(r.status("w0"), "ran");
    for (const n of ["w1", "w2", "w3", "w4", "w5", "all"]) {
      assert.equal(r.status(n), "skipped", n);
      assert.equal(r.result(n)?.reason, "interrupted", n);
    }
  });

  test("an already aborted signal runs nothing", async () => {
    const ac = new AbortController();
    ac.abort();
    const tr = tracer();
    const r = await run(wide(3), ["all"], tr, { signal: ac.signal });
    assert.deepEqual(tr.started, []);
    assert.ok(Object.values(r.statuses).every((s) => s === "skipped"));
  });

  test("an empty selection resolves at once", async () => {
    const tr = tracer();
    const done = await schedule(wide(2), [], tr.exec, { concurrency: 2, keepGoing: false, signal: new AbortController().signal, emit: () => {} });
    assert.equal(done.size, 0);
  });

  test("a dependency outside the selection is not waited for", async () => {
    const g = mkGraph([
      ["b", ["a"]],
      ["a", []],
    ]);
    const tr = tracer();
    const done = await schedule(g, [0], tr.exec, { concurrency: 1, keepGoing: false, signal: new AbortController().signal, emit: () => {} });
    assert.equal(done.get(0)?.result.status, "ran");
    assert.deepEqual(tr.depsSeen.get("b"), []);
  });

  test("isSuccess", () => {
    const r = (status: TaskStatus): TaskResult => ({ status, durationMs: 0 });
    assert.deepEqual(
      (["ran", "restored", "up-to-date", "failed", "cannot-run", "skipped"] as const).map((s) => isSuccess(r(s))),
      [true, true, true, false, false, false],
    );
  });

  test("a 100,000-task chain schedules without deep recursion", async () => {
    const n = 100_000;
    const spec = Array.from({ length: n }, (_, i) => [`t${i}`, i + 1 < n ? [`t${i + 1}`] : []] as const);
    const g = mkGraph(spec);
    let count = 0;
    let last = n;
    const done = await schedule(g, topologicalOrder(g, [0]), async (t) => {
      assert.equal(t.id, last - 1, "chain order");
      last = t.id;
      count++;
      return { result: { status: "ran", durationMs: 0 }, outputs: [] };
    }, { concurrency: 8, keepGoing: false, signal: new AbortController().signal, emit: () => {} });
    assert.equal(count, n);
    assert.equal(done.size, n);
  });
});

/**
 * Runs the schedule on a virtual clock: each task takes `ms[name]` (default
 * 10) of virtual time; whenever the scheduler has settled, the earliest
 * running task ends. Gives each task's start time and the makespan, with
 * no real sleeping and so no timing noise.
 */
async function simulate(g: TaskGraph, roots: string[], ms: Record<string, number>, o: { j: number; order?: "fifo" | "critical-path"; expectedMs?: (t: Task) => number | undefined }) {
  let now = 0;
  let seq = 0;
  const running: { end: number; seq: number; resolve: () => void }[] = [];
  const starts: [string, number][] = [];
  const exec: ExecuteFn = (task) =>
    new Promise<DoneTask>((resolve) => {
      starts.push([task.name, now]);
      const took = ms[task.name] ?? 10;
      running.push({ end: now + took, seq: seq++, resolve: () => resolve({ result: { status: "ran", durationMs: took }, outputs: [] }) });
    });
  const order = topologicalOrder(
    g,
    roots.map((r) => g.byName.get(r) as number),
  );
  let finished = false;
  const p = schedule(g, order, exec, {
    concurrency: o.j,
    keepGoing: false,
    signal: new AbortController().signal,
    emit: () => {},
    ...(o.order ? { order: o.order } : {}),
    ...(o.expectedMs ? { expectedMs: o.expectedMs } : {}),
  }).then(() => (finished = true));
  for (let guard = 0; !finished; guard++) {
    assert.ok(guard < 10_000, "the simulation does not end");
    await new Promise((r) => setImmediate(r));
    running.sort((a, b) => a.end - b.end || a.seq - b.seq);
    const next = running.shift();
    if (next === undefined) continue;
    now = next.end;
    next.resolve();
  }
  await p;
  return { starts, makespan: now, startedAt: Object.fromEntries(starts) as Record<string, number> };
}

describe("schedule order", () => {
  // Four short independent tasks listed before a chain of four: FIFO runs the short ones first.
  const chainAfterShorts = () =>
    mkGraph([
      ["all", ["s1", "s2", "s3", "s4", "c4"]],
      ["s1", []],
      ["s2", []],
      ["s3", []],
      ["s4", []],
      ["c4", ["c3"]],
      ["c3", ["c2"]],
      ["c2", ["c1"]],
      ["c1", []],
    ]);

  test("FIFO starts the short tasks listed first and the chain after them", async () => {
    const r = await simulate(chainAfterShorts(), ["all"], {}, { j: 2, order: "fifo" });
    assert.deepEqual(
      r.starts.map(([n]) => n),
      ["s1", "s2", "s3", "s4", "c1", "c2", "c3", "c4", "all"],
    );
    assert.equal(r.makespan, 70);
  });

  test("critical path (no durations known: the longest chain) starts the chain at once and shortens the build", async () => {
    const r = await simulate(chainAfterShorts(), ["all"], {}, { j: 2 });
    assert.deepEqual(
      r.starts.map(([n]) => n),
      // At 30, c4 and s4 tie (each itself and `all`): the earlier in dependency order goes first.
      ["c1", "s1", "c2", "s2", "c3", "s3", "s4", "c4", "all"],
    );
    assert.equal(r.startedAt["c1"], 0);
    assert.equal(r.startedAt["c4"], 30);
    assert.equal(r.makespan, 50);
  });

  // x (10) is listed first, then a chain k1 -> k2 -> k3 of cheap tasks (5 each), then the heavy h (40).
  const heavy = () =>
    mkGraph([
      ["all", ["x", "k3", "h"]],
      ["x", []],
      ["k3", ["k2"]],
      ["k2", ["k1"]],
      ["k1", []],
      ["h", []],
    ]);
  const heavyMs: Record<string, number> = { x: 10, k1: 5, k2: 5, k3: 5, h: 40, all: 1 };

  test("recorded durations weigh the path: the heavy task starts first, not the longer chain of cheap ones", async () => {
    const fifo = await simulate(heavy(), ["all"], heavyMs, { j: 2, order: "fifo" });
    assert.deepEqual(fifo.starts.slice(0, 3), [["x", 0], ["k1", 0], ["h", 5]]);
    assert.equal(fifo.makespan, 46);
    const unweighted = await simulate(heavy(), ["all"], heavyMs, { j: 2 });
    assert.equal(unweighted.startedAt["h"], 10, "by task count the chain wins and h waits");
    assert.equal(unweighted.makespan, 51);
    const weighted = await simulate(heavy(), ["all"], heavyMs, { j: 2, expectedMs: (t) => heavyMs[t.name] });
    assert.deepEqual(weighted.starts.slice(0, 2), [["h", 0], ["k1", 0]]);
    assert.equal(weighted.makespan, 41);
  });

  test("an unknown duration counts as the median of the known ones", async () => {
    // h unknown: the median of {x 10, k 5, k 5, k 5, all 1} is 5, so h (5) loses to the chain (16).
    const known: Record<string, number | undefined> = { ...heavyMs, h: undefined };
    const r = await simulate(heavy(), ["all"], heavyMs, { j: 2, expectedMs: (t) => known[t.name] });
    assert.equal(r.starts[0]?.[0], "k1");
    // h unknown, x known at 100: the median is 5 again, and x (101) goes first, then the chain.
    const known2: Record<string, number | undefined> = { ...heavyMs, x: 100, h: undefined };
    const r2 = await simulate(heavy(), ["all"], heavyMs, { j: 1, expectedMs: (t) => known2[t.name] });
    assert.deepEqual(
      r2.starts.map(([n]) => n),
      ["x", "k1", "k2", "k3", "h", "all"],
    );
  });

  test("ties go to the earlier task in dependency order, not to the one queued first", async () => {
    // Every task weighs the same. z is ready from the start, p and q only after a and b:
    // FIFO runs z before them; the critical path (z, p and q tie at 2) takes them in dependency order.
    const g = () =>
      mkGraph([
        ["all", ["p", "q", "z"]],
        ["p", ["a"]],
        ["a", []],
        ["q", ["b"]],
        ["b", []],
        ["z", []],
      ]);
    const fifo = await simulate(g(), ["all"], {}, { j: 1, order: "fifo" });
    assert.deepEqual(
      fifo.starts.map(([n]) => n),
      ["a", "b", "z", "p", "q", "all"],
    );
    const cp = await simulate(g(), ["all"], {}, { j: 1 });
    assert.deepEqual(
      cp.starts.map(([n]) => n),
      ["a", "b", "p", "q", "z", "all"],
    );
    const again = await simulate(g(), ["all"], {}, { j: 1 });
    assert.deepEqual(again.starts, cp.starts);
  });
});
