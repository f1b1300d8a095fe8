import type { SourceLocation } from "../diagnostic.js";
import type { Expander } from "./expander.js";
import type { VariableTable } from "./variables.js";

/** A word of a rule line after expansion, with the best location we can give it. */
export interface Word {
  readonly text: string;
  readonly loc: SourceLocation;
}

/** One recipe line as written (unexpanded; expanded per task instance). */
export interface RecipeLine {
  readonly text: string;
  readonly loc: SourceLocation;
}

export interface StaticPattern {
  readonly targetPattern: string;
  readonly prereqPatterns: readonly Word[];
  readonly orderOnlyPatterns: readonly Word[];
}

/** A rule as read: `targets : prereqs | order-only` and its recipe. */
export interface RuleDef {
  /** Definition order, for "first rule is the default goal" and stable tie-breaks. */
  readonly index: number;
  readonly targets: readonly Word[];
  readonly prereqs: readonly Word[];
  readonly orderOnly: readonly Word[];
  readonly recipe: RecipeLine[];
  readonly loc: SourceLocation;
  /** Written `&:`: one task makes every target in one run. Without it, `a b: c` is one task per target, as in GNU Make. */
  readonly grouped: boolean;
  readonly staticPattern?: StaticPattern;
  /** At least one target contains `%` (and it is not a static pattern rule). */
  readonly isPattern: boolean;
}

export type AssignOp = "=" | ":=" | "::=" | "?=" | "+=" | "!=";

/** `target: NAME op value` — a target-specific variable (flow's attributes among them). */
export interface TargetVar {
  readonly name: string;
  readonly op: AssignOp;
  /** Already expanded for `:=`, raw for `=` and `+=` (expanded per instance). */
  readonly value: string;
  readonly loc: SourceLocation;
  /** Written `target: override NAME = value`: beats a command-line value, as in Make. */
  readonly override?: boolean;
}

/** One file named by `include` / `-include`, in reading order. */
export interface IncludeRef {
  /** Project-relative path (or absolute, outside the root). */
  readonly path: string;
  /** `-include` / `sinclude`: a missing file is not an error. */
  readonly optional: boolean;
  /** The file existed and was read. */
  readonly found: boolean;
  /** The include line. */
  readonly loc: SourceLocation;
}

export interface FlowfileModel {
  readonly rules: readonly RuleDef[];
  /**
   * GNU Make's built-in pattern rules that apply (none with `-r`): tried
   * after every rule of the Flowfile, whatever their stems.
   */
  readonly builtinRules?: readonly RuleDef[];
  /** `.SUFFIXES` after reading: a file name ending in one names a specific type, which match-anything built-in rules skip (Make's rule). */
  readonly suffixes?: readonly string[];
  readonly globals: VariableTable;
  /** Keyed by target name or `%` pattern, in definition order. */
  readonly targetVars: ReadonlyMap<string, readonly TargetVar[]>;
  /** Names of variables marked `export` (passed to recipes and part of their keys). */
  readonly exported: ReadonlySet<string>;
  /** The Flowfile and every file it included, project-relative. */
  readonly files: readonly string[];
  /** Every include directive's files, found or not (generated includes start missing). */
  readonly includes: readonly IncludeRef[];
  /**
   * Included files that read as compiler depfiles (`build/a.d` by `-include
   * $(DEPS)`), with the rules read from them, which are also in `rules`. The
   * graph drops a file's rules when a task claims it as its depfile.
   */
  readonly depfileRules: ReadonlyMap<string, readonly RuleDef[]>;
  readonly expander: Expander;
}
