import { Command, Option } from "./clipanion.js";
import { availableParallelism } from "node:os";
import { readingEnv } from "../run/recursion.js";
import { RemoteCommand } from "./remote-command.js";
import { t } from "./typanion.js";
import {
  assumeFreshMatcher,
  formatDiagnostic,
  unmatchedPatterns,
  planIsNoop,
  type Plan,
  type PlannedTask,
  type Task,
  type TaskGraph,
  type Diagnostic,
  type PriorLookup,
  type AssumeFresh,
} from "@flow/graph";
import { openPlanCache, type PlanCache } from "../run/cache-location.js";
import { resolveCacheDir } from "../run/cache-dir.js";
import type { RemoteSettings } from "../run/remote-settings.js";
import { checkState, readState, stateRequest } from "../run/build-state.js";
import { openServer } from "../server/open-server.js";
import { serverWanted } from "../server/server-wanted.js";
import { NodeProjectHost } from "../project/node-project-host.js";
import { statSync } from "node:fs";
import { EXIT } from "../exit-codes.js";
import { locateProject } from "../project/load-project.js";
import { planSelection, statusPlan } from "../run/status-plan.js";
import { drawPlan } from "../render/plan-render-ascii.js";
import { planDot, planMermaid } from "../render/plan-render-graph.js";
import { layoutPlan } from "../render/plan-layout.js";
import { planSvg } from "../render/plan-svg.js";
import { planJson, type IncludesJson } from "../render/plan-render-json.js";
import { reasonText } from "../render/plan-render-reason.js";
import { remoteHas } from "../run/remote-status.js";

const FORMATS = ["ascii", "unicode", "json", "dot", "mermaid", "svg"] as const;
type PlanFormat = (typeof FORMATS)[number];

interface PendingIncludes {
  readonly graph: TaskGraph;
  /** The plan of the tasks that make the included files. */
  readonly plan: Plan;
  readonly info: IncludesJson;
}

/** Width of a drawing when stdout is not a terminal and no --width is given. */
export const DEFAULT_WIDTH = 100;

export class StatusCommand extends RemoteCommand {
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
      instances grouped unless --expand), json (schema: docs/status.md), dot (Graphviz), mermaid, or
      svg (a standalone picture laid out by flow itself, coloured by state, with a legend).

      Generated includes (included files a rule makes) come first, as in the build: when a task that
      makes one is not fresh, status shows those tasks and says the rest is unknown until they are
      made (the build reads the Flowfile again then).

      With a remote cache (FLOW_REMOTE_URL), each stale task is asked about with one HEAD (a few at a
      time) and marked when the remote cache has its result: a build would restore it instead of running
      it. Tasks waiting for others are not asked: their keys are known only once those are restored.

      With --assume-fresh PATTERN, status plans as \`flow build --assume-fresh PATTERN\` builds: the tasks it matches
      are fresh (reason: assumed, listed) whatever their ingredients, and their outputs on disk feed
      their dependents' keys; one whose declared outputs are not on disk is stale (the build fails it).

      Runs nothing and writes nothing but the stat memo.
      Exit codes: 0 nothing would run, 1 something would, 2 a bad Flowfile or usage.
    `,
    examples: [
      ["What would `flow build` do?", "$0 status"],
      ["Assert in CI that everything is up to date", "$0 status --tag check && echo nothing to do"],
      ["Draw the plan of a target", "$0 status --plan ascii build/app"],
      ["Draw the plan as a picture", "$0 status --plan svg > plan.svg"],
      ["Render the plan with Graphviz", "$0 status --plan dot | dot -Tsvg > plan.svg"],
    ],
  });

  tags = Option.Array("--tag", [], { description: "Also plan the tasks tagged T (repeatable: the union)" });
  assumeFresh = Option.Array("--assume-fresh", [], { description: "Plan as flow build --assume-fresh PATTERN builds (% wildcard; repeatable)" });
  plan = Option.String("--plan", { description: "Draw the plan: ascii, unicode, json, dot, mermaid or svg", validator: t.isEnum(FORMATS) });
  expand = Option.Boolean("--expand", false, { description: "Draw every task (no grouping of pattern instances)" });
  width = Option.String("--width", { description: "Columns of the drawing (default: the terminal's, else 100)", validator: t.isNumber() });
  noBuiltinRules = Option.Boolean("-r,--no-builtin-rules", false, { description: "No built-in rules (make's %.o: %.c and others), as make -r" });
  noBuiltinVariables = Option.Boolean("-R,--no-builtin-variables", false, { description: "No built-in variables (CC, COMPILE.c ...) and no built-in rules, as make -R" });
  server = Option.Boolean("--server", false, { description: "Ask the project's watching server what changed, starting one if none runs (also FLOW_SERVER=1)" });
  words = Option.Rest({ name: "targets and VAR=value" });

  /** --assume-fresh's matcher, once parsed. */
  private assume: AssumeFresh | undefined;

  override async execute(): Promise<number> {
    const err = this.context.stderr;
    const remote = this.remoteSetup();
    if (!remote.ok) {
      err.write(`flow: ${remote.message}\n`);
      return EXIT.usage;
    }
    if (remote.warning) err.write(`flow: warning ${remote.warning.code}: ${remote.warning.message}\n`);
    if (this.width !== undefined && (!Number.isInteger(this.width) || this.width < 40)) {
      err.write(`flow: --width needs a whole number of at least 40, got ${this.width}\n`);
      return EXIT.usage;
    }
    const assumed = assumeFreshMatcher(this.assumeFresh);
    if (!assumed.ok) {
      err.write(`flow: ${assumed.message}\n`);
      return EXIT.usage;
    }
    this.assume = assumed.assume;
    const reading = readingEnv(process.env, this.words, availableParallelism());
    const projectReq = {
      cwd: process.cwd(),
      ...(this.dir !== undefined ? { dir: this.dir } : {}),
      ...(this.file !== undefined ? { file: this.file } : {}),
      // $(MAKE), $(MAKEFLAGS), $(MAKELEVEL) as the build sets them, so that keys are the build's (recursion.ts).
      ...reading,
      noBuiltinRules: this.noBuiltinRules,
      noBuiltinVariables: this.noBuiltinVariables,
    };
    // The build's persistent state, when it holds (build-state.ts): the plan is what the build would do with it.
    const located = locateProject(projectReq);
    const stateReq =
      located.ok && this.assumeFresh.length === 0 && process.env["FLOW_STATE"] !== "off"
        ? stateRequest(located.value, { environmentOverrides: false, ignoreErrors: false, noBuiltinRules: this.noBuiltinRules, noBuiltinVariables: this.noBuiltinVariables })
        : undefined;
    const stateCache = stateReq === undefined ? undefined : resolveCacheDir(process.cwd(), this.cacheDir, process.env, stateReq.root);
    const stored = stateReq === undefined || stateCache === undefined ? undefined : readState(stateCache, stateReq);
    // The watching server, as the build asks it (read only: status keeps no token).
    let changes: readonly string[] | undefined;
    if (stored !== undefined && stateReq !== undefined) {
      const server = await openServer(stateReq.root, serverWanted(this.server, process.env));
      if (server !== undefined) {
        const r = await server.changesSince(stored.token ?? undefined);
        server.close();
        if (r.changed !== "unknown") changes = r.changed;
      }
    }
    const checked =
      stored === undefined || stateReq === undefined
        ? undefined
        : checkState(stored, { host: new NodeProjectHost(stateReq.root, reading.env, stateReq.top), readEnv: reading.env, env: process.env, force: false, cacheDir: stateCache as string, ...(changes !== undefined ? { changes } : {}) });
    if (checked?.ok === true && stateReq !== undefined) {
      const state = checked.state;
      const cache = await openPlanCache({
        cwd: process.cwd(),
        root: stateReq.root,
        option: this.cacheDir,
        env: process.env,
        onWarning: (w) => err.write(`flow: warning ${w.code}: ${w.message}\n`),
        stat: (p) => {
          const st = state.stats.take(p);
          return st === undefined ? statSync(p, { throwIfNoEntry: false }) : st === null ? undefined : st;
        },
      });
      try {
        return await this.planGraph(state.graph, state.warnings, stateReq.targets.length > 0, cache, remote.settings, (t: Task) => state.priors.get(t.id));
      } finally {
        await cache.close();
      }
    }
    let code: number = EXIT.usage;
    const result = await statusPlan(
      { project: projectReq, cacheDir: this.cacheDir, tags: this.tags, ...(this.assume ? { assume: this.assume } : {}), onWarning: (w) => err.write(`flow: warning ${w.code}: ${w.message}\n`) },
      async (p, cache) => {
        if (p.kind === "planned") code = await this.report(p.graph, p.warnings, p.plan, p.roots, cache, remote.settings, p.includes);
      },
    );
    switch (result.kind) {
      case "error":
        err.write(`${result.message}\n`);
        return EXIT.usage;
      case "unknown-tags":
        for (const w of result.warnings) err.write(`${formatDiagnostic(w)}\n`);
        err.write(`${result.message}\n`);
        return EXIT.usage;
      case "pending":
        // Generated includes first, as the build does them: unless every task
        // that makes one is fresh, the build remakes it and reads the Flowfile
        // again, and what comes after is not known until then.
        this.context.stdout.write(await this.renderPending({ graph: result.graph, plan: result.plan, info: result.info }, result.targets));
        return EXIT.taskFailed;
      case "planned":
        return code;
    }
  }

  /** Plans the selected tasks of a graph and prints the plan; the exit code says whether anything would run. */
  private async planGraph(graph: TaskGraph, warnings: readonly Diagnostic[], targetsGiven: boolean, cache: PlanCache, remoteSettings: RemoteSettings | undefined, prior: PriorLookup | undefined): Promise<number> {
    const planned = await planSelection(graph, { targetsGiven, tags: this.tags, cache, env: process.env, ...(prior !== undefined ? { prior } : {}), ...(this.assume !== undefined ? { assume: this.assume } : {}) });
    if (planned.kind === "unknown-tags") {
      for (const w of warnings) this.context.stderr.write(`${formatDiagnostic(w)}\n`);
      this.context.stderr.write(`${planned.message}\n`);
      return EXIT.usage;
    }
    return this.report(graph, warnings, planned.plan, planned.roots, cache, remoteSettings);
  }

  /** Prints a plan (after the Flowfile's warnings); the exit code says whether anything would run. */
  private async report(
    graph: TaskGraph,
    warnings: readonly Diagnostic[],
    plan: Plan,
    roots: readonly number[],
    cache: PlanCache,
    remoteSettings: RemoteSettings | undefined,
    settled?: IncludesJson,
  ): Promise<number> {
    const err = this.context.stderr;
    for (const w of warnings) err.write(`${formatDiagnostic(w)}\n`);
    for (const p of unmatchedPatterns(this.assumeFresh, graph.tasks)) err.write(`flow: warning ASSUME_FRESH_UNMATCHED: --assume-fresh '${p}' matches no task\n`);
    const inRemote =
      remoteSettings === undefined ? undefined : await remoteHas(plan, { settings: remoteSettings, cacheDir: cache.dir, onWarning: (w) => err.write(`flow: warning ${w.code}: ${w.message}\n`) });
    this.context.stdout.write(await this.render(graph, plan, roots, this.plan, settled, inRemote));
    return planIsNoop(plan) ? EXIT.ok : EXIT.taskFailed;
  }

  /**
   * The plan while generated includes are pending: the tasks that make them
   * (the build's first round), and the rest unknown. Targets and tags are not
   * checked: the included files may be what defines them.
   */
  private async renderPending(p: PendingIncludes, targets: readonly string[]): Promise<string> {
    const files = p.info.files;
    switch (this.plan) {
      case undefined:
        return pendingText(p.graph, p.plan, files);
      case "ascii":
      case "unicode":
        return drawPlan(p.graph, p.plan, { width: this.width ?? terminalWidth(), expand: this.expand, charset: this.plan, roots: targets, pendingIncludes: files });
      case "json":
        return `${JSON.stringify(planJson(p.graph, p.plan, p.graph.goals, { roots: targets, includes: p.info }), null, 2)}\n`;
      case "dot":
        return planDot(p.graph, p.plan, this.expand, files);
      case "mermaid":
        return planMermaid(p.graph, p.plan, this.expand, files);
      case "svg": {
        const made = `${files.join(" ")} ${files.length === 1 ? "is" : "are"} made`;
        const title = `flow plan: generated includes first; the rest is unknown until ${made}`;
        return planSvg(await layoutPlan(p.graph, p.plan, { expandAll: this.expand }), { title });
      }
    }
  }

  /** `includes`: the generated includes, all up to date (only `--plan json` shows them). */
  private async render(
    graph: TaskGraph,
    plan: Plan,
    roots: readonly number[],
    format: PlanFormat | undefined,
    includes: IncludesJson | undefined,
    inRemote?: ReadonlySet<number>,
  ): Promise<string> {
    const names = roots.map((id) => (graph.tasks[id] as Task).name);
    switch (format) {
      case undefined:
        return statusText(graph, plan, inRemote);
      case "ascii":
      case "unicode":
        return drawPlan(graph, plan, { width: this.width ?? terminalWidth(), expand: this.expand, charset: format, roots: names });
      case "json":
        return `${JSON.stringify(planJson(graph, plan, roots, { ...(includes ? { includes } : {}), ...(inRemote ? { inRemote } : {}) }), null, 2)}\n`;
      case "dot":
        return planDot(graph, plan, this.expand);
      case "mermaid":
        return planMermaid(graph, plan, this.expand);
      case "svg":
        return planSvg(await layoutPlan(graph, plan, { expandAll: this.expand }), { title: svgTitle(plan, names) });
    }
  }
}

/** `flow plan of all: 6 tasks: 1 stale, 3 waiting, 0 cached, 2 fresh`, as the ASCII plan's header. */
function svgTitle(plan: Plan, roots: readonly string[]): string {
  const c = plan.counts;
  const n = plan.order.length;
  const of = roots.length > 0 ? ` of ${roots.join(" ")}` : "";
  return `flow plan${of}: ${n} task${n === 1 ? "" : "s"}: ${c.stale} stale, ${c.waiting} waiting, ${c.cached} cached, ${c.fresh} fresh`;
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
export function statusText(graph: TaskGraph, plan: Plan, inRemote?: ReadonlySet<number>): string {
  const c = plan.counts;
  const n = plan.order.length;
  // A task --assume-fresh took is fresh, but listed (with its reason): the build trusts it unchecked.
  const shown = plan.order.map((id) => plan.tasks.get(id) as PlannedTask).filter((p) => p.state !== "fresh" || p.reason?.kind === "assumed");
  const assumed = shown.filter((p) => p.state === "fresh").length;
  const ofThem = assumed === 0 ? "" : ` (${assumed} assumed)`;
  if (planIsNoop(plan) && assumed === 0) return `flow status: ${n} task${n === 1 ? "" : "s"}, all fresh: nothing to do\n`;
  const remote = inRemote === undefined ? "" : ` (${inRemote.size} in the remote cache)`;
  const lines = [
    planIsNoop(plan)
      ? `flow status: ${n} task${n === 1 ? "" : "s"}, all fresh${ofThem}: nothing to do`
      : `flow status: ${n} task${n === 1 ? "" : "s"}: ${c.stale} stale${remote}, ${c.waiting} waiting, ${c.cached} cached, ${c.fresh} fresh${ofThem}`,
  ];
  const nameWidth = Math.min(40, Math.max(...shown.map((p) => (graph.tasks[p.id] as Task).name.length)));
  for (const p of shown) {
    const name = (graph.tasks[p.id] as Task).name;
    const mark = inRemote?.has(p.id) === true ? "; in the remote cache: a build restores it" : "";
    lines.push(`  ${p.state.padEnd(8)} ${name.padEnd(nameWidth)}  ${p.reason ? reasonText(p.reason) : ""}${mark}`.trimEnd());
  }
  return `${lines.join("\n")}\n`;
}

/**
 * `flow status` while generated includes are pending: the tasks that make
 * them, then a line for the rest, which the build reads only once they are made.
 *
 *   flow status: generated include out/tasks.mk first: 1 task: 1 stale, 0 waiting, 0 cached, 0 fresh; the rest unknown until it is made
 *     stale    out/tasks.mk  input changed: manifest.tsv
 *     unknown  the rest: known once out/tasks.mk is made (the build then reads the Flowfile again)
 */
export function pendingText(graph: TaskGraph, plan: Plan, files: readonly string[]): string {
  const c = plan.counts;
  const n = plan.order.length;
  const list = files.join(", ");
  const head =
    `flow status: generated include${files.length === 1 ? "" : "s"} ${list} first: ` +
    `${n} task${n === 1 ? "" : "s"}: ${c.stale} stale, ${c.waiting} waiting, ${c.cached} cached, ${c.fresh} fresh; ` +
    `the rest unknown until ${files.length === 1 ? "it is" : "they are"} made`;
  const body = statusText(graph, plan).split("\n").slice(1).filter((l) => l !== "");
  const rest = `  ${"unknown".padEnd(8)} the rest: known once ${list} ${files.length === 1 ? "is" : "are"} made (the build then reads the Flowfile again)`;
  return `${[head, ...body, rest].join("\n")}\n`;
}
