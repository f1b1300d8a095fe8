import type { CallExpander } from "./call-context.js";
import { DiagnosticError, errorAt, type Diagnostic, type SourceLocation } from "../diagnostic.js";
import type { ExpandHost } from "./expand-host.js";
import { callFunction, FUNCTION_NAMES, suggestFunction } from "./functions.js";
import type { TextOrigin } from "./text-origin.js";
import { isAutomaticName, type Scope, type Variable } from "./variables.js";
import { patsubst } from "./words.js";

export interface ExpanderLimits {
  /** Nesting of expansions (references inside values inside calls ...). */
  readonly maxDepth?: number;
  /** Total references and calls expanded over the expander's life: a bound on runaway recursion through `call`. */
  readonly maxSteps?: number;
  /** Longest text one expansion may produce. */
  readonly maxLength?: number;
}

const MAX_DEPTH = 200;
const MAX_STEPS = 20_000_000;
const MAX_LENGTH = 64 << 20;

/** A reference to a variable nobody set, kept for the FLOW018 warning (see unset-variables.ts). */
export interface UnsetReference {
  readonly name: string;
  readonly loc: SourceLocation | undefined;
}

/**
 * GNU Make's expansion: `$$`, `$(X)`, `${X}`, `$X`, substitution references
 * `$(X:a=b)`, computed names `$($(X))`, and function calls `$(fn args)`.
 *
 * Limits (depth, total steps, length of a result) turn pathological input
 * (an exponential `$(call)`, a doubling `X := $(X) $(X)`) into a diagnostic
 * instead of a hang or an out-of-memory crash.
 */
export class Expander implements CallExpander {
  private depth = 0;
  private steps = 0;
  private readonly active = new Set<string>();
  private readonly maxDepth: number;
  private readonly maxSteps: number;
  private readonly maxLength: number;
  /** First reference to each name that was not set when it was expanded. */
  readonly unset = new Map<string, UnsetReference>();
  /** Names whose definedness the Flowfile tests (ifdef, origin, ifeq ($(X),) ...): never warned about. */
  readonly probed = new Set<string>();
  /** >0 while expanding text whose purpose is to test a variable (conditions). */
  private probing = 0;
  /** Arguments of the innermost `$(call)`, so a nested call hides the outer call's extra `$(N)`. */
  callArgs = 0;
  /** Set by the reader: `$(eval TEXT)` reads TEXT as Flowfile lines. */
  evaluate: ((text: string, at: SourceLocation | undefined) => void) | undefined;

  constructor(
    readonly host: ExpandHost,
    limits: ExpanderLimits = {},
  ) {
    this.maxDepth = limits.maxDepth ?? MAX_DEPTH;
    this.maxSteps = limits.maxSteps ?? MAX_STEPS;
    this.maxLength = limits.maxLength ?? MAX_LENGTH;
  }

  expand(text: string, scope: Scope, origin: TextOrigin): string {
    if (!text.includes("$")) return text;
    if (++this.depth > this.maxDepth) {
      this.depth--; // the frames below undo their own increments as the error unwinds them
      throw new DiagnosticError(
        errorAt("FLOW001", `expansion nested more than ${this.maxDepth} levels deep`, origin.loc, "simplify the variable references on this line (a $(call) that never stops recursing?)"),
      );
    }
    try {
      const out = this.expandFlat(text, scope, origin);
      if (out.length > this.maxLength) this.tooBig(origin, `expands to more than ${this.maxLength >> 20} MiB of text`);
      return out;
    } finally {
      this.depth--;
    }
  }

  /** Expand with undefined references counted as tests of definedness, not as mistakes. */
  expandProbe(text: string, scope: Scope, origin: TextOrigin): string {
    this.probing++;
    try {
      return this.expand(text, scope, origin);
    } finally {
      this.probing--;
    }
  }

  private tooBig(origin: TextOrigin, what: string): never {
    throw new DiagnosticError(errorAt("FLOW001", `this ${what}: flow stops here`, origin.loc, "a variable or $(call) that grows or recurses without end?"));
  }

  private step(origin: TextOrigin): void {
    if (++this.steps > this.maxSteps) this.tooBig(origin, `line needs more than ${this.maxSteps} expansion steps`);
  }

  private locAt(origin: TextOrigin, offset: number): SourceLocation | undefined {
    if (!origin.loc) return undefined;
    return origin.exact ? { ...origin.loc, col: origin.loc.col + offset } : origin.loc;
  }

  /** The origin of a piece of text that starts `offset` characters into text of `origin`. */
  sub(origin: TextOrigin, offset: number): TextOrigin {
    return origin.exact && offset !== 0 ? { loc: this.locAt(origin, offset), exact: true } : origin;
  }

  private expandFlat(text: string, scope: Scope, origin: TextOrigin): string {
    let out = "";
    let i = 0;
    const n = text.length;
    while (i < n) {
      const d = text.indexOf("$", i);
      if (d < 0) {
        out += text.slice(i);
        break;
      }
      out += text.slice(i, d);
      if (out.length > this.maxLength) this.tooBig(origin, `expands to more than ${this.maxLength >> 20} MiB of text`);
      const c = text[d + 1];
      if (c === undefined) {
        // A lone `$` at the end expands to nothing, as in Make.
        i = d + 1;
        break;
      }
      if (c === "$") {
        out += "$";
        i = d + 2;
        continue;
      }
      this.step(origin);
      if (c === "(" || c === "{") {
        const close = findClose(text, d + 1);
        if (close < 0) {
          throw new DiagnosticError(
            errorAt(
              "FLOW008",
              `unterminated variable reference: missing '${c === "(" ? ")" : "}"}'`,
              this.locAt(origin, d),
              `close the reference opened here, or write '$$' for a literal '$'`,
            ),
          );
        }
        const inner = text.slice(d + 2, close);
        out += this.reference(inner, c, scope, origin, d + 2);
        i = close + 1;
        continue;
      }
      // `$X`: a one-character name.
      out += this.variable(c, scope, origin, d);
      i = d + 2;
    }
    return out;
  }

  /** The inside of `$( ... )`: a function call, a substitution reference or a name. */
  private reference(inner: string, opener: string, scope: Scope, origin: TextOrigin, offset: number): string {
    const fm = /^([a-zA-Z][a-zA-Z0-9-]*)[ \t\n]+/.exec(inner);
    if (fm) {
      const name = fm[1] as string;
      if (FUNCTION_NAMES.has(name)) {
        const rawArgs = inner.slice(fm[0].length);
        return callFunction(name, rawArgs, opener, {
          expander: this,
          scope,
          origin: this.sub(origin, offset + fm[0].length),
          at: this.locAt(origin, offset - 2),
        });
      }
      const suggestion = suggestFunction(name);
      throw new DiagnosticError(
        errorAt(
          "FLOW002",
          `unknown function '${name}'`,
          this.locAt(origin, offset),
          suggestion ? `did you mean '${suggestion}'?` : `the functions are: ${[...FUNCTION_NAMES].sort().join(" ")}`,
        ),
      );
    }
    // Make expands the whole inside first when it holds a reference, then
    // looks for a substitution reference `NAME:from=to` in the result.
    const body = inner.includes("$") ? this.expand(inner, scope, this.sub(origin, offset)) : inner;
    const colon = body.indexOf(":");
    if (colon >= 0) {
      const eq = body.indexOf("=", colon + 1);
      if (eq >= 0) {
        const name = body.slice(0, colon);
        const from = body.slice(colon + 1, eq);
        const to = body.slice(eq + 1);
        const value = this.variable(name, scope, origin, offset - 2);
        if (value === "") return "";
        return from.includes("%") ? patsubst(from, to, value) : patsubst(`%${from}`, `%${to}`, value);
      }
    }
    return this.variable(body, scope, origin, offset - 2);
  }

  variable(name: string, scope: Scope, origin: TextOrigin, offset: number): string {
    const v: Variable | undefined = scope.lookup(name);
    if (!v) {
      this.noteUnset(name, this.locAt(origin, offset));
      return "";
    }
    if (v.flavor === "simple") return v.value;
    return this.expandBody(name, v, scope, origin, offset, false);
  }

  /**
   * Expand a recursive variable's value. `viaCall` lifts the self-reference
   * check, as GNU Make's `$(call)` does, so a function may recurse; the
   * depth and step limits still stop one that never ends.
   */
  expandBody(name: string, v: Variable, scope: Scope, origin: TextOrigin, offset: number, viaCall: boolean): string {
    if (!viaCall && this.active.has(name)) {
      throw new DiagnosticError(
        errorAt(
          "FLOW001",
          `recursive variable '${name}' references itself (eventually)`,
          v.loc ?? this.locAt(origin, offset),
          `use ':=' to expand the old value once, or '+=' to append`,
        ),
      );
    }
    const wasActive = this.active.has(name);
    this.active.add(name);
    try {
      return this.expand(v.value, scope, { loc: v.loc ?? origin.loc, exact: false });
    } finally {
      if (!wasActive) this.active.delete(name);
    }
  }

  /** Record a test of whether `name` is set (ifdef, origin, flavor, value, ifeq ($(X),)). */
  probe(name: string): void {
    this.probed.add(name);
  }

  private noteUnset(name: string, loc: SourceLocation | undefined): void {
    if (this.probing > 0) {
      this.probed.add(name);
      return;
    }
    if (this.unset.has(name) || isAutomaticName(name)) return;
    this.unset.set(name, { name, loc });
  }

  warn(d: Diagnostic): void {
    this.host.warn(d);
  }
}

/** Index of the `)` or `}` closing the opener at `open`, honouring nesting of that kind only (as Make does); -1 if none. */
export function findClose(text: string, open: number): number {
  const opener = text[open];
  const closer = opener === "(" ? ")" : "}";
  if (opener === "(" || opener === "{") {
    // Every reference comes here: jump from bracket to bracket with indexOf
    // (native) instead of looking at each character. Openers before each
    // closer deepen, the closer ends one level: the order of the scan below.
    let depth = 1;
    let nextOpen = text.indexOf(opener, open + 1);
    let from = open + 1;
    for (;;) {
      const close = text.indexOf(closer, from);
      if (close < 0) return -1;
      while (nextOpen >= 0 && nextOpen < close) {
        depth++;
        nextOpen = text.indexOf(opener, nextOpen + 1);
      }
      if (--depth === 0) return close;
      from = close + 1;
    }
  }
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const ch = text[i];
    if (ch === opener) depth++;
    else if (ch === closer) {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** First index of `ch` at or after `from` that is outside any `$( )` / `${ }`; -1 if none. */
export function topLevelIndex(text: string, ch: string, from = 0): number {
  // Called on every rule line, several times, and on 100 kB `all:` lines: let
  // indexOf (native) find the answer when no bracket comes before the first
  // `ch`. Before the first opener the depth is 0 (a closer at depth 0 is
  // ignored), so the scan below may start there. Brackets as `ch` take the scan.
  let start = from;
  if (ch !== "(" && ch !== "{" && ch !== ")" && ch !== "}") {
    const hit = text.indexOf(ch, from);
    if (hit < 0) return -1;
    const paren = text.indexOf("(", from);
    const brace = text.indexOf("{", from);
    const opener = paren < 0 ? brace : brace < 0 ? paren : Math.min(paren, brace);
    if (opener < 0 || opener > hit) return hit;
    start = opener;
  }
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === "(" || c === "{") depth++;
    else if ((c === ")" || c === "}") && depth > 0) depth--;
    else if (c === ch && depth === 0) return i;
  }
  return -1;
}
