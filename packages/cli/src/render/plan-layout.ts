// The plan as positioned boxes and routed edges, for `flow status --plan svg`
// and `flow ui`. elkjs (the Eclipse Layout Kernel, compiled to JavaScript)
// lays it out with its layered algorithm, top to bottom like the ASCII plan:
// a hand-made layering would have to redo its crossing minimisation and edge
// routing, which is most of the work.
//
// The nodes are the ASCII plan's (plan-render-groups.ts): each layer's tasks
// start grouped at level 1 (instances of one pattern rule) and coarsen until
// the layer has at most MAX_NODES_PER_LAYER nodes; past MAX_LAYERS layers the
// middle ones fold into one node. So 10,000 tasks make a few hundred nodes at
// most, which elk lays out in well under a second. A group or a fold is
// expanded by its id (options.expand): a group into its tasks, a fold into
// its layers (each grouped as usual).
//
// Node ids, stable across calls for the same plan:
//   t:NAME            one task
//   g:LAYER:LABEL     a group of one layer's tasks (LABEL: `build/%.o`, `out/*`)
//   f:FROM-TO         the folded layers FROM..TO
import type { Plan, Task, TaskGraph } from "@flow/graph";
import type { ElkExtendedEdge, ElkNode } from "elkjs/lib/elk-api.js";
import { groupLayer, layersOf, makeNode, MAX_LEVEL, nodeEdges, type GroupLevel, type PlanNode } from "./plan-render-groups.js";

export type NodeState =
  | "fresh"
  | "cached"
  | "stale"
  | "waiting" // plan states
  | "ran"
  | "restored"
  | "up-to-date"
  | "failed"
  | "cannot-run"
  | "skipped" // a run's results
  | "mixed"; // a collapsed group with several

/** Most urgent first (plan states, then a run's results, then mixed): the order of counts and of the legend. */
export const NODE_STATES: readonly NodeState[] = ["stale", "waiting", "cached", "fresh", "failed", "cannot-run", "ran", "restored", "up-to-date", "skipped", "mixed"];

export interface LayoutNode {
  readonly id: string;
  /** The task's name, the group's key (`build/%.o`) or `layers 20-280`. */
  readonly label: string;
  /** Names of its tasks, in plan order. */
  readonly tasks: readonly string[];
  readonly group: boolean;
  readonly state: NodeState;
  /** Tasks per state (non-zero only). */
  readonly counts: Readonly<Record<string, number>>;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LayoutEdge {
  readonly from: string;
  readonly to: string;
  /** From the dependency's box to the dependent's: start, bends, end. */
  readonly points: readonly { x: number; y: number }[];
}

export interface PlanLayout {
  width: number;
  height: number;
  nodes: LayoutNode[];
  edges: LayoutEdge[];
}

export interface LayoutOptions {
  /** Ids of collapsed groups (g:...) or folds (f:...) to show expanded. */
  expand?: ReadonlySet<string>;
  /** Every task its own node, no layer folded (`--expand`). */
  expandAll?: boolean;
  /** Colour by a run's results instead of the plan: task name -> state. A task it lacks keeps its plan state. */
  runStates?: ReadonlyMap<string, NodeState>;
}

/** Nodes in one layer before it coarsens (a screen's width of boxes). */
export const MAX_NODES_PER_LAYER = 12;
/** Layers shown; the middle ones beyond that fold into one node. */
export const MAX_LAYERS = 40;
/** Label characters drawn; longer names lose their middle (the full name is in the node's tooltip). */
export const MAX_LABEL = 48;
/** Text metrics the SVG uses (plan-svg.ts): 12px monospace, 7.2px a character. */
export const CHAR_WIDTH = 7.5;
export const NODE_HEIGHT = 40;
const PADDING = 16;

interface Drawn {
  readonly id: string;
  readonly node: PlanNode;
  readonly label: string;
}

export async function layoutPlan(graph: TaskGraph, plan: Plan, options: LayoutOptions = {}): Promise<PlanLayout> {
  const expand = options.expand ?? new Set<string>();
  const drawn = planNodes(graph, plan, expand, options.expandAll === true);
  const nodeOf = new Map<number, number>();
  drawn.forEach((d, i) => {
    for (const id of d.node.ids) nodeOf.set(id, i);
  });
  const pairs = nodeEdges(
    graph,
    drawn.map((d) => d.node),
    nodeOf,
  );
  const nodes = drawn.map((d) => layoutNode(graph, plan, d, options.runStates));
  const elk = await elkInstance();
  const input: ElkNode & { edges: ElkExtendedEdge[] } = {
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "DOWN",
      "elk.edgeRouting": "POLYLINE",
      "elk.spacing.nodeNode": "24",
      "elk.layered.spacing.nodeNodeBetweenLayers": "36",
      "elk.padding": "[top=16,left=16,bottom=16,right=16]",
    },
    children: nodes.map((n, i) => ({ id: `n${i}`, width: n.width, height: n.height })),
    edges: pairs.map(([from, to], i) => ({ id: `e${i}`, sources: [`n${from}`], targets: [`n${to}`] })),
  };
  const laid = await elk.layout(input);
  for (const c of laid.children ?? []) {
    const n = nodes[Number(c.id.slice(1))] as LayoutNode;
    n.x = c.x ?? 0;
    n.y = c.y ?? 0;
  }
  const edges: LayoutEdge[] = (laid.edges ?? []).map((e) => {
    const [from, to] = pairs[Number(e.id.slice(1))] as [number, number];
    const s = e.sections?.[0];
    const points = s ? [s.startPoint, ...(s.bendPoints ?? []), s.endPoint].map((p) => ({ x: p.x, y: p.y })) : [];
    return { from: (nodes[from] as LayoutNode).id, to: (nodes[to] as LayoutNode).id, points };
  });
  return { width: laid.width ?? 0, height: laid.height ?? 0, nodes, edges };
}

/** The nodes to draw, layer by layer: folded, grouped and expanded as the header says. */
function planNodes(graph: TaskGraph, plan: Plan, expand: ReadonlySet<string>, all: boolean): Drawn[] {
  const layers = layersOf(plan);
  const out: Drawn[] = [];
  if (all) {
    layers.forEach((ids, l) => out.push(...ids.map((id) => single(graph, plan, l, id))));
    return out;
  }
  const addLayer = (layer: number) => {
    for (const n of coarsened(graph, plan, layer, layers[layer] as number[])) {
      const id = n.isGroup ? `g:${layer}:${n.label}` : taskId(graph, n);
      if (n.isGroup && expand.has(id)) for (const t of n.ids) out.push(single(graph, plan, layer, t));
      else out.push({ id, node: n, label: n.label });
    }
  };
  if (layers.length <= MAX_LAYERS) {
    layers.forEach((_, l) => addLayer(l));
    return out;
  }
  const head = Math.floor(MAX_LAYERS / 2);
  const tail = MAX_LAYERS - head - 1;
  const from = head;
  const to = layers.length - tail - 1;
  for (let l = 0; l < head; l++) addLayer(l);
  const foldId = `f:${from}-${to}`;
  if (expand.has(foldId)) for (let l = from; l <= to; l++) addLayer(l);
  else {
    const label = `layers ${from}-${to}`;
    out.push({ id: foldId, node: makeNode(plan, label, from, layers.slice(from, to + 1).flat(), true), label });
  }
  for (let l = to + 1; l < layers.length; l++) addLayer(l);
  return out;
}

/** One layer's nodes at the finest level that gives at most MAX_NODES_PER_LAYER of them. */
function coarsened(graph: TaskGraph, plan: Plan, layer: number, ids: readonly number[]): PlanNode[] {
  let level: GroupLevel = 1;
  for (;;) {
    const nodes = groupLayer(graph, plan, layer, ids, level);
    if (nodes.length <= MAX_NODES_PER_LAYER || level === MAX_LEVEL) return nodes;
    level = (level + 1) as GroupLevel;
  }
}

function single(graph: TaskGraph, plan: Plan, layer: number, id: number): Drawn {
  const node = makeNode(plan, (graph.tasks[id] as Task).name, layer, [id], false);
  return { id: taskId(graph, node), node, label: node.label };
}

function taskId(graph: TaskGraph, n: PlanNode): string {
  return `t:${(graph.tasks[n.ids[0] as number] as Task).name}`;
}

function layoutNode(graph: TaskGraph, plan: Plan, d: Drawn, runStates: ReadonlyMap<string, NodeState> | undefined): LayoutNode {
  const tasks = d.node.ids.map((id) => (graph.tasks[id] as Task).name);
  const counts: Record<string, number> = {};
  d.node.ids.forEach((id, i) => {
    const s: NodeState = runStates?.get(tasks[i] as string) ?? plan.tasks.get(id)?.state ?? "waiting";
    counts[s] = (counts[s] ?? 0) + 1;
  });
  const states = Object.keys(counts) as NodeState[];
  const state: NodeState = states.length === 1 ? (states[0] as NodeState) : "mixed";
  const group = d.node.isGroup;
  const lines = [shortLabel(d.label), detailLine({ group, tasks, state, counts })];
  const width = Math.max(80, Math.max(...lines.map((l) => [...l].length)) * CHAR_WIDTH + 2 * PADDING);
  return { id: d.id, label: d.label, tasks, group, state, counts, x: 0, y: 0, width, height: NODE_HEIGHT };
}

/** The second line of a node: its state; for a group `N tasks`, with the counts when they differ (`1200 tasks: 3 stale, 1197 fresh`). */
export function detailLine(n: Pick<LayoutNode, "group" | "tasks" | "state" | "counts">): string {
  if (!n.group) return n.state;
  if (n.state !== "mixed") return `${n.tasks.length} tasks`;
  const counts = NODE_STATES.filter((s) => (n.counts[s] ?? 0) > 0).map((s) => `${n.counts[s]} ${s}`);
  return `${n.tasks.length} tasks: ${counts.join(", ")}`;
}

/** The label cut in the middle to MAX_LABEL characters. */
export function shortLabel(label: string): string {
  const chars = [...label];
  if (chars.length <= MAX_LABEL) return label;
  const keep = MAX_LABEL - 1;
  const front = Math.ceil(keep / 2);
  return `${chars.slice(0, front).join("")}…${chars.slice(chars.length - (keep - front)).join("")}`;
}

type Elk = import("elkjs/lib/elk-api.js").ELK;
let loaded: Elk | undefined;

/** elkjs is 1.6 MB of JavaScript (about 0.2 s to load): only commands that draw load it. */
async function elkInstance(): Promise<Elk> {
  if (!loaded) {
    // A CommonJS module: Node's default export is module.exports, which elk also sets as its own `default`
    // (the one the type declarations describe).
    const ELK = (await import("elkjs/lib/elk.bundled.js")).default.default;
    loaded = new ELK();
  }
  return loaded;
}
