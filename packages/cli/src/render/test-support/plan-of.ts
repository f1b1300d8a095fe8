// A graph and a plan built by hand, for the plan renderers' unit tests
// (ascii, dot, SVG); compiled only into dist-test/.
import type { Plan, PlannedTask, PlanReason, PlanState, Task, TaskGraph } from "@flow/graph";

const LOC = { file: "Flowfile", line: 1, col: 1, lineText: "" };

export interface Spec {
  readonly name: string;
  readonly deps?: readonly string[];
  readonly state?: PlanState;
  readonly pattern?: string;
  readonly reason?: PlanReason;
}

/** A graph and a plan by hand: layers from the deps, states as given (default fresh). */
export function planOf(specs: readonly Spec[]): { graph: TaskGraph; plan: Plan } {
  const ids = new Map(specs.map((s, i) => [s.name, i] as const));
  const tasks: Task[] = specs.map((s, i) => ({
    id: i,
    name: s.name,
    outputs: [{ path: s.name, isDir: false }],
    inputs: [],
    deps: (s.deps ?? []).map((d) => ids.get(d) as number),
    orderOnly: [],
    recipe: "x",
    phony: false,
    always: false,
    cached: false,
    tags: [],
    env: [],
    exported: [],
    loc: LOC,
    ...(s.pattern !== undefined ? { pattern: s.pattern } : {}),
  }));
  const planned = new Map<number, PlannedTask>();
  const counts: Record<PlanState, number> = { stale: 0, waiting: 0, cached: 0, fresh: 0 };
  let layers = 0;
  tasks.forEach((t, i) => {
    const layer = Math.max(-1, ...t.deps.map((d) => (planned.get(d) as PlannedTask).layer)) + 1;
    const state = specs[i]?.state ?? "fresh";
    const reason = specs[i]?.reason;
    planned.set(i, { id: i, state, layer, ...(reason ? { reason } : {}) });
    counts[state]++;
    layers = Math.max(layers, layer + 1);
  });
  const graph: TaskGraph = { tasks, byName: ids, byOutput: ids, goals: [], warnings: [] };
  return { graph, plan: { order: tasks.map((t) => t.id), tasks: planned, counts, layers } };
}
