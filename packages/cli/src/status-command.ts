import { Command, Option } from "./clipanion.js";
import { t } from "./typanion.js";
import { formatDiagnostic, planBuild, planIsNoop, selectTasks, type Plan, type PlannedTask, type Task, type TaskGraph } from "@flow/graph";
import { openPlanCache } from "./cache-location.js";
import { unknownTagMessage } from "./clean-command.js";
import { EXIT } from "./exit-codes.js";
import { loadProject } from "./load-project.js";
import { drawPlan } from "./plan-render-ascii.js";
import { planDot, planMermaid } from "./plan-render-graph.js";
import { planJson } from "./plan-render-json.js";
import { reasonText } from "./plan-render-reason.js";

const FORMATS = ["ascii", "unicode", "json", "dot", "mermaid"] as const;
type PlanFormat = (typeof FORMATS)[number];

/** Width of a drawing when stdout is not a terminal and no --width is given. */
export const DEFAULT_WIDTH = 100;

export class StatusCommand extends Command {
  static override paths = [["status"]];

  static override usage = Command.Usage({
    description: "show what a build would do, and why, without running anything",
    details: `
      Plans a build of the given targets (default: the Flowfile's first rule; --tag adds tagged tasks)
      and prints each task's state: fresh (nothing to do), cached (outputs restored from the cache),
      stale (will run) or waiting (depends on stale work). Each task that is not fresh gets one line
      with its reason: new task, recipe changed, input changed (which), env value changed (which),
      dependency output changed (which), outputs missing, forced or .ALWAYS.

      With --plan, draws the plan instead: ascii or unicode (layers in dependency order; pattern
      instances grouped unless --expand), json (schema: docs/status.md), dot (Graphviz) or mermaid.

      Runs nothing and writes nothing but the stat memo.
      Exit codes: 0 nothing would run, 1 something would, 2 a bad Flowfile or usage.
    `,
    examples: [
      ["What would `flow build` do?", "$0 status"],
      ["Assert in CI that everything is up to date", "$0 status --tag check && echo nothing to do"],
      ["Draw the plan of a target", "$0 status --plan ascii build/app"],
      ["Render the plan with Graphviz", "$0 status --plan dot | dot -Tsvg > plan.svg"],
    ],
  });

  dir = Option.String("-C,--directory", { description: "Run as if started in DIR" });
  file = Option.String("-f,--file", { description: "Read FILE instead of ./Flowfile" });
  cacheDir = Option.String("--cache-dir", { description: "Cache directory (default: $FLOW_CACHE_DIR or .flow/ at the project root)" });
  tags = Option.Array("--tag", [], { description: "Also plan the tasks tagged T (repeatable: the union)" });
  plan = Option.String("--plan", { description: "Draw the plan: ascii, unicode, json, dot or mermaid", validator: t.isEnum(FORMATS) });
  expand = Option.Boolean("--expand", false, { description: "Draw every task (no grouping of pattern instances)" });
  width = Option.String("--width", { description: "Columns of the drawing (default: the terminal's, else 100)", validator: t.isNumber() });
  words = Option.Rest({ name: "targets and VAR=value" });

  override async execute(): Promise<number> {
    const err = this.context.stderr;
    if (this.width !== undefined && (!Number.isInteger(this.width) || this.width < 40)) {
      err.write(`flow: --width needs a whole number of at least 40, got ${this.width}\n`);
      return EXIT.usage;
    }
    const project = loadProject({
      cwd: process.cwd(),
      ...(this.dir !== undefined ? { dir: this.dir } : {}),
      ...(this.file !== undefined ? { file: this.file } : {}),
      words: this.words,
      env: process.env,
    });
    if (!project.ok) {
      err.write(`${formatDiagnostic(project.error)}\n`);
      return EXIT.usage;
    }
    const { root, graph } = project.value;
    for (const w of project.value.warnings) err.write(`${formatDiagnostic(w)}\n`);
    const selection = selectTasks(graph, { targetsGiven: project.value.targets.length > 0, tags: this.tags });
    if (selection.unknownTags.length > 0) {
      err.write(`${unknownTagMessage(graph, selection.unknownTags)}\n`);
      return EXIT.usage;
    }
    const cache = await openPlanCache({
      cwd: process.cwd(),
      root,
      option: this.cacheDir,
      env: process.env,
      onWarning: (w) => err.write(`flow: warning ${w.code}: ${w.message}\n`),
      stat: (p) => project.value.host.takeStat(p),
    });
    let plan: Plan;
    try {
      plan = await planBuild({ graph, roots: selection.roots, host: cache.host, env: process.env });
    } finally {
      await cache.close();
    }
    this.context.stdout.write(this.render(graph, plan, selection.roots, this.plan));
    return planIsNoop(plan) ? EXIT.ok : EXIT.taskFailed;
  }

  private render(graph: TaskGraph, plan: Plan, roots: readonly number[], format: PlanFormat | undefined): string {
    const names = roots.map((id) => (graph.tasks[id] as Task).name);
    switch (format) {
      case undefined:
        return statusText(graph, plan);
      case "ascii":
      case "unicode":
        return drawPlan(graph, plan, { width: this.width ?? terminalWidth(), expand: this.expand, charset: format, roots: names });
      case "json":
        return `${JSON.stringify(planJson(graph, plan, roots), null, 2)}\n`;
      case "dot":
        return planDot(graph, plan, this.expand);
      case "mermaid":
        return planMermaid(graph, plan, this.expand);
    }
  }
}

/** The terminal's columns when stdout is one, else DEFAULT_WIDTH. */
export function terminalWidth(): number {
  return process.stdout.isTTY && process.stdout.columns > 0 ? process.stdout.columns : DEFAULT_WIDTH;
}

/**
 * `flow status` without --plan: the counts, then one line per task that is
 * not fresh, in the order a build would take them.
 *
 *   flow status: 6 tasks: 1 stale, 3 waiting, 0 cached, 2 fresh
 *     stale    build/words.o  input changed: src/words.c
 *     waiting  build/app      waits for build/words.o
 */
export function statusText(graph: TaskGraph, plan: Plan): string {
  const c = plan.counts;
  const n = plan.order.length;
  if (planIsNoop(plan)) return `flow status: ${n} task${n === 1 ? "" : "s"}, all fresh: nothing to do\n`;
  const lines = [`flow status: ${n} task${n === 1 ? "" : "s"}: ${c.stale} stale, ${c.waiting} waiting, ${c.cached} cached, ${c.fresh} fresh`];
  const shown = plan.order.map((id) => plan.tasks.get(id) as PlannedTask).filter((p) => p.state !== "fresh");
  const nameWidth = Math.min(40, Math.max(...shown.map((p) => (graph.tasks[p.id] as Task).name.length)));
  for (const p of shown) {
    const name = (graph.tasks[p.id] as Task).name;
    lines.push(`  ${p.state.padEnd(8)} ${name.padEnd(nameWidth)}  ${p.reason ? reasonText(p.reason) : ""}`.trimEnd());
  }
  return `${lines.join("\n")}\n`;
}
