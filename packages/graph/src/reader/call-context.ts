import type { Diagnostic, SourceLocation } from "../diagnostic.js";
import type { ExpandHost } from "./expand-host.js";
import type { TextOrigin } from "./text-origin.js";
import type { Scope, Variable } from "./variables.js";

/**
 * What a Make function (functions.ts) may ask of the expander that called it.
 * An interface rather than the Expander class, so that the function table and
 * the expander, which calls into it, do not import each other (issue 13).
 */
export interface CallExpander {
  readonly host: ExpandHost;
  /** Arguments of the innermost `$(call)`, so a nested call hides the outer call's extra `$(N)`. */
  callArgs: number;
  /** Set by the reader: `$(eval TEXT)` reads TEXT as Flowfile lines. */
  readonly evaluate: ((text: string, at: SourceLocation | undefined) => void) | undefined;
  expand(text: string, scope: Scope, origin: TextOrigin): string;
  expandProbe(text: string, scope: Scope, origin: TextOrigin): string;
  expandBody(name: string, v: Variable, scope: Scope, origin: TextOrigin, offset: number, viaCall: boolean): string;
  variable(name: string, scope: Scope, origin: TextOrigin, offset: number): string;
  sub(origin: TextOrigin, offset: number): TextOrigin;
  probe(name: string): void;
  warn(d: Diagnostic): void;
}

export interface CallContext {
  readonly expander: CallExpander;
  readonly scope: Scope;
  /** Origin of the argument text (the first argument's first character). */
  readonly origin: TextOrigin;
  /** Location of the `$(` of the call. */
  readonly at: SourceLocation | undefined;
}

/** An argument, expanded (eager functions) or not (lazy ones), with where it was written. */
export interface Arg {
  readonly text: string;
  readonly origin: TextOrigin;
}
