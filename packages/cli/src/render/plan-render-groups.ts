// The nodes a plan drawing shows: tasks, or groups of tasks of one layer.
//
// A drawing of 10,000 tasks must fit a screen, so tasks of one layer collapse
// into groups, by a key that grows coarser level by level until the layer
// fits the room it has:
//
//   level 0  none: every task is a node (--expand)
//   level 1  instances of one pattern rule: `build/%.o x1200`
//   level 2  and explicit tasks whose names differ only in numbers: `out/part*.txt`
//   level 3  and tasks of one directory: `out/gen/*`
//   level 4  and tasks under one top directory: `out/**`
//   level 5  the whole layer in one node: `** x9000`
//
// A key shared by one task only does not make a group: that task keeps its name.
import { PLAN_STATES, type Plan, type PlanState, type Task, type TaskGraph } from "@flow/graph";

export const MAX_LEVEL = 5;
export type GroupLevel = 0 | 1 | 2 | 3 | 4 | 5;

export interface PlanNode {
  /** The task's name, or the group's key. */
  readonly label: string;
  readonly layer: number;
  /** Task ids, in plan order. */
  readonly ids: readonly number[];
  readonly counts: Readonly<Record<PlanState, number>>;
  /** The most urgent state among its tasks (stale, waiting, cached, fresh). */
  readonly state: PlanState;
  readonly isGroup: boolean;
}

/** Groups of one layer's tasks at a level; sorted by label. */
export function groupLayer(graph: TaskGraph, plan: Plan, layer: number, ids: readonly number[], level: GroupLevel): PlanNode[] {
  const byKey = new Map<string, number[]>();
  const singles: number[] = [];
  for (const id of ids) {
    const key = groupKey(graph.tasks[id] as Task, level);
    if (key === undefined) singles.push(id);
    else {
      const members = byKey.get(key);
      if (members) members.push(id);
      else byKey.set(key, [id]);
    }
  }
  const nodes: PlanNode[] = [];
  for (const [key, members] of byKey) {
    if (members.length === 1) singles.push(members[0] as number);
    else nodes.push(makeNode(plan, key, layer, members, true));
  }
  for (const id of singles) nodes.push(makeNode(plan, (graph.tasks[id] as Task).name, layer, [id], false));
  return nodes.sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
}

function groupKey(t: Task, level: GroupLevel): string | undefined {
  if (level === 0) return undefined;
  if (level === MAX_LEVEL) return "**";
  if (t.pattern !== undefined) return t.pattern;
  switch (level) {
    case 1:
      return undefined;
    case 2:
      return /\d/.test(t.name) ? t.name.replace(/\d+/g, "*") : undefined;
    case 3: {
      const slash = t.name.lastIndexOf("/");
      return slash < 0 ? "*" : `${t.name.slice(0, slash)}/*`;
    }
    case 4: {
      const slash = t.name.indexOf("/");
      return slash < 0 ? "*" : `${t.name.slice(0, slash)}/**`;
    }
  }
}

export function makeNode(plan: Plan, label: string, layer: number, ids: readonly number[], isGroup: boolean): PlanNode {
  const counts: Record<PlanState, number> = { stale: 0, waiting: 0, cached: 0, fresh: 0 };
  for (const id of ids) {
    const p = plan.tasks.get(id);
    if (p) counts[p.state]++;
  }
  const state = PLAN_STATES.find((s) => counts[s] > 0) ?? "fresh";
  return { label, layer, ids, counts, state, isGroup };
}

/** "3 stale, 1197 fresh": non-zero counts, most urgent first. */
export function countsText(counts: Readonly<Record<PlanState, number>>): string {
  return PLAN_STATES.filter((s) => counts[s] > 0)
    .map((s) => `${counts[s]} ${s}`)
    .join(", ");
}

/** Task ids of each layer, in plan order. */
export function layersOf(plan: Plan): number[][] {
  const layers: number[][] = Array.from({ length: plan.layers }, () => []);
  for (const id of plan.order) (layers[plan.tasks.get(id)?.layer ?? 0] as number[]).push(id);
  return layers;
}

/**
 * Edges between nodes (dependency node -> dependent node), deduplicated, from
 * the tasks' dependencies and order-only dependencies. `nodeOf` maps a task
 * id to its node's index; tasks it does not map are left out.
 */
export function nodeEdges(graph: TaskGraph, nodes: readonly PlanNode[], nodeOf: ReadonlyMap<number, number>): [number, number][] {
  const seen = new Set<string>();
  const edges: [number, number][] = [];
  nodes.forEach((n, to) => {
    for (const id of n.ids) {
      const t = graph.tasks[id] as Task;
      for (const d of [...t.deps, ...t.orderOnly]) {
        const from = nodeOf.get(d);
        if (from === undefined || from === to) continue;
        const k = `${from}>${to}`;
        if (seen.has(k)) continue;
        seen.add(k);
        edges.push([from, to]);
      }
    }
  });
  return edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
}

/** Nodes for every layer at one level (dot, mermaid): the nodes, and each task's node index. */
export function nodesAtLevel(graph: TaskGraph, plan: Plan, level: GroupLevel): { nodes: PlanNode[]; nodeOf: Map<number, number> } {
  const nodes: PlanNode[] = [];
  const nodeOf = new Map<number, number>();
  layersOf(plan).forEach((ids, layer) => {
    for (const n of groupLayer(graph, plan, layer, ids, level)) {
      for (const id of n.ids) nodeOf.set(id, nodes.length);
      nodes.push(n);
    }
  });
  return { nodes, nodeOf };
}
