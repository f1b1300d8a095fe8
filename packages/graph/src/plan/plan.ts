/**
 * The planner: what a build of `roots` would do, decided before anything
 * runs (`flow status`, `flow explain`).
 *
 * It walks the tasks in dependency order and, for each whose dependencies
 * are all known, takes the build's own decision (decide-task.ts) and
 * reports it; it neither restores nor runs:
 *
 *   fresh    verdict fresh: the record exists and the outputs on disk are it;
 *            or verdict assumed (--assume-fresh: the outputs on disk, unchecked)
 *   cached   verdict restore: the build restores the outputs, runs nothing
 *   stale    verdict run (no record, `.ALWAYS`, a phony task, `--force`), or
 *            an input is missing
 *   waiting  a dependency is stale or waiting, so its key is unknown until
 *            that dependency has run (early cutoff may yet spare it); a
 *            stale dependency without outputs (a phony task) does not count:
 *            its dependents' keys take its key, known already
 *
 * A task `--assume-fresh` matches is decided at once (verdict assumed: fresh,
 * with the outputs on disk), whatever its dependencies' states: the build
 * does not look at them for it either.
 *
 * A dependency's outputs enter a key through its record, exactly as the
 * build would see them after restoring, so the planner and the build compute
 * the same keys. A task without a recipe (an aggregate like `all`) does no
 * work: it takes its dependencies' state.
 *
 * The planner writes nothing but the stat memo: its host type (the
 * decision's) has no method that could.
 */
import type { OutputEntry } from "@flow/cache";
import type { AssumeFresh } from "../build/assume-fresh.js";
import { decideTask, isAssumed, type Decision, type DecideHost, type DoneTask, type PriorLookup, type Verdict } from "../build/decide-task.js";
import type { Ingredients } from "../build/key.js";
import type { PlanReason } from "../build/plan-reason.js";
import { topologicalOrder, type Task, type TaskGraph } from "../graph/task-graph.js";

export type PlanState = "fresh" | "cached" | "stale" | "waiting";

/** Most urgent first: the order in which states are counted and listed. */
export const PLAN_STATES: readonly PlanState[] = ["stale", "waiting", "cached", "fresh"];

/** The read-only part of a BuildHost: all the planner may touch. */
export type PlanHost = DecideHost;

export interface PlanRequest {
  readonly graph: TaskGraph;
  /** Selected tasks; the plan covers them and everything they need. */
  readonly roots: readonly number[];
  readonly host: PlanHost;
  /** The process environment, where `.ENV` values are read. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** `--force`: every task with a recipe is stale. */
  readonly force?: boolean;
  /** The persistent build state's vouchers, as the build would use them (decide-task.ts Prior). */
  readonly prior?: PriorLookup;
  /** `--assume-fresh`, as the build takes it (assume-fresh.ts). */
  readonly assume?: AssumeFresh;
}

export interface PlannedTask {
  readonly id: number;
  readonly state: PlanState;
  /** Absent for a fresh task, but for one --assume-fresh took (reason assumed). */
  readonly reason?: PlanReason;
  /** Known unless waiting (or an input is missing). */
  readonly key?: string;
  readonly ingredients?: Ingredients;
  /** The recorded outputs of a fresh or cached task: what its dependents' keys see. */
  readonly outputs?: readonly OutputEntry[];
  /** The build's decision for the task; absent while waiting or with a missing input. */
  readonly decision?: Decision;
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
  const { graph } = req;
  const base = { id: task.id, layer };
  const deps = task.deps.map((d) => planned.get(d) as PlannedTask);
  // Order-only dependencies only delay a task; they never enter its key or its state.
  // A stale dependency without outputs (a phony task that runs every time) hands its
  // dependents its key, which is known before it runs: they do not wait for it.
  const assumed = isAssumed(task, req.assume);
  const pending = assumed ? [] : deps.filter((d) => d.state === "waiting" || (d.state === "stale" && !keyKnownBeforeRun(graph.tasks[d.id] as Task, d)));
  if (pending.length > 0) return { ...base, state: "waiting", reason: { kind: "waiting-for", names: pending.map((d) => nameOf(graph, d.id)) } };

  const done = assumed ? [] : deps.map((d) => [graph.tasks[d.id] as Task, plannedDone(d)] as const);
  const decided = await decideTask(task, done, { host: req.host, env: req.env, force: req.force === true, prior: req.prior, assume: req.assume });
  if (!decided.ok) return { ...base, state: "stale", reason: decided.reason };
  const { decision } = decided;
  const known = { ...base, key: decision.key, ingredients: decision.ingredients, decision };
  // A discovered input (a generated header) that a stale task makes may change before the
  // build decides this task: until it has run, whether this one runs is not known.
  const makers = decision.discovered === undefined ? NO_NAMES : pendingMakers(decision.discovered, planned, graph);
  if (makers.length > 0) return { ...base, state: "waiting", reason: { kind: "waiting-for", names: makers } };

  if (task.recipe === "") {
    const cached = deps.filter((d) => d.state === "cached");
    if (cached.length === 0) return { ...known, state: "fresh", outputs: [] };
    return { ...known, state: "cached", outputs: [], reason: { kind: "deps-restored", names: cached.map((d) => nameOf(graph, d.id)) } };
  }
  // A stale task's outputs are not known until it has run.
  const outputs = decision.verdict === "run" ? {} : { outputs: decision.outputs };
  return { ...known, state: STATE_OF[decision.verdict], ...outputs, ...(decision.reason ? { reason: decision.reason } : {}) };
}

/** A stale task whose dependents' keys need only its own key (it declares no outputs): what the build hands them after it ran. */
function keyKnownBeforeRun(task: Task, p: PlannedTask): boolean {
  return task.outputs.length === 0 && p.key !== undefined;
}

const STATE_OF: Readonly<Record<Verdict, PlanState>> = { fresh: "fresh", restore: "cached", run: "stale", assumed: "fresh" };

/** What a fresh or cached task hands its dependents, as a finished one would in the build. */
export function plannedDone(p: PlannedTask): DoneTask {
  return { result: { status: p.state === "fresh" ? "up-to-date" : p.state === "stale" ? "ran" : "restored", key: p.key as string, durationMs: 0 }, outputs: p.outputs ?? [] };
}

const NO_NAMES: readonly string[] = [];

/** The stale or waiting tasks (in the plan so far) that make one of these discovered inputs. */
function pendingMakers(discovered: readonly (readonly [string, string])[], planned: ReadonlyMap<number, PlannedTask>, graph: TaskGraph): string[] {
  const names: string[] = [];
  for (const [path] of discovered) {
    const id = graph.byOutput.get(path);
    const state = id === undefined ? undefined : planned.get(id)?.state;
    if ((state === "stale" || state === "waiting") && !names.includes(nameOf(graph, id as number))) names.push(nameOf(graph, id as number));
  }
  return names;
}

function nameOf(graph: TaskGraph, id: number): string {
  return (graph.tasks[id] as Task).name;
}
