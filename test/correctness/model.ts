// The model's own view of the task graph of a project in a given state and
// with given source files: which tasks exist (pattern instances included),
// their outputs, the files they read, the tasks they depend on, and the
// exact recipe text. Written from the Flowfile design (FLOWFILE.md), not
// from flow's code.
import { expandTokens, familyRecipe, ruleRecipe } from "./recipe.js";
import { rootGroup, type Prereq, type Project, type State, type VarName } from "./project.js";

export interface MOut {
  path: string;
  dir: boolean;
}

export interface MTask {
  /** flow's task name: the first target, or the phony name. */
  name: string;
  /** The rule or family id (recipes and tags are keyed by it). */
  def: string;
  phony: boolean;
  outputs: MOut[];
  /** File prerequisites in order (what `$^` expands to). */
  fileInputs: string[];
  /** What the recipe's FAIL check greps: `$<` (pattern rules) or `$^`. */
  guardInputs: string[];
  /** Source files read (sorted): file inputs that no task makes. */
  srcInputs: string[];
  /** Names of the tasks it depends on (sorted). */
  deps: string[];
  env: string[];
  recipe: string;
}

export interface Graph {
  tasks: Map<string, MTask>;
  /** Topological order (dependencies first). */
  order: string[];
}

/** `gen`: GEN_V's value when the project has a generated include (`FV_C += $(GEN_V)`). */
export function varValues(s: State, gen?: string): Record<VarName, string> {
  // As in make: the command line beats the Flowfile; an environment
  // variable beats only `?=`.
  const A = s.vars["FV_A"] ?? s.env["FV_A"] ?? s.fileVars.FV_A;
  const B = s.vars["FV_B"] ?? `b-${A}`;
  const C = s.vars["FV_C"] ?? `${B}.c tail${gen !== undefined ? ` ${gen}` : ""}`;
  const D = s.vars["FV_D"] ?? s.fileVars.FV_D;
  return { FV_A: A, FV_B: B, FV_C: C, FV_D: D };
}

/** in/<g>/*.txt (flat) or in/<g>/**\/*.txt (deep), sorted like a glob. */
export function globMatches(sources: readonly string[], group: string, deep: boolean): string[] {
  const prefix = `in/${group}/`;
  return sources
    .filter((p) => p.startsWith(prefix) && p.endsWith(".txt") && (deep || !p.slice(prefix.length).includes("/")))
    .sort();
}

function stemsOf(sources: readonly string[], group: string): string[] {
  return globMatches(sources, group, false).map((p) => p.slice(`in/${group}/`.length, -".txt".length));
}

export function familyTarget(p: Project, famId: string, stem: string): string {
  const f = p.families.find((x) => x.id === famId);
  if (f === undefined) throw new Error(`unknown family ${famId}`);
  return `out/${f.id}/${stem}.${f.ext}`;
}

/** Rules and families that no other rule or family consumes: `all`'s prerequisites. */
export function sinks(p: Project): Prereq[] {
  const usedFiles = new Set<string>();
  const usedPhony = new Set<string>();
  const usedFam = new Set<string>();
  for (const r of p.rules) {
    for (const q of r.prereqs) {
      if (q.k === "out") usedFiles.add(q.path);
      if (q.k === "phony") usedPhony.add(q.name);
      if (q.k === "famAll" || q.k === "famOne") usedFam.add(q.fam);
    }
  }
  for (const f of p.families) if ("fam" in f.from) usedFam.add(f.from.fam);
  const out: Prereq[] = [];
  for (const f of p.families) if (!usedFam.has(f.id)) out.push({ k: "famAll", fam: f.id });
  for (const r of p.rules) {
    const phony = r.kind === "phonyOut" || r.kind === "phonyCheck";
    const used = usedPhony.has(r.id) || [...r.targets, ...r.fileOuts].some((x) => usedFiles.has(x));
    if (used) continue;
    const first = r.targets[0];
    out.push(phony || first === undefined ? { k: "phony", name: r.id } : { k: "out", path: first });
  }
  return out;
}

export function buildGraph(p: Project, s: State, sources: readonly string[], gen?: string): Graph {
  const vars = varValues(s, gen);
  const tasks = new Map<string, MTask>();
  const owner = new Map<string, string>(); // output path -> task name

  // Pattern instances exist for the targets something asks for.
  const requested = new Map<string, Set<string>>();
  const request = (famId: string, stem: string): void => {
    const set = requested.get(famId) ?? new Set<string>();
    requested.set(famId, set);
    if (set.has(stem)) return;
    set.add(stem);
    const f = p.families.find((x) => x.id === famId);
    if (f !== undefined && "fam" in f.from) request(f.from.fam, stem);
  };
  const allPrereqs = sinks(p);
  for (const q of [...p.rules.flatMap((r) => r.prereqs), ...allPrereqs]) {
    if (q.k === "famAll") for (const stem of stemsOf(sources, rootGroup(p, q.fam))) request(q.fam, stem);
    if (q.k === "famOne") request(q.fam, q.stem);
  }

  for (const f of p.families) {
    const recipe = s.recipes[f.id];
    if (recipe === undefined) throw new Error(`no recipe for ${f.id}`);
    for (const stem of [...(requested.get(f.id) ?? [])].sort()) {
      const target = familyTarget(p, f.id, stem);
      const first = "group" in f.from ? `in/${f.from.group}/${stem}.txt` : familyTarget(p, f.from.fam, stem);
      const fileInputs = dedup([first, ...f.extra]);
      tasks.set(target, {
        name: target,
        def: f.id,
        phony: false,
        outputs: [{ path: target, dir: false }],
        fileInputs,
        guardInputs: [first],
        srcInputs: [],
        deps: [],
        env: [...f.env],
        recipe: expandTokens(familyRecipe(f, recipe), { target, first, stem, inputs: fileInputs, vars }),
      });
      owner.set(target, target);
    }
  }

  const expandPrereqs = (qs: Prereq[]): { files: string[]; phony: string[] } => {
    const files: string[] = [];
    const phony: string[] = [];
    for (const q of qs) {
      switch (q.k) {
        case "src":
        case "out":
          files.push(q.path);
          break;
        case "glob":
          files.push(...globMatches(sources, q.group, q.form === "deep"));
          break;
        case "famAll":
          for (const stem of stemsOf(sources, rootGroup(p, q.fam))) files.push(familyTarget(p, q.fam, stem));
          break;
        case "famOne":
          files.push(familyTarget(p, q.fam, q.stem));
          break;
        case "phony":
          phony.push(q.name);
          break;
      }
    }
    return { files: dedup(files), phony: dedup(phony) };
  };

  const pending: Array<{ task: MTask; phonyDeps: string[] }> = [];
  for (const r of p.rules) {
    const recipe = s.recipes[r.id];
    if (recipe === undefined) throw new Error(`no recipe for ${r.id}`);
    const phony = r.kind === "phonyOut" || r.kind === "phonyCheck";
    const name = phony ? r.id : (r.targets[0] ?? r.id);
    const outputs: MOut[] = [
      ...r.targets.map((path) => ({ path, dir: false })),
      ...r.fileOuts.map((path) => ({ path, dir: false })),
      ...(r.dirOut !== null ? [{ path: r.dirOut, dir: true }] : []),
    ];
    const { files, phony: phonyDeps } = expandPrereqs(r.prereqs);
    const task: MTask = {
      name,
      def: r.id,
      phony,
      outputs,
      fileInputs: files,
      guardInputs: files,
      srcInputs: [],
      deps: [],
      env: [...r.env],
      recipe: expandTokens(ruleRecipe(r, recipe), {
        target: name,
        first: files[0] ?? "",
        stem: "",
        inputs: files,
        vars,
      }),
    };
    tasks.set(name, task);
    for (const o of outputs) owner.set(o.path, name);
    pending.push({ task, phonyDeps });
  }
  {
    const { files, phony } = expandPrereqs(allPrereqs);
    const task: MTask = {
      name: "all",
      def: "all",
      phony: true,
      outputs: [],
      fileInputs: files,
      guardInputs: [],
      srcInputs: [],
      deps: [],
      env: [],
      recipe: "",
    };
    tasks.set("all", task);
    pending.push({ task, phonyDeps: phony });
  }

  // Resolve edges: a file input made by a task is an edge to it.
  for (const t of tasks.values()) {
    const deps = new Set<string>();
    const src: string[] = [];
    for (const f of t.fileInputs) {
      const o = owner.get(f);
      if (o !== undefined) deps.add(o);
      else src.push(f);
    }
    const extra = pending.find((x) => x.task === t)?.phonyDeps ?? [];
    for (const d of extra) deps.add(d);
    t.deps = [...deps].sort();
    t.srcInputs = dedup(src).sort();
  }

  // Topological order.
  const order: string[] = [];
  const state = new Map<string, 1 | 2>();
  const visit = (n: string, path: string[]): void => {
    const st = state.get(n);
    if (st === 2) return;
    if (st === 1) throw new Error(`model: cycle ${[...path, n].join(" -> ")}`);
    state.set(n, 1);
    const t = tasks.get(n);
    if (t === undefined) throw new Error(`model: unknown task ${n} (needed by ${path.at(-1) ?? "?"})`);
    for (const d of t.deps) visit(d, [...path, n]);
    state.set(n, 2);
    order.push(n);
  };
  for (const n of [...tasks.keys()].sort()) visit(n, []);
  return { tasks, order };
}

function dedup<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/** The part of the graph that building `goals` needs. */
export function restrict(g: Graph, goals: readonly string[]): Graph {
  const keep = new Set<string>();
  const visit = (n: string): void => {
    if (keep.has(n)) return;
    const t = g.tasks.get(n);
    if (t === undefined) return;
    keep.add(n);
    for (const d of t.deps) visit(d);
  };
  for (const goal of goals) {
    // A goal names a task or any of its outputs.
    const t = [...g.tasks.values()].find((x) => x.name === goal || x.outputs.some((o) => o.path === goal));
    if (t !== undefined) visit(t.name);
  }
  return {
    tasks: new Map([...g.tasks].filter(([n]) => keep.has(n))),
    order: g.order.filter((n) => keep.has(n)),
  };
}
