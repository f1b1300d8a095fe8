// GNU Make's semantics where flow follows them closely, each checked against
// what GNU make 4.3 does (the make-compat suite in test/make-compat checks the
// same end to end), plus the warnings and limits of the language.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { formatDiagnostic } from "../diagnostic.js";
import { planIncludes } from "../plan/generated-includes.js";
import { parseCondArgs } from "./flowfile-reader.js";
import { graphErr, graphOk, memoryGraphFs, read, readErr, readOk, ROOT, taskNamed, valueOf } from "../test-support.js";
import { unsetVariableWarnings } from "./unset-variables.js";

const ex = (expr: string, text = "", setup?: Parameters<typeof readOk>[1]) => valueOf(readOk(`${text}\n__R := ${expr}\n`, setup), "__R");

describe("functions, as GNU Make computes them", () => {
  test("wordlist keeps the blanks between the words it returns", () => {
    assert.equal(ex("[$(wordlist 2,9,$(L))]", "L := c a b a   d"), "[a b a   d]");
    assert.equal(ex("[$(wordlist 3,2,a b c)]"), "[]");
  });

  test("subst with an empty 'from' appends 'to'", () => {
    assert.equal(ex("$(subst ,x,abc)"), "abcx");
  });

  test("patsubst keeps blanks inside its pattern: '%.c ' matches nothing", () => {
    assert.equal(ex("$(patsubst  %.c , %.o ,a.c)"), "a.c");
  });

  test("if/or/and strip the raw condition, then test the expansion", () => {
    assert.equal(ex("[$(if $(SP),yes,no)]", "E :=\nSP := $(E) $(E)"), "[yes]");
    assert.equal(ex("[$(or $(E), x ,y)]", "E :="), "[x]");
    assert.equal(ex("[$(if  a , b , c )]"), "[ b ]");
  });

  test("a nested call hides the outer call's extra arguments", () => {
    assert.equal(ex("$(call g,p,q,r)", "f = $(0)$(1)$(2)$(3)\ng = $(call f,a)"), "fa");
  });

  test("call on a builtin function name", () => {
    assert.equal(ex("$(call patsubst,%.c,%.o,a.c b.c)"), "a.o b.o");
  });

  test("only the call's own bracket nests when arguments are split", () => {
    assert.equal(ex("$(subst {,<,a{b)"), "a<b");
  });

  test("eval reads rules and assignments while the Flowfile is read", () => {
    const text = "define R\n$(1).txt:\n\techo $(1) > $$@\nALL += $(1).txt\nendef\n$(foreach n,a b,$(eval $(call R,$(n))))\n";
    const g = graphOk(`all:\n${text}all: $(ALL)\n.PHONY: all\n`);
    assert.equal(taskNamed(g, "a.txt").recipe, "echo a > a.txt");
    assert.equal(taskNamed(g, "b.txt").recipe, "echo b > b.txt");
  });

  test("eval in a recipe is an error: reading is over", () => {
    const d = graphErr("t:\n\techo $(eval X := 1)\n");
    assert.equal(d.code, "FLOW001");
    assert.match(d.message, /\$\(eval\) works while the Flowfile is read/);
  });

  test("a runaway $(call) ends in a diagnostic, not a hang", () => {
    const { result } = read("f = $(call f,$(1)x)$(call f,$(1)y)\nX := $(call f)\n");
    assert.ok(!result.ok);
    assert.equal(result.error.code, "FLOW001");
  });

  test("a doubling variable ends in a diagnostic, not out of memory", () => {
    const d = readErr("X := ab\n" + "X := $(X) $(X)\n".repeat(40));
    assert.equal(d.code, "FLOW001");
    assert.match(d.message, /MiB|steps/);
  });
});

describe("variables", () => {
  test("Make's default program variables, and ?= does not replace them", () => {
    assert.equal(ex("$(CC) $(RM) $(origin CC)", "CC ?= gcc"), "cc rm -f default");
  });

  test("command-line values are recursive and beat target-specific assignments unless override", () => {
    const g = graphOk("a:\n\techo $(M) $(N)\na: M = file\na: override N = forced\n", { overrides: { M: "cli", N: "cli", Y: "y" } });
    assert.equal(taskNamed(g, "a").recipe, "echo cli forced");
    assert.equal(ex("$(X)", "Y = late", { overrides: { X: "$(Y)" } }), "late");
  });

  test("undefine forgets a variable, environment values included", () => {
    assert.equal(ex("[$(A)][$(HOME)] $(origin HOME)", "A = 1\nundefine A\nundefine HOME", { env: { HOME: "/h" } }), "[][] undefined");
  });

  test("MAKECMDGOALS and MAKEFILE_LIST", () => {
    const { result } = read("include x.mk\nL := $(MAKEFILE_LIST)\n", { texts: { "x.mk": "" } });
    assert.ok(result.ok);
    assert.equal(valueOf(result.value, "L"), "Flowfile x.mk");
  });

  test("a continuation inside define becomes one space", () => {
    assert.equal(valueOf(readOk("define D\na \\\n   b\nc\nendef\n"), "D"), "a b\nc");
  });
});

describe("lines and rules", () => {
  test("a tab-indented assignment or directive outside a rule is read as one", () => {
    const m = readOk("X = 1\nifeq ($(X),1)\n\tY = yes\nendif\n");
    assert.equal(valueOf(m, "Y"), "yes");
  });

  test("a tab-indented line under a rule is a recipe line, even when it looks like an assignment", () => {
    const g = graphOk("t:\n\tY=1 sh -c 'echo $$Y'\n");
    assert.equal(taskNamed(g, "t").recipe, "Y=1 sh -c 'echo $Y'");
  });

  test("a rule that comes out of a variable", () => {
    const g = graphOk("RULE = gen.txt: src.txt\n$(RULE)\n\tcp $< $@\n", { files: ["src.txt"] });
    assert.deepEqual(taskNamed(g, "gen.txt").inputs, ["src.txt"]);
  });

  test("the inline recipe of a rule keeps its '#'", () => {
    const g = graphOk("t: ; echo '#' x\n");
    assert.equal(taskNamed(g, "t").recipe, "echo '#' x");
  });

  test("suffix rules are pattern rules", () => {
    const g = graphOk(".SUFFIXES: .in .out\nall: a.out\n.in.out:\n\tcp $< $@\n.PHONY: all\n", { files: ["a.in"] });
    assert.equal(taskNamed(g, "a.out").recipe, "cp a.in a.out");
  });

  test("a rule mixing % targets and plain targets is an error", () => {
    assert.match(readErr("a %.o: b\n\tx\n").message, /mixes pattern targets/);
  });

  test("a directory target holding other outputs is not an output", () => {
    const g = graphOk("all: build/a.o\nbuild/a.o: | build\n\ttouch $@\nbuild:\n\tmkdir -p $@\n.PHONY: all\n");
    assert.deepEqual(taskNamed(g, "build").outputs, []);
    assert.deepEqual(taskNamed(g, "build/a.o").outputs, [{ path: "build/a.o", isDir: false }]);
  });

  test("a '-' line runs in a subshell, so 'exit' there ends only that line", () => {
    assert.equal(taskNamed(graphOk("t:\n\t-exit 3\n\ttouch $@\n"), "t").recipe, "( exit 3\n) || :\ntouch t");
  });

  test("a pattern rule is not used twice in one chain", () => {
    const d = graphErr("all: z\n%: %.x\n\tcp $< $@\n.PHONY: all\n");
    assert.equal(d.code, "FLOW004");
  });
});

describe("conditionals", () => {
  test("ifeq argument blanks, as GNU Make splits them", () => {
    assert.deepEqual(parseCondArgs("( a, b )"), { a: " a", aAt: 1, b: "b ", bAt: 5, extra: "" });
    assert.deepEqual(parseCondArgs("'x' \"y\" # c"), { a: "x", aAt: 1, b: "y", bAt: 5, extra: "# c" });
    assert.equal(parseCondArgs("(a b)"), undefined);
  });

  test("an unclosed conditional points at a misspelt endif", () => {
    const d = readErr("ifdef NOPE\nA = 1\nednif\n");
    assert.equal(d.hint, "add 'endif' (is 'ednif' at line 3 meant to be 'endif'?)");
  });
});

describe("FLOW018: a variable used but never set", () => {
  const unset = (text: string, setup?: Parameters<typeof readOk>[1]) => {
    const m = readOk(text, setup);
    return unsetVariableWarnings(m).map((d) => d.message);
  };

  test("once per name, with a did-you-mean", () => {
    const m = readOk("CFLAGS := -O2\nA := $(CFLGAS) $(CFLGAS)\nB := $(CFLGAS)\n");
    const w = unsetVariableWarnings(m);
    assert.equal(w.length, 1);
    assert.equal(
      formatDiagnostic(w[0] as NonNullable<(typeof w)[0]>),
      [
        "Flowfile:2:6: warning FLOW018: variable 'CFLGAS' is used but never set; it expands to nothing",
        "  2 | A := $(CFLGAS) $(CFLGAS)",
        "    |      ^",
        "hint: did you mean 'CFLAGS'? (or set CFLGAS, or write 'CFLGAS ?=' to make it empty on purpose)",
      ].join("\n"),
    );
  });

  test("not for automatic variables, call arguments, environment values or tested names", () => {
    assert.deepEqual(unset("f = $(1)$(2)\nA := $(call f,x) $@ $(<D) $(HOME)\n", { env: { HOME: "/h" } }), []);
    assert.deepEqual(unset("ifdef DEBUG\nendif\nA := $(DEBUG)\n"), []);
    assert.deepEqual(unset("ifeq ($(MODE),release)\nendif\nA := $(MODE)\n"), []);
    assert.deepEqual(unset("A := $(if $(V),x) $(origin W) $(W) $(V)\n"), []);
    assert.deepEqual(unset("t: X = 1\nA := $(X)\n"), []);
  });

  test("used before the line that sets it", () => {
    assert.deepEqual(unset("A := $(B)\nB = 1\n"), ["variable 'B' is used before it is set (it is set at line 2), so it is empty here"]);
  });
});

describe("FLOW019: Make features flow does not implement", () => {
  const warnings = (text: string) => read(text).host.warnings.map((w) => `${w.code} ${w.message}`);

  test("SHELL, vpath, unsupported special targets: each warned once", () => {
    assert.deepEqual(warnings("SHELL := /bin/sh\nA = 1\n"), []);
    const w = warnings("SHELL := /bin/bash\nvpath %.c src\nVPATH = src\n.NOTPARALLEL:\n.SECONDEXPANSION:\n");
    assert.equal(w.length, 4);
    assert.ok(w.every((x) => x.startsWith("FLOW019 ")));
  });

  test("targets named like Object's members (constructor, toString) are plain targets, not unsupported specials", () => {
    assert.deepEqual(warnings("constructor: toString\n\ttouch $@\ntoString:\n\ttouch $@\n__proto__ hasOwnProperty:\n"), []);
  });

  test("no warning for a multi-target rule whose recipe names $@: it runs once per target, as in Make", () => {
    assert.deepEqual(warnings("a b: c\n\techo $@ > $@\nx y &: z\n\ttouch x y $@\n"), []);
  });
});

describe("generated includes", () => {
  const plan = (flowfile: string, texts: Record<string, string> = {}) => {
    const { result } = read(flowfile, { texts });
    assert.ok(result.ok, result.ok ? "" : formatDiagnostic(result.error));
    return planIncludes(result.value, { root: ROOT, fs: memoryGraphFs(["Flowfile", "list.txt", ...Object.keys(texts)]) });
  };

  test("an included file with a rule is a goal of the include round", () => {
    const p = plan("all:\n-include gen.mk\ngen.mk: list.txt\n\tmake-it > $@\n");
    assert.ok(p.ok);
    assert.deepEqual(p.value.targets.map((t) => t.path), ["gen.mk"]);
    assert.deepEqual(p.value.graph?.goals.map((id) => p.value.graph?.tasks[id]?.name), ["gen.mk"]);
  });

  test("an existing included file without a rule is a source; a missing optional one is skipped", () => {
    const p = plan("include conf.mk\n-include nope.mk\nall:\n", { "conf.mk": "A = 1\n" });
    assert.ok(p.ok);
    assert.deepEqual(p.value.targets, []);
  });

  test("missing includes are recorded, not fatal, when reading defers them", () => {
    const { result } = read("include gen.mk\nall:\n");
    assert.ok(!result.ok, "the default is an error (FLOW016)");
  });
});
