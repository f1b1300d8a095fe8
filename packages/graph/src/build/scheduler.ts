import PQueue from "p-queue";
import { withoutInlineBytes } from "@flow/cache";
import { ReadyQueue, remainingPaths, type ExpectedMs, type ReadyOptions, type ScheduleOrder } from "./critical-path.js";
import type { EmitEvent } from "./events.js";
import type { DoneTask } from "./decide-task.js";
import type { Task, TaskGraph } from "../graph/task-graph.js";
import type { TaskResult } from "./task-result.js";

export interface ScheduleOptions {
  /** Most tasks in flight at once (`-j`). */
  readonly concurrency: number;
  /** `-k`: after a failure, go on with everything that does not depend on it. */
  readonly keepGoing: boolean;
  readonly signal: AbortSignal;
  readonly emit: EmitEvent;
  /**
   * make's -l (load average): asked before a task starts while another is
   * running; while it says no, the task waits (asked again every
   * MAY_START_POLL_MS, or as soon as nothing else runs: one task always may).
   */
  readonly mayStart?: () => boolean;
  /** Which ready task starts first (critical-path.ts); default the longest remaining path. */
  readonly order?: ScheduleOrder;
  /** Each task's expected duration, for the critical path; read only here, once per task. */
  readonly expectedMs?: ExpectedMs;
}

/** How often a task held back by `mayStart` asks again (make checks the load once a second at most). */
const MAY_START_POLL_MS = 200;

/** Runs one task once its dependencies are done; given their results. */
export type ExecuteFn = (task: Task, deps: readonly (readonly [Task, DoneTask])[]) => Promise<DoneTask>;

const SUCCESS = new Set(["ran", "restored", "up-to-date"]);

/**
 * Runs `selected` (task ids in dependency order) under a concurrency limit.
 * A task starts as soon as all its selected dependencies succeeded. A failure
 * marks every descendant `cannot-run`; without keepGoing no new task starts
 * after it (running ones finish, as in Make) and the rest is `skipped`.
 * Among ready tasks the one with the longest remaining path starts first
 * (critical-path.ts), unless `order` is "fifo". Linear in tasks + edges
 * (plus a logarithmic heap step per task); no recursion.
 */
export async function schedule(graph: TaskGraph, selected: readonly number[], exec: ExecuteFn, opts: ScheduleOptions): Promise<Map<number, DoneTask>> {
  const inSel = new Uint8Array(graph.tasks.length);
  for (const id of selected) inSel[id] = 1;
  const waiting: number[] = new Array<number>(graph.tasks.length).fill(0);
  const dependents: number[][] = [];
  for (const id of selected) {
    const t = graph.tasks[id] as Task;
    for (const d of [...t.deps, ...t.orderOnly]) {
      if (!inSel[d]) continue;
      waiting[id] = (waiting[id] ?? 0) + 1;
      (dependents[d] ??= []).push(id);
    }
  }
  const done = new Map<number, DoneTask>();
  // Started once every initially ready task is queued, so that the first ones to start are the best of all of them.
  const queue = new PQueue<ReadyQueue, ReadyOptions>({ concurrency: Math.max(1, opts.concurrency), queueClass: ReadyQueue, autoStart: false });
  // Critical path: the longest remaining path first, ties to the earlier task in dependency order.
  // FIFO: every priority equal, ties to the earlier enqueued.
  // With a slot for every task, every ready task starts at once: the order cannot matter.
  const fifo = opts.order === "fifo" || opts.concurrency >= selected.length;
  const remaining = fifo ? undefined : remainingPaths(graph, selected, dependents, opts.expectedMs);
  const place = new Int32Array(fifo ? 0 : graph.tasks.length);
  if (!fifo) for (let i = 0; i < selected.length; i++) place[selected[i] as number] = i;
  let enqueued = 0;
  let stopping = false;
  let settle!: () => void;
  const finished = new Promise<void>((r) => (settle = r));
  let outstanding = selected.length;

  const finish = (id: number, d: DoneTask) => {
    if (done.has(id)) return;
    const task = graph.tasks[id] as Task;
    // Dependents need only the result and the outputs' hashes: the decision (ingredients,
    // canonical text), the timing and a small output's bytes go out on the event and are not
    // kept for the rest of the build, where every task's would survive into the old
    // generation, slow each scavenge, and add up to memory in the number of tasks.
    done.set(id, { result: d.result, outputs: withoutInlineBytes(d.outputs) });
    if (d.decision === undefined) {
      if (d.timing === undefined) opts.emit({ type: "task-end", task, result: d.result });
      else opts.emit({ type: "task-end", task, result: d.result, timing: d.timing });
    } else {
      // Timing only under a profile: a plain build's event keeps its one shape.
      if (d.timing === undefined) opts.emit({ type: "task-end", task, result: d.result, decision: d.decision });
      else opts.emit({ type: "task-end", task, result: d.result, decision: d.decision, timing: d.timing });
    }
    outstanding--;
    if (!SUCCESS.has(d.result.status)) {
      if (d.result.status === "failed" && !opts.keepGoing) stopping = true;
      // Every descendant inside the selection cannot run (iterative, no recursion).
      const stack = [...(dependents[id] ?? [])];
      while (stack.length > 0) {
        const n = stack.pop() as number;
        if (done.has(n)) continue;
        done.set(n, { result: { status: "cannot-run", reason: "dependency-failed", message: `'${(graph.tasks[id] as Task).name}' did not succeed`, durationMs: 0 }, outputs: [] });
        opts.emit({ type: "task-end", task: graph.tasks[n] as Task, result: (done.get(n) as DoneTask).result });
        outstanding--;
        for (const m of dependents[n] ?? []) stack.push(m);
      }
    } else {
      for (const n of dependents[id] ?? []) {
        waiting[n] = (waiting[n] ?? 0) - 1;
        if (waiting[n] === 0 && !done.has(n)) enqueue(n);
      }
    }
    if (outstanding === 0) settle();
  };

  const skipRest = () => {
    for (const id of selected) {
      if (!done.has(id) && !started.has(id)) {
        done.set(id, { result: { status: "skipped", reason: opts.signal.aborted ? "interrupted" : "dependency-failed", message: opts.signal.aborted ? "interrupted" : "not started after an earlier failure", durationMs: 0 }, outputs: [] });
        opts.emit({ type: "task-end", task: graph.tasks[id] as Task, result: (done.get(id) as DoneTask).result });
        outstanding--;
      }
    }
    if (outstanding === 0) settle();
  };

  const started = new Set<number>();
  /** Tasks whose exec is under way (the -l gate lets one through when this is 0). */
  let running = 0;
  const enqueue = (id: number) => {
    void queue.add(async () => {
      if (stopping || opts.signal.aborted) {
        skipRest();
        return;
      }
      if (opts.mayStart !== undefined) {
        // Until the gate opens or nothing else runs; an interrupt or a failure stops the wait.
        while (running > 0 && !opts.mayStart() && !stopping && !opts.signal.aborted) await new Promise((r) => setTimeout(r, MAY_START_POLL_MS));
        if (stopping || opts.signal.aborted) {
          skipRest();
          return;
        }
      }
      started.add(id);
      running++;
      const t = graph.tasks[id] as Task;
      const deps = t.deps.filter((d) => inSel[d]).map((d) => [graph.tasks[d] as Task, done.get(d) as DoneTask] as const);
      let d: DoneTask;
      try {
        d = await exec(t, deps);
      } catch (e) {
        // A thrown error is a bug in flow; still fail only this task and keep the build consistent.
        const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
        d = { result: { status: "failed", reason: "io", message: `internal error: ${message}`, durationMs: 0 }, outputs: [] };
      }
      running--;
      finish(id, d);
      if (stopping || opts.signal.aborted) skipRest();
    }, remaining === undefined ? { order: enqueued++ } : { priority: remaining[id] as number, order: place[id] as number });
  };

  if (selected.length === 0) return done;
  for (const id of selected) if (waiting[id] === 0) enqueue(id);
  queue.start();
  const onAbort = () => skipRest();
  opts.signal.addEventListener("abort", onAbort, { once: true });
  await finished;
  await queue.onIdle();
  opts.signal.removeEventListener("abort", onAbort);
  return done;
}

export function isSuccess(r: TaskResult): boolean {
  return SUCCESS.has(r.status);
}
