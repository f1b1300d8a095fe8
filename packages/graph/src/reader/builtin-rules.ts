import type { SourceLocation } from "../diagnostic.js";
import type { RuleDef } from "./flowfile-model.js";

/**
 * GNU Make's built-in rules for C, C++ and assembler, and linking, as
 * `make -p -f /dev/null` (GNU Make 4.3) prints them, in its order (ties
 * between equal stems go to the first). Only these families: the others
 * (Fortran, Pascal, lex, yacc, TeX, RCS, SCCS, archive members) are not
 * built in. Each stands for a suffix rule too: it exists only while both of
 * its suffixes are in `.SUFFIXES`, so `.SUFFIXES:` removes them, as in Make.
 */
const BUILTIN_RULES: readonly (readonly [target: string, prereq: string, recipe: string])[] = [
  ["%", "%.o", "$(LINK.o) $^ $(LOADLIBES) $(LDLIBS) -o $@"],
  ["%", "%.c", "$(LINK.c) $^ $(LOADLIBES) $(LDLIBS) -o $@"],
  ["%.o", "%.c", "$(COMPILE.c) $(OUTPUT_OPTION) $<"],
  ["%", "%.cc", "$(LINK.cc) $^ $(LOADLIBES) $(LDLIBS) -o $@"],
  ["%.o", "%.cc", "$(COMPILE.cc) $(OUTPUT_OPTION) $<"],
  ["%", "%.C", "$(LINK.C) $^ $(LOADLIBES) $(LDLIBS) -o $@"],
  ["%.o", "%.C", "$(COMPILE.C) $(OUTPUT_OPTION) $<"],
  ["%", "%.cpp", "$(LINK.cpp) $^ $(LOADLIBES) $(LDLIBS) -o $@"],
  ["%.o", "%.cpp", "$(COMPILE.cpp) $(OUTPUT_OPTION) $<"],
  ["%", "%.s", "$(LINK.s) $^ $(LOADLIBES) $(LDLIBS) -o $@"],
  ["%.o", "%.s", "$(COMPILE.s) -o $@ $<"],
  ["%", "%.S", "$(LINK.S) $^ $(LOADLIBES) $(LDLIBS) -o $@"],
  ["%.o", "%.S", "$(COMPILE.S) -o $@ $<"],
  ["%.s", "%.S", "$(PREPROCESS.S) $< > $@"],
];

/** Where a built-in rule's recipe "is": messages about it point here. */
const BUILTIN_LOC: SourceLocation = { file: "(built-in)", line: 1, col: 1, lineText: "" };

/** The suffix of a pattern rule's `%X` word (`%.o` → `.o`; `%` → ``). */
function suffixOf(pattern: string): string {
  return pattern.slice(1);
}

/**
 * The built-in pattern rules that apply: those whose suffixes are all in
 * `suffixes` (Make's `.SUFFIXES` after reading), less those the Makefile
 * replaced or cancelled with a pattern rule of the same target and
 * prerequisite (`%.o: %.c` with no recipe cancels, as in Make). Numbered
 * after the Makefile's `ruleCount` rules.
 */
export function builtinRules(suffixes: ReadonlySet<string>, userPatterns: ReadonlySet<string>, ruleCount: number): RuleDef[] {
  const out: RuleDef[] = [];
  for (const [target, prereq, recipe] of BUILTIN_RULES) {
    const ts = suffixOf(target);
    if ((ts !== "" && !suffixes.has(ts)) || !suffixes.has(suffixOf(prereq))) continue;
    if (userPatterns.has(patternKey(target, prereq))) continue;
    out.push({
      index: ruleCount + out.length,
      targets: [{ text: target, loc: BUILTIN_LOC }],
      prereqs: [{ text: prereq, loc: BUILTIN_LOC }],
      orderOnly: [],
      recipe: [{ text: recipe, loc: BUILTIN_LOC }],
      loc: BUILTIN_LOC,
      grouped: false,
      isPattern: true,
    });
  }
  return out;
}

/** A pattern rule's identity for replacing a built-in one: its target and prerequisite patterns. */
export function patternKey(target: string, prereq: string): string {
  return `${target}\u0000${prereq}`;
}

/**
 * The `r` and `R` letters of a MAKEFLAGS value: GNU Make's form is a first
 * word of single-letter flags without a dash (`rR`, `ks`), then words with
 * dashes (`-r`, `--no-builtin-rules`), then ` -- ` and variable assignments.
 * A minimal parse, for the two flags the reader needs.
 */
export function makeflagsBuiltins(value: string): { noRules: boolean; noVariables: boolean } {
  let noRules = false;
  let noVariables = false;
  const words = value.split(/[ \t]+/).filter((w) => w !== "");
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === "--") break;
    if (w.includes("=")) continue;
    if (w === "--no-builtin-rules") noRules = true;
    else if (w === "--no-builtin-variables") noVariables = true;
    else if (w.startsWith("--")) continue;
    else if (w.startsWith("-") || i === 0) {
      // Short flags bundle (`-rR`, `-kj2`): a letter taking a value ends the bundle.
      for (const c of w.replace(/^-/, "")) {
        if (c === "r") noRules = true;
        else if (c === "R") noVariables = true;
        else if ("CfIjloW".includes(c)) break;
      }
    }
  }
  // -R implies -r, as in Make.
  return { noRules: noRules || noVariables, noVariables };
}
