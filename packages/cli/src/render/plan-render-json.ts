// `flow status --plan json`: the plan as data, every task (never grouped).
// The schema is docs/status-plan.schema.json, described in docs/status.md;
// bump PLAN_JSON_VERSION on any change that is not a pure addition.
import type { Plan, PlannedTask, PlanReason, Task, TaskGraph } from "@flow/graph";
import { reasonText } from "./plan-render-reason.js";

export const PLAN_JSON_VERSION = 1;

export interface PlanJson {
  readonly version: number;
  readonly roots: readonly string[];
  readonly counts: Plan["counts"];
  readonly layers: number;
  readonly tasks: readonly PlanJsonTask[];
  readonly edges: readonly { readonly from: string; readonly to: string; readonly orderOnly: boolean }[];
  /** Only when the Flowfile has generated includes. */
  readonly includes?: IncludesJson;
}

/**
 * The generated includes of the reading: the included files a rule makes,
 * the tasks that make them, and whether they are pending. Pending: a build
 * makes them first and reads the Flowfile again, so `tasks` holds only the
 * plan of making them and the tasks after are unknown until then.
 */
export interface IncludesJson {
  readonly files: readonly string[];
  readonly tasks: readonly string[];
  readonly pending: boolean;
}

export function includesInfo(graph: TaskGraph, files: readonly string[], pending: boolean): IncludesJson {
  return { files, tasks: graph.goals.map((id) => (graph.tasks[id] as Task).name), pending };
}

export interface PlanJsonTask {
  readonly name: string;
  readonly state: PlannedTask["state"];
  readonly layer: number;
  readonly key: string | null;
  readonly pattern: string | null;
  readonly outputs: readonly string[];
  readonly deps: readonly string[];
  readonly orderOnly: readonly string[];
  readonly tags: readonly string[];
  readonly reason: (Record<string, unknown> & { readonly kind: PlanReason["kind"]; readonly text: string }) | null;
  /** Only with a remote cache: a stale task whose result the remote cache has (a build restores it). */
  readonly remote?: boolean;
}

/** `opts.roots`: names to show as roots instead of `roots`' (pending includes: the targets as given). */
export function planJson(
  graph: TaskGraph,
  plan: Plan,
  roots: readonly number[],
  opts: { readonly roots?: readonly string[]; readonly includes?: IncludesJson; readonly inRemote?: ReadonlySet<number> } = {},
): PlanJson {
  const name = (id: number) => (graph.tasks[id] as Task).name;
  const tasks: PlanJsonTask[] = [];
  const edges: { from: string; to: string; orderOnly: boolean }[] = [];
  for (const id of plan.order) {
    const t = graph.tasks[id] as Task;
    const p = plan.tasks.get(id) as PlannedTask;
    tasks.push({
      name: t.name,
      state: p.state,
      layer: p.layer,
      key: p.key ?? null,
      pattern: t.pattern ?? null,
      outputs: t.outputs.map((o) => (o.isDir ? `${o.path}/` : o.path)),
      deps: t.deps.map(name),
      orderOnly: t.orderOnly.map(name),
      tags: t.tags,
      reason: p.reason ? reasonJson(p.reason) : null,
      ...(opts.inRemote ? { remote: opts.inRemote.has(id) } : {}),
    });
    for (const d of t.deps) edges.push({ from: name(d), to: t.name, orderOnly: false });
    for (const d of t.orderOnly) edges.push({ from: name(d), to: t.name, orderOnly: true });
  }
  const rootNames = opts.roots ?? roots.map(name);
  return { version: PLAN_JSON_VERSION, roots: rootNames, counts: plan.counts, layers: plan.layers, tasks, edges, ...(opts.includes ? { includes: opts.includes } : {}) };
}

/** The reason's fields, with `inputs` for input changes (path, old and new hash, null when added or removed). */
function reasonJson(r: PlanReason): Record<string, unknown> & { kind: PlanReason["kind"]; text: string } {
  const text = reasonText(r);
  switch (r.kind) {
    case "input-changed":
    case "discovered-input-changed":
      return { kind: r.kind, text, inputs: r.changes.map((c) => ({ path: c.name, old: c.old, new: c.new })) };
    default:
      return { ...r, text };
  }
}
