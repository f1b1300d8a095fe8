import { DiagnosticError, errorAt, type Diagnostic, type SourceLocation } from "./diagnostic.js";
import { Expander, topLevelIndex, type ExpandHost, type TextOrigin } from "./expander.js";
import type { AssignOp, FlowfileModel, RecipeLine, RuleDef, StaticPattern, TargetVar, Word } from "./flowfile-model.js";
import { fail, ok, type Result } from "./result.js";
import { VariableTable, type Origin, type Variable } from "./variables.js";
import { splitWords } from "./words.js";

/** What reading needs from outside: file text (for the Flowfile and includes) plus what expansion needs. */
export interface ReadHost extends ExpandHost {
  /** Text of a project-relative file, or undefined when it does not exist. */
  readText(path: string): string | undefined;
}

export interface ReadOptions {
  /** Project-relative path of the Flowfile, as it appears in messages. */
  readonly file: string;
  /** `VAR=value` from the command line: override the Flowfile's assignments. */
  readonly overrides?: ReadonlyMap<string, string>;
  /** The process environment: readable as variables, below the Flowfile's. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const DIRECTIVES = new Set(["ifeq", "ifneq", "ifdef", "ifndef", "else", "endif"]);
const MAX_INCLUDE_DEPTH = 32;

interface CondFrame {
  /** This branch is being read. */
  active: boolean;
  /** Some branch of this conditional has been taken already. */
  taken: boolean;
  /** The enclosing text is being read. */
  parentActive: boolean;
  seenElse: boolean;
  loc: SourceLocation;
}

/**
 * Reads a Flowfile into a model: variables assigned, rules collected with
 * their targets and prerequisites expanded (immediately, as Make does) and
 * their recipes kept unexpanded (expanded per task, with automatic variables).
 */
export function readFlowfile(host: ReadHost, opts: ReadOptions): Result<FlowfileModel, Diagnostic> {
  const reader = new Reader(host, opts);
  try {
    reader.readFile(opts.file, undefined, 0);
    return ok(reader.finish());
  } catch (e) {
    if (e instanceof DiagnosticError) return fail(e.diagnostic);
    if (e instanceof RangeError) {
      // Only reachable through pathological input (fuzzing); say so instead of crashing.
      return fail(errorAt("FLOW001", `the Flowfile is too deeply nested to read (${e.message})`, undefined));
    }
    throw e;
  }
}

class Reader {
  readonly globals: VariableTable;
  readonly expander: Expander;
  readonly rules: RuleDef[] = [];
  readonly targetVars = new Map<string, TargetVar[]>();
  readonly exported = new Set<string>();
  readonly files: string[] = [];
  private currentRule: RuleDef | undefined;
  private readonly overrides: ReadonlyMap<string, string>;

  constructor(
    private readonly host: ReadHost,
    opts: ReadOptions,
  ) {
    const envTable = new VariableTable();
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      if (v !== undefined && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) envTable.set(k, { value: v, flavor: "simple", origin: "environment" });
    }
    this.globals = new VariableTable(envTable);
    this.overrides = opts.overrides ?? new Map();
    for (const [k, v] of this.overrides) this.globals.set(k, { value: v, flavor: "simple", origin: "command line" });
    this.expander = new Expander(host);
  }

  finish(): FlowfileModel {
    return {
      rules: this.rules,
      globals: this.globals,
      targetVars: this.targetVars,
      exported: this.exported,
      files: this.files,
      expander: this.expander,
    };
  }

  readFile(file: string, includedAt: SourceLocation | undefined, depth: number): void {
    if (depth > MAX_INCLUDE_DEPTH) {
      throw new DiagnosticError(errorAt("FLOW010", `includes nested more than ${MAX_INCLUDE_DEPTH} deep (an include loop?)`, includedAt));
    }
    const text = this.host.readText(file);
    if (text === undefined) {
      throw new DiagnosticError(
        errorAt("FLOW016", `cannot read '${file}': no such file`, includedAt, includedAt ? "create it, or use '-include' to make it optional" : "run flow in a directory with a Flowfile, or pass -C DIR / -f FILE"),
      );
    }
    if (!this.files.includes(file)) this.files.push(file);
    const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
    const conds: CondFrame[] = [];
    this.currentRule = undefined;
    let i = 0;
    const loc = (lineIdx: number, col = 1): SourceLocation => ({ file, line: lineIdx + 1, col, lineText: lines[lineIdx] ?? "" });
    const active = () => conds.length === 0 || (conds[conds.length - 1] as CondFrame).active;

    while (i < lines.length) {
      const raw = lines[i] as string;
      const start = i;

      // Recipe lines: a tab (or, flow's extension, spaces) under a rule.
      if (this.currentRule && /^[ \t]/.test(raw) && raw.trim() !== "" && !isIndentedDirective(raw)) {
        let text = raw;
        while (endsWithContinuation(text) && i + 1 < lines.length) {
          i++;
          // Make keeps backslash-newline in recipes and drops one leading tab of the next line.
          const next = lines[i] as string;
          text += "\n" + (next.startsWith("\t") ? next.slice(1) : next);
        }
        i++;
        if (active()) this.currentRule.recipe.push({ text: stripRecipeIndent(text), loc: loc(start, indentWidth(raw) + 1) });
        continue;
      }

      // A logical line: join continuations with a single space, as Make does outside recipes.
      let text = raw;
      while (endsWithContinuation(text) && i + 1 < lines.length) {
        i++;
        text = text.slice(0, -1).replace(/[ \t]+$/, "") + " " + (lines[i] as string).replace(/^[ \t]+/, "");
      }
      i++;
      const multi = i - start > 1;
      const stripped = stripComment(text);
      const trimmed = stripped.trim();
      if (trimmed === "") continue;

      if (raw.startsWith("\t") && !isIndentedDirective(raw) && active()) {
        throw new DiagnosticError(
          errorAt("FLOW003", "recipe line outside a rule", loc(start, 1), "recipe lines must be indented under a rule; remove the leading tab if this is not a recipe"),
        );
      }

      const indent = stripped.length - stripped.trimStart().length;
      const origin: TextOrigin = { loc: loc(start, indent + 1), exact: !multi };
      const firstWord = /^[^\s(]+/.exec(trimmed)?.[0] ?? "";

      if (DIRECTIVES.has(firstWord)) {
        this.conditional(firstWord, trimmed.slice(firstWord.length).trim(), conds, origin, loc(start, indent + 1));
        continue;
      }
      if (!active()) {
        if (firstWord === "define") i = skipDefine(lines, i);
        continue;
      }

      if (firstWord === "define" || ((firstWord === "export" || firstWord === "override") && /^\S+\s+define\b/.test(trimmed))) {
        i = this.define(lines, start, i, trimmed, file);
        this.currentRule = undefined;
        continue;
      }
      if (firstWord === "endef") {
        throw new DiagnosticError(errorAt("FLOW001", "'endef' without 'define'", loc(start, indent + 1), "remove it, or add the 'define NAME' it closes"));
      }
      if (firstWord === "include" || firstWord === "-include" || firstWord === "sinclude") {
        const names = splitWords(this.expander.expand(trimmed.slice(firstWord.length), this.globals, origin));
        for (const name of names) {
          const path = normalizeIncludePath(name);
          if (firstWord !== "include" && this.host.readText(path) === undefined) continue;
          this.readFile(path, loc(start, indent + 1), depth + 1);
        }
        continue;
      }
      if (firstWord === "vpath" || firstWord === "unexport") continue;

      this.statement(trimmed, origin, loc(start, indent + 1));
    }
    if (conds.length > 0) {
      const top = conds[conds.length - 1] as CondFrame;
      throw new DiagnosticError(errorAt("FLOW009", "conditional is never closed", top.loc, "add 'endif'"));
    }
    this.currentRule = undefined;
  }

  private conditional(word: string, rest: string, conds: CondFrame[], origin: TextOrigin, at: SourceLocation): void {
    const parentActive = conds.length === 0 || (conds[conds.length - 1] as CondFrame).active;
    if (word === "endif") {
      if (!conds.pop()) throw new DiagnosticError(errorAt("FLOW009", "'endif' without a matching 'ifeq', 'ifneq', 'ifdef' or 'ifndef'", at, "remove it"));
      return;
    }
    if (word === "else") {
      const top = conds[conds.length - 1];
      if (!top) throw new DiagnosticError(errorAt("FLOW009", "'else' without a matching 'if'", at, "remove it"));
      if (top.seenElse) throw new DiagnosticError(errorAt("FLOW009", "only one 'else' per conditional", at, "use 'else ifeq ...' for another branch"));
      const m = /^(ifeq|ifneq|ifdef|ifndef)\b(.*)$/.exec(rest);
      if (m) {
        // `else ifeq ...`: a chained branch of the same conditional.
        const cond = !top.taken && top.parentActive && this.test(m[1] as string, (m[2] as string).trim(), origin, at);
        top.active = cond;
        top.taken ||= cond;
        return;
      }
      if (rest !== "") throw new DiagnosticError(errorAt("FLOW001", `unexpected text after 'else': '${rest}'`, at));
      top.seenElse = true;
      top.active = top.parentActive && !top.taken;
      top.taken = true;
      return;
    }
    const cond = parentActive && this.test(word, rest, origin, at);
    conds.push({ active: cond, taken: cond, parentActive, seenElse: false, loc: at });
  }

  private test(word: string, rest: string, origin: TextOrigin, at: SourceLocation): boolean {
    const expand = (t: string) => this.expander.expand(t, this.globals, origin);
    if (word === "ifdef" || word === "ifndef") {
      const name = expand(rest).trim();
      if (name === "") throw new DiagnosticError(errorAt("FLOW001", `'${word}' needs a variable name`, at));
      const defined = (this.globals.lookup(name)?.value ?? "") !== "";
      return word === "ifdef" ? defined : !defined;
    }
    const pair = parseCondArgs(rest);
    if (!pair) {
      throw new DiagnosticError(
        errorAt("FLOW001", `malformed '${word}'`, at, `write '${word} (A,B)' or '${word} "A" "B"'`),
      );
    }
    const eq = expand(pair[0]) === expand(pair[1]);
    return word === "ifeq" ? eq : !eq;
  }

  private define(lines: string[], start: number, next: number, header: string, file: string): number {
    const m = /^(?:(export|override)\s+)?define\s+(\S+)\s*(=|:=|::=|\+=|\?=)?\s*$/.exec(header);
    const at: SourceLocation = { file, line: start + 1, col: 1, lineText: lines[start] ?? "" };
    if (!m) throw new DiagnosticError(errorAt("FLOW001", "malformed 'define'", at, "write 'define NAME' and end the value with 'endef'"));
    const body: string[] = [];
    let depth = 1;
    let i = next;
    for (; i < lines.length; i++) {
      const l = lines[i] as string;
      const t = l.trim();
      if (/^define\b/.test(t)) depth++;
      if (/^endef\b/.test(t) && --depth === 0) break;
      body.push(l);
    }
    if (i >= lines.length) throw new DiagnosticError(errorAt("FLOW001", "'define' is never closed", at, "add 'endef'"));
    const name = m[2] as string;
    this.assign(name, (m[3] as AssignOp | undefined) ?? "=", body.join("\n"), { loc: at, exact: false }, at);
    if (m[1] === "export") this.exported.add(name);
    return i + 1;
  }

  /** A line that is not a recipe line nor a directive: an assignment or a rule. */
  private statement(line: string, origin: TextOrigin, at: SourceLocation): void {
    let text = line;
    let exportIt = false;
    let override = false;
    for (;;) {
      const m = /^(export|override)\s+/.exec(text);
      if (!m) break;
      if (m[1] === "export") exportIt = true;
      else override = true;
      text = text.slice(m[0].length);
    }
    const offset = line.length - text.length;
    const shifted: TextOrigin = { loc: origin.loc && { ...origin.loc, col: origin.loc.col + offset }, exact: origin.exact };
    const sep = findSeparator(text);
    if (sep && sep.kind === "assign") {
      const name = this.expander.expand(text.slice(0, sep.index), this.globals, shifted).trim();
      if (name === "" || /\s/.test(name)) {
        throw new DiagnosticError(errorAt("FLOW001", name === "" ? "assignment to an empty variable name" : `variable name '${name}' contains spaces`, at, "write NAME = value"));
      }
      const afterOp = text.slice(sep.index + sep.op.length);
      const value = afterOp.replace(/^[ \t]+/, "");
      const valueCol = sep.index + sep.op.length + (afterOp.length - value.length);
      this.assign(name, sep.op, value, { loc: shifted.loc && { ...shifted.loc, col: shifted.loc.col + valueCol }, exact: shifted.exact }, at, override);
      if (exportIt) this.exported.add(name);
      this.currentRule = undefined;
      return;
    }
    if (exportIt && !sep) {
      // `export A B`: mark existing variables for export.
      for (const n of splitWords(this.expander.expand(text, this.globals, shifted))) this.exported.add(n);
      return;
    }
    if (!sep && this.expander.expand(text, this.globals, shifted).trim() === "") {
      // Make expands a line without a separator; `$(info ...)`, `$(warning ...)`,
      // `$(error ...)` alone on a line are fine when they expand to nothing.
      return;
    }
    if (!sep) {
      throw new DiagnosticError(
        errorAt(
          "FLOW001",
          `missing separator: '${truncate(line)}' is neither a rule nor an assignment`,
          at,
          /^\s/.test(at.lineText) ? "recipe lines must be indented under a rule" : "a rule is 'target: prerequisites', an assignment is 'NAME = value'",
        ),
      );
    }
    this.rule(text, sep.index, shifted, at);
  }

  private assign(name: string, op: AssignOp, rawValue: string, origin: TextOrigin, at: SourceLocation, override = false): void {
    const existing = this.globals.own(name);
    if (existing && (existing.origin === "command line" || existing.origin === "override") && !override) return;
    const origin2: Origin = override ? "override" : "file";
    let v: Variable;
    switch (op) {
      case "=":
        v = { value: rawValue, flavor: "recursive", origin: origin2, loc: at };
        break;
      case ":=":
      case "::=":
        v = { value: this.expander.expand(rawValue, this.globals, origin), flavor: "simple", origin: origin2, loc: at };
        break;
      case "?=":
        if (this.globals.lookup(name) !== undefined) return;
        v = { value: rawValue, flavor: "recursive", origin: origin2, loc: at };
        break;
      case "!=":
        v = { value: this.expander.host.shell(this.expander.expand(rawValue, this.globals, origin), at), flavor: "simple", origin: origin2, loc: at };
        break;
      case "+=": {
        const old = this.globals.lookup(name);
        if (!old || old.origin === "environment") {
          const base = old ? old.value + " " : "";
          // Environment variables are recursive in Make: what is appended is expanded at use.
          v = { value: base + rawValue, flavor: "recursive", origin: origin2, loc: at };
        } else if (old.flavor === "simple") {
          const add = this.expander.expand(rawValue, this.globals, origin);
          v = { value: old.value === "" ? add : `${old.value} ${add}`, flavor: "simple", origin: origin2, loc: old.loc ?? at };
        } else {
          v = { value: old.value === "" ? rawValue : `${old.value} ${rawValue}`, flavor: "recursive", origin: origin2, loc: old.loc ?? at };
        }
        break;
      }
    }
    this.globals.set(name, v);
  }

  private rule(text: string, colon: number, origin: TextOrigin, at: SourceLocation): void {
    let targetText = text.slice(0, colon);
    let grouped = false;
    if (targetText.endsWith("&")) {
      grouped = true;
      targetText = targetText.slice(0, -1);
    }
    let restStart = colon + 1;
    if (text[restStart] === ":") restStart++; // `::` double-colon rules are read as ordinary rules
    let rest = text.slice(restStart);
    let inlineRecipe: string | undefined;
    const semi = topLevelIndex(rest, ";");
    if (semi >= 0) {
      inlineRecipe = rest.slice(semi + 1).replace(/^[ \t]+/, "");
      rest = rest.slice(0, semi);
    }
    const exp = (t: string, off: number) =>
      this.expander.expand(t, this.globals, { loc: origin.loc && { ...origin.loc, col: origin.loc.col + off }, exact: origin.exact });
    const targets = splitWords(exp(targetText, 0));
    if (targets.length === 0) {
      // `$(EMPTY): x` is legal Make and defines nothing; its recipe lines are read and dropped.
      this.currentRule = { index: -1, targets: [], prereqs: [], orderOnly: [], recipe: [], loc: at, grouped: false, isPattern: false };
      return;
    }
    const wordAt = (w: string, from: number): Word => {
      const idx = origin.exact ? at.lineText.indexOf(w, from) : -1;
      return { text: w, loc: idx >= 0 ? { ...at, col: idx + 1 } : at };
    };
    const base = origin.exact && origin.loc ? origin.loc.col - 1 : 0;
    const targetWords = targets.map((t) => wordAt(t, base));

    // A target-specific variable: `targets: NAME op value`.
    const assign = findSeparator(rest);
    if (assign && assign.kind === "assign") {
      const name = exp(rest.slice(0, assign.index), restStart).trim();
      const rawValue = rest.slice(assign.index + assign.op.length).replace(/^[ \t]+/, "") + (inlineRecipe !== undefined ? ";" + inlineRecipe : "");
      const valueOrigin: TextOrigin = { loc: origin.loc && { ...origin.loc, col: origin.loc.col + restStart + assign.index + assign.op.length }, exact: origin.exact };
      const value = assign.op === ":=" || assign.op === "::=" ? this.expander.expand(rawValue, this.globals, valueOrigin) : rawValue;
      for (const t of targets) {
        const list = this.targetVars.get(t) ?? [];
        list.push({ name, op: assign.op, value, loc: at });
        this.targetVars.set(t, list);
      }
      // Make: a target-specific assignment does not end the rule context for recipes.
      return;
    }

    let staticPattern: StaticPattern | undefined;
    const secondColon = topLevelIndex(rest, ":");
    let prereqPart = rest;
    let patternPart: string | undefined;
    if (secondColon >= 0) {
      patternPart = rest.slice(0, secondColon);
      prereqPart = rest.slice(secondColon + 1);
    }
    const bar = topLevelIndex(prereqPart, "|");
    const normalPart = bar >= 0 ? prereqPart.slice(0, bar) : prereqPart;
    const orderPart = bar >= 0 ? prereqPart.slice(bar + 1) : "";
    const prereqFrom = base + restStart + (patternPart !== undefined ? secondColon + 1 : 0);
    const prereqs = splitWords(exp(normalPart, restStart)).map((w) => wordAt(w, prereqFrom));
    const orderOnly = splitWords(exp(orderPart, restStart)).map((w) => wordAt(w, prereqFrom));
    if (patternPart !== undefined) {
      const tp = splitWords(exp(patternPart, restStart));
      if (tp.length !== 1 || !(tp[0] as string).includes("%")) {
        throw new DiagnosticError(
          errorAt("FLOW001", "a static pattern rule needs exactly one target pattern containing '%'", at, "write 'targets: target-pattern: prereq-patterns', e.g. '$(OBJS): build/%.o: src/%.c'"),
        );
      }
      staticPattern = { targetPattern: tp[0] as string, prereqPatterns: prereqs, orderOnlyPatterns: orderOnly };
    }
    const rule: RuleDef = {
      index: this.rules.length,
      targets: targetWords,
      prereqs: staticPattern ? [] : prereqs,
      orderOnly: staticPattern ? [] : orderOnly,
      recipe: [] as RecipeLine[],
      loc: at,
      grouped,
      ...(staticPattern ? { staticPattern } : {}),
      isPattern: !staticPattern && targets.some((t) => t.includes("%")),
    };
    if (inlineRecipe !== undefined && inlineRecipe.trim() !== "") rule.recipe.push({ text: inlineRecipe, loc: at });
    this.rules.push(rule);
    this.currentRule = rule;
  }
}

/** The first top-level `:` (a rule) or assignment operator, whichever comes first. */
function findSeparator(text: string): { kind: "rule"; index: number } | { kind: "assign"; index: number; op: AssignOp } | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "$" && (text[i + 1] === "(" || text[i + 1] === "{")) {
      depth++;
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

function endsWithContinuation(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line[i] === "\\"; i--) n++;
  return n % 2 === 1;
}

/** Drop a `#` comment (not inside `$( )`, not escaped as `\#`). */
function stripComment(line: string): string {
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

function isIndentedDirective(raw: string): boolean {
  const w = /^\s*(\S+)/.exec(raw)?.[1];
  return w !== undefined && DIRECTIVES.has(w) && !raw.startsWith("\t");
}

function indentWidth(raw: string): number {
  return raw.length - raw.trimStart().length;
}

function stripRecipeIndent(text: string): string {
  return text.startsWith("\t") ? text.slice(1) : text.replace(/^ +/, "");
}

function skipDefine(lines: string[], next: number): number {
  let depth = 1;
  for (let i = next; i < lines.length; i++) {
    const t = (lines[i] as string).trim();
    if (/^define\b/.test(t)) depth++;
    if (/^endef\b/.test(t) && --depth === 0) return i + 1;
  }
  return lines.length;
}

/** `(a,b)`, `"a" "b"`, `'a' 'b'` → [a, b] unexpanded. */
function parseCondArgs(rest: string): [string, string] | undefined {
  const t = rest.trim();
  if (t.startsWith("(") && t.endsWith(")")) {
    const inner = t.slice(1, -1);
    const comma = topLevelIndex(inner, ",");
    if (comma < 0) return undefined;
    return [inner.slice(0, comma).trim(), inner.slice(comma + 1).trim()];
  }
  const m = /^(["'])(.*?)\1\s+(["'])(.*?)\3$/.exec(t);
  return m ? [m[2] as string, m[4] as string] : undefined;
}

function normalizeIncludePath(p: string): string {
  return p.replace(/^\.\//, "");
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}
