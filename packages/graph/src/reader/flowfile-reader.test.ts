import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatDiagnostic } from "../diagnostic.js";
import type { FlowfileModel, RuleDef } from "./flowfile-model.js";
import { readFlowfile } from "./flowfile-reader.js";
import { memoryReadHost, read, readErr, readOk, valueOf } from "../test-support.js";

const v = (text: string, name: string, setup?: Parameters<typeof readOk>[1]) => valueOf(readOk(text, setup), name);
/** Expand `expr` after reading `text` (e.g. a function call with the file's variables). */
const ex = (expr: string, text = "", setup?: Parameters<typeof readOk>[1]) => {
  const m = readOk(`${text}\n__R := ${expr}\n`, setup);
  return valueOf(m, "__R");
};
const ruleFor = (m: FlowfileModel, target: string): RuleDef => {
  const r = m.rules.find((x) => x.targets.some((t) => t.text === target));
  assert.ok(r, `no rule for ${target}`);
  return r;
};
const recipeOf = (m: FlowfileModel, target: string) => ruleFor(m, target).recipe.map((l) => l.text);
const words = (ws: readonly { text: string }[]) => ws.map((w) => w.text);

describe("assignments", () => {
  test("= is deferred: a later assignment of B is seen", () => {
    const m = readOk("A = $(B)\nB = one\nB = two\n");
    assert.equal(valueOf(m, "A"), "two");
    assert.equal(m.globals.lookup("A")?.flavor, "recursive");
    assert.equal(m.globals.lookup("A")?.value, "$(B)");
  });

  test(":= is immediate: expanded once, when assigned", () => {
    const m = readOk("B = one\nA := $(B)\nB = two\n");
    assert.equal(valueOf(m, "A"), "one");
    assert.equal(m.globals.lookup("A")?.flavor, "simple");
  });

  test("::= is the POSIX spelling of :=", () => {
    assert.equal(v("B = one\nA ::= $(B)\nB = two\n", "A"), "one");
  });

  test("?= assigns only when undefined", () => {
    assert.equal(v("A = first\nA ?= second\n", "A"), "first");
    assert.equal(v("A ?= second\n", "A"), "second");
    // ?= keeps the value deferred
    assert.equal(v("A ?= $(B)\nB = late\n", "A"), "late");
  });

  test("+= appends with a space and keeps the flavor", () => {
    const m = readOk("A = $(B)\nA += x\nB = b\nS := $(B)\nS += $(B)\nB = c\n");
    assert.equal(valueOf(m, "A"), "c x");
    assert.equal(m.globals.lookup("A")?.flavor, "recursive");
    // simple: the appended text is expanded now (B was "b" at that point)
    assert.equal(valueOf(m, "S"), "b b");
    assert.equal(m.globals.lookup("S")?.flavor, "simple");
  });

  test("+= on an undefined variable is like =", () => {
    const m = readOk("A += $(B)\nB = late\n");
    assert.equal(valueOf(m, "A"), "late");
  });

  test("+= onto an empty value adds no leading space", () => {
    assert.equal(v("A :=\nA += x\n", "A"), "x");
    assert.equal(v("A =\nA += x\n", "A"), "x");
  });

  test("!= runs the shell once, on the expanded command", () => {
    const { result, host } = read("CMD = echo hi\nA != $(CMD) there\n", { shell: "canned out" });
    assert.ok(result.ok);
    assert.equal(valueOf(result.value, "A"), "canned out");
    assert.deepEqual(host.shellCalls, ["echo hi there"]);
    assert.equal(result.value.globals.lookup("A")?.flavor, "simple");
  });

  test("$(shell) calls the host too", () => {
    const { result, host } = read("A := $(shell date +%s)\n", { shell: "12345" });
    assert.ok(result.ok);
    assert.equal(valueOf(result.value, "A"), "12345");
    assert.deepEqual(host.shellCalls, ["date +%s"]);
  });

  // GNU Make keeps trailing blanks (and the blank before a `#` comment) in a
  // value; flow drops them (the reader trims each logical line). Pinned so a
  // change is deliberate.
  test("value whitespace: leading and trailing blanks dropped, inner kept", () => {
    assert.equal(v("A =    x  y  \n", "A"), "x  y");
  });

  test("command-line overrides beat file assignments of every kind", () => {
    const setup = { overrides: { A: "cli", B: "cli", C: "cli", D: "cli" } };
    const m = readOk("A = file\nB := file\nC += file\nD ?= file\n", setup);
    for (const n of ["A", "B", "C", "D"]) assert.equal(valueOf(m, n), "cli", n);
    assert.equal(m.expander.expand("$(origin A) $(flavor A)", m.globals, { loc: undefined, exact: false }), "command line recursive"); // as in GNU make: `make A=...` defines a recursive variable
  });

  test("override beats a command-line value", () => {
    assert.equal(v("override A = forced\n", "A", { overrides: { A: "cli" } }), "forced");
  });

  test("environment variables are readable but file assignments win", () => {
    const env = { HOME_DIR: "/home/u", CC: "envcc" };
    const m = readOk("CC = gcc\nX := $(HOME_DIR)/bin\n", { env });
    assert.equal(valueOf(m, "X"), "/home/u/bin");
    assert.equal(valueOf(m, "CC"), "gcc");
    assert.equal(ex("$(origin HOME_DIR) $(origin CC)", "CC = gcc\n", { env }), "environment file");
  });

  test("?= does not override an environment variable", () => {
    assert.equal(v("CC ?= gcc\n", "CC", { env: { CC: "clang" } }), "clang");
  });

  test("+= on an environment variable appends to its value", () => {
    assert.equal(v("CFLAGS += -O2\n", "CFLAGS", { env: { CFLAGS: "-g" } }), "-g -O2");
  });

  test(
    "+= on an environment variable keeps the appended text deferred (env vars are recursive in Make)",
    () => {
      assert.equal(v("CFLAGS += $(OPT)\nOPT = -O2\n", "CFLAGS", { env: { CFLAGS: "-g" } }), "-g -O2");
    },
  );

  test("env names that are not identifiers are ignored", () => {
    const m = readOk("", { env: { "A-B": "x", "1X": "y", OK: "z" } });
    assert.equal(m.globals.lookup("A-B"), undefined);
    assert.equal(m.globals.lookup("1X"), undefined);
    assert.equal(valueOf(m, "OK"), "z");
  });

  test("export marks variables for recipes", () => {
    const m = readOk("export A = 1\nB = 2\nC = 3\nexport B\n");
    assert.deepEqual([...m.exported].sort(), ["A", "B"]);
    assert.equal(valueOf(m, "A"), "1");
  });

  test("an assignment to a name with spaces is an error", () => {
    const d = readErr("A B = 1\n");
    assert.equal(d.code, "FLOW001");
    assert.equal(d.message, "variable name 'A B' contains spaces");
  });
});

describe("references", () => {
  test("$$ is a literal dollar", () => {
    assert.equal(v("A := cost $$5 $$(B)\n", "A"), "cost $5 $(B)");
  });

  test("${X}, $(X) and $X", () => {
    const m = readOk("X = ex\nY := ${X}-$(X)-$X\n");
    assert.equal(valueOf(m, "Y"), "ex-ex-ex");
  });

  test("$X takes one character only", () => {
    assert.equal(v("X = ex\nXY = wrong\nY := $XY\n", "Y"), "exY");
  });

  test("an undefined variable is empty", () => {
    assert.equal(v("A := [$(NOPE)]\n", "A"), "[]");
  });

  test("substitution references: suffix and % forms", () => {
    const text = "SRCS = a.c dir/b.c c.h\n";
    assert.equal(ex("$(SRCS:.c=.o)", text), "a.o dir/b.o c.h");
    assert.equal(ex("$(SRCS:%.c=build/%.o)", text), "build/a.o build/dir/b.o c.h");
    assert.equal(ex("${SRCS:.c=.o}", text), "a.o dir/b.o c.h");
  });

  test("suffix substitution only replaces at the end of a word", () => {
    assert.equal(ex("$(X:.c=.o)", "X = a.c.bak a.c\n"), "a.c.bak a.o");
  });

  test("computed names", () => {
    const text = "KIND = debug\nFLAGS_debug = -g\nFLAGS_release = -O2\nN = KIND\n";
    assert.equal(ex("$(FLAGS_$(KIND))", text), "-g");
    assert.equal(ex("$($(N))", text), "debug");
    assert.equal(ex("$(FLAGS_$(KIND):-g=-G)", text), "-G");
  });

  test("a computed name on the left of an assignment", () => {
    assert.equal(v("N = VAR\n$(N)_X := 5\n", "VAR_X"), "5");
  });

  test("a lone $ at the end of a value is dropped", () => {
    assert.equal(v("A := x$\n", "A"), "x");
  });
});

describe("functions", () => {
  const cases: [string, string, string?][] = [
    ["$(subst ee,EE,feet on the street)", "fEEt on the strEEt"],
    ["$(patsubst %.c,%.o,x.c.c bar.c baz.h)", "x.c.o bar.o baz.h"],
    ["$(patsubst src/%.c,build/%.o,src/a.c  src/b.c)", "build/a.o build/b.o"],
    ["$(patsubst a.c,X,a.c b.c)", "X b.c"],
    ["[$(strip   a   b  c  )]", "[a b c]"],
    ["$(findstring a,a b c)|$(findstring x,a b c)", "a|"],
    ["$(filter %.c %.s,foo.c bar.c baz.s ugh.h)", "foo.c bar.c baz.s"],
    ["$(filter-out %.c,foo.c bar.c baz.s ugh.h)", "baz.s ugh.h"],
    ["$(filter b,a b c b)", "b b"],
    ["$(sort foo bar lose foo B)", "B bar foo lose"],
    ["$(word 2, foo bar baz)", "bar"],
    ["[$(word 4,foo bar baz)]", "[]"],
    ["$(wordlist 2,3,foo bar baz qux)", "bar baz"],
    ["[$(wordlist 3,2,foo bar baz)]", "[]"],
    ["$(wordlist 2,99,foo bar baz)", "bar baz"],
    ["$(words foo bar  baz)", "3"],
    ["$(words )", "0"],
    ["$(firstword foo bar)", "foo"],
    ["$(lastword foo bar)", "bar"],
    ["[$(firstword )]", "[]"],
    ["$(dir src/foo.c hacks /abs/x)", "src/ ./ /abs/"],
    ["$(notdir src/foo.c hacks)", "foo.c hacks"],
    ["$(suffix src/foo.c src-1.0/bar.c hacks)", ".c .c"],
    ["$(suffix a.b/c)", ""],
    ["$(basename src/foo.c src-1.0/bar hacks a.b/c)", "src/foo src-1.0/bar hacks a.b/c"],
    ["$(addsuffix .c,foo bar)", "foo.c bar.c"],
    ["$(addprefix src/,foo bar)", "src/foo src/bar"],
    ["$(join a b c,.c .o)", "a.c b.o c"],
    ["$(if x,yes,no)", "yes"],
    ["$(if ,yes,no)", "no"],
    ["$(if   ,yes,no)", "no"],
    ["[$(if ,yes)]", "[]"],
    ["$(or ,,b,c)", "b"],
    ["[$(or ,)]", "[]"],
    ["$(and a,b,c)", "c"],
    ["[$(and a,,c)]", "[]"],
    ["$(foreach d,a b c,$(d).o)", "a.o b.o c.o"],
    ["$(foreach d,,$(d).o)", ""],
  ];
  for (const [expr, want] of cases) {
    test(expr, () => assert.equal(ex(expr), want));
  }

  test("arguments with commas inside nested calls are kept whole", () => {
    assert.equal(ex("$(subst a,b,$(subst x,y,xa,xa))"), "yb,yb");
  });

  test("if and or and are lazy: the branch not taken is never expanded", () => {
    assert.equal(ex("$(if x,ok,$(error boom))"), "ok");
    assert.equal(ex("$(or x,$(error boom))"), "x");
    assert.equal(ex("[$(and ,$(error boom))]"), "[]");
  });

  test("foreach's loop variable does not leak", () => {
    const m = readOk("R := $(foreach x,1 2,<$(x)>)\nAFTER := [$(x)]\n");
    assert.equal(valueOf(m, "R"), "<1> <2>");
    assert.equal(valueOf(m, "AFTER"), "[]");
  });

  test("call binds $(0) $(1) $(2)", () => {
    const text = "swap = $(2) $(1) [$(0)] [$(3)]\n";
    assert.equal(ex("$(call swap,a,b)", text), "b a [swap] []");
  });

  test("call with an argument containing a variable reference", () => {
    assert.equal(ex("$(call f,$(X))", "X = xx\nf = <$(1)>\n"), "<xx>");
  });

  test(
    "call may recurse (GNU Make allows recursive invocations through call)",
    () => {
      const text = "reverse = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))\n";
      assert.equal(ex("$(strip $(call reverse,a b c))", text), "c b a");
    },
  );

  test("value returns the unexpanded text", () => {
    assert.equal(ex("$(value A)", "A = $$HOME and $(B)\nB = b\n"), "$$HOME and $(B)");
    assert.equal(ex("$(A)", "A = $$HOME and $(B)\nB = b\n"), "$HOME and b");
  });

  test("origin", () => {
    const setup = { env: { E: "1" }, overrides: { C: "1" } };
    assert.equal(ex("$(origin F) $(origin E) $(origin C) $(origin U) $(origin O)", "F = 1\noverride O = 1\n", setup), "file environment command line undefined override");
    assert.equal(ex("$(foreach x,1,$(origin x))"), "automatic");
  });

  test("flavor", () => {
    assert.equal(ex("$(flavor R) $(flavor S) $(flavor U)", "R = 1\nS := 1\n"), "recursive simple undefined");
  });

  test("wildcard: sorted, union of patterns, ** crosses directories", () => {
    const files = ["src/b.c", "src/a.c", "src/sub/c.c", "include/x.h", "data/1/2/z.csv", "data/y.csv"];
    assert.equal(ex("$(wildcard src/*.c)", "", { files }), "src/a.c src/b.c");
    assert.equal(ex("$(wildcard include/*.h src/*.c)", "", { files }), "include/x.h src/a.c src/b.c");
    assert.equal(ex("$(wildcard data/**/*.csv)", "", { files }), "data/1/2/z.csv data/y.csv");
    assert.equal(ex("[$(wildcard none/*)]", "", { files }), "[]");
  });

  test("error stops reading with FLOW013 at the call", () => {
    const d = readErr("X = 1\nA := $(error X must not be 1)\n");
    assert.equal(
      formatDiagnostic(d),
      ["Flowfile:2:6: error FLOW013: X must not be 1", "  2 | A := $(error X must not be 1)", "    |      ^"].join("\n"),
    );
  });

  test("an error in a function's second argument points at that argument", () => {
    const d = readErr("X = 1\nA := $(if $(X),$(error X must not be 1))\n");
    assert.equal(
      formatDiagnostic(d),
      // The caret sits on the `$` of `$(error`, as it does for a call in a first argument.
      ["Flowfile:2:16: error FLOW013: X must not be 1", "  2 | A := $(if $(X),$(error X must not be 1))", "    |                ^"].join("\n"),
    );
  });

  test("a line that is only $(info ...) / $(warning ...) expands to nothing and is fine", () => {
    const { result, host } = read("$(info reading)\n  $(warning careful)\nA = 1\n");
    assert.ok(result.ok, result.ok ? "" : formatDiagnostic(result.error));
    assert.deepEqual(host.warnings.map((w) => w.message), ["reading", "careful"]);
  });

  test("a line that is only $(error ...) stops with FLOW013", () => {
    const d = readErr("X = 1\nifeq ($(X),1)\n  $(error X must not be 1)\nendif\n");
    assert.equal(
      formatDiagnostic(d),
      ["Flowfile:3:3: error FLOW013: X must not be 1", "  3 |   $(error X must not be 1)", "    |   ^"].join("\n"),
    );
  });

  test("warning and info report through the host and expand to nothing", () => {
    const { result, host } = read("A := [$(warning careful)][$(info hello)]\n");
    assert.ok(result.ok);
    assert.equal(valueOf(result.value, "A"), "[][]");
    assert.deepEqual(host.warnings.map((w) => [w.code, w.severity, w.message]), [
      ["FLOW013", "warning", "careful"],
      ["FLOW013", "info", "hello"],
    ]);
  });

  test("word needs a positive index", () => {
    const d = readErr("A := $(word 0,a b)\n");
    assert.equal(d.code, "FLOW001");
    assert.equal(d.message, "'word' needs a positive whole number, got '0'");
  });

  test("too few arguments is an error", () => {
    const d = readErr("A := $(patsubst %.c,%.o)\n");
    assert.equal(d.code, "FLOW001");
    assert.equal(d.message, "function 'patsubst' takes 3 arguments, got 2");
  });
});

describe("conditionals", () => {
  test("ifeq with parentheses and with quotes", () => {
    assert.equal(v("X = a\nifeq ($(X),a)\nR = yes\nelse\nR = no\nendif\n", "R"), "yes");
    assert.equal(v("X = a\nifeq \"$(X)\" \"b\"\nR = yes\nelse\nR = no\nendif\n", "R"), "no");
    assert.equal(v("X = a\nifeq '$(X)' 'a'\nR = yes\nendif\n", "R"), "yes");
  });

  test("ifneq, both syntaxes", () => {
    assert.equal(v("X = a\nifneq ($(X),a)\nR = yes\nelse\nR = no\nendif\n", "R"), "no");
    assert.equal(v("X = a\nifneq \"$(X)\" \"b\"\nR = yes\nelse\nR = no\nendif\n", "R"), "yes");
  });

  test("ifeq against empty", () => {
    assert.equal(v("ifeq ($(UNSET),)\nR = empty\nendif\n", "R"), "empty");
  });

  test("ifdef / ifndef look at the variable's raw value", () => {
    assert.equal(v("A = 1\nifdef A\nR = def\nelse\nR = undef\nendif\n", "R"), "def");
    assert.equal(v("ifdef A\nR = def\nelse\nR = undef\nendif\n", "R"), "undef");
    assert.equal(v("A =\nifdef A\nR = def\nelse\nR = undef\nendif\n", "R"), "undef");
    // Make: `ifdef` does not expand the value, so A = $(EMPTY) counts as defined.
    assert.equal(v("A = $(EMPTY)\nifdef A\nR = def\nendif\n", "R"), "def");
    assert.equal(v("ifndef A\nR = undef\nendif\n", "R"), "undef");
    assert.equal(v("N = A\nA = 1\nifdef $(N)\nR = computed\nendif\n", "R"), "computed");
  });

  test("else ifeq chains take the first true branch only", () => {
    const text = (x: string) => `X = ${x}\nifeq ($(X),a)\nR = A\nelse ifeq ($(X),b)\nR = B\nelse ifeq ($(X),b)\nR = B2\nelse\nR = other\nendif\n`;
    assert.equal(v(text("a"), "R"), "A");
    assert.equal(v(text("b"), "R"), "B");
    assert.equal(v(text("z"), "R"), "other");
  });

  test("else ifdef", () => {
    assert.equal(v("B = 1\nifdef A\nR = a\nelse ifdef B\nR = b\nendif\n", "R"), "b");
  });

  test("nested conditionals, including inside an inactive branch", () => {
    const text = (x: string, y: string) =>
      `X = ${x}\nY = ${y}\nifeq ($(X),1)\n  ifeq ($(Y),1)\n  R = 11\n  else\n  R = 10\n  endif\nelse\n  ifeq ($(Y),1)\n  R = 01\n  else\n  R = 00\n  endif\nendif\n`;
    assert.equal(v(text("1", "1"), "R"), "11");
    assert.equal(v(text("1", "0"), "R"), "10");
    assert.equal(v(text("0", "1"), "R"), "01");
    assert.equal(v(text("0", "0"), "R"), "00");
  });

  test("an inactive branch is not expanded (no error, no shell)", () => {
    const { result, host } = read("ifeq (a,b)\nX := $(shell boom)\n$(error never)\nfoo bar baz\nendif\n");
    assert.ok(result.ok);
    assert.deepEqual(host.shellCalls, []);
  });

  test("conditionals select rules and recipe lines", () => {
    const m = readOk("DEBUG = 1\nall:\n\techo start\nifeq ($(DEBUG),1)\n\techo debug\nelse\n\techo release\nendif\n\techo end\n");
    assert.deepEqual(recipeOf(m, "all"), ["echo start", "echo debug", "echo end"]);
  });

  test("only one else", () => {
    const d = readErr("ifdef A\nelse\nelse\nendif\n");
    assert.equal(d.code, "FLOW009");
    assert.equal(d.message, "only one 'else' per conditional");
    assert.equal(d.loc?.line, 3);
  });

  test("a malformed ifeq", () => {
    const d = readErr("ifeq (a b)\nendif\n");
    assert.equal(d.code, "FLOW001");
    assert.equal(d.message, "malformed 'ifeq'");
  });
});

describe("include and define", () => {
  test("include reads another file in place; variables flow both ways", () => {
    const m = readOk("A = 1\ninclude common.mk\nC := $(B)+\n", { texts: { "common.mk": "B := $(A)2\nlib: ; echo lib\n" } });
    assert.equal(valueOf(m, "C"), "12+");
    assert.deepEqual(m.files, ["Flowfile", "common.mk"]);
    assert.deepEqual(recipeOf(m, "lib"), ["echo lib"]);
    assert.equal(ruleFor(m, "lib").loc.file, "common.mk");
  });

  test("include expands its argument and normalizes ./", () => {
    const m = readOk("D = mk\ninclude ./$(D)/a.mk $(D)/b.mk\n", { texts: { "mk/a.mk": "A = a\n", "mk/b.mk": "B = b\n" } });
    assert.equal(valueOf(m, "A") + valueOf(m, "B"), "ab");
  });

  test("a missing include is FLOW016 at the include line", () => {
    const d = readErr("X = 1\ninclude nope.mk\n");
    assert.equal(
      formatDiagnostic(d),
      [
        "Flowfile:2:1: error FLOW016: cannot read 'nope.mk': no such file",
        "  2 | include nope.mk",
        "    | ^",
        "hint: create it, or use '-include' to make it optional",
      ].join("\n"),
    );
  });

  test("-include and sinclude skip missing files but read existing ones", () => {
    const m = readOk("-include nope.mk opt.mk\nsinclude gone.mk\n", { texts: { "opt.mk": "O = yes\n" } });
    assert.equal(valueOf(m, "O"), "yes");
    assert.deepEqual(m.files, ["Flowfile", "opt.mk"]);
  });

  test("an include loop stops at a depth limit", () => {
    const d = readErr("include a.mk\n", { texts: { "a.mk": "include a.mk\n" } });
    assert.equal(d.code, "FLOW010");
  });

  test("define keeps lines and is recursive by default", () => {
    const m = readOk("define CMDS\necho $(X)\necho two\nendef\nX = late\n");
    assert.equal(valueOf(m, "CMDS"), "echo late\necho two");
    assert.equal(m.globals.lookup("CMDS")?.flavor, "recursive");
  });

  test("define with := expands at definition", () => {
    const m = readOk("X = early\ndefine D :=\n$(X)\nendef\nX = late\n");
    assert.equal(valueOf(m, "D"), "early");
  });

  test("nested define in a define body", () => {
    const m = readOk("define OUTER\ndefine INNER\nx\nendef\nendef\n");
    assert.equal(m.globals.lookup("OUTER")?.value, "define INNER\nx\nendef");
  });

  test("define inside an inactive branch is skipped, with its body", () => {
    const m = readOk("ifdef NOPE\ndefine D\nendif\nendef\nendif\nR = after\n");
    assert.equal(m.globals.lookup("D"), undefined);
    assert.equal(valueOf(m, "R"), "after");
  });

  test("an unclosed define", () => {
    const d = readErr("define D\nx\n");
    assert.equal(d.code, "FLOW001");
    assert.equal(d.message, "'define' is never closed");
    assert.equal(d.loc?.line, 1);
  });

  test("endef without define", () => {
    assert.equal(readErr("endef\n").message, "'endef' without 'define'");
  });
});

describe("comments and continuations", () => {
  test("# starts a comment; \\# is a literal #", () => {
    const m = readOk("A = x # a comment\nB = x \\# not a comment\n# whole line\n");
    assert.equal(valueOf(m, "A"), "x"); // Make would keep "x " (see value whitespace)
    assert.equal(valueOf(m, "B"), "x # not a comment");
  });

  test("# inside $( ) is not a comment", () => {
    assert.equal(v("A := $(subst #,-,a#b)\n", "A"), "a-b");
  });

  test("a comment on a rule line", () => {
    const m = readOk("all: a b # c d\n\techo hi # kept in the recipe\n");
    assert.deepEqual(words(ruleFor(m, "all").prereqs), ["a", "b"]);
    assert.deepEqual(recipeOf(m, "all"), ["echo hi # kept in the recipe"]);
  });

  test("continuations join with one space outside recipes", () => {
    const m = readOk("A = one \\\n    two\\\n\tthree\nall: x \\\n  y\n");
    assert.equal(valueOf(m, "A"), "one two three");
    assert.deepEqual(words(ruleFor(m, "all").prereqs), ["x", "y"]);
  });

  test("a comment ending in a backslash continues the comment", () => {
    const m = readOk("# comment \\\nA = hidden\nB = shown\n");
    assert.equal(m.globals.lookup("A"), undefined);
    assert.equal(valueOf(m, "B"), "shown");
  });

  test("an escaped backslash at the end is not a continuation", () => {
    const m = readOk("all:\n\techo a \\\\\n\techo b\n");
    assert.deepEqual(recipeOf(m, "all"), ["echo a \\\\", "echo b"]);
  });

  test("recipe continuations keep backslash-newline and drop one leading tab", () => {
    const m = readOk("all:\n\techo a \\\n\t\tb\n\techo c\n");
    assert.deepEqual(recipeOf(m, "all"), ["echo a \\\n\tb", "echo c"]);
  });

  test("CRLF line endings are accepted", () => {
    const m = readOk("A = 1\r\nall: x\r\n\techo $(A)\r\n");
    assert.equal(valueOf(m, "A"), "1");
    assert.deepEqual(recipeOf(m, "all"), ["echo $(A)"]);
  });
});

describe("rules", () => {
  test("targets, prerequisites, order-only, recipe", () => {
    const m = readOk("out/app: a.o b.o | out\n\tcc -o $@ $^\n\t@echo done\n");
    const r = ruleFor(m, "out/app");
    assert.deepEqual(words(r.targets), ["out/app"]);
    assert.deepEqual(words(r.prereqs), ["a.o", "b.o"]);
    assert.deepEqual(words(r.orderOnly), ["out"]);
    assert.deepEqual(r.recipe.map((l) => l.text), ["cc -o $@ $^", "@echo done"]);
    assert.equal(r.isPattern, false);
    assert.equal(r.grouped, false);
  });

  test("prerequisites are expanded immediately, recipes are kept raw", () => {
    const m = readOk("P = a\nall: $(P)\n\techo $(P)\nP = b\n");
    assert.deepEqual(words(ruleFor(m, "all").prereqs), ["a"]);
    assert.deepEqual(recipeOf(m, "all"), ["echo $(P)"]);
  });

  test("several targets in one rule, and &:", () => {
    const m = readOk("a b: c\n\tgen\nx y &: z\n\tgen2\n");
    assert.deepEqual(words(ruleFor(m, "a").targets), ["a", "b"]);
    assert.equal(ruleFor(m, "a").grouped, false);
    assert.deepEqual(words(ruleFor(m, "x").targets), ["x", "y"]);
    assert.deepEqual(words(ruleFor(m, "x").prereqs), ["z"]);
    assert.equal(ruleFor(m, "x").grouped, true);
  });

  test("inline ; recipe, then more recipe lines", () => {
    const m = readOk("all: dep ; echo one\n\techo two\n");
    assert.deepEqual(words(ruleFor(m, "all").prereqs), ["dep"]);
    assert.deepEqual(recipeOf(m, "all"), ["echo one", "echo two"]);
  });

  test("pattern rules are marked", () => {
    const m = readOk("build/%.o: src/%.c\n\tcc -c $< -o $@\n");
    assert.equal(ruleFor(m, "build/%.o").isPattern, true);
  });

  test("static pattern rules", () => {
    const m = readOk("OBJS = build/a.o build/b.o\n$(OBJS): build/%.o: src/%.c | build\n\tcc $<\n");
    const r = ruleFor(m, "build/a.o");
    assert.deepEqual(words(r.targets), ["build/a.o", "build/b.o"]);
    assert.equal(r.isPattern, false);
    assert.equal(r.staticPattern?.targetPattern, "build/%.o");
    assert.deepEqual(words(r.staticPattern?.prereqPatterns ?? []), ["src/%.c"]);
    assert.deepEqual(words(r.staticPattern?.orderOnlyPatterns ?? []), ["build"]);
    assert.deepEqual(words(r.prereqs), []);
  });

  test("a static pattern without % is an error", () => {
    const d = readErr("a.o: build/x.o: src/%.c\n\tcc\n");
    assert.equal(d.code, "FLOW001");
    assert.match(d.message, /static pattern rule needs exactly one target pattern/);
  });

  test("target-specific variables", () => {
    const m = readOk("app: CFLAGS += -g\nrelease debug: MODE := $(X)\nX = late\n");
    assert.deepEqual(m.targetVars.get("app")?.map((t) => [t.name, t.op, t.value, t.loc.line]), [["CFLAGS", "+=", "-g", 1]]);
    // := is expanded when read (X was not yet set)
    assert.equal(m.targetVars.get("release")?.[0]?.value, "");
    assert.equal(m.targetVars.get("debug")?.[0]?.op, ":=");
    assert.equal(m.rules.length, 0);
  });

  test(".TAGS := check between a rule and its recipe does not end the recipe", () => {
    const m = readOk("test: build/app\ntest: .TAGS := check\n\t./tests/run.sh\n");
    assert.deepEqual(m.targetVars.get("test")?.map((t) => [t.name, t.value]), [[".TAGS", "check"]]);
    assert.deepEqual(recipeOf(m, "test"), ["./tests/run.sh"]);
  });

  test("a target-specific value keeps a ; in it", () => {
    const m = readOk("t: X = a;b\n");
    assert.equal(m.targetVars.get("t")?.[0]?.value, "a;b");
  });

  test("recipe lines indented with spaces are accepted", () => {
    const m = readOk("all:\n    echo four\n  echo two\n\techo tab\n");
    assert.deepEqual(recipeOf(m, "all"), ["echo four", "echo two", "echo tab"]);
  });

  test("blank and comment lines do not end a recipe", () => {
    const m = readOk("all:\n\techo a\n\n# note\n\techo b\nX = 1\n");
    assert.deepEqual(recipeOf(m, "all"), ["echo a", "echo b"]);
  });

  test("an assignment ends the recipe", () => {
    const d = readErr("all:\n\techo a\nX = 1\n\techo b\n");
    assert.equal(d.code, "FLOW003");
    assert.equal(d.loc?.line, 4);
  });

  test("recipe lines carry their location", () => {
    const m = readOk("\nall:\n\techo a\n  echo b\n");
    assert.deepEqual(ruleFor(m, "all").recipe.map((l) => [l.loc.line, l.loc.col]), [
      [3, 2],
      [4, 3],
    ]);
  });

  test("rule words carry their columns", () => {
    const m = readOk("out/app:  a.o   b.o\n");
    const r = ruleFor(m, "out/app");
    assert.deepEqual(r.targets.map((w) => w.loc.col), [1]);
    assert.deepEqual(r.prereqs.map((w) => w.loc.col), [11, 17]);
  });

  test("an empty target list with no recipe defines nothing", () => {
    const m = readOk("$(EMPTY): x\nA = 1\n");
    assert.equal(m.rules.length, 0);
  });

  test("an empty target list defines nothing, and its recipe is ignored", () => {
    const m = readOk("$(EMPTY): x\n\techo\n");
    assert.equal(m.rules.length, 0);
  });

  test("double-colon rules are read as ordinary rules", () => {
    const m = readOk("a:: b\n\techo\n");
    assert.deepEqual(words(ruleFor(m, "a").prereqs), ["b"]);
  });
});

describe("diagnostics (golden text)", () => {
  const golden = (text: string, want: string[]) => assert.equal(formatDiagnostic(readErr(text)), want.join("\n"));

  test("unknown function with a did-you-mean hint", () => {
    golden("SRCS := a.c\nOBJS := $(patsubt %.c,%.o,$(SRCS))\n", [
      "Flowfile:2:11: error FLOW002: unknown function 'patsubt'",
      "  2 | OBJS := $(patsubt %.c,%.o,$(SRCS))",
      "    |           ^",
      "hint: did you mean 'patsubst'?",
    ]);
  });

  test("unknown function in a prerequisite list", () => {
    golden("all: $(wildcart src/*.c)\n", [
      "Flowfile:1:8: error FLOW002: unknown function 'wildcart'",
      "  1 | all: $(wildcart src/*.c)",
      "    |        ^",
      "hint: did you mean 'wildcard'?",
    ]);
  });

  test("recipe line outside a rule", () => {
    golden("X = 1\n\techo hi\n", [
      "Flowfile:2:1: error FLOW003: recipe line outside a rule",
      "  2 |  echo hi",
      "    | ^",
      "hint: recipe lines must be indented under a rule; remove the leading tab if this is not a recipe",
    ]);
  });

  test("missing separator", () => {
    golden("all: x\n\techo\n\nfoo bar\n", [
      "Flowfile:4:1: error FLOW001: missing separator: 'foo bar' is neither a rule nor an assignment",
      "  4 | foo bar",
      "    | ^",
      "hint: a rule is 'target: prerequisites', an assignment is 'NAME = value'",
    ]);
  });

  test("unterminated $(", () => {
    golden("A = 1\nB := x $(A\n", [
      "Flowfile:2:8: error FLOW008: unterminated variable reference: missing ')'",
      "  2 | B := x $(A",
      "    |        ^",
      "hint: close the reference opened here, or write '$$' for a literal '$'",
    ]);
  });

  test("unterminated ${", () => {
    const d = readErr("all: ${A\n");
    assert.equal(d.code, "FLOW008");
    assert.equal(d.message, "unterminated variable reference: missing '}'");
    assert.equal(d.loc?.col, 6);
  });

  test("endif without if", () => {
    golden("A = 1\n  endif\n", [
      "Flowfile:2:3: error FLOW009: 'endif' without a matching 'ifeq', 'ifneq', 'ifdef' or 'ifndef'",
      "  2 |   endif",
      "    |   ^",
      "hint: remove it",
    ]);
  });

  test("else without if", () => {
    assert.equal(readErr("else\n").message, "'else' without a matching 'if'");
  });

  test("unclosed ifeq", () => {
    golden("A = 1\nifeq ($(A),1)\nB = 2\n", [
      "Flowfile:2:1: error FLOW009: conditional is never closed",
      "  2 | ifeq ($(A),1)",
      "    | ^",
      "hint: add 'endif'",
    ]);
  });

  test("an unclosed conditional in an included file names that file", () => {
    const d = readErr("include inc.mk\nendif\n", { texts: { "inc.mk": "ifdef X\n" } });
    assert.equal(d.code, "FLOW009");
    assert.equal(d.message, "conditional is never closed");
    assert.equal(d.loc?.file, "inc.mk");
  });

  test("recursive variable referencing itself", () => {
    golden("CFLAGS = $(CFLAGS) -O2\nall: ; cc $(CFLAGS)\nX := $(CFLAGS)\n", [
      "Flowfile:1:1: error FLOW001: recursive variable 'CFLAGS' references itself (eventually)",
      "  1 | CFLAGS = $(CFLAGS) -O2",
      "    | ^",
      "hint: use ':=' to expand the old value once, or '+=' to append",
    ]);
  });

  test("indirect recursion is caught too", () => {
    const d = readErr("A = $(B)\nB = $(A)\nX := $(A)\n");
    assert.equal(d.message, "recursive variable 'A' references itself (eventually)");
  });

  test("a missing Flowfile", () => {
    const r = readFlowfile(memoryReadHost({}), { file: "Flowfile" });
    assert.ok(!r.ok);
    assert.equal(
      formatDiagnostic(r.error),
      "flow: error FLOW016: cannot read 'Flowfile': no such file\nhint: run flow in a directory with a Flowfile, or pass -C DIR / -f FILE",
    );
  });

  test("pathologically deep nesting is an error, not a crash", () => {
    const deep = "$(strip ".repeat(300) + "x" + ")".repeat(300);
    const d = readErr(`A := ${deep}\n`);
    assert.equal(d.code, "FLOW001");
    assert.match(d.message, /nested/);
  });
});
