import type { SourceLocation } from "../diagnostic.js";
import { BUILTIN_VARIABLES } from "./builtin-variables.js";

/**
 * Make's two flavours: a recursive variable (`=`) keeps its text and expands
 * it at each reference; a simple one (`:=`) was expanded once, when assigned.
 */
export type Flavor = "recursive" | "simple";
export type Origin = "default" | "environment" | "environment override" | "file" | "command line" | "override" | "automatic";

export interface Variable {
  readonly value: string;
  readonly flavor: Flavor;
  readonly origin: Origin;
  readonly loc?: SourceLocation;
}

/** Where a reference looks a name up: automatic, then target-specific, then global, then environment, then defaults. */
export interface Scope {
  lookup(name: string): Variable | undefined;
}

/** A flat table of variables, optionally in front of a parent scope. */
export class VariableTable implements Scope {
  private readonly vars = new Map<string, Variable>();
  /** Names removed with `undefine`: they hide the parent's (environment, default) value too. */
  private readonly removed = new Set<string>();

  constructor(private readonly parent?: Scope) {}

  lookup(name: string): Variable | undefined {
    const v = this.vars.get(name);
    if (v !== undefined) return v;
    if (this.removed.size > 0 && this.removed.has(name)) return undefined;
    return this.parent?.lookup(name);
  }

  own(name: string): Variable | undefined {
    return this.vars.get(name);
  }

  set(name: string, v: Variable): void {
    this.vars.set(name, v);
    if (this.removed.size > 0) this.removed.delete(name);
  }

  /** `undefine NAME`. */
  remove(name: string): void {
    this.vars.delete(name);
    this.removed.add(name);
  }

  names(): string[] {
    return [...this.vars.keys()];
  }
}

/**
 * Make's automatic variables (`$@`, `$(<D)`, ...): set per rule instance, so a
 * reference to one outside a recipe is empty but never a mistake worth a warning.
 */
export function isAutomaticName(name: string): boolean {
  return /^[@<^+?|*%][DF]?$/.test(name) || /^[0-9]+$/.test(name);
}

/**
 * The variables flow sets before reading (origin `default`): SHELL always,
 * and GNU Make's built-in variables (builtin-rules.ts) unless `-R` turns
 * them off.
 */
export const DEFAULT_VARIABLES: readonly (readonly [string, string])[] = [...BUILTIN_VARIABLES, ["SHELL", "/bin/sh"]];

export function defaultVariables(builtins = true): VariableTable {
  const t = new VariableTable();
  for (const [k, v] of builtins ? DEFAULT_VARIABLES : [["SHELL", "/bin/sh"] as const]) t.set(k, { value: v, flavor: "recursive", origin: "default" });
  return t;
}
