import { posix } from "node:path";
import { DiagnosticError, errorAt, warningAt, type Diagnostic, type SourceLocation } from "../diagnostic.js";
import type { ExpandHost } from "./expand-host.js";
import { Expander, topLevelIndex, type ExpanderLimits } from "./expander.js";
import type { AssignOp, FlowfileModel, IncludeRef, RuleDef, StaticPattern, TargetVar, Word } from "./flowfile-model.js";
import { parseDepfile } from "./depfile.js";
import { closest } from "./functions.js";
import {
  CONDITIONALS,
  DIRECTIVE_SET,
  DIRECTIVE_WORDS,
  findSeparator,
  indentWidth,
  isAssignment,
  isDefineLine,
  isDirectiveLine,
  isRecipeLine,
  looksLikeAssignment,
  type Modifiers,
  plainRuleColon,
  skipDefine,
  stripComment,
  stripLineComment,
  stripModifiers,
  stripRecipeIndent,
} from "./line-syntax.js";
import { collapseContinuations, joinContinued, joinRecipe } from "./logical-line.js";
import { LineWord } from "./line-word.js";
import { hasGlobChars } from "../project-path.js";
import { fail, ok, type Result } from "../result.js";
import type { TextOrigin } from "./text-origin.js";
import { builtinRules, makeflagsBuiltins, patternKey } from "./builtin-rules.js";
import { defaultVariables, VariableTable, type Origin, type Variable } from "./variables.js";
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
  /** `-e` (make's --environment-overrides): environment values beat the Flowfile's assignments (not `override`). */
  readonly environmentOverrides?: boolean;
  /** The goals named on the command line: the value of `MAKECMDGOALS`. */
  readonly goals?: readonly string[];
  /**
   * What a missing file named by `include` does. `error` (the default): FLOW016
   * at the include line. `defer`: it is recorded in `model.includes` and
   * reading goes on, so that the caller can make it (generated includes) and
   * read again.
   */
  readonly missingIncludes?: "error" | "defer";
  readonly limits?: ExpanderLimits;
  /** `-r`/`--no-builtin-rules`: no built-in pattern rules (MAKEFLAGS's `r` turns them off too). */
  readonly noBuiltinRules?: boolean;
  /** `-R`/`--no-builtin-variables`: no built-in variables (`CC`, `COMPILE.c` ...) and no built-in rules. */
  readonly noBuiltinVariables?: boolean;
  /**
   * Told each name looked up below the Flowfile's own variables (in the
   * environment or Make's defaults), found or not, while reading and while
   * the graph expands recipes: the persistent build state (cli's
   * build-state.ts) is valid only while those values stay the same.
   */
  readonly onEnvLookup?: (name: string) => void;
}

const MAX_INCLUDE_DEPTH = 32;

/** A value that an ordinary assignment in the Flowfile leaves alone (only `override` replaces it). */
function beatsFile(origin: Origin): boolean {
  return origin === "command line" || origin === "override" || origin === "environment override";
}

/** Special targets whose GNU Make meaning flow does not implement: a warning says so (FLOW019). A Map, so `constructor` is no special target. */
const UNSUPPORTED_SPECIAL: ReadonlyMap<string, string> = new Map([
  [".SECONDEXPANSION", "prerequisites are expanded once, when the rule is read"],
  [".NOTPARALLEL", "flow runs independent tasks in parallel; declare the order with prerequisites"],
  [".EXPORT_ALL_VARIABLES", "recipes see a restricted environment; list the variables with 'export NAME' or .ENV"],
  [".IGNORE", "use a '-' prefix on the recipe lines whose failure may be ignored"],
  [".DEFAULT", "a prerequisite no rule makes is an error (FLOW004)"],
]);

const BACKSLASH = 0x5c;

/** GNU Make's default suffix list, for old-fashioned suffix rules (`.c.o:`). */
const DEFAULT_SUFFIXES = ".out .a .ln .o .c .cc .C .cpp .p .f .F .m .r .y .l .ym .yl .s .S .mod .sym .def .h .info .dvi .tex .texinfo .texi .txinfo .w .ch .web .sh .elc .el".split(" ");

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

/** Lines of one source (a file, or the text of an `$(eval)`), and how to point into them. */
interface Source {
  readonly file: string;
  readonly lines: readonly string[];
  /** Location of line `idx` (0-based), column `col` (1-based). */
  loc(idx: number, col?: number): SourceLocation;
  /** False for eval text: its locations all point at the `$(eval)` call. */
  readonly exact: boolean;
}

/**
 * Reads a Flowfile into a model: variables assigned, rules collected with
 * their targets and prerequisites expanded (immediately, as Make does) and
 * their recipes kept unexpanded (expanded per task, with automatic variables).
 */
export function readFlowfile(host: ReadHost, opts: ReadOptions): Result<FlowfileModel, Diagnostic> {
  return readFlowfileWith(host, opts, { plainLines: true });
}

/** How the reader reads, where it has a choice that must not change the result (for tests). */
export interface ReaderPaths {
  /** Read plain rule lines by the short path (Reader.plainRule). */
  readonly plainLines: boolean;
}

/** readFlowfile, choosing the reader's paths: for tests that compare them; not exported from index.ts. */
export function readFlowfileWith(host: ReadHost, opts: ReadOptions, paths: ReaderPaths): Result<FlowfileModel, Diagnostic> {
  const reader = new Reader(host, opts, paths.plainLines);
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
  readonly includes: IncludeRef[] = [];
  readonly depfileRules = new Map<string, RuleDef[]>();
  private currentRule: RuleDef | undefined;
  /** After a rule line whose targets expanded to nothing: its recipe lines are ignored, as in Make. */
  private noTargets = false;
  private readonly overrides: ReadonlyMap<string, string>;
  private readonly deferMissing: boolean;
  private suffixes = new Set(DEFAULT_SUFFIXES);
  private readonly warnedOnce = new Set<string>();
  private evalDepth = 0;
  /** Make's defaults, below the environment: emptied after reading when the Makefile's MAKEFLAGS asks for `-R`. */
  private readonly defaults: VariableTable;
  private readonly noBuiltinRules: boolean;
  private readonly noBuiltinVariables: boolean;

  constructor(
    private readonly host: ReadHost,
    opts: ReadOptions,
    private readonly plainLines: boolean,
  ) {
    // Lookup order: file (and command line), then the environment, then Make's defaults.
    // -r/-R from the command line or the environment's MAKEFLAGS; the Makefile's own MAKEFLAGS counts too, after reading (finish).
    opts.onEnvLookup?.("MAKEFLAGS");
    const fromEnv = makeflagsBuiltins(opts.env?.["MAKEFLAGS"] ?? "");
    this.noBuiltinVariables = opts.noBuiltinVariables === true || fromEnv.noVariables;
    this.noBuiltinRules = opts.noBuiltinRules === true || this.noBuiltinVariables || fromEnv.noRules;
    this.defaults = defaultVariables(!this.noBuiltinVariables);
    const envTable = new VariableTable(this.defaults);
    for (const [k, v] of Object.entries(opts.env ?? {})) {
      // SHELL is never taken from the environment (Make's rule too): recipes always run with /bin/sh.
      if (v !== undefined && k !== "SHELL" && /^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) {
        // Environment variables are recursive in Make: `+=` onto one stays deferred.
        envTable.set(k, { value: v, flavor: "recursive", origin: "environment" });
      }
    }
    const record = opts.onEnvLookup;
    this.globals = new VariableTable(record === undefined ? envTable : { lookup: (name) => (record(name), envTable.lookup(name)) });
    if (opts.environmentOverrides === true) {
      // make -e: the environment's values are set above the Flowfile's, as command-line values are (below those).
      for (const k of envTable.names()) {
        const v = envTable.own(k);
        if (v?.origin === "environment") this.globals.set(k, { ...v, origin: "environment override" });
      }
    }
    this.overrides = opts.overrides ?? new Map();
    // Command-line values are recursive in Make: `flow build 'X=$(Y)'` expands Y where X is used.
    for (const [k, v] of this.overrides) this.globals.set(k, { value: v, flavor: "recursive", origin: "command line" });
    if (!this.overrides.has("MAKECMDGOALS")) {
      this.globals.set("MAKECMDGOALS", { value: (opts.goals ?? []).join(" "), flavor: "simple", origin: "default" });
    }
    this.deferMissing = opts.missingIncludes === "defer";
    this.expander = new Expander(host, opts.limits);
    this.expander.evaluate = (text, at) => this.evalText(text, at);
  }

  finish(): FlowfileModel {
    // $(eval) belongs to reading; in a recipe (expanded while the graph is built) it is an error.
    this.expander.evaluate = undefined;
    return {
      rules: this.rules,
      builtinRules: this.builtins(),
      suffixes: [...this.suffixes],
      globals: this.globals,
      targetVars: this.targetVars,
      exported: this.exported,
      files: this.files,
      includes: this.includes,
      depfileRules: this.depfileRules,
      expander: this.expander,
    };
  }

  /**
   * The built-in rules that apply once the Makefile is read: as in GNU
   * Make, `MAKEFLAGS += -r` (or `R`) in the Makefile turns them off, and
   * `-R` there removes the built-in variables from the recipes' view (they
   * were visible while reading, as in make 4.3).
   */
  private builtins(): RuleDef[] {
    const mf = this.globals.lookup("MAKEFLAGS");
    const set = mf === undefined ? undefined : makeflagsBuiltins(mf.flavor === "simple" ? mf.value : this.expander.expand(mf.value, this.globals, { loc: mf.loc, exact: false }));
    if (set?.noVariables === true && !this.noBuiltinVariables) {
      for (const name of this.defaults.names()) if (name !== "SHELL") this.defaults.remove(name);
    }
    if (this.noBuiltinRules || set?.noRules === true) return [];
    const replaced = new Set<string>();
    for (const r of this.rules) {
      if (r.isPattern && r.targets.length === 1 && r.prereqs.length === 1) replaced.add(patternKey((r.targets[0] as Word).text, (r.prereqs[0] as Word).text));
    }
    return builtinRules(this.suffixes, replaced, this.rules.length);
  }

  readFile(file: string, includedAt: SourceLocation | undefined, depth: number): void {
    if (depth > MAX_INCLUDE_DEPTH) {
      throw new DiagnosticError(
        errorAt("FLOW010", `includes nested more than ${MAX_INCLUDE_DEPTH} deep (an include loop?)`, includedAt, "a file must not include itself, directly or through others"),
      );
    }
    const text = this.host.readText(file);
    if (text === undefined) {
      throw new DiagnosticError(
        errorAt("FLOW016", `cannot read '${file}': no such file`, includedAt, includedAt ? "create it, or use '-include' to make it optional" : "run flow in a directory with a Flowfile, or pass -C DIR / -f FILE"),
      );
    }
    if (!this.files.includes(file)) this.files.push(file);
    this.setMakefileList();
    const split = text.split("\n");
    // CRLF: each line loses its CR (no pass over the lines when there is none).
    const lines = text.includes("\r") ? split.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l)) : split;
    const source: Source = { file, lines, exact: true, loc: (idx, col = 1) => ({ file, line: idx + 1, col, lineText: lines[idx] ?? "" }) };
    this.readLines(source, depth);
  }

  private setMakefileList(): void {
    const own = this.globals.own("MAKEFILE_LIST");
    if (own && own.origin !== "file") return;
    this.globals.set("MAKEFILE_LIST", { value: this.files.join(" "), flavor: "simple", origin: "file" });
  }

  /** `$(eval TEXT)`: TEXT is read as Flowfile lines; every location points at the call. */
  private evalText(text: string, at: SourceLocation | undefined): void {
    if (this.evalDepth >= MAX_INCLUDE_DEPTH) {
      throw new DiagnosticError(errorAt("FLOW001", `$(eval) nested more than ${MAX_INCLUDE_DEPTH} deep`, at, "an $(eval) whose text calls $(eval) again without end?"));
    }
    const where = at ?? { file: "(eval)", line: 1, col: 1, lineText: "" };
    const lines = text.split("\n");
    const saved = { rule: this.currentRule, noTargets: this.noTargets };
    this.currentRule = undefined;
    this.noTargets = false;
    this.evalDepth++;
    try {
      this.readLines({ file: where.file, lines, exact: false, loc: () => where }, this.evalDepth);
    } finally {
      this.evalDepth--;
      this.currentRule = saved.rule;
      this.noTargets = saved.noTargets;
    }
  }

  private readLines(src: Source, depth: number): void {
    const { lines } = src;
    const conds: CondFrame[] = [];
    this.currentRule = undefined;
    this.noTargets = false;
    let i = 0;
    // Kept small, so that it is cheap to optimize: the common lines (recipe
    // lines, plain rules) are read by short methods, the rest by `line`.
    while (i < lines.length) {
      const raw = lines[i] as string;

      // Recipe lines: a tab (or, flow's extension, spaces) under a rule.
      const rule = this.currentRule as RuleDef | undefined;
      if ((rule || this.noTargets) && isRecipeLine(raw)) {
        i = this.recipeLine(src, i, rule, conds);
        continue;
      }

      // A logical line: join continuations with a single space, as Make does
      // outside recipes. Most lines do not end in a backslash: no call, no object.
      const { text, next } = raw.charCodeAt(raw.length - 1) === BACKSLASH ? joinContinued(lines, i) : { text: raw, next: i + 1 };
      if (this.plainLines) {
        const colon = plainRuleColon(text);
        if (colon > 0) {
          if (!isActive(conds) || this.plainRule(text, colon, src, i, next - i > 1)) {
            i = next;
            continue;
          }
        }
      }
      i = this.line(src, i, text, next, conds, depth);
    }
    if (conds.length > 0) {
      const top = conds[conds.length - 1] as CondFrame;
      throw new DiagnosticError(errorAt("FLOW009", "conditional is never closed", top.loc, `add 'endif'${src.exact ? misspeltEndif(lines, top.loc.line) : ""}`));
    }
    this.currentRule = undefined;
    this.noTargets = false;
  }

  /** The recipe line at `start` (with its continuations); returns the index of the line after it. */
  private recipeLine(src: Source, start: number, rule: RuleDef | undefined, conds: readonly CondFrame[]): number {
    const { text, next } = joinRecipe(src.lines, start);
    if (isActive(conds) && rule) {
      const raw = src.lines[start] as string;
      rule.recipe.push({ text: stripRecipeIndent(text), loc: src.loc(start, src.exact ? indentWidth(raw) + 1 : undefined) });
    }
    return next;
  }

  /**
   * The logical line `text` (physical lines `start` to `next` - 1): a
   * directive, a conditional, or a statement. Returns the index of the line
   * to read next (after the `endef` of a define).
   */
  private line(src: Source, start: number, text: string, next: number, conds: CondFrame[], depth: number): number {
    const { lines } = src;
    const raw = lines[start] as string;
    const multi = next - start > 1;
    const stripped = stripLineComment(text);
    const trimmed = stripped.trim();
    if (trimmed === "") return next;

    const indent = indentWidth(stripped);
    const at = src.exact ? src.loc(start, indent + 1) : src.loc(start);
    const origin: TextOrigin = { loc: at, exact: src.exact && !multi };
    const firstWord = /^[^\s(]+/.exec(trimmed)?.[0] ?? "";
    // Only a line that starts with a directive word can be a directive (or a define).
    const directive = DIRECTIVE_SET.has(firstWord);

    if (directive && CONDITIONALS.has(firstWord) && !looksLikeAssignment(trimmed, firstWord)) {
      const restRaw = trimmed.slice(firstWord.length);
      const lead = restRaw.length - restRaw.trimStart().length;
      this.conditional(firstWord, restRaw.trim(), conds, this.expander.sub(origin, firstWord.length + lead), at);
      return next;
    }
    if (!isActive(conds)) {
      return directive && isDefineLine(trimmed) ? skipDefine(lines, next) : next;
    }
    this.noTargets = false;

    // A tab-indented line that is not under a rule: Make reads it as an
    // ordinary line when it is a directive or an assignment.
    const tabbed = raw.startsWith("\t");
    if (tabbed && !isDirectiveLine(trimmed, firstWord) && !isAssignment(stripModifiers(trimmed).text)) {
      throw new DiagnosticError(
        errorAt("FLOW003", "recipe line outside a rule", src.loc(start, 1), "recipe lines must be indented under a rule; remove the leading tab if this is not a recipe"),
      );
    }

    if (directive) {
      if (isDefineLine(trimmed)) {
        const after = this.define(src, start, next, trimmed);
        this.currentRule = undefined;
        return after;
      }
      if (firstWord === "endef" && !looksLikeAssignment(trimmed, firstWord)) {
        throw new DiagnosticError(errorAt("FLOW001", "'endef' without 'define'", at, "remove it, or add the 'define NAME' it closes"));
      }
      if ((firstWord === "include" || firstWord === "-include" || firstWord === "sinclude") && !looksLikeAssignment(trimmed, firstWord)) {
        this.include(firstWord !== "include", trimmed.slice(firstWord.length), this.expander.sub(origin, firstWord.length), at, depth);
        this.currentRule = undefined;
        return next;
      }
      if (firstWord === "vpath" && !looksLikeAssignment(trimmed, firstWord)) {
        this.warnOnce("vpath", warningAt("FLOW019", "'vpath' is not supported; the directive is ignored", at, "write prerequisites with their directories (e.g. src/%.c)"));
        this.currentRule = undefined;
        return next;
      }
    }

    this.statement(trimmed, origin, at);
    return next;
  }

  private include(optional: boolean, rest: string, origin: TextOrigin, at: SourceLocation, depth: number): void {
    const names = splitWords(this.expander.expand(rest, this.globals, origin));
    for (const name of names) {
      // `include *.mk` expands the glob, as Make does; a pattern matching nothing stays as written.
      const matches = hasGlobChars(name) ? this.host.glob(name, at) : [];
      for (const p of matches.length > 0 ? matches : [name]) {
        const path = normalizeIncludePath(p);
        const text = this.host.readText(path);
        const found = text !== undefined;
        this.includes.push({ path, optional, found, loc: at });
        if (!found && (optional || this.deferMissing)) continue;
        const before = this.rules.length;
        this.readFile(path, at, depth + 1);
        // A file that reads as a compiler's depfile may be a task's record of what it read:
        // its rules are kept apart, and the graph drops them if a task claims the file.
        if (found && text.includes(":") && (parseDepfile(text)?.length ?? 0) > 0) this.depfileRules.set(path, this.rules.slice(before));
      }
    }
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
      const m = /^(ifeq|ifneq|ifdef|ifndef)(?![^\s(])(.*)$/.exec(rest);
      if (m) {
        // `else ifeq ...`: a chained branch of the same conditional.
        const cond = !top.taken && top.parentActive && this.test(m[1] as string, (m[2] as string).trim(), origin, at);
        top.active = cond;
        top.taken ||= cond;
        return;
      }
      if (rest !== "") throw new DiagnosticError(errorAt("FLOW001", `unexpected text after 'else': '${truncate(rest)}'`, at, "write 'else', or 'else ifeq (A,B)' for another branch"));
      top.seenElse = true;
      top.active = top.parentActive && !top.taken;
      top.taken = true;
      return;
    }
    const cond = parentActive && this.test(word, rest, origin, at);
    conds.push({ active: cond, taken: cond, parentActive, seenElse: false, loc: at });
  }

  /** A conditional's test, with GNU Make's treatment of blanks around the arguments. */
  private test(word: string, rest: string, origin: TextOrigin, at: SourceLocation): boolean {
    if (word === "ifdef" || word === "ifndef") {
      const name = this.expander.expandProbe(rest, this.globals, origin).trim();
      if (name === "" || /\s/.test(name)) {
        throw new DiagnosticError(errorAt("FLOW001", `'${word}' needs one variable name${name === "" ? "" : `, got '${truncate(name)}'`}`, at, `write '${word} NAME' (the name, not $(NAME))`));
      }
      this.expander.probe(name);
      // Make tests the variable's raw value: `X =` is not defined, `X = $(EMPTY)` is.
      const defined = (this.globals.lookup(name)?.value ?? "") !== "";
      return word === "ifdef" ? defined : !defined;
    }
    const pair = parseCondArgs(rest);
    if (!pair) {
      throw new DiagnosticError(errorAt("FLOW001", `malformed '${word}'`, at, `write '${word} (A,B)' or '${word} "A" "B"'`));
    }
    if (pair.extra !== "") {
      throw new DiagnosticError(errorAt("FLOW001", `unexpected text after '${word}': '${truncate(pair.extra)}'`, at, "a comment starts with '#'"));
    }
    const a = this.expander.expandProbe(pair.a, this.globals, this.expander.sub(origin, pair.aAt));
    const b = this.expander.expandProbe(pair.b, this.globals, this.expander.sub(origin, pair.bAt));
    return (a === b) === (word === "ifeq");
  }

  private define(src: Source, start: number, next: number, header: string): number {
    const m = /^((?:(?:export|override|private)\s+)*)define(?:\s+(.*?))?\s*$/.exec(header);
    const at = src.loc(start, 1);
    const parsed = m ? /^(.*?)\s*(=|:=|::=|\+=|\?=|!=)?$/.exec(m[2] ?? "") : null;
    const rawName = parsed?.[1] ?? "";
    if (!m || !parsed || rawName === "") {
      throw new DiagnosticError(errorAt("FLOW001", "malformed 'define'", at, "write 'define NAME' and end the value with 'endef'"));
    }
    const lines = src.lines;
    const body: string[] = [];
    let depth = 1;
    let i = next;
    for (; i < lines.length; i++) {
      const l = lines[i] as string;
      if (!l.startsWith("\t")) {
        const t = l.trim();
        if (/^define(\s|$)/.test(t)) depth++;
        else if (/^endef(\s|#|$)/.test(t) && --depth === 0) break;
      }
      body.push(l);
    }
    if (i >= lines.length) throw new DiagnosticError(errorAt("FLOW001", "'define' is never closed", at, "add 'endef'"));
    const modifiers = m[1] ?? "";
    const name = this.expander.expand(rawName, this.globals, { loc: at, exact: false }).trim();
    if (name === "" || /\s/.test(name)) {
      throw new DiagnosticError(errorAt("FLOW001", `malformed 'define': the name '${truncate(name)}' ${name === "" ? "is empty" : "contains spaces"}`, at, "write 'define NAME' and end the value with 'endef'"));
    }
    this.assign(name, (parsed[2] as AssignOp | undefined) ?? "=", collapseContinuations(body.join("\n")), { loc: at, exact: false }, at, /\boverride\b/.test(modifiers));
    if (/\bexport\b/.test(modifiers)) this.exported.add(name);
    return i + 1;
  }

  /**
   * A plain rule line (see plainRuleColon): literal targets and
   * prerequisites. The same rule `statement` would make, without its
   * general machinery (comment and modifier stripping, separator search,
   * expansion, special targets): on a 10,000-rule Flowfile that machinery
   * was most of the reading time. False, with nothing done, when the first
   * target needs the general path. The reader's tests read their corpus
   * with and without this path and compare.
   */
  private plainRule(text: string, colon: number, src: Source, start: number, multi: boolean): boolean {
    const at = src.exact ? src.loc(start, 1) : src.loc(start);
    const exact = src.exact && !multi;
    const targets = exact ? plainWords(text, 0, colon, at) : locateWords(splitWords(text.slice(0, colon)), at, false, 0);
    if (UNSUPPORTED_SPECIAL.has((targets[0] as Word).text)) return false;
    this.noTargets = false;
    const rule: RuleDef = {
      index: this.rules.length,
      targets,
      prereqs: exact ? plainWords(text, colon + 1, text.length, at) : locateWords(splitWords(text.slice(colon + 1)), at, false, 0),
      orderOnly: [],
      recipe: [],
      loc: at,
      grouped: false,
      isPattern: false,
    };
    this.rules.push(rule);
    this.currentRule = rule;
    return true;
  }

  /** A line that is not a recipe line nor a directive: an assignment, a rule, or text that expands to nothing. */
  private statement(line: string, origin: TextOrigin, at: SourceLocation, reparsed = false): void {
    const { text, exportIt, override, unexport, undefine, offset } = stripModifiers(line);
    const shifted = this.expander.sub(origin, offset);
    const sep = findSeparator(text);
    if (undefine) {
      for (const n of splitWords(this.expander.expand(text, this.globals, shifted))) {
        const cur = this.globals.own(n);
        if (cur && beatsFile(cur.origin) && !override) continue;
        this.globals.remove(n);
        this.exported.delete(n);
      }
      this.currentRule = undefined;
      return;
    }
    if (sep && sep.kind === "assign") {
      const name = this.expander.expand(text.slice(0, sep.index), this.globals, shifted).trim();
      if (name === "" || /\s/.test(name)) {
        throw new DiagnosticError(errorAt("FLOW001", name === "" ? "assignment to an empty variable name" : `variable name '${truncate(name)}' contains spaces`, at, "write NAME = value"));
      }
      const afterOp = text.slice(sep.index + sep.op.length);
      const value = afterOp.replace(/^[ \t]+/, "");
      const valueCol = sep.index + sep.op.length + (afterOp.length - value.length);
      this.assign(name, sep.op, value, this.expander.sub(shifted, valueCol), at, override);
      if (exportIt) this.exported.add(name);
      if (unexport) this.exported.delete(name);
      this.currentRule = undefined;
      return;
    }
    if ((exportIt || unexport) && !sep) {
      // `export A B` / `unexport A B`: mark variables; bare `export` would export everything.
      const names = splitWords(this.expander.expand(text, this.globals, shifted));
      if (names.length === 0 && exportIt) {
        this.warnOnce("export-all", warningAt("FLOW019", "a bare 'export' (export every variable) is not supported", at, "name the variables: 'export CC CFLAGS'"));
      }
      for (const n of names) {
        if (exportIt) this.exported.add(n);
        else this.exported.delete(n);
      }
      this.currentRule = undefined;
      return;
    }
    if (!sep) {
      // Make expands a line that is neither a rule nor an assignment: when it
      // expands to nothing (`$(info ...)`, `$(eval ...)`, an empty variable) it is fine.
      const expanded = this.expander.expand(text, this.globals, shifted);
      if (expanded.trim() === "") {
        this.currentRule = undefined;
        return;
      }
      // A rule (or assignment) that came out of a variable: read the expanded text (once).
      if (!reparsed && findSeparator(expanded.replace(/\$/g, "$$$$"))?.kind === "rule") {
        this.statement(expanded.replace(/\$/g, "$$$$").trim(), { loc: at, exact: false }, at, true);
        return;
      }
      const word = /^\S+/.exec(line)?.[0] ?? "";
      const directive = closest(word, DIRECTIVE_WORDS);
      throw new DiagnosticError(
        errorAt(
          "FLOW001",
          `missing separator: '${truncate(line)}' is neither a rule nor an assignment`,
          at,
          directive && directive !== word
            ? `did you mean '${directive}'?`
            : /^\s/.test(at.lineText)
              ? "recipe lines must be indented under a rule"
              : "a rule is 'target: prerequisites', an assignment is 'NAME = value'",
        ),
      );
    }
    this.rule(text, sep.index, shifted, at);
  }

  private assign(name: string, op: AssignOp, rawValue: string, origin: TextOrigin, at: SourceLocation, override = false): void {
    const existing = this.globals.own(name);
    if (existing && beatsFile(existing.origin) && !override) return;
    if ((name === "SHELL" && !/^(\/bin\/)?sh$/.test(rawValue.trim())) || name === ".SHELLFLAGS") {
      this.warnOnce(name, warningAt("FLOW019", `setting ${name} has no effect: recipes always run as one '/bin/sh -e -c' script`, at, "write recipes for /bin/sh, or run another interpreter explicitly: bash -c '...'"));
    } else if (name === "VPATH") {
      this.warnOnce("vpath", warningAt("FLOW019", "VPATH is not supported; prerequisites are looked up where they are written", at, "write prerequisites with their directories (e.g. src/%.c)"));
    }
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
        if (!old) {
          v = { value: rawValue, flavor: "recursive", origin: origin2, loc: at };
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
    const targets = splitWords(this.expandPart(targetText, origin, 0));
    if (targets.length === 0) {
      // `$(EMPTY): x` is legal Make and defines nothing; its recipe lines are ignored.
      this.currentRule = undefined;
      this.noTargets = findSeparator(rest)?.kind !== "assign";
      return;
    }
    const base = origin.exact && origin.loc ? origin.loc.col - 1 : 0;
    const targetWords = locateWords(targets, at, origin.exact, base);

    // A target-specific variable: `targets: [override|private|export] NAME op value`.
    // Every assignment operator holds a `=`: without one, the (common) rule needs no look.
    if (rest.includes("=")) {
      const mods = stripModifiers(rest.replace(/^[ \t]+/, ""));
      const assign = findSeparator(mods.text);
      if (assign && assign.kind === "assign") {
        this.targetVariable(targets, rest, restStart, mods, assign, inlineRecipe, origin, at);
        return;
      }
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
    const prereqOff = restStart + (patternPart !== undefined ? secondColon + 1 : 0);
    const prereqs = locateWords(splitWords(this.expandPart(normalPart, origin, prereqOff)), at, origin.exact, prereqFrom);
    const orderOnly = orderPart === "" ? [] : locateWords(splitWords(this.expandPart(orderPart, origin, prereqOff + bar + 1)), at, origin.exact, prereqFrom);
    if (patternPart !== undefined) {
      const tp = splitWords(this.expandPart(patternPart, origin, restStart));
      if (tp.length !== 1 || !(tp[0] as string).includes("%")) {
        throw new DiagnosticError(
          errorAt("FLOW001", "a static pattern rule needs exactly one target pattern containing '%'", at, "write 'targets: target-pattern: prereq-patterns', e.g. '$(OBJS): build/%.o: src/%.c'"),
        );
      }
      staticPattern = { targetPattern: tp[0] as string, prereqPatterns: prereqs, orderOnlyPatterns: orderOnly };
    }

    const first = targets[0] as string;
    if (first === ".SUFFIXES") {
      if (prereqs.length === 0) this.suffixes.clear();
      for (const p of prereqs) this.suffixes.add(p.text);
    }
    const unsupported = UNSUPPORTED_SPECIAL.get(first);
    if (unsupported !== undefined) {
      this.warnOnce(first, warningAt("FLOW019", `${first} is not supported and is ignored`, at, unsupported));
    }

    // An old-fashioned suffix rule (`.c.o:`) is the pattern rule `%.o: %.c`.
    const suffixRule = !staticPattern && targets.length === 1 && prereqs.length === 0 ? this.suffixRule(first) : undefined;
    const targetList = suffixRule ? [{ text: suffixRule.target, loc: targetWords[0]?.loc ?? at }] : targetWords;
    const prereqList = suffixRule ? [{ text: suffixRule.prereq, loc: targetWords[0]?.loc ?? at }] : prereqs;
    const isPattern = !staticPattern && targetList.some(hasPercent);
    if (isPattern && !targetList.every(hasPercent)) {
      throw new DiagnosticError(
        errorAt("FLOW001", "a rule mixes pattern targets (with '%') and ordinary targets", at, "write the pattern rule and the ordinary rule separately"),
      );
    }
    const rule: RuleDef = staticPattern
      ? { index: this.rules.length, targets: targetList, prereqs: [], orderOnly: [], recipe: [], loc: at, grouped, staticPattern, isPattern }
      : { index: this.rules.length, targets: targetList, prereqs: prereqList, orderOnly, recipe: [], loc: at, grouped, isPattern };
    if (inlineRecipe !== undefined && inlineRecipe.trim() !== "") rule.recipe.push({ text: inlineRecipe, loc: at });
    this.rules.push(rule);
    this.currentRule = rule;
  }

  /** Rule text: most holds no reference, and then no origin is made for it. */
  private expandPart(text: string, origin: TextOrigin, offset: number): string {
    return text.includes("$") ? this.expander.expand(text, this.globals, this.expander.sub(origin, offset)) : text;
  }

  /** `targets: [override|private|export] NAME op value`, given the separator found in the text after the modifiers. */
  private targetVariable(
    targets: readonly string[],
    rest: string,
    restStart: number,
    mods: Modifiers,
    assign: { index: number; op: AssignOp },
    inlineRecipe: string | undefined,
    origin: TextOrigin,
    at: SourceLocation,
  ): void {
    const lead = rest.length - rest.replace(/^[ \t]+/, "").length + mods.offset;
    const name = this.expandPart(mods.text.slice(0, assign.index), origin, restStart + lead).trim();
    if (name === "" || /\s/.test(name)) {
      throw new DiagnosticError(errorAt("FLOW001", name === "" ? "assignment to an empty variable name" : `variable name '${truncate(name)}' contains spaces`, at, "write 'target: NAME = value'"));
    }
    if (mods.exportIt) {
      this.warnOnce(`export-target:${name}`, warningAt("FLOW019", `'export' on a target-specific variable is not supported: ${name} is set for the target but not exported`, at, `export it globally ('export ${name}') or list it in .ENV`));
    }
    const afterOp = mods.text.slice(assign.index + assign.op.length);
    const rawValue = afterOp.replace(/^[ \t]+/, "") + (inlineRecipe !== undefined ? ";" + inlineRecipe : "");
    const valueOrigin = this.expander.sub(origin, restStart + lead + assign.index + assign.op.length + (afterOp.length - afterOp.replace(/^[ \t]+/, "").length));
    let value = rawValue;
    if (assign.op === ":=" || assign.op === "::=") value = this.expander.expand(rawValue, this.globals, valueOrigin);
    else if (assign.op === "!=") value = this.expander.host.shell(this.expander.expand(rawValue, this.globals, valueOrigin), at);
    for (const t of targets) {
      const list = this.targetVars.get(t) ?? [];
      list.push({ name, op: assign.op, value, loc: at, ...(mods.override ? { override: true } : {}) });
      this.targetVars.set(t, list);
    }
    // flow's leniency: a target-specific assignment does not end the rule context for recipes.
  }

  /** `.c.o` → `%.o: %.c`; `.sh` → `%: %.sh`; only for known suffixes, as in Make. */
  private suffixRule(target: string): { target: string; prereq: string } | undefined {
    if (!target.startsWith(".") || target.includes("/") || target.includes("%")) return undefined;
    if (this.suffixes.has(target)) return { target: "%", prereq: `%${target}` };
    for (const s of this.suffixes) {
      if (target.startsWith(s) && target.length > s.length && this.suffixes.has(target.slice(s.length))) {
        return { target: `%${target.slice(s.length)}`, prereq: `%${s}` };
      }
    }
    return undefined;
  }

  private warnOnce(key: string, d: Diagnostic): void {
    if (this.warnedOnce.has(key)) return;
    this.warnedOnce.add(key);
    this.host.warn(d);
  }
}

interface CondArgs {
  readonly a: string;
  readonly aAt: number;
  readonly b: string;
  readonly bAt: number;
  /** Text after the closing paren or quote (an error when not blank). */
  readonly extra: string;
}

/**
 * `(a,b)`, `"a" "b"`, `'a' 'b'` → the two unexpanded arguments, as GNU Make's
 * conditional_line splits them: in the parenthesized form, blanks after the
 * comma and before the first argument's end are dropped, the others are kept.
 */
export function parseCondArgs(s: string): CondArgs | undefined {
  const open = s[0];
  if (open === "(") {
    let i = 1;
    let count = 0;
    for (; i < s.length; i++) {
      const c = s[i];
      if (c === "(") count++;
      else if (c === ")") count--;
      else if (c === "," && count <= 0) break;
    }
    if (i >= s.length) return undefined;
    let end = i;
    while (end > 1 && (s[end - 1] === " " || s[end - 1] === "\t")) end--;
    let j = i + 1;
    while (j < s.length && /\s/.test(s[j] as string)) j++;
    const bAt = j;
    count = 0;
    for (; j < s.length; j++) {
      const c = s[j];
      if (c === "(") count++;
      else if (c === ")") {
        if (count <= 0) break;
        count--;
      }
    }
    if (j >= s.length) return undefined;
    return { a: s.slice(1, end), aAt: 1, b: s.slice(bAt, j), bAt, extra: s.slice(j + 1).trim() };
  }
  if (open === '"' || open === "'") {
    const aEnd = s.indexOf(open, 1);
    if (aEnd < 0) return undefined;
    let j = aEnd + 1;
    while (j < s.length && /\s/.test(s[j] as string)) j++;
    const q = s[j];
    if (q !== '"' && q !== "'") return undefined;
    const bEnd = s.indexOf(q, j + 1);
    if (bEnd < 0) return undefined;
    return { a: s.slice(1, aEnd), aAt: 1, b: s.slice(j + 1, bEnd), bAt: j + 1, extra: s.slice(bEnd + 1).trim() };
  }
  return undefined;
}

/** ` (is 'ednif' at line 7 meant to be 'endif'?)` when a line after the opening looks like a misspelt directive. */
function misspeltEndif(lines: readonly string[], after: number): string {
  for (let i = after; i < lines.length; i++) {
    const w = /^\s*(\S+)\s*$/.exec(stripComment(lines[i] as string))?.[1];
    if (w === undefined || CONDITIONALS.has(w)) continue;
    const c = closest(w, ["endif", "else"]);
    if (c !== undefined) return ` (is '${w}' at line ${i + 1} meant to be '${c}'?)`;
  }
  return "";
}

function normalizeIncludePath(p: string): string {
  if (p.startsWith("/")) return posix.normalize(p);
  const n = posix.normalize(p);
  return n === "." ? p : n;
}

function truncate(s: string): string {
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The innermost conditional's branch is being read (or there is none). */
function isActive(conds: readonly CondFrame[]): boolean {
  return conds.length === 0 || (conds[conds.length - 1] as CondFrame).active;
}

function hasPercent(w: Word): boolean {
  return w.text.includes("%");
}

/**
 * The words of `text.slice(from, end)` with their columns, when `text` is
 * the line itself (a plain rule on one line): what locateWords gives for
 * them (each word is found where it is: only blanks lie between it and the
 * end of the word before), without searching. Words are usually separated by
 * single spaces: then one native split does, and the columns add up.
 */
function plainWords(text: string, from: number, end: number, at: SourceLocation): Word[] {
  const part = text.slice(from, end);
  if (part.includes("\t") || part.includes("  ")) return locateWords(splitWords(part), at, true, from);
  // Without runs of blanks, an empty piece can only be the first or the last.
  let pieces = part.split(" ");
  let col = from + 1;
  if (pieces[0] === "") {
    pieces = pieces.slice(1);
    col++;
  }
  if (pieces.length > 0 && pieces[pieces.length - 1] === "") pieces.pop();
  // Each word takes its string's place in the split's own array: arrays of the exact size
  // (10,000 rules hold 20,000 of them), packed whichever tier made them. map() gives a packed
  // array in the interpreter but a holey one from optimized code, and the graph's code that
  // met both kinds of rule.prereqs was compiled again.
  const words = pieces as unknown as Word[];
  for (let i = 0; i < pieces.length; i++) {
    const w = pieces[i] as string;
    words[i] = new LineWord(w, at, col);
    col += w.length + 1;
  }
  return words;
}

/**
 * Words of a rule line with their columns. Words appear in the line in
 * order, so each search starts after the last hit; once a word is not found
 * literally (it came from a variable), the rest point at the rule. Searching
 * from the start each time was quadratic on a 10,000-word `all:` line.
 * `exact`: the text's offsets are columns of `at`'s line (else every word points at the rule).
 */
function locateWords(words: readonly string[], at: SourceLocation, exact: boolean, from: number): Word[] {
  let cursor = exact ? from : -1;
  // push, not map: packed arrays from either tier (see plainWords).
  const out: Word[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    const idx = cursor >= 0 ? at.lineText.indexOf(w, cursor) : -1;
    cursor = idx >= 0 ? idx + w.length : -1;
    // Not found literally: the word points at the rule.
    out.push(new LineWord(w, at, idx >= 0 ? idx + 1 : at.col));
  }
  return out;
}
