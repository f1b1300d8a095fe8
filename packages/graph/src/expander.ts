import { DiagnosticError, errorAt, type Diagnostic, type SourceLocation } from "./diagnostic.js";
import { callFunction, FUNCTION_NAMES, suggestFunction } from "./functions.js";
import type { Scope, Variable } from "./variables.js";
import { patsubst } from "./words.js";

/** What expansion needs from the outside world: globbing and `$(shell)`. */
export interface ExpandHost {
  /** Sorted project-relative matches of one glob pattern (relative to the project root). */
  glob(pattern: string, at: SourceLocation | undefined): string[];
  /** Run a command at parse time; stdout with newlines folded to spaces, as Make does. */
  shell(command: string, at: SourceLocation | undefined): string;
  warn(d: Diagnostic): void;
}

/**
 * Where the text being expanded came from, so an error can point at a column.
 * `loc` is the location of the text's first character; when the text spans
 * several lines (a continued line, a variable's value) the column is that of
 * the start.
 */
export interface TextOrigin {
  readonly loc: SourceLocation | undefined;
  /** True when offsets in the text map one-to-one to columns of loc's line. */
  readonly exact: boolean;
}

const MAX_DEPTH = 200;

/**
 * GNU Make's expansion: `$$`, `$(X)`, `${X}`, `$X`, substitution references
 * `$(X:a=b)`, computed names `$($(X))`, and function calls `$(fn args)`.
 */
export class Expander {
  private depth = 0;
  private readonly active = new Set<string>();

  constructor(readonly host: ExpandHost) {}

  expand(text: string, scope: Scope, origin: TextOrigin): string {
    if (!text.includes("$")) return text;
    if (++this.depth > MAX_DEPTH) {
      this.depth = 0;
      throw new DiagnosticError(
        errorAt("FLOW001", `expansion nested more than ${MAX_DEPTH} levels deep`, origin.loc, "simplify the variable references on this line"),
      );
    }
    try {
      return this.expandFlat(text, scope, origin);
    } finally {
      this.depth--;
    }
  }

  private locAt(origin: TextOrigin, offset: number): SourceLocation | undefined {
    if (!origin.loc) return undefined;
    return origin.exact ? { ...origin.loc, col: origin.loc.col + offset } : origin.loc;
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
        out += this.reference(inner, scope, origin, d + 2);
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
  private reference(inner: string, scope: Scope, origin: TextOrigin, offset: number): string {
    const fm = /^([a-zA-Z][a-zA-Z0-9-]*)[ \t]/.exec(inner);
    if (fm) {
      const name = fm[1] as string;
      if (FUNCTION_NAMES.has(name)) {
        const rawArgs = inner.slice(fm[0].length);
        return callFunction(name, rawArgs, {
          expander: this,
          scope,
          origin: { loc: this.locAt(origin, offset + fm[0].length), exact: origin.exact },
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
    // Substitution reference $(VAR:from=to); the name itself may be computed.
    const colon = topLevelIndex(inner, ":");
    if (colon >= 0) {
      const eq = topLevelIndex(inner, "=", colon + 1);
      if (eq >= 0) {
        const name = this.expand(inner.slice(0, colon), scope, origin);
        const from = this.expand(inner.slice(colon + 1, eq), scope, origin);
        const to = this.expand(inner.slice(eq + 1), scope, origin);
        const value = this.variable(name, scope, origin, offset);
        return from.includes("%") ? patsubst(from, to, value) : patsubst(`%${from}`, `%${to}`, value);
      }
    }
    const name = inner.includes("$") ? this.expand(inner, scope, origin) : inner;
    return this.variable(name, scope, origin, offset);
  }

  variable(name: string, scope: Scope, origin: TextOrigin, offset: number): string {
    const v: Variable | undefined = scope.lookup(name);
    if (!v) return "";
    if (v.flavor === "simple") return v.value;
    if (this.active.has(name)) {
      throw new DiagnosticError(
        errorAt(
          "FLOW001",
          `recursive variable '${name}' references itself (eventually)`,
          v.loc ?? this.locAt(origin, offset),
          `use ':=' to expand the old value once, or '+=' to append`,
        ),
      );
    }
    this.active.add(name);
    try {
      return this.expand(v.value, scope, { loc: v.loc ?? origin.loc, exact: false });
    } finally {
      this.active.delete(name);
    }
  }

  warn(d: Diagnostic): void {
    this.host.warn(d);
  }
}

/** Index of the `)` or `}` closing the opener at `open`, honouring nesting; -1 if none. */
export function findClose(text: string, open: number): number {
  const opener = text[open];
  const closer = opener === "(" ? ")" : "}";
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
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === "(" || c === "{") depth++;
    else if ((c === ")" || c === "}") && depth > 0) depth--;
    else if (c === ch && depth === 0) return i;
  }
  return -1;
}

/** Like splitArgs, with each piece's offset in `raw` (for error columns). */
export function splitArgsWithOffsets(raw: string, max: number): { text: string; offset: number }[] {
  const out: { text: string; offset: number }[] = [];
  let offset = 0;
  for (const text of splitArgs(raw, max)) {
    out.push({ text, offset });
    offset += text.length + 1;
  }
  return out;
}

/** Split function arguments at top-level commas; at most `max` pieces (the last keeps its commas). */
export function splitArgs(raw: string, max: number): string[] {
  const args: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === "(" || c === "{") depth++;
    else if (c === ")" || c === "}") depth--;
    else if (c === "," && depth === 0 && args.length < max - 1) {
      args.push(raw.slice(start, i));
      start = i + 1;
    }
  }
  args.push(raw.slice(start));
  return args;
}

