/**
 * The planner: what a build of `roots` would do, decided before anything
 * runs (`flow status`, `flow explain`).
 *
 * It walks the tasks in dependency order and, for each, does what the build's
 * first step does (executeTask: ingredients, key, cache lookup) without the
 * second (restore or run):
 *
 *   fresh    the key is computable (every dependency fresh or cached), its
 *            record exists, and the outputs on disk are the recorded ones
 *   cached   the record exists, the outputs on disk are missing or others:
 *            the build restores them and runs nothing
 *   stale    no record for the key (or `.ALWAYS`, or `--force`): it runs
 *   waiting  a dependency is stale or waiting, so its key is unknown until
 *            that dependency has run (early cutoff may yet spare it)
 *
 * A dependency's outputs enter a key through its record, exactly as the
 * build would see them after restoring, so the planner and the build compute
 * the same keys (both call collectIngredients). A task without a recipe (an
 * aggregate like `all`) does no work: it takes its dependencies' state.
 *
 * The planner writes nothing but the stat memo (through `inputState` and
 * `outputsMatch`): its host type has no method that could.
 */
import type { OutputEntry } from "@flow/cache";
import type { BuildHost } from "./build-host.js";
import { collectIngredients, type DoneTask } from "./execute-task.js";
import { keyIngredients, recordMatches, type Ingredients } from "./key.js";
import { outputsReason, reasonSinceLastRun, uncachedReason, type PlanReason } from "./plan-reason.js";
import { topologicalOrder, type Task, type TaskGraph } from "./task-graph.js";

export type PlanState = "fresh" | "cached" | "stale" | "waiting";

/** Most urgent first: the order in which states are counted and listed. */
export const PLAN_STATES: readonly PlanState[] = ["stale", "waiting", "cached", "fresh"];

/** The read-only part of a BuildHost: all the planner may touch. */
export type PlanHost = Pick<BuildHost, "inputState" | "getAction" | "outputsMatch" | "lastRunKey" | "hashString">;

export interface PlanRequest {
  readonly graph: TaskGraph;
  /** Selected tasks; the plan covers them and everything they need. */
  readonly roots: readonly number[];
  readonly host: PlanHost;
  /** The process environment, where `.ENV` values are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--force`: every task with a recipe is stale. */
  readonly force?: boolean;
}

export interface PlannedTask {
  readonly id: number;
  readonly state: PlanState;
  /** Absent for a fresh task. */
  readonly reason?: PlanReason;
  /** Known unless waiting (or an input is missing). */
  readonly key?: string;
  readonly ingredients?: Ingredients;
  /** The recorded outputs of a fresh or cached task: what its dependents' keys see. */
  readonly outputs?: readonly OutputEntry[];
  /** Longest path (in edges, deps and order-only) from a task without dependencies in the plan. */
  readonly layer: number;
}

export interface Plan {
  /** Task ids in dependency order. */
  readonly order: readonly number[];
  /** By task id, for every task in `order`. */
  readonly tasks: ReadonlyMap<number, PlannedTask>;
  readonly counts: Readonly<Record<PlanState, number>>;
  /** Number of layers (the highest layer + 1; 0 for an empty plan). */
  readonly layers: number;
}

/** True when a build of the plan would do nothing: every task fresh. */
export function planIsNoop(plan: Plan): boolean {
  return plan.counts.stale === 0 && plan.counts.cached === 0 && plan.counts.waiting === 0;
}

export async function planBuild(req: PlanRequest): Promise<Plan> {
  const { graph } = req;
  const order = topologicalOrder(graph, req.roots);
  const tasks = new Map<number, PlannedTask>();
  const counts: Record<PlanState, number> = { stale: 0, waiting: 0, cached: 0, fresh: 0 };
  let layers = 0;
  for (const id of order) {
    const task = graph.tasks[id] as Task;
    let layer = 0;
    for (const d of [...task.deps, ...task.orderOnly]) layer = Math.max(layer, (tasks.get(d) as PlannedTask).layer + 1);
    const p = await planTask(task, tasks, req, layer);
    tasks.set(id, p);
    counts[p.state]++;
    layers = Math.max(layers, layer + 1);
  }
  return { order, tasks, counts, layers };
}

async function planTask(task: Task, planned: ReadonlyMap<number, PlannedTask>, req: PlanRequest, layer: number): Promise<PlannedTask> {
  const { graph, host } = req;
  const base = { id: task.id, layer };
  const deps = task.deps.map((d) => planned.get(d) as PlannedTask);
  // Order-only dependencies only delay a task; they never enter its key or its state.
  const pending = deps.filter((d) => d.state === "stale" || d.state === "waiting");
  if (pending.length > 0) return { ...base, state: "waiting", reason: { kind: "waiting-for", names: pending.map((d) => nameOf(graph, d.id)) } };

  const done = deps.map((d) => [graph.tasks[d.id] as Task, plannedDone(d)] as const);
  const ing = collectIngredients(task, done, { host, env: req.env });
  if ("failed" in ing) {
    const path = task.inputs.find((p) => host.inputState(p).kind === "missing") ?? "";
    return { ...base, state: "stale", reason: { kind: "input-missing", path } };
  }
  const ingredients = ing.ingredients;
  const keyed = keyIngredients(ingredients, (s) => host.hashString(s));
  const { key } = keyed;
  const known = { ...base, key, ingredients };

  if (task.recipe === "") {
    const cached = deps.filter((d) => d.state === "cached");
    if (cached.length === 0) return { ...known, state: "fresh", outputs: [] };
    return { ...known, state: "cached", outputs: [], reason: { kind: "deps-restored", names: cached.map((d) => nameOf(graph, d.id)) } };
  }
  if (task.always) return { ...known, state: "stale", reason: { kind: "always" } };
  if (req.force) return { ...known, state: "stale", reason: { kind: "forced" } };

  const rec = await host.getAction(key);
  // The build ignores a record whose ingredients are not the key's (a collision); so does the plan.
  const usable = rec !== undefined && rec.exitCode === 0 && recordMatches(rec.ingredients, keyed);
  if (usable) {
    if (host.outputsMatch(rec.outputs)) return { ...known, state: "fresh", outputs: rec.outputs };
    const since = await reasonSinceLastRun(key, ingredients, host.lastRunKey(task.name), host);
    return { ...known, state: "cached", outputs: rec.outputs, reason: since ?? outputsReason(rec.outputs, host) };
  }
  const since = await reasonSinceLastRun(key, ingredients, host.lastRunKey(task.name), host);
  return { ...known, state: "stale", reason: since ?? uncachedReason(task, host) };
}

/**
 * collectIngredients reads nothing of the host but `inputState`, yet its
 * parameter asks for a whole BuildHost; the cast is safe for that reason only.
 * (Narrowing its type to `Pick<BuildHost, "inputState">` would remove it.)
 */

/** What a fresh or cached task hands its dependents, as a finished one would in the build. */
export function plannedDone(p: PlannedTask): DoneTask {
  return { result: { status: p.state === "fresh" ? "up-to-date" : "restored", key: p.key as string, durationMs: 0 }, outputs: p.outputs ?? [] };
}

function nameOf(graph: TaskGraph, id: number): string {
  return (graph.tasks[id] as Task).name;
}
