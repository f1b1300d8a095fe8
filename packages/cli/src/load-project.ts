import { existsSync } from "node:fs";
import { basename, dirname, relative, resolve } from "node:path";
import {
  buildTaskGraph,
  errorAt,
  fail,
  ok,
  readFlowfile,
  type Diagnostic,
  type FlowfileModel,
  type Result,
  type TaskGraph,
} from "@flow/graph";
import { NodeProjectHost } from "./node-project-host.js";

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
  /** Select every explicit target instead of the default goal when no target is named. */
  readonly allTargets?: boolean;
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

/** Finds, reads and validates the project. Every failure is a diagnostic (exit 2), before anything runs. */
export function loadProject(req: ProjectRequest): Result<Project, Diagnostic> {
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
  const flowfile = basename(flowfilePath);
  const { targets, overrides } = splitWords(req.words);
  const host = new NodeProjectHost(root, req.env);
  const model = readFlowfile(host, { file: flowfile, overrides, env: req.env });
  if (!model.ok) return model;
  const graph = buildTaskGraph(model.value, { root, goals: targets, fs: host, ...(req.allTargets ? { allTargets: true } : {}) });
  if (!graph.ok) return graph;
  return ok({ root, flowfile, model: model.value, graph: graph.value, overrides, targets, warnings: [...host.warnings, ...graph.value.warnings] });
}
