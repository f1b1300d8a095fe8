// `flow status --plan dot` (Graphviz) and `--plan mermaid` (renders in GitHub
// markdown). Same nodes as the ASCII drawing at level 1: instances of a
// pattern rule in one layer are one node unless --expand. Edges go from a
// dependency to what needs it, so the sources are at the top. Node ids are
// generated (n0, n1, ...): task names may hold any character, and only the
// labels, escaped for each format, carry them.
import { PLAN_STATES, type Plan, type PlanState, type TaskGraph } from "@flow/graph";
import { countsText, nodeEdges, nodesAtLevel, type PlanNode } from "./plan-render-groups.js";
import { reasonText } from "./plan-render-reason.js";

export const FILL: Readonly<Record<PlanState, string>> = { stale: "#f4cccc", waiting: "#fff2cc", cached: "#cfe2f3", fresh: "#d9ead3" };
export const STROKE: Readonly<Record<PlanState, string>> = { stale: "#cc0000", waiting: "#bf9000", cached: "#3d85c6", fresh: "#6aa84f" };

function graphNodes(graph: TaskGraph, plan: Plan, expand: boolean) {
  const { nodes, nodeOf } = nodesAtLevel(graph, plan, expand ? 0 : 1);
  return { nodes, edges: nodeEdges(graph, nodes, nodeOf) };
}

/** Second line of a node: the state, or the counts of a group. */
function detail(plan: Plan, n: PlanNode): string {
  if (n.isGroup) return countsText(n.counts);
  const reason = plan.tasks.get(n.ids[0] as number)?.reason;
  return reason ? `${n.state}: ${reasonText(reason)}` : n.state;
}

function title(n: PlanNode): string {
  return n.isGroup ? `${n.label} x${n.ids.length}` : n.label;
}

/** The last node while generated includes are pending: what comes after them is unknown. */
function restLabel(pending: readonly string[]): [string, string] {
  return ["the rest", `unknown until ${pending.join(", ")} ${pending.length === 1 ? "is" : "are"} made`];
}

/** `pending`: generated includes a build makes first (the plan holds the tasks that make them). */
export function planDot(graph: TaskGraph, plan: Plan, expand: boolean, pending?: readonly string[]): string {
  const { nodes, edges } = graphNodes(graph, plan, expand);
  const q = (s: string) => `"${s.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
  const out = [
    "digraph flow_plan {",
    "  rankdir=TB;",
    '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
    '  edge [color="#666666"];',
  ];
  nodes.forEach((n, i) => {
    out.push(`  n${i} [label=${q(`${title(n)}\n${detail(plan, n)}`)}, fillcolor=${q(FILL[n.state])}, color=${q(STROKE[n.state])}];`);
  });
  for (const [from, to] of edges) out.push(`  n${from} -> n${to};`);
  if (pending) {
    const [t, d] = restLabel(pending);
    out.push(`  rest [label=${q(`${t}\n${d}`)}, style="rounded,dashed"];`);
    nodes.forEach((n, i) => {
      if (!edges.some(([from]) => from === i)) out.push(`  n${i} -> rest [style=dashed];`);
    });
  }
  out.push("}");
  return `${out.join("\n")}\n`;
}

export function planMermaid(graph: TaskGraph, plan: Plan, expand: boolean, pending?: readonly string[]): string {
  const { nodes, edges } = graphNodes(graph, plan, expand);
  // Inside a quoted label only `"` (and the entity syntax itself) needs escaping.
  const esc = (s: string) => s.replace(/#/g, "#35;").replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");
  const out = ["flowchart TD"];
  nodes.forEach((n, i) => out.push(`  n${i}["${esc(title(n))}<br/>${esc(detail(plan, n))}"]:::${n.state}`));
  for (const [from, to] of edges) out.push(`  n${from} --> n${to}`);
  if (pending) {
    const [t, d] = restLabel(pending);
    out.push(`  rest["${esc(t)}<br/>${esc(d)}"]`);
    nodes.forEach((n, i) => {
      if (!edges.some(([from]) => from === i)) out.push(`  n${i} -.-> rest`);
    });
  }
  for (const s of PLAN_STATES) out.push(`  classDef ${s} fill:${FILL[s]},stroke:${STROKE[s]},color:#000000`);
  return `${out.join("\n")}\n`;
}
