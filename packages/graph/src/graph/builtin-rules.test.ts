import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildTaskGraph, type GraphFs } from "./build-task-graph.js";
import { formatDiagnostic } from "../diagnostic.js";
import { readFlowfile, type ReadOptions } from "../reader/flowfile-reader.js";
import { makeflagsBuiltins } from "../reader/builtin-rules.js";
import type { TaskGraph } from "./task-graph.js";
import { memoryGraphFs, memoryReadHost, ROOT, taskNamed, valueOf } from "../test-support.js";

interface Setup {
  readonly files: readonly string[];
  readonly goals?: readonly string[];
  readonly env?: Record<string, string>;
  readonly read?: Partial<ReadOptions>;
  readonly fs?: GraphFs;
}

function graph(flowfile: string, s: Setup) {
  const host = memoryReadHost({ Flowfile: flowfile }, { files: s.files });
  const model = readFlowfile(host, { file: "Flowfile", ...(s.env ? { env: s.env } : {}), ...s.read });
  if (!model.ok) assert.fail(formatDiagnostic(model.error));
  return { model: model.value, graph: buildTaskGraph(model.value, { root: ROOT, goals: s.goals ?? [], fs: s.fs ?? memoryGraphFs([...s.files, "Flowfile"]) }) };
}

function ok(flowfile: string, s: Setup): TaskGraph {
  const g = graph(flowfile, s).graph;
  if (!g.ok) assert.fail(formatDiagnostic(g.error));
  return g.value;
}

function errCode(flowfile: string, s: Setup): string {
  const g = graph(flowfile, s).graph;
  if (g.ok) assert.fail("expected a diagnostic, the graph built fine");
  return `${g.error.code}: ${g.error.message}`;
}

const ONLY_VARIABLES = "CFLAGS = -O2\nLDLIBS = -lm\nprog: prog.o util.o\n";

describe("make's built-in rules", () => {
  // The expected commands are what `make -n` (GNU Make 4.3) prints for the same Makefile.
  test("a Makefile of variables and prerequisites only: objects by %.o: %.c, the program by %: %.o", () => {
    const g = ok(ONLY_VARIABLES, { files: ["prog.c", "util.c"] });
    assert.equal(taskNamed(g, "prog.o").recipe, "cc -O2   -c -o prog.o prog.c");
    assert.equal(taskNamed(g, "util.o").recipe, "cc -O2   -c -o util.o util.c");
    assert.equal(taskNamed(g, "prog").recipe, "cc   prog.o util.o  -lm -o prog");
    assert.deepEqual(taskNamed(g, "prog").outputs, [{ path: "prog", isDir: false }]);
  });

  test("%: %.c links from the source when the object is neither there nor mentioned (make's first pass)", () => {
    const g = ok("CFLAGS = -O2\nLDLIBS = -lm\nmain: util.o\n", { files: ["main.c", "util.c"] });
    assert.equal(taskNamed(g, "main").recipe, "cc -O2    main.c util.o  -lm -o main");
    assert.equal(g.byName.get("main.o"), undefined);
  });

  test("C++ and preprocessed assembler", () => {
    const g = ok("all: x.o y.o\n", { files: ["x.cc", "y.S"] });
    assert.equal(taskNamed(g, "x.o").recipe, "g++    -c -o x.o x.cc");
    assert.equal(taskNamed(g, "y.o").recipe, "cc    -c -o y.o y.S");
  });

  test("the built-in variables have make's text", () => {
    const { model } = graph("all:\n", { files: [] });
    assert.equal(valueOf(model, "COMPILE.c"), "cc    -c");
    assert.equal(model.globals.lookup("LINK.o")?.value, "$(CC) $(LDFLAGS) $(TARGET_ARCH)");
    assert.equal(model.globals.lookup("ARFLAGS")?.value, "rv");
    assert.equal(model.globals.lookup("CFLAGS"), undefined);
  });

  test("a rule of the Makefile beats a built-in one, whatever the stems", () => {
    const g = ok("all: a.o\n%.o: %.c\n\tmine $<\n", { files: ["a.c"] });
    assert.equal(taskNamed(g, "a.o").recipe, "mine a.c");
    const g2 = ok("all: a.o\n%.o: %.x\n\tfrom-x $<\n", { files: ["a.c", "a.x"] });
    assert.equal(taskNamed(g2, "a.o").recipe, "from-x a.x");
  });

  test("a pattern rule without a recipe cancels the built-in one, as in make", () => {
    assert.match(errCode("all: a.o\n%.o: %.c\n", { files: ["a.c"] }), /^FLOW004: no rule to make 'a.o'/);
  });

  test(".SUFFIXES: with nothing removes the built-in rules", () => {
    assert.match(errCode(".SUFFIXES:\nall: a.o\n", { files: ["a.c"] }), /^FLOW004/);
  });

  test("-r turns the rules off, -R the variables and the rules", () => {
    assert.match(errCode(ONLY_VARIABLES, { files: ["prog.c", "util.c"], read: { noBuiltinRules: true } }), /^FLOW004: no rule to make 'prog.o'/);
    const { model } = graph("all:\n", { files: [], read: { noBuiltinVariables: true } });
    assert.equal(valueOf(model, "CC"), "");
    assert.equal(model.builtinRules?.length, 0);
    assert.equal(valueOf(model, "SHELL"), "/bin/sh");
  });

  test("MAKEFLAGS from the environment: r and R, bundled or with dashes", () => {
    assert.match(errCode(ONLY_VARIABLES, { files: ["prog.c", "util.c"], env: { MAKEFLAGS: "rs" } }), /^FLOW004/);
    assert.match(errCode(ONLY_VARIABLES, { files: ["prog.c", "util.c"], env: { MAKEFLAGS: "-k --no-builtin-rules" } }), /^FLOW004/);
    const { model } = graph("all:\n", { files: [], env: { MAKEFLAGS: "R" } });
    assert.equal(valueOf(model, "CC"), "");
    ok(ONLY_VARIABLES, { files: ["prog.c", "util.c"], env: { MAKEFLAGS: "ks -j2 -- X=r" } });
  });

  test("MAKEFLAGS += -r in the Makefile turns the rules off; -R there hides the variables from recipes only", () => {
    assert.match(errCode(`MAKEFLAGS += -r\n${ONLY_VARIABLES}`, { files: ["prog.c", "util.c"] }), /^FLOW004/);
    const g = ok("MAKEFLAGS += -R\nSEEN := $(CC)\nall:\n\techo [$(SEEN)] [$(CC)]\n", { files: [] });
    // make 4.3 prints the same: the defaults are there while the Makefile is read.
    assert.equal(taskNamed(g, "all").recipe, "echo [cc] []");
  });

  test("a phony target gets no built-in rule (make skips the search for it)", () => {
    const g = ok(".PHONY: all\nall: util.o\n", { files: ["all.c", "util.c"] });
    assert.equal(taskNamed(g, "all").recipe, "");
  });

  test("match-anything rules skip names with a known suffix: a header is a source, not a program", () => {
    const g = ok("out: app.h\n\tcat app.h > out\n", { files: ["app.h", "app.h.c"] });
    assert.deepEqual(taskNamed(g, "out").inputs, ["app.h"]);
    assert.equal(g.tasks.length, 1);
  });

  test("sources in a directory with no C-family file cost one listing, no probe per file", () => {
    const sources = Array.from({ length: 50 }, (_, i) => `src/f${i}`);
    const base = memoryGraphFs([...sources, "Flowfile"]);
    const listed: string[] = [];
    const fs: GraphFs = {
      kind: (p) => base.kind(p),
      listDir(dir) {
        listed.push(dir);
        return dir === "src" ? sources.map((s) => s.slice(4)) : ["Flowfile", "src"];
      },
    };
    ok(`out: ${sources.join(" ")}\n\tcat $^ > $@\n`, { files: sources, fs });
    assert.deepEqual(listed, ["src"]);
    assert.deepEqual(base.asked.filter((p) => /\.(o|c|cc|C|cpp|s|S)$/.test(p)), []);
  });
});

describe("makeflagsBuiltins", () => {
  test("reads r and R as make writes MAKEFLAGS", () => {
    assert.deepEqual(makeflagsBuiltins(""), { noRules: false, noVariables: false });
    assert.deepEqual(makeflagsBuiltins("r"), { noRules: true, noVariables: false });
    assert.deepEqual(makeflagsBuiltins("R"), { noRules: true, noVariables: true });
    assert.deepEqual(makeflagsBuiltins("ks -j2 --jobserver-auth=3,4"), { noRules: false, noVariables: false });
    assert.deepEqual(makeflagsBuiltins("-rk"), { noRules: true, noVariables: false });
    assert.deepEqual(makeflagsBuiltins("k -- CFLAGS=-r"), { noRules: false, noVariables: false });
    assert.deepEqual(makeflagsBuiltins("--no-builtin-variables"), { noRules: true, noVariables: true });
  });
});
