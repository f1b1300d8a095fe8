/**
 * A diagnostic: an expected failure (or warning) that points at the source.
 *
 * Every user-facing error has a stable `code` (listed in docs/errors.md and
 * never renumbered). The core returns diagnostics as values; the CLI prints
 * them with `formatDiagnostic`, Ninja-style: `Flowfile:12:5: error: ...`,
 * the line, a caret under the column, then a hint that says what to do.
 */
export interface SourceLocation {
  /** Path of the file as the user would type it (relative to the project root when inside it). */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly col: number;
  /** The text of that physical line, for the caret display. */
  readonly lineText: string;
}

/** `info` is `$(info ...)`: printed as the Flowfile's own message, without code or caret. */
export type Severity = "error" | "warning" | "info";

export interface Diagnostic {
  readonly code: DiagnosticCode;
  readonly severity: Severity;
  readonly message: string;
  readonly loc?: SourceLocation;
  readonly hint?: string;
}

/** Stable codes; see docs/errors.md. Add at the end, never renumber. */
export type DiagnosticCode =
  | "FLOW001" // syntax error
  | "FLOW002" // unknown function
  | "FLOW003" // recipe line outside a rule
  | "FLOW004" // no rule to make a prerequisite
  | "FLOW005" // dependency cycle
  | "FLOW006" // two tasks declare one output
  | "FLOW007" // output or glob outside the project root
  | "FLOW008" // unterminated variable reference or function call
  | "FLOW009" // conditional without endif / else or endif without if
  | "FLOW010" // includes that cannot be completed: an include loop, generated includes that never settle
  | "FLOW011" // bad attribute value
  | "FLOW012" // unknown goal on the command line
  | "FLOW013" // $(error ...) called
  // FLOW014 (several recipes for one target, a warning) is retired: that is FLOW006 now. Never reuse it.
  | "FLOW015" // output nested in another task's output directory
  | "FLOW016" // a file flow must read is missing: the Flowfile, or an included file no rule makes
  | "FLOW017" // a glob prerequisite matches no file (warning)
  | "FLOW018" // a variable is used but never set (warning)
  | "FLOW019" // a GNU Make feature flow does not implement (warning)
  | "FLOW020"; // an output below a symlinked directory (inside the root; outside is FLOW007)

export function errorAt(
  code: DiagnosticCode,
  message: string,
  loc: SourceLocation | undefined,
  hint?: string,
): Diagnostic {
  return { code, severity: "error", message, ...(loc ? { loc } : {}), ...(hint ? { hint } : {}) };
}

export function warningAt(
  code: DiagnosticCode,
  message: string,
  loc: SourceLocation | undefined,
  hint?: string,
): Diagnostic {
  return { code, severity: "warning", message, ...(loc ? { loc } : {}), ...(hint ? { hint } : {}) };
}

/**
 * Render as text:
 *
 *     Flowfile:3:9: error FLOW004: no rule to make 'x.c', needed by 'x.o'
 *         3 | x.o: x.c
 *           |      ^
 *     hint: create x.c, or add a rule whose target is x.c
 */
export function formatDiagnostic(d: Diagnostic): string {
  if (d.severity === "info") return d.loc ? `${d.loc.file}:${d.loc.line}: ${d.message}` : d.message;
  const head = d.loc ? `${d.loc.file}:${d.loc.line}:${d.loc.col}: ` : "flow: ";
  const lines = [`${head}${d.severity} ${d.code}: ${d.message}`];
  if (d.loc) {
    const num = String(d.loc.line);
    const pad = " ".repeat(num.length);
    const text = d.loc.lineText.replace(/\t/g, " ");
    lines.push(`  ${num} | ${text}`);
    lines.push(`  ${pad} | ${" ".repeat(Math.max(0, d.loc.col - 1))}^`);
  }
  if (d.hint) lines.push(`hint: ${d.hint}`);
  return lines.join("\n");
}

/** A thrown diagnostic unwinds the reader to its entry point, where it becomes a value again. */
export class DiagnosticError extends Error {
  constructor(readonly diagnostic: Diagnostic) {
    super(diagnostic.message);
  }
}
