import type { FlowfileModel, TargetVar } from "../reader/flowfile-model.js";
import { VariableTable, type Scope, type Variable } from "../reader/variables.js";
import { matchPattern } from "../reader/words.js";

/** Pattern-specific variables (`%.o: CFLAGS += -g`) of a model, found once per model. */
const patternVarsOf = new WeakMap<FlowfileModel, readonly (readonly [string, readonly TargetVar[]])[]>();

function patternVars(model: FlowfileModel): readonly (readonly [string, readonly TargetVar[]])[] {
  let list = patternVarsOf.get(model);
  if (!list) {
    list = [...model.targetVars].filter(([t]) => t.includes("%"));
    patternVarsOf.set(model, list);
  }
  return list;
}

/**
 * The scope a rule instance's recipe (and attributes) is expanded in:
 * automatic variables, then target- and pattern-specific variables, then the
 * globals (which fall back to the environment and Make's defaults).
 *
 * As in Make, a command-line value beats a target-specific assignment unless
 * that is written `override`. Unlike Make, target-specific variables are not
 * inherited by the target's prerequisites: each task's scope is its own, so a
 * task's key does not depend on which goal asked for it.
 */
export function ruleScope(
  model: FlowfileModel,
  name: string,
  targets: readonly string[],
  stem: string,
  prereqs: readonly string[],
  orderOnly: readonly string[],
): Scope {
  const globals = model.globals;
  const applicable: TargetVar[] = [];
  for (const [t, vars] of patternVars(model)) {
    if (targets.some((x) => matchTargetPattern(t, x) !== undefined)) applicable.push(...vars);
  }
  for (const t of targets) {
    const own = model.targetVars.get(t);
    if (own) applicable.push(...own);
  }
  const targetScope = applicable.length === 0 ? globals : targetVariables(model, applicable);
  return new AutomaticScope(targetScope, name, stem, prereqs, orderOnly);
}

/**
 * `$@ $< $^ $+ $? $| $*` and their `D`/`F` forms, computed when looked up:
 * a graph of 100,000 tasks builds two scopes per task, and most recipes use
 * two or three of these.
 */
class AutomaticScope implements Scope {
  private memo: Map<string, Variable> | undefined;

  constructor(
    private readonly parent: Scope,
    private readonly target: string,
    private readonly stem: string,
    private readonly prereqs: readonly string[],
    private readonly orderOnly: readonly string[],
  ) {}

  lookup(name: string): Variable | undefined {
    if (name.length > 2 || !AUTOMATIC.test(name)) return this.parent.lookup(name);
    let v = this.memo?.get(name);
    if (!v) {
      v = { value: this.compute(name), flavor: "simple", origin: "automatic" };
      (this.memo ??= new Map()).set(name, v);
    }
    return v;
  }

  private compute(name: string): string {
    const list = this.list(name[0] as string);
    switch (name[1]) {
      case "D":
        return list.map(dirNoSlash).join(" ");
      case "F":
        return list.map(baseOf).join(" ");
      default:
        return list.join(" ");
    }
  }

  /** The words an automatic variable stands for. */
  private list(c: string): readonly string[] {
    switch (c) {
      case "@":
        return [this.target];
      case "<":
        return this.prereqs.length > 0 ? [this.prereqs[0] as string] : [];
      // `$?`: flow has no timestamps, so every prerequisite counts as newer than the target.
      case "^":
      case "?":
        return [...new Set(this.prereqs)];
      case "+":
        return this.prereqs;
      case "|":
        return [...new Set(this.orderOnly)];
      case "*":
        return this.stem === "" ? [] : [this.stem];
      default:
        return [];
    }
  }
}

const AUTOMATIC = /^[@<^+?|*][DF]?$/;

function targetVariables(model: FlowfileModel, applicable: readonly TargetVar[]): Scope {
  const globals = model.globals;
  const scope = new VariableTable(globals);
  for (const v of applicable) {
    const global = globals.lookup(v.name);
    if (!v.override && global && (global.origin === "command line" || global.origin === "override") && !scope.own(v.name)) continue;
    const prev = scope.lookup(v.name);
    switch (v.op) {
      case "=":
        scope.set(v.name, { value: v.value, flavor: "recursive", origin: "file", loc: v.loc });
        break;
      case ":=":
      case "::=":
      case "!=":
        scope.set(v.name, { value: v.value, flavor: "simple", origin: "file", loc: v.loc });
        break;
      case "?=":
        if (!prev) scope.set(v.name, { value: v.value, flavor: "recursive", origin: "file", loc: v.loc });
        break;
      case "+=":
        if (!prev) scope.set(v.name, { value: v.value, flavor: "recursive", origin: "file", loc: v.loc });
        else if (prev.flavor === "simple") {
          const add = model.expander.expand(v.value, scope, { loc: v.loc, exact: false });
          scope.set(v.name, { value: prev.value === "" ? add : `${prev.value} ${add}`, flavor: "simple", origin: "file", loc: v.loc });
        } else {
          scope.set(v.name, { value: prev.value === "" ? v.value : `${prev.value} ${v.value}`, flavor: "recursive", origin: "file", loc: v.loc });
        }
        break;
    }
  }
  return scope;
}

function dirNoSlash(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? "." : i === 0 ? "/" : p.slice(0, i);
}

function baseOf(p: string): string {
  return p.slice(p.lastIndexOf("/") + 1);
}

/**
 * Make's rule for patterns without a slash: they match the file name, and
 * the directory is put back in front of the stem (`%.o: %.c` on `src/a.o`).
 */
export function matchTargetPattern(pattern: string, path: string): string | undefined {
  if (pattern.includes("/")) return matchPattern(pattern, path);
  const slash = path.lastIndexOf("/");
  const stem = matchPattern(pattern, path.slice(slash + 1));
  return stem === undefined ? undefined : path.slice(0, slash + 1) + stem;
}
