// A laid-out plan (plan-layout.ts) as a standalone SVG: `flow status --plan
// svg` writes it, and `flow ui` puts it in its page and hangs its clicks on
// the nodes. Each node is
//   <g class="node state-STATE" data-node="ID" data-group="1|0"> <title>…</title> <rect/> <text/>… </g>
// and each edge <path class="edge" data-from="ID" data-to="ID"/>. Styles
// are inline attributes as well as classes, so the file looks the same
// opened alone, embedded with <img>, or in a page that restyles it.
// Text is monospace so that the widths the layout reserved hold.
import { detailLine, NODE_STATES, shortLabel, type LayoutNode, type NodeState, type PlanLayout } from "./plan-layout.js";
import { STATE_STYLE, xmlText } from "./state-colors.js";

const FONT = `font-family="ui-monospace, 'DejaVu Sans Mono', Menlo, Consolas, monospace" font-size="12"`;
const LEGEND_ROW = 22;
const SWATCH = 14;

export function planSvg(layout: PlanLayout, options: { title?: string } = {}): string {
  const title = options.title;
  const legend = legendItems(layout);
  const legendWidth = legend.reduce((w, s) => w + legendItemWidth(s), 0) + 16;
  const top = (title !== undefined ? 24 : 0) + LEGEND_ROW + 8;
  const titleWidth = title !== undefined ? [...title].length * 8.5 + 32 : 0;
  const width = Math.ceil(Math.max(layout.width, legendWidth, titleWidth, 120));
  const height = Math.ceil(top + layout.height);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT}>`,
    `<title>${xmlText(title ?? "flow plan")}</title>`,
    "<defs>",
    '<marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse">',
    '<path d="M 0 0 L 10 5 L 0 10 z" fill="#666666"/>',
    "</marker>",
    "</defs>",
    `<rect class="background" width="${width}" height="${height}" fill="#ffffff"/>`,
  ];
  if (title !== undefined) out.push(`<text class="heading" x="16" y="18" font-size="14" font-weight="bold">${xmlText(title)}</text>`);
  out.push(...legendSvg(legend, top - LEGEND_ROW - 4));
  out.push(`<g class="graph" transform="translate(0,${top})">`);
  for (const e of layout.edges) {
    if (e.points.length < 2) continue;
    const d = e.points.map((p, i) => `${i === 0 ? "M" : "L"} ${num(p.x)} ${num(p.y)}`).join(" ");
    out.push(`<path class="edge" data-from="${xmlText(e.from)}" data-to="${xmlText(e.to)}" d="${d}" fill="none" stroke="#666666" stroke-width="1.2" marker-end="url(#arrow)"/>`);
  }
  for (const n of layout.nodes) out.push(...nodeSvg(n));
  out.push("</g>", "</svg>");
  return `${out.join("\n")}\n`;
}

function nodeSvg(n: LayoutNode): string[] {
  const style = STATE_STYLE[n.state];
  const cx = num(n.width / 2);
  const out = [
    `<g class="node state-${n.state}" data-node="${xmlText(n.id)}" data-group="${n.group ? 1 : 0}" transform="translate(${num(n.x)},${num(n.y)})">`,
    `<title>${xmlText(tooltip(n))}</title>`,
    `<rect width="${num(n.width)}" height="${num(n.height)}" rx="6" fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.5"${n.state === "mixed" ? ' stroke-dasharray="4 2"' : ""}/>`,
    `<text class="label" x="${cx}" y="16" text-anchor="middle" fill="#000000">${xmlText(shortLabel(n.label))}</text>`,
    `<text class="detail" x="${cx}" y="31" text-anchor="middle" fill="#444444" font-size="11">${xmlText(detailLine(n))}</text>`,
  ];
  if (n.group) out.push(...countsBar(n));
  out.push("</g>");
  return out;
}

/** A group's counts as a thin bar along its bottom edge, one segment per state. */
function countsBar(n: LayoutNode): string[] {
  const total = n.tasks.length;
  if (total === 0) return [];
  const inner = n.width - 12;
  let x = 6;
  const out: string[] = [];
  for (const s of NODE_STATES) {
    const c = n.counts[s] ?? 0;
    if (c === 0) continue;
    const w = (inner * c) / total;
    out.push(`<rect class="count state-${s}" x="${num(x)}" y="${num(n.height - 6)}" width="${num(w)}" height="3" fill="${STATE_STYLE[s].stroke}"/>`);
    x += w;
  }
  return out;
}

/** The tooltip: the full label, and for a group its counts. */
function tooltip(n: LayoutNode): string {
  if (!n.group) return `${n.label}: ${n.state}`;
  const counts = NODE_STATES.filter((s) => (n.counts[s] ?? 0) > 0)
    .map((s) => `${n.counts[s]} ${s}`)
    .join(", ");
  return `${n.label}: ${n.tasks.length} tasks (${counts})`;
}

/** The states the drawing uses (tasks' states, groups' counts too), in legend order; the plan states when empty. */
function legendItems(layout: PlanLayout): NodeState[] {
  const used = new Set<string>();
  for (const n of layout.nodes) {
    used.add(n.state);
    for (const s of Object.keys(n.counts)) used.add(s);
  }
  const items = NODE_STATES.filter((s) => used.has(s));
  return items.length > 0 ? items : ["stale", "waiting", "cached", "fresh"];
}

function legendText(s: NodeState): string {
  return `${s}: ${STATE_STYLE[s].meaning}`;
}

function legendItemWidth(s: NodeState): number {
  return SWATCH + 6 + legendText(s).length * 7.5 + 18;
}

function legendSvg(items: readonly NodeState[], y: number): string[] {
  const out = [`<g class="legend" transform="translate(16,${y})">`];
  let x = 0;
  for (const s of items) {
    const style = STATE_STYLE[s];
    out.push(
      `<g class="legend-item state-${s}" transform="translate(${num(x)},0)">`,
      `<rect width="${SWATCH}" height="${SWATCH}" rx="3" fill="${style.fill}" stroke="${style.stroke}" stroke-width="1.5"${s === "mixed" ? ' stroke-dasharray="3 2"' : ""}/>`,
      `<text x="${SWATCH + 6}" y="11" fill="#000000">${xmlText(legendText(s))}</text>`,
      "</g>",
    );
    x += legendItemWidth(s);
  }
  out.push("</g>");
  return out;
}

/** Coordinates with at most one decimal: smaller files, and output that compares as text. */
function num(v: number): string {
  return String(Math.round(v * 10) / 10);
}
