/**
 * `flow build --explain`: one reason for each task whose recipe runs.
 *
 * It listens to the build's events instead of planning ahead, so it costs
 * nothing for tasks that end up fresh or restored, and it sees what the
 * planner cannot: a task that was waiting reruns because its dependency just
 * produced other bytes. On `task-start` (emitted right before the recipe
 * starts, after the cache lookup missed) it reads the task's last-run key,
 * which the run has not replaced yet, then rebuilds the task's ingredients
 * the way executeTask did: inputs through the memoized stat memo,
 * dependencies' outputs from their records (their keys came with their
 * `task-end` events).
 */
import type { OutputEntry } from "@flow/cache";
import type { BuildEvent } from "./events.js";
import { collectIngredients } from "./execute-task.js";
import { asIngredients, diffIngredients } from "./explain-ingredients.js";
import { computeKey, type Ingredients } from "./key.js";
import type { PlanHost } from "./plan.js";
import { reasonFromDiff, reasonSinceLastRun, type PlanReason } from "./plan-reason.js";
import type { Task, TaskGraph } from "./task-graph.js";

export interface RunExplainerOptions {
  readonly graph: TaskGraph;
  readonly host: PlanHost;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The build's `--force`. */
  readonly force: boolean;
}

export class RunExplainer {
  /** Keys of finished tasks, by id. */
  private readonly keys = new Map<number, string | undefined>();

  constructor(private readonly opts: RunExplainerOptions) {}

  /** Feed every build event, in order; for a `task-start`, returns why that task runs. */
  observe(e: BuildEvent): Promise<PlanReason> | undefined {
    if (e.type === "task-end") this.keys.set(e.task.id, e.result.key);
    if (e.type !== "task-start") return undefined;
    // Read now: a successful run records its own key as the last run.
    const lastKey = this.opts.host.lastRunKey(e.task.name);
    return this.reason(e.task, lastKey);
  }

  private async reason(task: Task, lastKey: string | undefined): Promise<PlanReason> {
    if (task.always) return { kind: "always" };
    if (this.opts.force) return { kind: "forced" };
    const { graph, host, env } = this.opts;
    const deps: [Task, { result: { status: "up-to-date"; key: string; durationMs: number }; outputs: readonly OutputEntry[] }][] = [];
    // A dependency that ran without leaving a record (its result was not cached): its outputs are unknown here.
    const unknown: string[] = [];
    for (const d of task.deps) {
      const dt = graph.tasks[d] as Task;
      const key = this.keys.get(d) ?? "";
      let outputs: readonly OutputEntry[] = [];
      if (dt.outputs.length > 0) {
        const rec = await host.getAction(key);
        if (rec === undefined) {
          unknown.push(dt.name);
          continue;
        }
        outputs = rec.outputs;
      }
      deps.push([dt, { result: { status: "up-to-date", key, durationMs: 0 }, outputs }]);
    }
    const ing = collectIngredients(task, deps, { host, env });
    if ("failed" in ing) return { kind: "input-missing", path: task.inputs.find((p) => host.inputState(p).kind === "missing") ?? "" };
    if (unknown.length > 0) return this.reasonWithout(unknown, ing.ingredients, lastKey);
    const key = computeKey(ing.ingredients, (s) => host.hashString(s));
    // Same ingredients as the last run and still running: the cache lost that result (or could not restore it).
    return (await reasonSinceLastRun(key, ing.ingredients, lastKey, host)) ?? { kind: "not-in-cache" };
  }

  /** The reason when some dependencies' outputs are unknown: compare the rest; else blame those. */
  private async reasonWithout(unknown: readonly string[], now: Ingredients, lastKey: string | undefined): Promise<PlanReason> {
    if (lastKey === undefined) return { kind: "new-task" };
    const last = asIngredients((await this.opts.host.getAction(lastKey))?.ingredients);
    if (!last) return { kind: "last-run-unknown" };
    const diff = diffIngredients(now, last);
    const known = { ...diff, deps: diff.deps.filter((d) => !unknown.includes(d.name)) };
    return reasonFromDiff(known) ?? { kind: "dependency-changed", names: [...unknown] };
  }
}
