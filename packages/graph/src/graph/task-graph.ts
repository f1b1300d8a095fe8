import type { Diagnostic, SourceLocation } from "../diagnostic.js";

/** A declared output: a file, or (`.OUTPUTS` entry ending in `/`) a directory. */
export interface OutputDecl {
  /** Project-relative, normalized, POSIX separators. */
  readonly path: string;
  readonly isDir: boolean;
}

/** One rule instance: the unit flow hashes, caches and runs. */
export interface Task {
  readonly id: number;
  /** Its first target. */
  readonly name: string;
  /** Sorted by path; empty for a `.PHONY` task without `.OUTPUTS`. */
  readonly outputs: readonly OutputDecl[];
  /** Source files read by the task (prerequisites no task makes), sorted, unique. */
  readonly inputs: readonly string[];
  /** Tasks whose outputs (or names, for phony tasks) are prerequisites; sorted, unique. */
  readonly deps: readonly number[];
  /** Order-only prerequisites: run before, never part of the key. */
  readonly orderOnly: readonly number[];
  /** The expanded recipe, run as one `/bin/sh -e -c` script; "" when there is none. */
  readonly recipe: string;
  readonly phony: boolean;
  /** `.ALWAYS`: never cached, runs on every build that selects it. */
  readonly always: boolean;
  /**
   * `.CACHED`: a phony task whose result may be cached (a `test` or `lint`
   * that reruns only when what it reads changed); its log is replayed on a
   * hit. Without it a phony task without outputs runs every time, as in Make.
   */
  readonly cached: boolean;
  readonly tags: readonly string[];
  /** `.ENV` names, sorted: their values join the key and are passed to the recipe. */
  readonly env: readonly string[];
  /** `export`ed Flowfile variables, sorted by name: passed to the recipe and part of its key. */
  readonly exported: readonly (readonly [string, string])[];
  /** `.TIMEOUT` in seconds. */
  readonly timeoutSec?: number;
  readonly loc: SourceLocation;
  /**
   * The depfile its recipe writes (`.DEPFILE`, or `-MD`/`-MMD` in the recipe;
   * depfile-name.ts): the inputs it lists are recorded with the result and
   * checked when deciding (decide-task.ts), never part of the key.
   */
  readonly depfile?: string;
  /** The pattern rule this task is an instance of (its first target pattern). */
  readonly pattern?: string;
  /** `.SLURM`: sbatch options for this task's job (`--mem=8G --time=1:00:00`); not part of the key. */
  readonly slurm?: string;
  /** `.EXECUTOR`: where the recipe runs when the build does not say (`--executor`); not part of the key. */
  readonly executor?: "slurm" | "local";
}

export interface TaskGraph {
  /** Indexed by task id. */
  readonly tasks: readonly Task[];
  readonly byName: ReadonlyMap<string, number>;
  /** Every declared output path (files and directories) to the task that makes it. */
  readonly byOutput: ReadonlyMap<string, number>;
  /** The requested goals that are tasks, in command-line order. */
  readonly goals: readonly number[];
  readonly warnings: readonly Diagnostic[];
}

/**
 * Every task reachable from `roots` through deps and order-only deps, in
 * dependency order (a task after all its dependencies). Iterative, linear in
 * tasks + edges: a 100,000-long chain must not overflow the stack.
 */
export function topologicalOrder(graph: TaskGraph, roots: readonly number[]): number[] {
  const state = new Uint8Array(graph.tasks.length); // 0 new, 1 on stack, 2 done
  const order: number[] = [];
  const stack: { id: number; next: number }[] = [];
  for (const root of roots) {
    if (state[root] !== 0) continue;
    stack.push({ id: root, next: 0 });
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { id: number; next: number };
      const t = graph.tasks[top.id] as Task;
      const edges = t.deps.length + t.orderOnly.length;
      if (top.next < edges) {
        const d = (top.next < t.deps.length ? t.deps[top.next] : t.orderOnly[top.next - t.deps.length]) as number;
        top.next++;
        if (state[d] === 0) {
          state[d] = 1;
          stack.push({ id: d, next: 0 });
        }
        continue;
      }
      state[top.id] = 2;
      order.push(top.id);
      stack.pop();
    }
  }
  return order;
}

/** Finds one cycle, as the list of task ids `a, b, c, a`; undefined when the graph is acyclic. */
export function findCycle(graph: TaskGraph): number[] | undefined {
  const state = new Uint8Array(graph.tasks.length);
  for (let root = 0; root < graph.tasks.length; root++) {
    if (state[root] !== 0) continue;
    const stack: { id: number; next: number }[] = [{ id: root, next: 0 }];
    state[root] = 1;
    while (stack.length > 0) {
      const top = stack[stack.length - 1] as { id: number; next: number };
      const t = graph.tasks[top.id] as Task;
      const edges = t.deps.length + t.orderOnly.length;
      if (top.next < edges) {
        const d = (top.next < t.deps.length ? t.deps[top.next] : t.orderOnly[top.next - t.deps.length]) as number;
        top.next++;
        if (state[d] === 1) {
          const from = stack.findIndex((f) => f.id === d);
          return [...stack.slice(from).map((f) => f.id), d];
        }
        if (state[d] === 0) {
          state[d] = 1;
          stack.push({ id: d, next: 0 });
        }
        continue;
      }
      state[top.id] = 2;
      stack.pop();
    }
  }
  return undefined;
}

/** Reverse edges (dependents), built once per graph. */
export function dependentsOf(graph: TaskGraph): number[][] {
  const out: number[][] = graph.tasks.map(() => []);
  for (const t of graph.tasks) {
    for (const d of t.deps) (out[d] as number[]).push(t.id);
    for (const d of t.orderOnly) (out[d] as number[]).push(t.id);
  }
  return out;
}

/** All tasks that depend on `id`, directly or not (iterative BFS). */
export function descendants(dependents: readonly (readonly number[])[], id: number): number[] {
  const seen = new Set<number>([id]);
  const queue = [id];
  const out: number[] = [];
  for (let i = 0; i < queue.length; i++) {
    for (const n of dependents[queue[i] as number] ?? []) {
      if (seen.has(n)) continue;
      seen.add(n);
      out.push(n);
      queue.push(n);
    }
  }
  return out;
}
