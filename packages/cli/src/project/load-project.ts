import { existsSync } from "node:fs";
import { basename, dirname, relative, resolve } from "node:path";
import {
  buildTaskGraph,
  errorAt,
  fail,
  includesDoNotSettle,
  MAX_INCLUDE_ROUNDS,
  missingInclude,
  ok,
  planIncludes,
  readFlowfile,
  unsetVariableWarnings,
  type Diagnostic,
  type FlowfileModel,
  type IncludePlan,
  type IncludeRef,
  type Result,
  type TaskGraph,
} from "@flow/graph";
import { NodeProjectHost } from "./node-project-host.js";
import { findProjectTop } from "./project-top.js";

export interface ProjectRequest {
  /** The directory flow was started in. */
  readonly cwd: string;
  /** `-C DIR`. */
  readonly dir?: string;
  /** `-f FILE`. */
  readonly file?: string;
  /** Positional words: targets and `VAR=value` overrides. */
  readonly words: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** `-e`: environment values beat the Flowfile's assignments (make's --environment-overrides). */
  readonly environmentOverrides?: boolean;
  /** Select every explicit target instead of the default goal when no target is named. */
  readonly allTargets?: boolean;
  /**
   * Accept outputs below symlinked directories (FLOW007/FLOW020 otherwise):
   * for `flow clean`, which never follows a link and must still clean up a
   * project where a link took the place of an output directory.
   */
  readonly linkedOutputs?: boolean;
  /** `-r`: no built-in rules. */
  readonly noBuiltinRules?: boolean;
  /** `-R`: no built-in variables (and no built-in rules). */
  readonly noBuiltinVariables?: boolean;
}

export interface Project {
  /** Absolute directory of the Flowfile: recipes run here, paths are relative to it. */
  readonly root: string;
  /** The Flowfile's name relative to the root, as messages show it. */
  readonly flowfile: string;
  readonly model: FlowfileModel;
  readonly graph: TaskGraph;
  readonly overrides: ReadonlyMap<string, string>;
  readonly targets: readonly string[];
  readonly warnings: readonly Diagnostic[];
  /** The disk as the graph saw it; its stats are reused by the stat memo. */
  readonly host: NodeProjectHost;
}

/** Names tried, in order, when no -f is given: flow's own, then Make's (so a Makefile runs as is). */
const DEFAULT_NAMES = ["Flowfile", "Makefile", "makefile"];

export function splitWords(words: readonly string[]): { targets: string[]; overrides: Map<string, string> } {
  const targets: string[] = [];
  const overrides = new Map<string, string>();
  for (const w of words) {
    const m = /^([A-Za-z_.][A-Za-z0-9_.-]*)=(.*)$/s.exec(w);
    if (m) overrides.set(m[1] as string, m[2] as string);
    else targets.push(w);
  }
  return { targets, overrides };
}

export interface Located {
  readonly root: string;
  /** The top of the project (findProjectTop): globs may read below it. */
  readonly top: string;
  readonly flowfile: string;
  readonly targets: string[];
  readonly overrides: Map<string, string>;
}

/** Where the project is (-C, -f, the default names) and what the command line asks of it; reads nothing but the directory. */
export function locateProject(req: ProjectRequest): Result<Located, Diagnostic> {
  const base = resolve(req.cwd, req.dir ?? ".");
  if (!existsSync(base)) {
    return fail(errorAt("FLOW016", `directory '${req.dir}' does not exist`, undefined, "pass -C an existing directory"));
  }
  let flowfilePath: string | undefined;
  if (req.file !== undefined) {
    flowfilePath = resolve(base, req.file);
    if (!existsSync(flowfilePath)) return fail(errorAt("FLOW016", `no Flowfile at '${req.file}'`, undefined, "check the path given to -f"));
  } else {
    flowfilePath = DEFAULT_NAMES.map((n) => resolve(base, n)).find((p) => existsSync(p));
    if (!flowfilePath) {
      return fail(
        errorAt("FLOW016", `no Flowfile in ${relative(req.cwd, base) || "."}`, undefined, "create a Flowfile (see docs/flowfile.md), or pass -C DIR or -f FILE"),
      );
    }
  }
  const root = dirname(flowfilePath);
  const found = findProjectTop(root, req.env);
  if ("error" in found) return fail(errorAt("FLOW007", found.error, undefined, "set FLOW_ROOT to a directory at or above the Flowfile's, or unset it"));
  return ok({ root, top: found.top, flowfile: basename(flowfilePath), ...splitWords(req.words) });
}

/** One reading of the Flowfile, with a fresh host (so its warnings are this reading's). */
function read(req: ProjectRequest, at: Located): { host: NodeProjectHost; model: Result<FlowfileModel, Diagnostic> } {
  const host = new NodeProjectHost(at.root, req.env, at.top);
  const envNames = host.shape.envNames;
  // -e copies the whole environment over the Flowfile's assignments: every value shapes the graph.
  if (req.environmentOverrides === true) host.shape.wholeEnv = true;
  const model = readFlowfile(host, {
    onEnvLookup: (name) => envNames.add(name),
    file: at.flowfile,
    overrides: at.overrides,
    env: req.env,
    goals: at.targets,
    missingIncludes: "defer",
    noBuiltinRules: req.noBuiltinRules === true,
    noBuiltinVariables: req.noBuiltinVariables === true,
    ...(req.environmentOverrides === true ? { environmentOverrides: true } : {}),
  });
  return { host, model };
}

/** The full graph of a model read for good, and every warning about it. */
function finish(req: ProjectRequest, at: Located, host: NodeProjectHost, model: FlowfileModel): Result<Project, Diagnostic> {
  const missing = model.includes.find((i) => !i.found && !i.optional);
  if (missing) return fail(missingInclude(missing));
  const graph = buildTaskGraph(model, { root: at.root, goals: at.targets, fs: host, ...(req.allTargets ? { allTargets: true } : {}) });
  if (!graph.ok) return graph;
  const linked = req.linkedOutputs === true ? undefined : host.outputLinkProblem(graph.value);
  if (linked) return fail(linked);
  // An include a rule makes is checked by building it (loadProjectBuildingIncludes), not by a stat: no state is kept.
  const made = model.includes.find((i) => graph.value.byOutput.has(i.path) || graph.value.byName.has(i.path));
  if (made !== undefined) host.shape.unsupported = `the Flowfile includes ${made.path}, which a rule makes`;
  const warnings = [...host.warnings, ...graph.value.warnings, ...unsetVariableWarnings(model)];
  return ok({ root: at.root, flowfile: at.flowfile, model, graph: graph.value, overrides: at.overrides, targets: at.targets, warnings, host });
}

/**
 * Finds, reads and validates the project. Every failure is a diagnostic (exit
 * 2), before anything runs. Included files are read as they are: a generated
 * include that does not exist yet is an error saying that `flow build` makes it.
 */
export function loadProject(req: ProjectRequest): Result<Project, Diagnostic> {
  const at = locateProject(req);
  if (!at.ok) return at;
  const { host, model } = read(req, at.value);
  if (!model.ok) return model;
  const missing = model.value.includes.find((i) => !i.found && !i.optional);
  if (missing) {
    const plan = planIncludes(model.value, { root: at.value.root, fs: host });
    const made = plan.ok && plan.value.targets.some((t) => t.path === missing.path);
    return fail(missingInclude(missing, made ? "a rule makes it: run 'flow build', which makes generated includes first" : undefined));
  }
  return finish(req, at.value, host, model.value);
}

/**
 * One reading of the project, before its generated includes are looked at
 * (`flow status`): the model as read now and what a build would make before
 * reading it again (IncludePlan). Fails on a bad Flowfile and on a missing
 * `include` that no rule makes (FLOW016), as a build would.
 */
export interface ProjectReading {
  readonly root: string;
  readonly flowfile: string;
  readonly targets: readonly string[];
  readonly model: FlowfileModel;
  readonly host: NodeProjectHost;
  readonly includes: IncludePlan;
  /** The full project of this reading: right when the included files are up to date. */
  finish(): Result<Project, Diagnostic>;
}

export function readProject(req: ProjectRequest): Result<ProjectReading, Diagnostic> {
  const at = locateProject(req);
  if (!at.ok) return at;
  const { host, model } = read(req, at.value);
  if (!model.ok) return model;
  const includes = planIncludes(model.value, { root: at.value.root, fs: host });
  if (!includes.ok) return includes;
  const { root, flowfile, targets } = at.value;
  return ok({ root, flowfile, targets, model: model.value, host, includes: includes.value, finish: () => finish(req, at.value, host, model.value) });
}

/** Builds the included files a round needs; says whether that failed and whether anything changed on disk. */
export type IncludeBuilder = (root: string, graph: TaskGraph, targets: readonly IncludeRef[]) => Promise<IncludeBuildResult>;

export type IncludeBuildResult =
  | { readonly ok: true; readonly changed: boolean }
  /** A task failed (exit 1) or the build was interrupted (exit 130); the builder has said why. */
  | { readonly ok: false; readonly exitCode: number };

export type LoadFailure = { readonly diagnostic: Diagnostic; readonly exitCode?: undefined } | { readonly diagnostic?: undefined; readonly exitCode: number };

/**
 * Like loadProject, but first makes generated includes, the Make way: the
 * included files that some rule makes are built, and when that changed
 * anything the Flowfile is read again; at most MAX_INCLUDE_ROUNDS readings
 * (then FLOW010). A second build whose included files are up to date reads
 * the Flowfile once.
 */
export async function loadProjectBuildingIncludes(req: ProjectRequest, build: IncludeBuilder): Promise<Result<Project, LoadFailure>> {
  const at = locateProject(req);
  if (!at.ok) return fail({ diagnostic: at.error });
  for (let round = 1; ; round++) {
    const { host, model } = read(req, at.value);
    if (!model.ok) return fail({ diagnostic: model.error });
    const plan = planIncludes(model.value, { root: at.value.root, fs: host });
    if (!plan.ok) return fail({ diagnostic: plan.error });
    const { graph, targets } = plan.value;
    if (!graph || graph.goals.length === 0) {
      const done = finish(req, at.value, host, model.value);
      return done.ok ? done : fail({ diagnostic: done.error });
    }
    if (round > MAX_INCLUDE_ROUNDS) return fail({ diagnostic: includesDoNotSettle(targets) });
    const linked = host.outputLinkProblem(graph);
    if (linked) return fail({ diagnostic: linked });
    const built = await build(at.value.root, graph, targets);
    if (!built.ok) return fail({ exitCode: built.exitCode });
    if (!built.changed) {
      const done = finish(req, at.value, host, model.value);
      return done.ok ? done : fail({ diagnostic: done.error });
    }
  }
}
