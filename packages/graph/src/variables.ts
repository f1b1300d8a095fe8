import type { SourceLocation } from "./diagnostic.js";

/**
 * Make's two flavours: a recursive variable (`=`) keeps its text and expands
 * it at each reference; a simple one (`:=`) was expanded once, when assigned.
 */
export type Flavor = "recursive" | "simple";
export type Origin = "environment" | "file" | "command line" | "override" | "automatic";

export interface Variable {
  readonly value: string;
  readonly flavor: Flavor;
  readonly origin: Origin;
  readonly loc?: SourceLocation;
}

/** Where a reference looks a name up: automatic, then target-specific, then global, then environment. */
export interface Scope {
  lookup(name: string): Variable | undefined;
}

/** A flat table of variables, optionally in front of a parent scope. */
export class VariableTable implements Scope {
  private readonly vars = new Map<string, Variable>();

  constructor(private readonly parent?: Scope) {}

  lookup(name: string): Variable | undefined {
    return this.vars.get(name) ?? this.parent?.lookup(name);
  }

  own(name: string): Variable | undefined {
    return this.vars.get(name);
  }

  set(name: string, v: Variable): void {
    this.vars.set(name, v);
  }

  names(): string[] {
    return [...this.vars.keys()];
  }
}
