import { DiagnosticError, errorAt, warningAt, type Diagnostic, type SourceLocation } from "../diagnostic.js";
import type { FlowfileModel, RuleDef, TargetVar, Word } from "../reader/flowfile-model.js";
import { hasGlobChars, isPlainInput, isPlainProjectPath, normalizeProjectPath, type Normalized } from "../project-path.js";
import { fail, ok, type Result } from "../result.js";
import { findCycle, type OutputDecl, type Task, type TaskGraph } from "./task-graph.js";
import { closestName } from "./closest-name.js";
import { depfileOfRecipe, projectPath } from "./depfile-name.js";
import { ruleScope } from "./rule-scope.js";
import type { Scope } from "../reader/variables.js";
import { matchPattern, splitWords, substitutePattern } from "../reader/words.js";

/** What the graph builder asks of the disk. */
export interface GraphFs {
  /** What is at a project-relative (or absolute, outside the root) path. */
  kind(path: string): "file" | "dir" | "missing";
  /**
   * True when kind() answers a question asked before from memory, without
   * the disk: the builder then keeps no copy of the answers (at 100,000
   * inputs, a 100,000-entry map less). Otherwise the builder asks once per path.
   */
  readonly remembers?: boolean;
  /** For a missing path that is a link: `dangling symlink to 'T'` or `looping symlink`; undefined otherwise. */
  brokenLink?(path: string): string | undefined;
  /**
   * The names in a project-relative directory ("" is the root), or
   * undefined when it cannot be listed. Lets the built-in rules rule out a
   * directory without a stat per candidate (`f.o`, `f.c` ... for every file f).
   */
  listDir?(dir: string): readonly string[] | undefined;
  /**
   * Told what a listing was used for: whether any name in `dir` ends in one
   * of `suffixes` (`answer`). That boolean, not the whole listing, is what
   * shaped the graph (the CLI's build state keeps it, so a new file without
   * such a suffix does not make the graph be built again).
   */
  listedForSources?(dir: string, suffixes: readonly string[], answer: boolean): void;
}

export interface GraphOptions {
  /** Absolute project root (the Flowfile's directory). */
  readonly root: string;
  /** Goals from the command line; empty means the default goal. */
  readonly goals: readonly string[];
  /** Instantiate every explicit target (for status/clean of "everything"). */
  readonly allTargets?: boolean;
  /**
   * Validate only what the goals need, not every explicit target: used to
   * make generated includes before the rest of the Flowfile can be complete.
   */
  readonly goalsOnly?: boolean;
  readonly fs: GraphFs;
}

/** Special targets Make knows; accepted and ignored unless flow gives them meaning. */
const SPECIAL = /^\.[A-Z_]+$/;
const MAX_CHAIN = 8;
/** Bound on the pattern-rule search of one graph (canMake calls): pathological rule sets end in a diagnostic. */
const MAX_SEARCH = 1_000_000;

interface TaskSource {
  readonly rule: RuleDef;
  /** All targets produced together (the task's outputs before .OUTPUTS). */
  readonly targets: readonly string[];
  readonly stem: string;
  readonly prereqs: readonly Word[];
  readonly orderOnly: readonly Word[];
  readonly pattern?: string;
  /** The pattern rules used to reach this task, its own last (Make: none may appear twice in a chain). */
  readonly chain?: readonly RuleDef[];
}

const NO_CHAIN: readonly RuleDef[] = [];

/** One place that declares a path as an output: a target of a rule with a recipe, or a `.OUTPUTS` line. */
interface OutputSite {
  /** The target as written (the rule's target, or the target whose .OUTPUTS it is). */
  readonly target: string;
  /** A task as a whole when what declared the path is not known any more (met while creating tasks). */
  readonly how: "recipe" | ".OUTPUTS" | "task";
  readonly loc: SourceLocation;
}
interface TaskAttributes {
  readonly tags: readonly string[];
  readonly env: readonly string[];
  readonly timeoutSec: number | undefined;
  /** `.SLURM`: sbatch options (task-graph.ts Task.slurm). */
  readonly slurm?: string;
  /** `.EXECUTOR`. */
  readonly executor?: "slurm" | "local";
}

/** The attributes of a task in a Flowfile that sets none, shared by every task. */
const NO_ATTRS: TaskAttributes = { tags: [], env: [], timeoutSec: undefined };
/** The exported variables of a Flowfile that exports none, shared by every task. */
const NO_EXPORTS: readonly (readonly [string, string])[] = [];
/** The names of no order-only prerequisites, shared (the scope only reads them). */
const NO_NAMES: string[] = [];

/** GraphBuilder.paths bits: what the disk said (0: not asked), and whether a rule names the path. */
const KIND_FILE = 1;
const KIND_DIR = 2;
const KIND_MISSING = 3;
const KIND_MASK = 3;
const KINDS = [undefined, "file", "dir", "missing"] as const;
const NAMED = 4;

/**
 * Builds and validates the task graph for the requested goals. Everything that
 * can be wrong with a Flowfile's graph is found here, before anything runs:
 * a missing input, a cycle (printed whole), two tasks declaring one output, an
 * output outside the root.
 */
export function buildTaskGraph(model: FlowfileModel, opts: GraphOptions): Result<TaskGraph, Diagnostic> {
  try {
    if (model.depfileRules.size === 0) return new GraphBuilder(model, opts).build();
    return withDepfiles(model, opts);
  } catch (e) {
    if (e instanceof DiagnosticError) return fail(e.diagnostic);
    throw e;
  }
}

/**
 * An included file that reads as a compiler's depfile (`-include
 * $(OBJS:.o=.d)`) and is some task's depfile (its `.DEPFILE`, or what its
 * `-MMD` writes) is that task's record of what it read, not Flowfile text:
 * its rules would make every header a prerequisite, changing the task's key
 * on the build after the first (GNU Make reads them to compare times; flow
 * checks the recorded discovered inputs instead, see decide-task.ts). So
 * the graph is built without them. A depfile-shaped file no task claims
 * (a hand-written or `gcc -MM > .depend` dependency list, or one a rule
 * makes) is read as rules after all: the graph is built again with it.
 */
function withDepfiles(model: FlowfileModel, opts: GraphOptions): Result<TaskGraph, Diagnostic> {
  const without = (files: Iterable<string>): FlowfileModel => {
    const drop = new Set<RuleDef>();
    for (const f of files) for (const r of model.depfileRules.get(f) ?? []) drop.add(r);
    return { ...model, rules: model.rules.filter((r) => !drop.has(r)) };
  };
  const first = new GraphBuilder(without(model.depfileRules.keys()), opts).build();
  if (!first.ok) return first;
  const claimed = new Set<string>();
  for (const t of first.value.tasks) if (t.depfile !== undefined && !first.value.byOutput.has(t.depfile)) claimed.add(t.depfile);
  if ([...model.depfileRules.keys()].every((f) => claimed.has(f))) return first;
  return new GraphBuilder(without(claimed), opts).build();
}

class GraphBuilder {
  private readonly tasks: Task[] = [];
  /** The rule each task was made from, by task id. */
  private readonly ruleOf: RuleDef[] = [];
  private readonly byName = new Map<string, number>();
  /** The task of a group, by each of its targets after the first (which names it in byName). */
  private readonly groupMembers = new Map<string, number>();
  private readonly byOutput = new Map<string, number>();
  private readonly warnings: Diagnostic[] = [];
  /** Explicit (non-pattern) rules by normalized target. */
  private readonly explicit = new Map<string, RuleDef[]>();
  /** Static pattern rule instances by normalized target. */
  private readonly statics = new Map<string, { rule: RuleDef; stem: string }>();
  private readonly patternRules: RuleDef[] = [];
  /** Make's built-in pattern rules (model.builtinRules), tried after the Flowfile's own. */
  private readonly builtins: BuiltinIndex | undefined;
  /** `.OUTPUTS` declared on explicit targets: output → target that declares it. */
  private readonly extraOwner = new Map<string, string>();
  private readonly dirOwners: { dir: string; target: string }[] = [];
  private readonly phony = new Set<string>();
  private readonly always = new Set<string>();
  private readonly cachedPhony = new Set<string>();
  private readonly canMakeMemo = new Map<string, boolean>();
  private searchSteps = 0;
  private readonly normMemo = new Map<string, Normalized>();
  /** `.DEPFILE` by task name, where set. */
  private readonly depfileAttrs = new Map<string, string>();
  /** Attribute names (.TAGS ...) set anywhere: the others need no lookup per task. */
  private readonly attrNames = new Set<string>();
  private readonly pending: { taskId: number; src: TaskSource }[] = [];
  /**
   * What is known of a path, in one map (one look-up per source file, the
   * common prerequisite): NAMED when some rule, .PHONY, .OUTPUTS or task
   * names it (it is a key of explicit, statics, extraOwner, phony, byName or
   * byOutput: a path without the bit is in none of them), and in the low
   * bits what the disk said of it (KIND_*), asked once per path.
   */
  private readonly paths = new Map<string, number>();
  /** Directories (with their `/`; "" is the root) holding a path with the NAMED bit. */
  private readonly namedDirs = new Set<string>();
  /** markNamed's last directory: it is in namedDirs. */
  private lastNamedDir = "\u0000";
  /** entry()'s last directory, and whether namedDirs holds it (it may gain it, never lose it). */
  private lastDir = "\u0000";
  private lastDirNamed = false;

  constructor(
    private readonly model: FlowfileModel,
    private readonly opts: GraphOptions,
  ) {
    const rules = model.builtinRules ?? [];
    this.builtins = rules.length === 0 ? undefined : new BuiltinIndex(rules, model.suffixes ?? [], opts.fs, () => this.namedSourceDirs());
  }

  build(): Result<TaskGraph, Diagnostic> {
    this.index();
    const goalIds: number[] = [];
    const goals = this.goalNames();
    for (const g of goals) {
      const p = this.norm(g.text, g.loc, "goal");
      const id = this.resolve(p, undefined, g.loc);
      if (id !== undefined && !goalIds.includes(id)) goalIds.push(id);
    }
    // Every explicit target is instantiated and validated too, not only what the
    // goals need: a mistake anywhere in the Flowfile is reported before anything runs.
    if (!this.opts.goalsOnly) this.createAll();
    this.completeAll();
    this.depfiles();
    this.directoryTargets();
    this.checkNestedOutputs();
    const graph: TaskGraph = { tasks: this.tasks, byName: this.byName, byOutput: this.byOutput, goals: goalIds, warnings: this.warnings };
    const cycle = findCycle(graph);
    if (cycle) {
      const names = cycle.map((id) => (this.tasks[id] as Task).name);
      const first = this.tasks[cycle[0] as number] as Task;
      return fail(
        errorAt("FLOW005", `dependency cycle: ${names.join(" -> ")}`, first.loc, "remove one of these prerequisites to break the cycle"),
      );
    }
    return ok(graph);
  }

  // The long loops are methods of their own: V8 compiles a function running a long loop while
  // the loop runs (OSR), and the code after the loop, not run yet, would make it compile the
  // whole function again when reached.

  private createAll(): void {
    const rules = this.model.rules;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i] as RuleDef;
      if (rule.isPattern || SPECIAL.test(rule.targets[0]?.text ?? "")) continue;
      for (const t of rule.targets) {
        const id = this.resolve(this.norm(t.text, t.loc, "output"), undefined, t.loc);
        // The path has a recipe of its own, yet another task holds it: a pattern rule's or a global .OUTPUTS claimed it.
        if (id !== undefined && rule.recipe.length > 0 && this.ruleOf[id] !== rule) {
          const other = this.tasks[id] as Task;
          throw this.duplicate(this.norm(t.text, t.loc, "output"), { target: other.name, how: ".OUTPUTS", loc: other.loc }, { target: t.text, how: "recipe", loc: t.loc });
        }
      }
    }
  }

  /**
   * Each created task's prerequisites are resolved from a worklist, never by
   * recursion, in creation order: the goals first (so their errors come
   * first, as in Make), then the rules in file order. Completing the goal
   * (often an odd one, like `all:` over every task) first also lets the JIT
   * see its shapes before it optimizes; completing it last made it recompile.
   */
  private completeAll(): void {
    for (let i = 0; i < this.pending.length; i++) this.complete(this.pending[i] as { taskId: number; src: TaskSource });
    this.pending.length = 0;
  }

  private index(): void {
    for (const vars of this.model.targetVars.values()) for (const v of vars) if (v.name.startsWith(".")) this.attrNames.add(v.name);
    for (const n of [".TAGS", ".ENV", ".OUTPUTS", ".TIMEOUT", ".DEPFILE", ".SLURM", ".EXECUTOR"]) if (this.model.globals.lookup(n)) this.attrNames.add(n);
    this.indexRules();
    this.indexDeclaredOutputs();
  }

  private indexRules(): void {
    for (const rule of this.model.rules) {
      const first = rule.targets[0]?.text ?? "";
      if (SPECIAL.test(first)) {
        const set = first === ".PHONY" ? this.phony : first === ".ALWAYS" ? this.always : first === ".CACHED" ? this.cachedPhony : undefined;
        if (set) {
          for (const p of rule.prereqs) {
            const n = this.norm(p.text, p.loc, "target");
            set.add(n);
            this.markNamed(n);
          }
        }
        continue;
      }
      if (rule.isPattern) {
        // In definition order: ties between equal stems go to the first defined, as in Make.
        if (rule.recipe.length > 0) this.patternRules.push(rule);
        continue;
      }
      for (const t of rule.targets) {
        const p = this.norm(t.text, t.loc, "output");
        const list = this.explicit.get(p);
        // A second recipe for one path, whatever the goal and the order (most paths: one Map look-up, done anyway).
        if (rule.recipe.length > 0 && (list !== undefined || this.statics.size > 0)) this.checkOneRecipe(p, rule, t, list);
        if (rule.staticPattern) {
          const stem = matchPattern(rule.staticPattern.targetPattern, t.text);
          if (stem === undefined) {
            throw new DiagnosticError(
              errorAt("FLOW001", `target '${t.text}' does not match the target pattern '${rule.staticPattern.targetPattern}'`, t.loc, "list only targets the pattern matches"),
            );
          }
          this.statics.set(p, { rule, stem });
          this.markNamed(p);
          continue;
        }
        if (list === undefined) this.explicit.set(p, [rule]);
        else list.push(rule);
        this.markNamed(p);
      }
    }
  }

  /** `.OUTPUTS` of explicit targets: the files and directories each target makes besides itself. */
  private indexDeclaredOutputs(): void {
    const claims = new Map<string, OutputSite>();
    for (const [target, vars] of this.model.targetVars) {
      if (target.includes("%")) continue;
      const outs = vars.filter((v) => v.name === ".OUTPUTS");
      if (outs.length === 0) continue;
      const scope = this.scopeFor(target, [target], "", [], []);
      const value = this.model.expander.expand("$(.OUTPUTS)", scope, { loc: outs[0]?.loc, exact: false });
      for (const w of splitWords(value)) {
        const p = this.norm(w, (outs[0] as TargetVar).loc, "output");
        this.checkClaim(p, { target, how: ".OUTPUTS", loc: (outs[0] as TargetVar).loc }, claims);
        if (w.endsWith("/")) this.dirOwners.push({ dir: p, target });
        else this.extraOwner.set(p, target);
        this.markNamed(p);
      }
    }
  }

  /**
   * A rule gives target `p` a recipe: no other rule may (Make would use the
   * last one with a warning; flow says which two, whatever the order).
   * `list` holds the explicit rules indexed for `p` so far.
   */
  private checkOneRecipe(p: string, rule: RuleDef, t: Word, list: readonly RuleDef[] | undefined): void {
    let other = list?.find((r) => r !== rule && r.recipe.length > 0);
    const st = this.statics.get(p);
    if (other === undefined && st !== undefined && st.rule !== rule && st.rule.recipe.length > 0) other = st.rule;
    if (other === undefined) return;
    const w = other.targets.find((x) => this.norm(x.text, x.loc, "output") === p) ?? (other.targets[0] as Word);
    throw this.duplicate(p, { target: w.text, how: "recipe", loc: w.loc }, { target: t.text, how: "recipe", loc: t.loc });
  }

  /**
   * `site`'s .OUTPUTS names `p`: an error when another task declares it too,
   * by a recipe for `p` or by its own .OUTPUTS. Runs after every rule is
   * indexed, so the answer is the same whatever the order of the lines.
   */
  private checkClaim(p: string, site: OutputSite, claims: Map<string, OutputSite>): void {
    const owner = this.taskOf(this.norm(site.target, site.loc, "target"));
    if (owner === p) return;
    const prev = claims.get(p);
    if (prev !== undefined && this.taskOf(this.norm(prev.target, prev.loc, "target")) !== owner) throw this.duplicate(p, prev, site);
    claims.set(p, site);
    const maker = this.taskOf(p);
    if (maker === p && this.recipeRule(p) === undefined) return; // no recipe of its own: a rule without one only adds prerequisites
    if (maker !== owner) {
      const rule = this.recipeRule(p) as RuleDef;
      const w = rule.targets.find((x) => this.norm(x.text, x.loc, "output") === p) ?? (rule.targets[0] as Word);
      throw this.duplicate(p, { target: w.text, how: "recipe", loc: w.loc }, site);
    }
  }

  /** The rule that gives `path` a recipe, if any (at most one: checkOneRecipe). */
  private recipeRule(path: string): RuleDef | undefined {
    const r = this.explicit.get(path)?.find((x) => x.recipe.length > 0);
    if (r !== undefined) return r;
    const st = this.statics.get(path);
    return st !== undefined && st.rule.recipe.length > 0 ? st.rule : undefined;
  }

  /** Which task makes `path`, as far as the rules tell: the grouped rule (`&:`) making it with others (one task), or the path itself. */
  private taskOf(path: string): RuleDef | string {
    const r = this.recipeRule(path);
    return r !== undefined && r.grouped && r.targets.length > 1 ? r : path;
  }

  /** FLOW006, naming both declarations; the caret is at `second`. */
  private duplicate(path: string, first: OutputSite, second: OutputSite): DiagnosticError {
    const where = (s: OutputSite) => `${s.how === ".OUTPUTS" ? ".OUTPUTS of " : ""}'${s.target}' (${s.loc.file}:${s.loc.line}:${s.loc.col})`;
    const hint =
      first.how === "recipe" && second.how === "recipe"
        ? `each file is made by one task: keep one recipe for '${path}' (rules without a recipe may still add prerequisites to it)`
        : `each file is made by one task: declare '${path}' in one place, and let a task that needs it list it as a prerequisite`;
    return new DiagnosticError(errorAt("FLOW006", `'${path}' is declared as an output of two tasks: ${where(first)} and ${where(second)}`, second.loc, hint));
  }

  private goalNames(): Word[] {
    if (this.opts.goals.length > 0) return this.opts.goals.map((text) => ({ text, loc: undefined as unknown as SourceLocation }));
    if (this.opts.allTargets) {
      const out: Word[] = [];
      for (const rule of this.model.rules) {
        if (rule.isPattern || SPECIAL.test(rule.targets[0]?.text ?? "")) continue;
        for (const t of rule.targets) out.push(t);
      }
      return out;
    }
    const dg = this.model.globals.lookup(".DEFAULT_GOAL");
    if (dg) {
      const v = this.model.expander.expand(dg.value, this.model.globals, { loc: dg.loc, exact: false }).trim();
      if (v !== "") return [{ text: v, loc: dg.loc as SourceLocation }];
    }
    for (const rule of this.model.rules) {
      const t = rule.targets[0];
      if (!t || rule.isPattern || (t.text.startsWith(".") && !t.text.includes("/"))) continue;
      return [t];
    }
    throw new DiagnosticError(errorAt("FLOW012", "no targets: the Flowfile has no rule to build", undefined, "add a rule, e.g. 'all: out.txt'"));
  }

  private norm(text: string, loc: SourceLocation | undefined, what: "output" | "target" | "input" | "goal"): string {
    // Plain paths (most of them) are their own normal form: no memo look-up in a map of every path.
    if (isPlainProjectPath(text)) return text;
    // The others are normalized several times (as targets, prerequisites, outputs): memoized.
    let n = this.normMemo.get(text);
    if (n === undefined) {
      n = normalizeProjectPath(text, this.opts.root);
      this.normMemo.set(text, n);
    }
    if (!n.ok) throw new DiagnosticError(errorAt("FLOW001", `empty path`, loc));
    if (!n.inside && (what === "output" || what === "goal")) {
      throw new DiagnosticError(
        errorAt("FLOW007", `${what === "goal" ? "target" : "output"} '${text}' is outside the project root`, loc, "flow only writes inside the project: use a path below the Flowfile's directory"),
      );
    }
    return n.path;
  }

  private markNamed(p: string): void {
    this.paths.set(p, (this.paths.get(p) ?? 0) | NAMED);
    // Targets come in runs in one directory (out/a, out/b ...): one Set look-up per run.
    const slash = p.lastIndexOf("/");
    const last = this.lastNamedDir;
    if (slash === last.length - 1 && p.startsWith(last)) return;
    const dir = p.slice(0, slash + 1);
    this.lastNamedDir = dir;
    if (this.namedDirs.has(dir)) return;
    this.namedDirs.add(dir);
    if (dir === this.lastDir) this.lastDirNamed = true;
  }

  /**
   * The paths entry of `path`, without a look-up in that map when no path
   * of its directory is named and the fs keeps the disk's answers (then the
   * entry could only be empty). Source files (100,000 at 10,000 rules) are
   * mostly in directories no rule writes to, and a task's sources mostly in
   * one directory: one startsWith per source instead of a look-up among
   * every named path, which cost ~0.8 us each in a fresh process.
   */
  private entry(path: string): number | undefined {
    if (!this.opts.fs.remembers) return this.paths.get(path);
    const slash = path.lastIndexOf("/");
    const last = this.lastDir;
    if (slash !== last.length - 1 || !path.startsWith(last)) {
      const dir = path.slice(0, slash + 1);
      this.lastDir = dir;
      this.lastDirNamed = this.namedDirs.has(dir);
    }
    return this.lastDirNamed ? this.paths.get(path) : undefined;
  }

  private isNamed(p: string): boolean {
    return ((this.paths.get(p) ?? 0) & NAMED) !== 0;
  }

  /** What the disk has at `p`; `known` is its entry in paths when the caller has it at hand. */
  private kind(p: string, known = this.opts.fs.remembers ? undefined : this.paths.get(p)): "file" | "dir" | "missing" {
    const bits = known ?? 0;
    const memo = bits & KIND_MASK;
    if (memo !== 0) return KINDS[memo] as "file" | "dir" | "missing";
    const k = this.opts.fs.kind(p);
    if (!this.opts.fs.remembers) this.paths.set(p, bits | (k === "file" ? KIND_FILE : k === "dir" ? KIND_DIR : KIND_MISSING));
    return k;
  }

  /**
   * The task making `path`, creating it if needed; undefined for a source file.
   * `neededBy` names the task whose prerequisite this is, for the error.
   */
  private resolve(path: string, neededBy: string | undefined, loc: SourceLocation | undefined, chain: readonly RuleDef[] = NO_CHAIN, hops = 0): number | undefined {
    const known = this.entry(path);
    if (((known ?? 0) & NAMED) === 0 && this.dirOwners.length === 0) {
      // Named by no rule: only a pattern rule or the disk can supply it (the same order as below).
      if (this.patternRules.length > 0 || this.builtins !== undefined) {
        // entry() left the path's directory in lastDir (with a remembering fs): no lastIndexOf per source here.
        const viaPattern = (this.patternRules.length > 0 ? this.patternFor(path, chain) : undefined) ?? this.builtinFor(path, chain, this.opts.fs.remembers ? this.lastDir : undefined);
        if (viaPattern) return this.create(viaPattern);
        // The search may have asked the disk about this very path: known is stale.
        if (this.kind(path) !== "missing") return undefined;
      } else if (this.kind(path, known) !== "missing") return undefined;
      return this.noRule(path, neededBy, loc);
    }
    const made = this.byOutput.get(path) ?? this.byName.get(path) ?? this.groupMembers.get(path);
    if (made !== undefined) return made;
    const src = this.sourceFor(path, chain);
    if (src) return this.create(src);
    // A file named in some target's .OUTPUTS is made by that target (which has no rule of its own at worst: bounded hops).
    const owner = this.extraOwner.get(path) ?? this.dirOwners.find((d) => path.startsWith(`${d.dir}/`))?.target;
    if (owner !== undefined && owner !== path && hops < 8) return this.resolve(owner, neededBy, loc, chain, hops + 1);
    if (this.phony.has(path)) return this.create({ rule: phonyRule(path, loc), targets: [path], stem: "", prereqs: [], orderOnly: [] });
    if (this.kind(path) !== "missing") return undefined;
    return this.noRule(path, neededBy, loc);
  }

  private noRule(path: string, neededBy: string | undefined, loc: SourceLocation | undefined): never {
    if (neededBy === undefined) {
      // A goal: most often a typo of a target (`flow build biuld`), so name the nearest one.
      const near = closestName(path, [...this.explicit.keys(), ...this.statics.keys(), ...this.phony]);
      const listHint = `name a target of the Flowfile ('flow status --plan ascii --expand' lists them all) or an existing file`;
      throw new DiagnosticError(errorAt("FLOW012", `no rule to make target '${path}'`, loc, near !== undefined ? `did you mean '${near}'? Or ${listHint}` : listHint));
    }
    // A dangling or looping link is missing too (inputs follow links): say so, or "create it" would puzzle.
    const link = this.opts.fs.brokenLink?.(path);
    const hint = link !== undefined ? `'${path}' is a ${link}: fix or remove the link, or add a rule whose target is '${path}'` : `create '${path}', or add a rule whose target is '${path}'`;
    throw new DiagnosticError(errorAt("FLOW004", `no rule to make '${path}', needed by '${neededBy}'`, loc, hint));
  }

  /** How `path` would be made: an explicit rule, a static pattern instance or a pattern rule instance. */
  private sourceFor(path: string, chain: readonly RuleDef[]): TaskSource | undefined {
    const rules = this.explicit.get(path);
    const st = this.statics.get(path);
    const only = rules?.length === 1 && !st ? (rules[0] as RuleDef) : undefined;
    if (only && only.targets.length === 1 && only.recipe.length > 0) {
      // The common case, one rule with one target and a recipe: nothing to merge.
      return { rule: only, targets: [path], stem: "", prereqs: only.prereqs, orderOnly: only.orderOnly };
    }
    if (rules || st) {
      // At most one has a recipe (checkOneRecipe).
      const withRecipe = rules?.filter((r) => r.recipe.length > 0) ?? [];
      const extraPrereqs = (rules ?? []).flatMap((r) => r.prereqs);
      const extraOrder = (rules ?? []).flatMap((r) => r.orderOnly);
      if (st && (withRecipe.length === 0 || st.rule.recipe.length > 0)) {
        const sp = st.rule.staticPattern!;
        return {
          rule: st.rule,
          targets: [path],
          stem: st.stem,
          prereqs: [...sp.prereqPatterns.map((w) => ({ text: substitutePattern(w.text, st.stem), loc: w.loc })), ...extraPrereqs],
          orderOnly: [...sp.orderOnlyPatterns.map((w) => ({ text: substitutePattern(w.text, st.stem), loc: w.loc })), ...extraOrder],
        };
      }
      const main = withRecipe[withRecipe.length - 1];
      if (main && !main.grouped && main.targets.length > 1) {
        // `a b: c` is GNU Make's shorthand for one rule per target: this
        // target's own task, its own `$@`; only `a b &: c` is one task.
        const others = (rules as RuleDef[]).filter((r) => r !== main);
        return {
          rule: main,
          targets: [path],
          stem: "",
          prereqs: others.length === 0 ? main.prereqs : [...main.prereqs, ...others.flatMap((r) => r.prereqs)],
          orderOnly: others.length === 0 ? main.orderOnly : [...main.orderOnly, ...others.flatMap((r) => r.orderOnly)],
        };
      }
      if (main) {
        // One rule naming a path twice (`a ./a &:`) declares it once.
        const targets = [...new Set(main.targets.map((t) => this.norm(t.text, t.loc, "output")))];
        // Recipe-less rules for any of the grouped targets add their prerequisites (`a b: c` + `b: d`).
        const others = [...new Set(targets.flatMap((t) => this.explicit.get(t) ?? []))].filter((r) => r !== main && r.recipe.length === 0);
        return {
          rule: main,
          targets,
          stem: "",
          prereqs: [...main.prereqs, ...others.flatMap((r) => r.prereqs)],
          orderOnly: [...main.orderOnly, ...others.flatMap((r) => r.orderOnly)],
        };
      }
      // Explicit rules without a recipe: a pattern rule may supply one (Make's way).
      // Make skips the implicit rule search for a phony target; flow's own pattern rules still apply to one.
      const viaPattern = this.patternFor(path, chain) ?? (this.phony.has(path) ? undefined : this.builtinFor(path, chain));
      const first = (rules as RuleDef[])[0] as RuleDef;
      if (viaPattern) return { ...viaPattern, prereqs: [...viaPattern.prereqs, ...extraPrereqs], orderOnly: [...viaPattern.orderOnly, ...extraOrder] };
      if (this.kind(path) !== "missing" && !this.phony.has(path)) return undefined; // an existing file with extra prerequisites
      return { rule: first, targets: [path], stem: "", prereqs: extraPrereqs, orderOnly: extraOrder };
    }
    return this.patternFor(path, chain) ?? (this.phony.has(path) ? undefined : this.builtinFor(path, chain));
  }

  /**
   * A pattern rule instance for `path`. `chain` holds the pattern rules
   * already used to reach it: as in Make, none may be used twice in one
   * chain (so `%: %.x` cannot recurse forever), and chains are bounded.
   */
  private patternFor(path: string, chain: readonly RuleDef[]): TaskSource | undefined {
    if (chain.length >= MAX_CHAIN) return undefined;
    const candidates: { rule: RuleDef; stem: string; tp: string }[] = [];
    for (const rule of this.patternRules) {
      if (chain.includes(rule)) continue;
      for (const t of rule.targets) {
        const m = matchInDir(t.text, path);
        if (m !== undefined) {
          candidates.push({ rule, stem: m, tp: t.text });
          break;
        }
      }
    }
    // GNU Make 3.82+: the rule with the shortest stem wins; ties go to the first defined.
    candidates.sort((a, b) => a.stem.length - b.stem.length || a.rule.index - b.rule.index);
    for (const c of candidates) {
      const prereqs = c.rule.prereqs.map((w) => ({ text: substituteInDir(w.text, c.tp, c.stem), loc: w.loc }));
      const orderOnly = c.rule.orderOnly.map((w) => ({ text: substituteInDir(w.text, c.tp, c.stem), loc: w.loc }));
      const next = [...chain, c.rule];
      if (prereqs.every((w) => hasGlobChars(w.text) || this.canMake(this.norm(w.text, w.loc, "input"), next))) {
        const targets = c.rule.targets.map((t) => this.norm(substituteInDir(t.text, c.tp, c.stem), t.loc, "output"));
        return { rule: c.rule, targets, stem: c.stem, prereqs, orderOnly, pattern: c.tp, chain: next };
      }
    }
    return undefined;
  }

  /**
   * A built-in rule instance for `path`, tried when no rule of the Flowfile
   * makes it. Make's search, for these rules: a match-anything rule
   * (`%: %.o`) applies neither to a name with a known suffix (`.c`, `.h`,
   * `.o` ...) nor to a prerequisite of a pattern rule; a first pass takes a
   * rule whose prerequisite exists or is mentioned in the Flowfile, a
   * second one allows a chain (`prog` from `prog.o` from `prog.c`).
   *
   * Most paths are sources with no such neighbour: a match-anything rule
   * would ask the disk for `f.o`, `f.c`, `f.cc` ... of every one of them
   * (GNU make's cost on large trees). The index rules out, from one listing
   * per directory, a directory holding no file with one of those suffixes:
   * then no built-in rule is tried at all.
   */
  private builtinFor(path: string, chain: readonly RuleDef[], dir?: string): TaskSource | undefined {
    const b = this.builtins;
    if (b === undefined || chain.length >= MAX_CHAIN) return undefined;
    // The directory first: for most sources it ends the search (one string comparison while in one directory).
    if (!b.mayHoldSources(dir ?? path.slice(0, path.lastIndexOf("/") + 1))) return undefined;
    const rules = b.rulesFor(path, chain.length === 0);
    if (rules === undefined) return undefined;
    for (const pass of [1, 2]) {
      for (const rule of rules) {
        if (chain.includes(rule)) continue;
        const tp = (rule.targets[0] as Word).text;
        const stem = matchInDir(tp, path);
        if (stem === undefined) continue;
        const w = rule.prereqs[0] as Word;
        const text = substituteInDir(w.text, tp, stem);
        const p = this.norm(text, w.loc, "input");
        const next = [...chain, rule];
        const found = pass === 1 ? this.isNamed(p) || this.mentioned(p) || this.kind(p) !== "missing" : this.canMake(p, next);
        if (found) return { rule, targets: [path], stem, prereqs: [{ text, loc: w.loc }], orderOnly: [], pattern: tp, chain: next };
      }
    }
    return undefined;
  }

  /** Paths named as explicit prerequisites (Make's "ought to exist"), gathered on first need. */
  private mentionedPaths: Set<string> | undefined;

  private mentioned(p: string): boolean {
    if (this.mentionedPaths === undefined) {
      const set = new Set<string>();
      for (const rule of this.model.rules) {
        if (rule.isPattern) continue;
        for (const w of rule.prereqs) if (!hasGlobChars(w.text)) set.add(this.norm(w.text, w.loc, "input"));
      }
      this.mentionedPaths = set;
    }
    return this.mentionedPaths.has(p);
  }

  /** Directories (with their `/`) of named paths a built-in rule could start from (`x.c`, `x.o` ...), and whether a Flowfile pattern rule could make such a file. */
  private namedSourceDirs(): { dirs: Set<string>; anyDir: boolean } {
    const b = this.builtins as BuiltinIndex;
    const dirs = new Set<string>();
    for (const [p, bits] of this.paths) {
      if ((bits & NAMED) !== 0 && b.isSourceName(p)) dirs.add(p.slice(0, p.lastIndexOf("/") + 1));
    }
    // Explicit prerequisites (`prog: prog.o`): only those with a source suffix are normalized.
    for (const rule of this.model.rules) {
      if (rule.isPattern) continue;
      for (const w of rule.prereqs) {
        if (!b.isSourceName(w.text) || hasGlobChars(w.text)) continue;
        const p = this.norm(w.text, w.loc, "input");
        dirs.add(p.slice(0, p.lastIndexOf("/") + 1));
      }
    }
    const anyDir = this.patternRules.some((r) => r.targets.some((t) => b.couldMakeSource(t.text)));
    return { dirs, anyDir };
  }

  /** Whether `path` exists or some rule can make it (bounded chain of pattern rules). */
  private canMake(path: string, chain: readonly RuleDef[]): boolean {
    // The answer depends on which pattern rules are still allowed: the memo is keyed by both.
    const key = chain.length === 0 ? path : `${path}\u0000${chain.map((r) => r.index).sort((a, b) => a - b).join(",")}`;
    const memo = this.canMakeMemo.get(key);
    if (memo !== undefined) return memo;
    if (++this.searchSteps > MAX_SEARCH) {
      throw new DiagnosticError(
        errorAt("FLOW004", `no rule to make '${path}': the pattern rules allow too many ways to try`, undefined, "make the pattern rules more specific (a match-anything rule like '%: %.x' matches every file)"),
      );
    }
    const r =
      this.isNamed(path) ||
      this.kind(path) !== "missing" ||
      this.patternFor(path, chain) !== undefined ||
      this.builtinFor(path, chain) !== undefined;
    this.canMakeMemo.set(key, r);
    return r;
  }

  private create(src: TaskSource): number {
    const id = this.tasks.length;
    const name = src.targets[0] as string;
    // Register the outputs now so that prerequisites reaching them find this task.
    // The location is known now, so an error naming this task while it is being filled in can cite it.
    const placeholder = { id, name, loc: src.rule.targets[0]?.loc ?? src.rule.loc } as Task;
    this.tasks.push(placeholder);
    this.ruleOf.push(src.rule);
    this.byName.set(name, id);
    this.markNamed(name);
    // Every target of a group names this task, outputs or not: a phony group
    // (`.PHONY: a b` + `a b:`) claims no file, and a prerequisite naming its
    // second member must find this task, not make the group again (it did,
    // forever, when the group depended on its own member: now that is a cycle).
    for (let i = 1; i < src.targets.length; i++) this.groupMembers.set(src.targets[i] as string, id);
    this.pending.push({ taskId: id, src });
    // A phony target is a name, not a file; a rule without a recipe (like `all: app`) makes no file either.
    const noFile = src.targets.every((t) => this.phony.has(t)) || src.rule.recipe.length === 0;
    // push, not map: map() makes holey arrays in optimized code and packed ones in the
    // interpreter, and code that later meets the other kind is compiled again.
    const outputs: OutputDecl[] = [];
    if (!noFile) for (let i = 0; i < src.targets.length; i++) outputs.push({ path: src.targets[i] as string, isDir: false });
    // .OUTPUTS set nowhere (most Flowfiles): no scope to build for it.
    if (this.attrNames.has(".OUTPUTS")) {
      const scope = this.scopeFor(name, src.targets, src.stem, [], []);
      const attrLoc = src.rule.loc;
      for (const w of splitWords(this.attr(scope, ".OUTPUTS", attrLoc))) {
        const p = this.norm(w, attrLoc, "output");
        if (!outputs.some((o) => o.path === p)) outputs.push({ path: p, isDir: w.endsWith("/") });
      }
    }
    if (outputs.length > 1) outputs.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    for (let i = 0; i < outputs.length; i++) this.claim((outputs[i] as OutputDecl).path, id);
    (placeholder as unknown as { outputs: OutputDecl[] }).outputs = outputs;
    return id;
  }

  /**
   * Task `id` writes `path`. The declarations a rule makes are checked whole
   * at index time (checkOneRecipe, checkClaim); what is left to meet here
   * are outputs only instances know: a pattern rule's .OUTPUTS, a global one.
   */
  private claim(path: string, id: number): void {
    const other = this.byOutput.get(path);
    if (other !== undefined && other !== id) {
      const o = this.tasks[other] as Task;
      const t = this.tasks[id] as Task;
      throw this.duplicate(path, { target: o.name, how: "task", loc: o.loc }, { target: t.name, how: "task", loc: t.loc });
    }
    this.byOutput.set(path, id);
    this.markNamed(path);
  }

  /** Fill in a created task: resolve its prerequisites and expand its recipe. */
  private complete({ taskId, src }: { taskId: number; src: TaskSource }): void {
    const task = this.tasks[taskId] as Task & { outputs: OutputDecl[] };
    // Arrays, sorted and made unique at the end: a Set per task (and its spread) was a third
    // of the graph's allocations at 10,000 tasks.
    const inputs: string[] = [];
    const deps: number[] = [];
    const order: number[] = [];
    const prereqNames: string[] = [];
    const orderNames = src.orderOnly.length === 0 ? NO_NAMES : [];
    this.resolvePrereqs(task, src, src.prereqs, prereqNames, inputs, deps);
    if (src.orderOnly.length > 0) this.resolvePrereqs(task, src, src.orderOnly, orderNames, undefined, order);
    const scope = this.scopeFor(task.name, src.targets, src.stem, prereqNames, orderNames);
    const recipe = this.expandRecipe(src, scope);
    // Most Flowfiles set no attribute: the code reading them stays out of this hot function.
    const attrs = this.attrNames.size === 0 ? NO_ATTRS : this.attributes(scope, src);
    const exported = this.model.exported.size === 0 ? NO_EXPORTS : this.exportedValues(scope, src.rule.loc);
    const sortedDeps = deps.sort(byNumber);
    const full: Task = {
      id: taskId,
      name: task.name,
      outputs: task.outputs,
      inputs: uniqueSorted(isSorted(inputs) ? inputs : inputs.sort()),
      deps: uniqueSorted(sortedDeps),
      orderOnly: order.length === 0 ? order : withoutSorted(uniqueSorted(order.sort(byNumber)), sortedDeps),
      recipe,
      phony: src.targets.every((t) => this.phony.has(t)),
      always: src.targets.some((t) => this.always.has(t)),
      cached: src.targets.some((t) => this.cachedPhony.has(t)),
      tags: attrs.tags,
      env: attrs.env,
      exported,
      loc: task.loc,
    };
    // Added when set, not spread in: a spread of a conditional object made this function
    // larger to compile, and JSON and deepEqual see no `undefined` field either way.
    if (attrs.timeoutSec !== undefined) (full as { timeoutSec?: number }).timeoutSec = attrs.timeoutSec;
    if (src.pattern !== undefined) (full as { pattern?: string }).pattern = src.pattern;
    if (attrs.slurm !== undefined) (full as { slurm?: string }).slurm = attrs.slurm;
    if (attrs.executor !== undefined) (full as { executor?: string }).executor = attrs.executor;
    this.tasks[taskId] = full;
  }

  /** `.TAGS`, `.ENV` and `.TIMEOUT` of one task, checked; errors point at the line that set them. */
  private attributes(scope: Scope, src: TaskSource): TaskAttributes {
    const tags = uniqueSorted(splitWords(this.attr(scope, ".TAGS", src.rule.loc)).sort());
    const envWords = splitWords(this.attr(scope, ".ENV", src.rule.loc));
    const env = uniqueSorted(envWords.sort());
    // An attribute's error points at the line that set it.
    const attrAt = (name: string) => scope.lookup(name)?.loc ?? src.rule.loc;
    const badEnv = env.find((n) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
    if (badEnv !== undefined) {
      throw new DiagnosticError(errorAt("FLOW011", `.ENV lists names of environment variables, got '${badEnv}'`, attrAt(".ENV"), "write the names, not their values: 'task: .ENV := HOME LANG'"));
    }
    const timeoutText = this.attr(scope, ".TIMEOUT", src.rule.loc).trim();
    let timeoutSec: number | undefined;
    if (timeoutText !== "") {
      timeoutSec = Number(timeoutText);
      if (!Number.isFinite(timeoutSec) || timeoutSec <= 0) {
        throw new DiagnosticError(errorAt("FLOW011", `.TIMEOUT must be a positive number of seconds, got '${timeoutText}'`, attrAt(".TIMEOUT"), "write e.g. 'task: .TIMEOUT := 300'"));
      }
    }
    const depfileText = this.attr(scope, ".DEPFILE", src.rule.loc).trim();
    let depfile: string | undefined;
    if (depfileText !== "") {
      depfile = projectPath(depfileText);
      if (depfile === undefined || splitWords(depfileText).length !== 1) {
        throw new DiagnosticError(errorAt("FLOW011", `.DEPFILE names one file inside the project, got '${depfileText}'`, attrAt(".DEPFILE"), "write e.g. 'build/%.o: .DEPFILE = build/$*.d'"));
      }
    }
    if (depfile !== undefined) this.depfileAttrs.set(src.targets[0] as string, depfile);
    // Where and with what resources the recipe runs: never part of the key (a task built
    // on the cluster is the same result as one built here).
    const slurm = splitWords(this.attr(scope, ".SLURM", src.rule.loc)).join(" ");
    const executor = this.attr(scope, ".EXECUTOR", src.rule.loc).trim();
    if (executor !== "" && executor !== "slurm" && executor !== "local") {
      throw new DiagnosticError(errorAt("FLOW011", `.EXECUTOR is 'slurm' or 'local', got '${executor}'`, attrAt(".EXECUTOR"), "write e.g. 'sim-%: .EXECUTOR := slurm'"));
    }
    if (slurm === "" && executor === "") return { tags, env, timeoutSec };
    return { tags, env, timeoutSec, ...(slurm !== "" ? { slurm } : {}), ...(executor !== "" ? { executor } : {}) };
  }

  /** `export`ed variables and their values for one task, sorted by name. */
  private exportedValues(scope: Scope, loc: SourceLocation): (readonly [string, string])[] {
    const out: (readonly [string, string])[] = [];
    for (const n of [...this.model.exported].sort()) out.push([n, this.model.expander.expand(`$(${n})`, scope, { loc, exact: false })]);
    return out;
  }

  /**
   * Resolves prerequisite words (globs expanded) of a task being completed:
   * `names` gets each as written (for `$^`), `inputs` (normal prerequisites
   * only) the source files, `deps` the tasks. Indexed loops, no closure:
   * it runs once per prerequisite, mostly before the JIT has warmed up, where
   * for-of allocates an iterator result per step.
   */
  private resolvePrereqs(task: Task, src: TaskSource, words: readonly Word[], names: string[], inputs: string[] | undefined, deps: number[]): void {
    for (let i = 0; i < words.length; i++) {
      const w = words[i] as Word;
      // The common word, a plain path without glob characters, is its own normal form.
      if (isPlainInput(w.text)) this.addPrereq(task, src, w, w.text, w.text, names, inputs, deps);
      else if (!hasGlobChars(w.text)) this.addPrereq(task, src, w, w.text, this.norm(w.text, w.loc, "input"), names, inputs, deps);
      else {
        const matches = this.glob(w);
        for (let j = 0; j < matches.length; j++) {
          const text = matches[j] as string;
          this.addPrereq(task, src, w, text, this.norm(text, w.loc, "input"), names, inputs, deps);
        }
      }
    }
  }

  /** One prerequisite, `text` as written (or matched) and `p` its normal form. */
  private addPrereq(task: Task, src: TaskSource, w: Word, text: string, p: string, names: string[], inputs: string[] | undefined, deps: number[]): void {
    names.push(text);
    const dep = this.resolve(p, task.name, w.loc, src.chain);
    if (dep === undefined) {
      if (inputs !== undefined) inputs.push(p);
    } else if (dep !== task.id || !src.targets.includes(p)) {
      deps.push(dep);
    } else {
      throw new DiagnosticError(errorAt("FLOW005", `dependency cycle: ${task.name} -> ${task.name}`, w.loc, `a task cannot need its own output '${p}'`));
    }
  }

  private glob(w: Word): string[] {
    const matches = this.model.expander.host.glob(w.text, w.loc);
    if (matches.length === 0) this.warnings.push(warningAt("FLOW017", `'${w.text}' matches no file`, w.loc, "check the pattern; a glob prerequisite that matches nothing adds no input"));
    return matches;
  }

  private attr(scope: Scope, name: string, loc: SourceLocation): string {
    // Most Flowfiles set few attributes: skip the scope chain for those set nowhere.
    if (!this.attrNames.has(name) || !scope.lookup(name)) return "";
    return this.model.expander.expand(`$(${name})`, scope, { loc, exact: false });
  }

  /** Automatic variables, then target- and pattern-specific variables, then globals (see rule-scope.ts). */
  private scopeFor(name: string, targets: readonly string[], stem: string, prereqs: string[], orderOnly: string[]): Scope {
    return ruleScope(this.model, name, targets, stem, prereqs, orderOnly);
  }

  /** One shell script from the recipe lines; `@` and `+` dropped, `-` lines may fail. */
  private expandRecipe(src: TaskSource, scope: Scope): string {
    const lines: string[] = [];
    for (const line of src.rule.recipe) {
      let text = this.model.expander.expand(line.text, scope, { loc: line.loc, exact: !line.text.includes("\n") });
      let ignore = false;
      for (;;) {
        const m = /^[ \t]*([@+-])/.exec(text);
        if (!m) break;
        if (m[1] === "-") ignore = true;
        text = text.slice(m[0].length);
      }
      if (text.trim() === "") continue;
      // Each recipe runs as one `sh -e` script; a `-` line must not stop it.
      // A subshell, as Make runs each line in its own shell: an `exit` or `cd` there stays there.
      lines.push(ignore ? `( ${text}\n) || :` : text);
    }
    return lines.join("\n");
  }

  /**
   * Each task's depfile (`.DEPFILE`, or what its recipe's -MD/-MMD writes), in
   * a pass of its own: `complete` is the hot per-task function, and code added
   * there made the no-op build of 1,000 tasks cost ~2.5% more instructions.
   */
  private depfiles(): void {
    const tasks = this.tasks;
    for (let i = 0; i < tasks.length; i++) {
      const t = tasks[i] as Task;
      const d = this.depfileAttrs.size === 0 ? undefined : this.depfileAttrs.get(t.name);
      const depfile = d ?? (t.recipe === "" ? undefined : depfileOfRecipe(t.recipe, t.name));
      if (depfile !== undefined) (t as { depfile?: string }).depfile = depfile;
    }
  }

  /**
   * Make's directory idiom (`build: ; mkdir -p $@` with `| build`): a target
   * that is a directory holding other tasks' outputs is not its task's output.
   * Flow would otherwise remove it, with everything in it, before rerunning
   * the recipe, and could not store it. The task keeps its name and edges.
   */
  private directoryTargets(): void {
    const ancestors = new Set<string>();
    for (const t of this.tasks) {
      for (const o of t.outputs) {
        for (let i = o.path.lastIndexOf("/"); i > 0; i = o.path.lastIndexOf("/", i - 1)) ancestors.add(o.path.slice(0, i));
      }
    }
    if (ancestors.size === 0) return;
    for (const t of this.tasks) {
      if (!t.outputs.some((o) => !o.isDir && ancestors.has(o.path))) continue;
      (t as { outputs: readonly OutputDecl[] }).outputs = t.outputs.filter((o) => o.isDir || !ancestors.has(o.path));
    }
  }

  /** An output inside another task's declared output directory would be clobbered by its restore. */
  private checkNestedOutputs(): void {
    const dirs: { path: string; id: number }[] = [];
    for (const t of this.tasks) for (const o of t.outputs) if (o.isDir) dirs.push({ path: o.path, id: t.id });
    if (dirs.length === 0) return;
    for (const [path, id] of this.byOutput) {
      for (const d of dirs) {
        if (d.id !== id && path.startsWith(`${d.path}/`)) {
          const t = this.tasks[id] as Task;
          throw new DiagnosticError(
            errorAt("FLOW015", `'${path}', an output of '${t.name}', is inside '${d.path}/', the output directory of '${(this.tasks[d.id] as Task).name}'`, t.loc, "give each task its own output directory"),
          );
        }
      }
    }
  }
}

function byNumber(a: number, b: number): number {
  return a - b;
}

function isSorted(a: readonly string[]): boolean {
  for (let i = 1; i < a.length; i++) if ((a[i - 1] as string) > (a[i] as string)) return false;
  return true;
}

/** A sorted array without its repeats, in place. */
function uniqueSorted<T>(sorted: T[]): T[] {
  let n = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[n - 1]) sorted[n++] = sorted[i] as T;
  }
  sorted.length = n;
  return sorted;
}

/** The numbers of sorted `a` not in sorted `b`: one merge pass. */
function withoutSorted(a: readonly number[], b: readonly number[]): number[] {
  const out: number[] = [];
  let j = 0;
  for (const x of a) {
    while (j < b.length && (b[j] as number) < x) j++;
    if (b[j] !== x) out.push(x);
  }
  return out;
}

function phonyRule(name: string, loc: SourceLocation | undefined): RuleDef {
  const at = loc ?? { file: "Flowfile", line: 1, col: 1, lineText: "" };
  return { index: -1, targets: [{ text: name, loc: at }], prereqs: [], orderOnly: [], recipe: [], loc: at, grouped: false, isPattern: false };
}

/**
 * Make's rule for patterns without a slash: they match the file name, and
 * the directory is put back in front of the stem (`%.o: %.c` on `src/a.o`).
 */
function matchInDir(pattern: string, path: string): string | undefined {
  if (pattern.includes("/")) return matchPattern(pattern, path);
  const slash = path.lastIndexOf("/");
  const stem = matchPattern(pattern, path.slice(slash + 1));
  return stem === undefined ? undefined : path.slice(0, slash + 1) + stem;
}

function substituteInDir(prereqPattern: string, targetPattern: string, stem: string): string {
  if (targetPattern.includes("/") || !prereqPattern.includes("%")) return substitutePattern(prereqPattern, stem);
  const slash = stem.lastIndexOf("/");
  if (slash < 0) return substitutePattern(prereqPattern, stem);
  return stem.slice(0, slash + 1) + substitutePattern(prereqPattern, stem.slice(slash + 1));
}

/**
 * The built-in rules of one graph, indexed: by the suffix of their target
 * (`.o`, `.s`), the match-anything ones (`%: %.o`) apart, and per directory
 * whether any file there could be a built-in rule's prerequisite.
 */
class BuiltinIndex {
  private readonly bySuffix = new Map<string, RuleDef[]>();
  private readonly anything: RuleDef[] = [];
  /** The prerequisite suffixes (`.o`, `.c`, `.cc` ...). */
  private readonly sourceSuffixes: string[] = [];
  private readonly sourceSet: Set<string>;
  /** By char code: some prerequisite suffix ends in it (a cheap first test, inlined, unlike lastIndexOf). */
  private readonly lastChars: boolean[] = [];
  private readonly suffixes: readonly string[];
  private readonly dirs = new Map<string, boolean>();
  private lastDir = "\u0000";
  private lastAnswer = false;
  private named: { dirs: Set<string>; anyDir: boolean } | undefined;

  constructor(
    rules: readonly RuleDef[],
    suffixes: readonly string[],
    private readonly fs: GraphFs,
    private readonly namedDirs: () => { dirs: Set<string>; anyDir: boolean },
  ) {
    for (const r of rules) {
      const suffix = (r.targets[0] as Word).text.slice(1);
      if (suffix === "") this.anything.push(r);
      else {
        const list = this.bySuffix.get(suffix);
        if (list === undefined) this.bySuffix.set(suffix, [r]);
        else list.push(r);
      }
      const ps = (r.prereqs[0] as Word).text.slice(1);
      if (!this.sourceSuffixes.includes(ps)) this.sourceSuffixes.push(ps);
    }
    this.suffixes = suffixes;
    this.sourceSet = new Set(this.sourceSuffixes);
    for (const x of this.sourceSuffixes) this.lastChars[x.charCodeAt(x.length - 1)] = true;
  }

  /** The rules that may match `path`, in Make's order; match-anything ones only when `anything` (not for a pattern rule's prerequisite). */
  rulesFor(path: string, anything: boolean): readonly RuleDef[] | undefined {
    const slash = path.lastIndexOf("/");
    const dot = path.lastIndexOf(".");
    if (dot > slash) {
      const own = this.bySuffix.get(path.slice(dot));
      if (own !== undefined) return own;
      // A known suffix (Make's `%.c:` dummy rules) names a specific type: no match-anything rule.
      if (!anything || this.anything.length === 0 || this.suffixes.some((s) => path.endsWith(s) && path.length - s.length > slash + 1)) return undefined;
    } else if (!anything || this.anything.length === 0) return undefined;
    return this.anything;
  }

  /** The name ends in a prerequisite suffix: one lastIndexOf and one Set look-up (the suffixes are all `.x`). */
  isSourceName(p: string): boolean {
    if (this.lastChars[p.charCodeAt(p.length - 1)] !== true) return false;
    const dot = p.lastIndexOf(".");
    return dot >= 0 && dot > p.lastIndexOf("/") && this.sourceSet.has(p.slice(dot));
  }

  /** A pattern target (`%.o`, `obj/%.c`, `%`) that could match a name with a source suffix. */
  couldMakeSource(pattern: string): boolean {
    const after = pattern.slice(pattern.indexOf("%") + 1);
    return this.sourceSuffixes.some((s) => s.endsWith(after) || after.endsWith(s));
  }

  /** False when no file in `dir` (with its `/`) can be a built-in rule's prerequisite: nothing on disk or named there has one of their suffixes. */
  mayHoldSources(dir: string): boolean {
    if (dir === this.lastDir) return this.lastAnswer;
    let answer = this.dirs.get(dir);
    if (answer === undefined) {
      this.named ??= this.namedDirs();
      if (this.named.anyDir || this.named.dirs.has(dir)) answer = true;
      else {
        const asked = dir === "" ? "" : dir.slice(0, -1);
        const names = this.fs.listDir?.(asked);
        answer = names === undefined || names.some((n) => this.isSourceName(n));
        if (names !== undefined) this.fs.listedForSources?.(asked, this.sourceSuffixes, answer);
      }
      this.dirs.set(dir, answer);
    }
    this.lastDir = dir;
    this.lastAnswer = answer;
    return answer;
  }
}
