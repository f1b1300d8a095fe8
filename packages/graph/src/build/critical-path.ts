// Critical-path order for the scheduler: among the tasks ready to start, the
// one with the longest remaining path goes first (its own expected duration
// plus the longest chain of dependents after it, within the selection). A
// long chain then starts while the short independent tasks fill the other
// job slots, instead of waiting behind them. Hu's level scheduling, weighted.
import type { Queue, QueueAddOptions } from "p-queue";
import type { Task, TaskGraph } from "../graph/task-graph.js";
import { MinHeap } from "./min-heap.js";

/**
 * How ready tasks are ordered: the longest remaining path first (the
 * default), or first in, first out (each task queued when its last
 * dependency ended: what flow did before, kept for comparison).
 */
export type ScheduleOrder = "critical-path" | "fifo";

/** A task's expected recipe duration in ms (its last recorded run); undefined when unknown. */
export type ExpectedMs = (task: Task) => number | undefined;

/**
 * Each selected task's remaining path in ms, indexed by task id: its weight
 * plus the largest remaining path among its dependents in the selection.
 * A task's weight is its expected duration; an unknown one counts as the
 * median of the known ones (none known: every task weighs the same, so the
 * longest chain of tasks wins); a task with a recipe weighs at least 1 ms
 * (a spawn is never free, and recorded zeros keep the chain length as a
 * tie-break); one without (an aggregate like `all`) weighs nothing.
 * `selected` is in dependency order; O(tasks + edges), plus a linear median.
 */
export function remainingPaths(graph: TaskGraph, selected: readonly number[], dependents: readonly (readonly number[] | undefined)[], expectedMs: ExpectedMs | undefined): Float64Array {
  const weight = new Float64Array(graph.tasks.length);
  const known = new Float64Array(selected.length);
  let nKnown = 0;
  // NaN marks "unknown" until the median is known.
  for (const id of selected) {
    const task = graph.tasks[id] as Task;
    if (task.recipe === "") continue;
    const ms = expectedMs?.(task);
    if (ms !== undefined && Number.isFinite(ms) && ms >= 0) {
      weight[id] = ms;
      known[nKnown++] = ms;
    } else weight[id] = NaN;
  }
  const unknown = nKnown === 0 ? 1 : median(known.subarray(0, nKnown));
  const rem = new Float64Array(graph.tasks.length);
  for (let i = selected.length - 1; i >= 0; i--) {
    const id = selected[i] as number;
    const task = graph.tasks[id] as Task;
    const w = weight[id] as number;
    const own = task.recipe === "" ? 0 : Math.max(1, Number.isNaN(w) ? unknown : w);
    let after = 0;
    // Dependents come later in `selected`: theirs are already computed.
    const ds = dependents[id];
    if (ds !== undefined) {
      for (let k = 0; k < ds.length; k++) {
        const r = rem[ds[k] as number] as number;
        if (r > after) after = r;
      }
    }
    rem[id] = own + after;
  }
  return rem;
}

/** The median of `xs` (reordered in place), by quickselect: linear on average. */
export function median(xs: Float64Array): number {
  const n = xs.length;
  const hi = select(xs, n >> 1);
  if (n % 2 === 1) return hi;
  // The lower middle is the largest of the half below the upper one.
  let lo = -Infinity;
  for (let i = 0; i < n >> 1; i++) lo = Math.max(lo, xs[i] as number);
  return (lo + hi) / 2;
}

/** The k-th smallest of xs; afterwards xs[0..k) hold the k smaller ones. Iterative Hoare partition, middle pivot. */
function select(xs: Float64Array, k: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const pivot = xs[(lo + hi) >> 1] as number;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while ((xs[i] as number) < pivot) i++;
      while ((xs[j] as number) > pivot) j--;
      if (i <= j) {
        const t = xs[i] as number;
        xs[i] = xs[j] as number;
        xs[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return xs[k] as number;
}

type RunFunction = () => Promise<unknown>;

/** p-queue's options with the tie-break: the task's place in dependency order (lower first). */
export type ReadyOptions = QueueAddOptions & { readonly order?: number };

interface Entry {
  readonly run: RunFunction;
  readonly priority: number;
  readonly order: number;
}

/**
 * p-queue's queue as a binary heap: the highest priority first, ties to the
 * lowest `order`, so the start order never depends on which task happened
 * to end first. p-queue's own queue is a sorted array, whose insertion
 * moves every later entry: quadratic with tens of thousands of ready tasks.
 */
export class ReadyQueue implements Queue<RunFunction, ReadyOptions> {
  readonly #heap = new MinHeap<Entry>((a, b) => b.priority - a.priority || a.order - b.order);

  get size(): number {
    return this.#heap.size;
  }

  enqueue(run: RunFunction, options?: Partial<ReadyOptions>): void {
    this.#heap.push({ run, priority: options?.priority ?? 0, order: options?.order ?? 0 });
  }

  dequeue(): RunFunction | undefined {
    return this.#heap.pop()?.run;
  }

  filter(options: Readonly<Partial<ReadyOptions>>): RunFunction[] {
    return this.#heap.values().filter((e) => e.priority === options.priority).map((e) => e.run);
  }

  setPriority(): void {
    // The scheduler never changes a queued task's priority.
    throw new Error("ReadyQueue: setPriority is not supported");
  }
}
