// `flow status --plan ascii|unicode`: the plan drawn in layers, in dependency
// order. Layer k holds the tasks whose longest path from a task without
// dependencies is k edges long, so every task sits below all it needs. Each
// node reads `name [mark]`, followed by `<- deps` naming the nodes it needs.
//
//   flow plan: 6 tasks: 1 stale, 3 waiting, 0 cached, 2 fresh
//
//   0 | build/%.o x3 (1 stale, 2 fresh) [S]
//   1 | build/app [W] <- build/%.o
//   2 | all [W] <- build/app   test [W] <- build/app
//
// It fits a screen whatever the graph: nodes of a layer wrap at the width,
// and (without --expand) each layer gets an equal share of BODY_LINES, its
// tasks grouped more coarsely (plan-render-groups.ts) until it fits; past
// MAX_ROWS layers, the middle ones fold into one line. The output depends
// only on the plan and the width, so it can be compared with golden files.
import { PLAN_STATES, type Plan, type PlanState, type Task, type TaskGraph } from "@flow/graph";
import { countsText, groupLayer, layersOf, makeNode, MAX_LEVEL, type GroupLevel, type PlanNode } from "./plan-render-groups.js";

/** Lines the layers may take without --expand (header and legend come on top: about 54 in all). */
export const BODY_LINES = 48;
/** Layers shown without --expand; the ones in the middle beyond that fold into one line. */
const MAX_ROWS = 40;
const DEPS_SHOWN = 3;
const GAP = "   ";

export interface DrawOptions {
  readonly width: number;
  readonly expand: boolean;
  readonly charset: "ascii" | "unicode";
  /** Names of the selected tasks, for the header. */
  readonly roots?: readonly string[];
  /**
   * Generated includes a build makes first: the plan holds only the tasks
   * that make them, and a last line says the rest is unknown until then.
   */
  readonly pendingIncludes?: readonly string[];
}

interface Glyphs {
  readonly bar: string;
  readonly arrow: string;
  readonly times: string;
  readonly ellipsis: string;
  readonly marks: Readonly<Record<PlanState, string>>;
}

const ASCII: Glyphs = { bar: "|", arrow: "<-", times: "x", ellipsis: "...", marks: { stale: "S", waiting: "W", cached: "C", fresh: "F" } };
const UNICODE: Glyphs = { bar: "│", arrow: "←", times: "×", ellipsis: "…", marks: { stale: "●", waiting: "○", cached: "↺", fresh: "✓" } };

const MEANING: Readonly<Record<PlanState, string>> = {
  stale: "stale: will run",
  waiting: "waiting: on stale work",
  cached: "cached: will be restored",
  fresh: "fresh: up to date",
};

type Row = { kind: "layer"; layer: number; ids: readonly number[] } | { kind: "fold"; from: number; to: number; ids: readonly number[] };

export function drawPlan(graph: TaskGraph, plan: Plan, opts: DrawOptions): string {
  const g = opts.charset === "unicode" ? UNICODE : ASCII;
  const width = Math.max(40, opts.width);
  const pending = opts.pendingIncludes;
  const out: string[] = [header(plan, opts.roots ?? [], width, g, pending)];
  if (plan.order.length > 0) {
    out.push("");
    out.push(...body(graph, plan, opts, width, g));
  }
  if (pending) {
    const numWidth = String(Math.max(0, plan.layers - 1)).length;
    const made = `${pending.join(" ")} ${pending.length === 1 ? "is" : "are"} made`;
    out.push(truncate(`${"?".padStart(numWidth)} ${g.bar} the rest [?]: unknown until ${made} (then the Flowfile is read again)`, width, g));
  }
  out.push("");
  out.push(...legend(width, g, pending !== undefined));
  return `${out.join("\n")}\n`;
}

function header(plan: Plan, roots: readonly string[], width: number, g: Glyphs, pending: readonly string[] | undefined): string {
  const c = plan.counts;
  const n = plan.order.length;
  const first = pending ? `generated include${pending.length === 1 ? "" : "s"} first: ` : "";
  const counts = `${first}${n} task${n === 1 ? "" : "s"}: ${c.stale} stale, ${c.waiting} waiting, ${c.cached} cached, ${c.fresh} fresh`;
  const of = roots.length > 0 ? ` of ${roots.join(" ")}` : "";
  return fit(`flow plan${of}: ${counts}`, `flow plan: ${counts}`, width, g);
}

function fit(full: string, short: string, width: number, g: Glyphs): string {
  if (length(full) <= width) return full;
  return length(short) <= width ? short : truncate(short, width, g);
}

function body(graph: TaskGraph, plan: Plan, opts: DrawOptions, width: number, g: Glyphs): string[] {
  const layers = layersOf(plan);
  const rows: Row[] = [];
  if (opts.expand || layers.length <= MAX_ROWS) layers.forEach((ids, layer) => rows.push({ kind: "layer", layer, ids }));
  else {
    const head = Math.floor(MAX_ROWS / 2);
    const tail = MAX_ROWS - head - 1;
    for (let l = 0; l < head; l++) rows.push({ kind: "layer", layer: l, ids: layers[l] as number[] });
    rows.push({ kind: "fold", from: head, to: layers.length - tail - 1, ids: layers.slice(head, layers.length - tail).flat() });
    for (let l = layers.length - tail; l < layers.length; l++) rows.push({ kind: "layer", layer: l, ids: layers[l] as number[] });
  }
  const budget = opts.expand ? Infinity : Math.max(1, Math.floor(BODY_LINES / rows.length));
  const numWidth = String(layers.length - 1).length;
  const gutter = (label: string) => `${label.padStart(numWidth)} ${g.bar} `;
  const room = width - length(gutter(""));
  const levels: GroupLevel[] = rows.map(() => (opts.expand ? 0 : 1));

  // Coarsen the layers that do not fit their share until every one does (levels only grow: this ends).
  for (;;) {
    const nodes = rows.map((r, i) => rowNodes(graph, plan, r, levels[i] as GroupLevel));
    const labelOf = new Map<number, string>();
    for (const ns of nodes) for (const n of ns) for (const id of n.ids) labelOf.set(id, n.label);
    const drawn = rows.map((r, i) => pack((nodes[i] as PlanNode[]).map((n) => nodeText(graph, n, labelOf, room, g, r.kind === "fold")), room));
    let changed = false;
    drawn.forEach((lines, i) => {
      if (lines.length > budget && (levels[i] as number) < MAX_LEVEL) {
        levels[i] = ((levels[i] as number) + 1) as GroupLevel;
        changed = true;
      }
    });
    if (changed) continue;
    const out: string[] = [];
    drawn.forEach((lines, i) => {
      const r = rows[i] as Row;
      const first = r.kind === "layer" ? String(r.layer) : ".".repeat(Math.min(numWidth, 2));
      // Even a layer folded to one node gets no more than its share.
      const shown = Number.isFinite(budget) ? lines.slice(0, budget) : lines;
      shown.forEach((l, j) => out.push(`${gutter(j === 0 ? first : "")}${l}`.trimEnd()));
    });
    return out;
  }
}

function rowNodes(graph: TaskGraph, plan: Plan, r: Row, level: GroupLevel): PlanNode[] {
  if (r.kind === "layer") return groupLayer(graph, plan, r.layer, r.ids, level);
  return [makeNode(plan, `layers ${r.from}-${r.to}`, r.from, r.ids, true)];
}

/** `label xN (counts) [M] <- a, b +2` (a fold: `layers 20-280: 261 tasks (counts) [M]`), cut to fit `room` columns. */
function nodeText(graph: TaskGraph, n: PlanNode, labelOf: ReadonlyMap<number, string>, room: number, g: Glyphs, fold: boolean): string {
  const mark = `[${g.marks[n.state]}]`;
  const counted = fold ? `: ${n.ids.length} tasks` : ` ${g.times}${n.ids.length}`;
  const base = n.isGroup ? `${n.label}${counted} (${countsText(n.counts)}) ${mark}` : `${n.label} ${mark}`;
  const deps = depLabels(graph, n, labelOf);
  for (let shown = Math.min(DEPS_SHOWN, deps.length); shown >= 0; shown--) {
    const rest = deps.length - shown;
    const list = deps.slice(0, shown).join(", ") + (rest > 0 ? `${shown > 0 ? " " : ""}+${rest}` : "");
    const text = deps.length === 0 ? base : `${base} ${g.arrow} ${list}`;
    if (length(text) <= room) return text;
  }
  // Even the base is too long: cut the label, keep the counts and the mark.
  const tail = base.slice(n.label.length);
  return `${truncate(n.label, Math.max(4, room - length(tail)), g)}${tail}`;
}

function depLabels(graph: TaskGraph, n: PlanNode, labelOf: ReadonlyMap<number, string>): string[] {
  const labels = new Set<string>();
  for (const id of n.ids) {
    const t = graph.tasks[id] as Task;
    for (const d of [...t.deps, ...t.orderOnly]) {
      const l = labelOf.get(d);
      if (l !== undefined && l !== n.label) labels.add(l);
    }
  }
  return [...labels].sort();
}

/** Items left to right, GAP apart, wrapping at `room`. */
function pack(items: readonly string[], room: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const item of items) {
    if (line === "") line = item;
    else if (length(line) + GAP.length + length(item) <= room) line += GAP + item;
    else {
      lines.push(line);
      line = item;
    }
  }
  if (line !== "") lines.push(line);
  return lines;
}

function legend(width: number, g: Glyphs, pending: boolean): string[] {
  const items = PLAN_STATES.map((s) => `[${g.marks[s]}] ${MEANING[s]}`);
  if (pending) items.push("[?] unknown: after the includes are made");
  items.push(`a ${g.arrow} b: a needs b`, `p ${g.times}N: N tasks of pattern p`);
  const room = width - "legend: ".length;
  const lines = pack(
    items.map((i) => truncate(i, room, g)),
    room,
  );
  return lines.map((l, i) => `${i === 0 ? "legend: " : "        "}${l}`);
}

/** Cuts the middle out of `s` to make it `max` columns wide. */
function truncate(s: string, max: number, g: Glyphs): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  const keep = Math.max(0, max - g.ellipsis.length);
  const front = Math.ceil(keep / 2);
  return chars.slice(0, front).join("") + g.ellipsis + chars.slice(chars.length - (keep - front)).join("");
}

/** Columns of a string: code points (every glyph above is one column wide). */
function length(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
