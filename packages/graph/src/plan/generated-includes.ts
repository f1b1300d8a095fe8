/**
 * Generated includes, the Make way. A file named by `include` (or `-include`)
 * that some rule makes is a target: before the Flowfile's goals are built,
 * flow builds the included files, and when that did any work it reads the
 * Flowfile again, until a round changes nothing. This module decides what a
 * round must build; the loop itself lives in the CLI (it needs the cache and
 * the runner): see packages/cli/src/project/load-project.ts.
 *
 * An included file no rule makes is a plain source. A missing one is an error
 * for `include` (FLOW016) and silently skipped for `-include`, as in Make.
 */
import { posix } from "node:path";
import { buildTaskGraph, type GraphFs } from "../graph/build-task-graph.js";
import { errorAt, type Diagnostic } from "../diagnostic.js";
import type { FlowfileModel, IncludeRef } from "../reader/flowfile-model.js";
import { planBuild, planIsNoop, type Plan, type PlanHost } from "./plan.js";
import { fail, ok, type Result } from "../result.js";
import { matchTargetPattern } from "../graph/rule-scope.js";
import type { TaskGraph } from "../graph/task-graph.js";

export interface IncludePlan {
  /** Included files some rule makes, in reading order. */
  readonly targets: readonly IncludeRef[];
  /** A graph whose goals are those files (undefined when there are none). */
  readonly graph?: TaskGraph;
}

/** How many times the Flowfile is read at most before flow gives up on generated includes. */
export const MAX_INCLUDE_ROUNDS = 8;

/**
 * What to build before the Flowfile can be read for good. Fails with
 * FLOW016 for a missing `include` that no rule makes, and with whatever is
 * wrong in the rules that make the included files.
 */
export function planIncludes(model: FlowfileModel, opts: { root: string; fs: GraphFs }): Result<IncludePlan, Diagnostic> {
  const seen = new Set<string>();
  const targets: IncludeRef[] = [];
  const mentioned = model.includes.length > 0 ? mentionedTargets(model) : undefined;
  for (const inc of model.includes) {
    if (seen.has(inc.path)) continue;
    seen.add(inc.path);
    // Most included files (dependency files, config) have no rule: a cheap look first.
    const made = mentioned && !mentioned(inc.path) ? ok(false) : isMade(model, inc.path, opts);
    if (!made.ok) return made;
    if (made.value) targets.push(inc);
    else if (!inc.found && !inc.optional) return fail(missingInclude(inc));
  }
  if (targets.length === 0) return ok({ targets });
  const graph = buildTaskGraph(model, { root: opts.root, goals: targets.map((t) => t.path), goalsOnly: true, fs: opts.fs });
  if (!graph.ok) return graph;
  return ok({ targets, graph: graph.value });
}

/**
 * What a build's first include round would do, planned (`flow status`): the
 * plan of the tasks that make the included files, and whether it is settled.
 * Settled means every one of them is fresh: the build's round then does no
 * work, reads the Flowfile once, and the reading at hand is the build's. Any
 * other state (stale, cached, waiting) makes the build remake an included
 * file and read the Flowfile again, so the tasks after it are not known until
 * it is made: a plan cannot tell them.
 */
export interface IncludesPlan {
  /** The plan of the include graph (its goals are the roots). */
  readonly plan: Plan;
  readonly settled: boolean;
}

export async function planGeneratedIncludes(
  graph: TaskGraph,
  opts: { host: PlanHost; env: Readonly<Record<string, string | undefined>> },
): Promise<IncludesPlan> {
  const plan = await planBuild({ graph, roots: graph.goals, host: opts.host, env: opts.env });
  return { plan, settled: planIsNoop(plan) };
}

/** FLOW016 for an included file that is missing and that no rule makes. */
export function missingInclude(inc: IncludeRef, hint?: string): Diagnostic {
  return errorAt("FLOW016", `cannot read '${inc.path}': no such file`, inc.loc, hint ?? "create it, or use '-include' to make it optional, or add a rule that makes it");
}

/**
 * Whether a rule makes `path`: a graph for that one goal has a task for it.
 * "No rule to make target" means no; an existing file without a rule gives no task.
 */
function isMade(model: FlowfileModel, path: string, opts: { root: string; fs: GraphFs }): Result<boolean, Diagnostic> {
  const g = buildTaskGraph(model, { root: opts.root, goals: [path], goalsOnly: true, fs: opts.fs });
  if (g.ok) return ok(g.value.goals.length > 0);
  if (g.error.code === "FLOW012" || g.error.code === "FLOW007") return ok(false);
  return g;
}

/** Whether some rule could make `path`: a target, a `%` pattern that matches, or a word of an .OUTPUTS value. */
function mentionedTargets(model: FlowfileModel): (path: string) => boolean {
  const names = new Set<string>();
  const patterns: string[] = [];
  let outputs = false;
  for (const r of model.rules) {
    for (const t of r.targets) {
      if (t.text.includes("%")) patterns.push(t.text);
      else names.add(posix.normalize(t.text));
    }
  }
  for (const vars of model.targetVars.values()) if (vars.some((v) => v.name === ".OUTPUTS")) outputs = true;
  for (const t of model.targetVars.keys()) if (t.includes("%")) patterns.push(t);
  return (path) => outputs || names.has(path) || patterns.some((p) => matchTargetPattern(p, path) !== undefined) || !/^[^/]/.test(path);
}

/** FLOW010: the included files were still being remade after MAX_INCLUDE_ROUNDS readings. */
export function includesDoNotSettle(targets: readonly IncludeRef[]): Diagnostic {
  const first = targets[0];
  return errorAt(
    "FLOW010",
    `generated includes do not settle: ${targets.map((t) => `'${t.path}'`).join(", ")} still changed after ${MAX_INCLUDE_ROUNDS} readings of the Flowfile`,
    first?.loc,
    "a rule that makes an included file must give the same file once its own output has been read: does its recipe depend on what it generates?",
  );
}
