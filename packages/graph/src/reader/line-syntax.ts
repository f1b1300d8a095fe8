/**
 * The syntax of one logical line, before anything is expanded: which kind of
 * line it is (directive, recipe, assignment, rule) and where its parts are.
 * Pure functions of the text; the reader (flowfile-reader.ts) acts on them.
 */
import { topLevelIndex } from "./expander.js";
import type { AssignOp } from "./flowfile-model.js";

export const CONDITIONALS: ReadonlySet<string> = new Set(["ifeq", "ifneq", "ifdef", "ifndef", "else", "endif"]);
/** Every directive word, for "did you mean" hints on a line that is nothing else. */
export const DIRECTIVE_WORDS: readonly string[] = [...CONDITIONALS, "define", "endef", "undefine", "include", "-include", "sinclude", "export", "unexport", "override", "private", "vpath"];
export const DIRECTIVE_SET: ReadonlySet<string> = new Set(DIRECTIVE_WORDS);
/**
 * What takes a line off the plain path: a blank, a dot (special targets,
 * suffix rules) or a colon first; a directive word first (the reader's first
 * word ends at white space or `(`, which here means a blank or the end); a
 * reference, a comment, an inline recipe, an assignment, a bracket (the
 * scanners count them), an order-only bar, `&:`, a pattern, a backslash; or
 * anything but a tab and printable ASCII (white space beyond blanks is
 * trimmed differently).
 */
const NOT_PLAIN = new RegExp(`^(?:[ \\t.:]|(?:${DIRECTIVE_WORDS.join("|")})(?:[ \\t]|$))|[^\\t -~]|[$#;=({|&%\\\\]`);

/**
 * Where the colon of a plain rule line is, or -1. A plain line is
 * `targets: prerequisites` with literal words and nothing else (see
 * NOT_PLAIN) and one colon. Reading one needs no comment stripping, no
 * expansion and no separator search, and on a large Flowfile nearly every
 * rule line is one (see Reader.plainRule).
 */
export function plainRuleColon(text: string): number {
  if (NOT_PLAIN.test(text)) return -1;
  const colon = text.indexOf(":");
  // No colon (or an empty line), or two (`::`, a static pattern).
  if (colon < 0 || text.indexOf(":", colon + 1) >= 0) return -1;
  return colon;
}

/** A statement without its leading modifiers, and which of them it had. */
export interface Modifiers {
  readonly text: string;
  /** Length of the modifiers (and the blanks after them). */
  readonly offset: number;
  readonly exportIt: boolean;
  readonly override: boolean;
  readonly unexport: boolean;
  readonly undefine: boolean;
}

/** Leading `export` / `override` / `private` / `unexport` / `undefine` words of a statement. */
export function stripModifiers(line: string): Modifiers {
  // Every statement comes here; the modifiers all start with e, o, p or u.
  const c = line.charCodeAt(0);
  if (c !== 0x65 && c !== 0x6f && c !== 0x70 && c !== 0x75) return { text: line, offset: 0, exportIt: false, override: false, unexport: false, undefine: false };
  let text = line;
  const r = { exportIt: false, override: false, unexport: false, undefine: false };
  for (;;) {
    const m = /^(export|override|private|unexport|undefine)(?:\s+|$)/.exec(text);
    if (!m) break;
    // `export = 1` assigns a variable named export.
    if (/^\s*(=|:=|::=|\+=|\?=|!=)/.test(text.slice((m[1] as string).length))) break;
    if (m[1] === "export") r.exportIt = true;
    else if (m[1] === "override") r.override = true;
    else if (m[1] === "unexport") r.unexport = true;
    else if (m[1] === "undefine") r.undefine = true;
    text = text.slice(m[0].length);
  }
  return { text, offset: line.length - text.length, ...r };
}

/** `NAME op value` with a one-word name (a tab-indented `echo a=b` is a stray recipe line, not an assignment). */
export function isAssignment(text: string): boolean {
  const sep = findSeparator(text);
  return sep?.kind === "assign" && !/\s/.test(text.slice(0, sep.index).trim());
}

/** `ifeq = 1` is an assignment to a variable named ifeq, not a directive. */
export function looksLikeAssignment(trimmed: string, firstWord: string): boolean {
  return /^\s*(=|:=|::=|\+=|\?=|!=)/.test(trimmed.slice(firstWord.length));
}

export function isDefineLine(trimmed: string): boolean {
  return /^(?:(?:export|override|private)\s+)*define(\s|$)/.test(trimmed);
}

export function isDirectiveLine(trimmed: string, firstWord: string): boolean {
  return (DIRECTIVE_WORDS.includes(firstWord) && !looksLikeAssignment(trimmed, firstWord)) || isDefineLine(trimmed);
}

/** A recipe line under a rule: a tab, or (flow's extension) spaces before something that is not a directive. */
export function isRecipeLine(raw: string): boolean {
  if (raw.startsWith("\t")) return true;
  if (!raw.startsWith(" ") || raw.trim() === "") return false;
  const w = /^\s*([^\s(]+)/.exec(raw)?.[1] ?? "";
  return !(CONDITIONALS.has(w) || isDefineLine(raw.trim()) || w === "endef");
}

/** The first top-level `:` (a rule) or assignment operator, whichever comes first. */
export function findSeparator(text: string): { kind: "rule"; index: number } | { kind: "assign"; index: number; op: AssignOp } | undefined {
  // Run on every statement and on every rule's prerequisite text: indexOf
  // (native) finds the first `:` or `=`; only a `$` before it (a reference
  // that may hide one) needs the scan below. Without a `$` the depth is 0.
  const colon = text.indexOf(":");
  const equals = text.indexOf("=");
  if (colon < 0 && equals < 0) return undefined;
  const first = colon < 0 ? equals : equals < 0 ? colon : Math.min(colon, equals);
  const dollar = text.indexOf("$");
  const start = dollar < 0 || dollar > first ? first : dollar;
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (c === "$" && (text[i + 1] === "(" || text[i + 1] === "{")) {
      depth++;
      i++;
      continue;
    }
    if (c === "$" && text[i + 1] === "$") {
      i++;
      continue;
    }
    if ((c === "(" || c === "{") && depth > 0) depth++;
    else if ((c === ")" || c === "}") && depth > 0) depth--;
    else if (depth > 0) continue;
    else if (c === "=") {
      const p = text[i - 1];
      if (p === "+" || p === "?" || p === "!") return { kind: "assign", index: i - 1, op: `${p}=` as AssignOp };
      return { kind: "assign", index: i, op: "=" };
    } else if (c === ":") {
      if (text.startsWith("::=", i)) return { kind: "assign", index: i, op: "::=" };
      if (text[i + 1] === "=") return { kind: "assign", index: i, op: ":=" };
      return { kind: "rule", index: i };
    }
  }
  return undefined;
}

/**
 * A logical line without its comment. As in GNU Make, the inline recipe of a
 * rule (`target: prereqs ; recipe`) goes to the shell as written, `#` included.
 */
export function stripLineComment(line: string): string {
  const semi = topLevelIndex(line, ";");
  if (semi < 0) return stripComment(line);
  const head = line.slice(0, semi);
  if (head.includes("#") && stripComment(head) !== head.replace(/\\#/g, "#")) return stripComment(line);
  if (findSeparator(head)?.kind !== "rule") return stripComment(line);
  return stripComment(head) + line.slice(semi);
}

/** Drop a `#` comment (not inside `$( )`, not escaped as `\#`). */
export function stripComment(line: string): string {
  if (!line.includes("#")) return line;
  let depth = 0;
  let out = "";
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === "\\" && line[i + 1] === "#") {
      out += "#";
      i++;
      continue;
    }
    if (c === "$" && (line[i + 1] === "(" || line[i + 1] === "{")) depth++;
    else if ((c === ")" || c === "}") && depth > 0) depth--;
    else if (c === "#" && depth === 0) return out;
    out += c;
  }
  return out;
}

/** Length of the leading white space (as `trimStart` sees it). */
export function indentWidth(raw: string): number {
  // Spaces and tabs by hand (no new string per recipe line); any other white space is left to trimStart.
  let i = 0;
  while (i < raw.length && (raw.charCodeAt(i) === 0x20 || raw.charCodeAt(i) === 0x09)) i++;
  const c = raw.charCodeAt(i);
  if (i < raw.length && (c < 0x21 || c > 0x7e)) return raw.length - raw.trimStart().length;
  return i;
}

export function stripRecipeIndent(text: string): string {
  return text.startsWith("\t") ? text.slice(1) : text.replace(/^ +/, "");
}

export function skipDefine(lines: readonly string[], next: number): number {
  let depth = 1;
  for (let i = next; i < lines.length; i++) {
    const l = lines[i] as string;
    if (l.startsWith("\t")) continue;
    const t = l.trim();
    if (/^define(\s|$)/.test(t)) depth++;
    else if (/^endef(\s|#|$)/.test(t) && --depth === 0) return i + 1;
  }
  return lines.length;
}
