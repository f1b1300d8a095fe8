/**
 * `flow explain TASK`: the task's current ingredients against those of its
 * last successful run in this checkout, in full (the plan gives one reason;
 * this gives every difference).
 *
 * A waiting task's key is not known yet: the outputs of its stale or waiting
 * dependencies are listed as pending and left out of the comparison, and
 * everything else (recipe, inputs, environment, the other dependencies) is
 * compared as usual. A missing input is compared as the hash "missing".
 */
import { collectIngredients } from "../build/decide-task.js";
import { asIngredients, diffIngredients, type IngredientDiff } from "../build/ingredient-diff.js";
import type { Ingredients } from "../build/key.js";
import { planBuild, plannedDone, type PlanHost, type PlannedTask, type PlanState } from "../plan/plan.js";
import type { PlanReason } from "../build/plan-reason.js";
import type { Task, TaskGraph } from "../graph/task-graph.js";

export interface TaskExplanation {
  readonly task: Task;
  readonly state: PlanState;
  /** Absent when fresh. */
  readonly reason?: PlanReason;
  /** The current key; absent while waiting or with a missing input. */
  readonly key?: string;
  /** The key of the last successful run in this checkout. */
  readonly lastKey?: string;
  /** none: never ran here; gone: its record is no longer in the cache; found: `before` holds it. */
  readonly lastRun: "none" | "gone" | "found";
  /** The current ingredients (without pending dependencies). */
  readonly now: Ingredients;
  readonly before?: Ingredients;
  /** now against before, pending dependencies left out; present when lastRun is found. */
  readonly diff?: IngredientDiff;
  /** Dependencies whose outputs are not known before they run (stale or waiting). */
  readonly pendingDeps: readonly string[];
  /** Inputs that do not exist. */
  readonly missingInputs: readonly string[];
}

export interface ExplainRequest {
  readonly graph: TaskGraph;
  readonly id: number;
  readonly host: PlanHost;
  readonly env: Readonly<Record<string, string | undefined>>;
}

export async function explainTask(req: ExplainRequest): Promise<TaskExplanation> {
  const { graph, host } = req;
  const task = graph.tasks[req.id] as Task;
  const plan = await planBuild({ graph, roots: [req.id], host, env: req.env });
  const me = plan.tasks.get(req.id) as PlannedTask;
  const deps = task.deps.map((d) => [graph.tasks[d] as Task, plan.tasks.get(d) as PlannedTask] as const);
  const pendingDeps = deps.filter(([, p]) => p.state === "stale" || p.state === "waiting").map(([t]) => t.name);
  const missingInputs = task.inputs.filter((p) => host.workspace.inputState(p).kind === "missing");

  let now = me.ingredients;
  if (!now) {
    // Waiting, or an input is missing: collect what is known.
    const known = deps.filter(([, p]) => p.state === "fresh" || p.state === "cached").map(([t, p]) => [t, plannedDone(p)] as const);
    const present = { ...task, inputs: task.inputs.filter((p) => !missingInputs.includes(p)) };
    const ing = collectIngredients(present, known, { host: host.workspace, env: req.env });
    if ("failed" in ing) throw new Error(`explain: inputs of '${task.name}' changed while being read`);
    const inputs = [...ing.ingredients.inputs, ...missingInputs.map((p) => [p, "missing"] as const)].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    now = { ...ing.ingredients, inputs };
  }

  const last = await host.cache.lastRun(task.name);
  const lastKey = last?.key;
  const base = {
    task,
    state: me.state,
    ...(me.reason ? { reason: me.reason } : {}),
    ...(me.key !== undefined ? { key: me.key } : {}),
    ...(lastKey !== undefined ? { lastKey } : {}),
    now,
    pendingDeps,
    missingInputs,
  };
  if (last === undefined) return { ...base, lastRun: "none" };
  const before = asIngredients(last.canonical);
  if (!before) return { ...base, lastRun: "gone" };
  const full = diffIngredients(now, before);
  const diff = { ...full, deps: full.deps.filter((d) => !pendingDeps.includes(d.name)) };
  return { ...base, lastRun: "found", before, diff };
}
