// The plan as `flow ui` shows it: `flow status`'s plan (run/status-plan.ts),
// optionally narrowed to the tasks of one tag, with what the side panel
// needs of each task (recipe, inputs, outputs with their sizes on disk).
import { availableParallelism } from "node:os";
import { lstatSync } from "node:fs";
import { join } from "node:path";
import type { Plan, PlannedTask, PlanState, Task, TaskGraph } from "@flow/graph";
import type { ProjectRequest } from "../project/load-project.js";
import { planJson, type PlanJson, type PlanJsonTask } from "../render/plan-render-json.js";
import { readingEnv } from "../run/recursion.js";
import { statusPlan, type StatusPlan } from "../run/status-plan.js";

/** What `flow ui` was started with: the project and the selection the page shows by default. */
export interface UiProject {
  readonly cwd: string;
  readonly dir?: string;
  readonly file?: string;
  /** Targets and VAR=value, as on flow status's command line. */
  readonly words: readonly string[];
  readonly tags: readonly string[];
  /** --cache-dir. */
  readonly cacheDir: string | undefined;
  readonly env: NodeJS.ProcessEnv;
}

/** The project request of a reading: with a tag filter the targets are left out (only the tag's tasks are shown). */
export function projectRequest(p: UiProject, withTargets: boolean): ProjectRequest {
  const words = withTargets ? p.words : p.words.filter((w) => w.includes("="));
  return { cwd: p.cwd, ...(p.dir !== undefined ? { dir: p.dir } : {}), ...(p.file !== undefined ? { file: p.file } : {}), ...readingEnv(p.env, words, availableParallelism()) };
}

export interface UiOutput {
  readonly path: string;
  readonly isDir: boolean;
  /** Bytes on disk now, null when it is not there. */
  readonly size: number | null;
}

export type UiTask = PlanJsonTask & { readonly recipe: string; readonly inputs: readonly string[]; readonly files: readonly UiOutput[]; readonly phony: boolean };

export type UiPlan =
  | { readonly ok: true; readonly plan: PlanJson & { readonly tasks: readonly UiTask[] }; readonly tags: readonly string[]; readonly tag: string | null; readonly pendingIncludes: readonly string[] | null }
  | { readonly ok: false; readonly error: string };

/** The plan and graph, narrowed to `tag`'s tasks when one is given. */
export async function planForUi(p: UiProject, tag: string | undefined): Promise<{ readonly result: StatusPlan; readonly graph?: TaskGraph; readonly plan?: Plan; readonly roots?: readonly number[] }> {
  const result = await statusPlan({ project: projectRequest(p, tag === undefined), cacheDir: p.cacheDir, tags: tag !== undefined ? [tag] : p.tags, onWarning: () => undefined });
  if (result.kind === "planned") return { result, graph: result.graph, plan: tag === undefined ? result.plan : onlyTagged(result.graph, result.plan, tag), roots: result.roots };
  if (result.kind === "pending") return { result, graph: result.graph, plan: result.plan, roots: result.graph.goals };
  return { result };
}

/** The plan's tasks carrying `tag`, in the same order and states (their dependencies are left out of the picture). */
export function onlyTagged(graph: TaskGraph, plan: Plan, tag: string): Plan {
  const order = plan.order.filter((id) => (graph.tasks[id] as Task).tags.includes(tag));
  const tasks = new Map<number, PlannedTask>();
  const counts: Record<PlanState, number> = { stale: 0, waiting: 0, cached: 0, fresh: 0 };
  for (const id of order) {
    const t = plan.tasks.get(id) as PlannedTask;
    tasks.set(id, t);
    counts[t.state]++;
  }
  return { order, tasks, counts, layers: plan.layers };
}

export async function uiPlan(p: UiProject, tag: string | undefined): Promise<UiPlan> {
  const got = await planForUi(p, tag);
  const r = got.result;
  if (r.kind === "error" || r.kind === "unknown-tags") return { ok: false, error: r.message };
  const graph = got.graph as TaskGraph;
  const plan = got.plan as Plan;
  const json = planJson(graph, plan, got.roots ?? []);
  const root = r.root;
  const tasks = json.tasks.map((jt): UiTask => {
    const t = graph.tasks[graph.byName.get(jt.name) as number] as Task;
    return { ...jt, recipe: t.recipe, inputs: t.inputs, phony: t.phony, files: t.outputs.map((o) => ({ path: o.path, isDir: o.isDir, size: sizeOf(join(root, o.path)) })) };
  });
  const tags = [...new Set(graph.tasks.flatMap((t) => t.tags))].sort();
  return { ok: true, plan: { ...json, tasks }, tags, tag: tag ?? null, pendingIncludes: r.kind === "pending" ? r.info.files : null };
}

function sizeOf(path: string): number | null {
  const st = lstatSync(path, { throwIfNoEntry: false });
  return st === undefined ? null : st.isFile() ? st.size : 0;
}
