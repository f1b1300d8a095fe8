import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { buildTaskGraph } from "./build-task-graph.js";
import { formatDiagnostic } from "../diagnostic.js";
import { findCycle, topologicalOrder, type Task, type TaskGraph } from "./task-graph.js";
import { depNames, graphErr, graphOk, memoryGraphFs, mkTask, readOk, ROOT, taskNamed } from "../test-support.js";
import { rememberingFs } from "../fuzz/fuzz-cases.js";

const outs = (t: Task) => t.outputs.map((o) => (o.isDir ? `${o.path}/` : o.path));
const names = (g: TaskGraph, ids: readonly number[]) => ids.map((i) => (g.tasks[i] as Task).name);

describe("rules to tasks", () => {
  test("explicit rules: outputs, inputs, deps", () => {
    const g = graphOk("app: main.o util.o\n\tcc -o $@ $^\nmain.o: main.c\n\tcc -c main.c\nutil.o: util.c util.h\n\tcc -c util.c\n", {
      files: ["main.c", "util.c", "util.h"],
    });
    const app = taskNamed(g, "app");
    assert.deepEqual(outs(app), ["app"]);
    assert.deepEqual(app.inputs, []);
    assert.deepEqual(depNames(g, app).sort(), ["main.o", "util.o"]);
    assert.deepEqual(taskNamed(g, "util.o").inputs, ["util.c", "util.h"]);
    assert.deepEqual(names(g, g.goals), ["app"]);
    assert.equal(g.tasks.length, 3);
  });

  test("inputs are sorted and unique", () => {
    const g = graphOk("a: z.c b.c z.c ./b.c\n\tcat $^ > a\n", { files: ["z.c", "b.c"] });
    assert.deepEqual(taskNamed(g, "a").inputs, ["b.c", "z.c"]);
  });

  test("pattern rule with directories: build/%.o: src/%.c", () => {
    const g = graphOk("app: build/a.o build/b.o\n\tld $^\nbuild/%.o: src/%.c\n\tcc -c $< -o $@\n", { files: ["src/a.c", "src/b.c"] });
    const a = taskNamed(g, "build/a.o");
    assert.deepEqual(a.inputs, ["src/a.c"]);
    assert.deepEqual(outs(a), ["build/a.o"]);
    assert.equal(a.pattern, "build/%.o");
    assert.equal(a.recipe, "cc -c src/a.c -o build/a.o");
  });

  test("a dir-less pattern matches the file name and keeps the directory: %.o: %.c on src/a.o", () => {
    const g = graphOk("app: src/a.o\n\tld $^\n%.o: %.c\n\tcc -c $< -o $@ # $*\n", { files: ["src/a.c"] });
    const t = taskNamed(g, "src/a.o");
    assert.deepEqual(t.inputs, ["src/a.c"]);
    assert.equal(t.recipe, "cc -c src/a.c -o src/a.o # src/a");
  });

  test("the pattern with the shortest stem wins, whatever the definition order", () => {
    const ff = "all: build/x/a.o\n%.o: %.c\n\tgeneric $<\nbuild/x/%.o: src/%.c\n\tspecific $<\nbuild/%.o: src/x/%.c\n\tmiddle $<\n";
    const g = graphOk(ff, { files: ["build/x/a.c", "src/a.c", "src/x/x/a.c"] });
    assert.equal(taskNamed(g, "build/x/a.o").recipe, "specific src/a.c");
  });

  test("equal stems: the first defined pattern wins", () => {
    const ff = "all: a.o\n%.o: %.c\n\tfirst\n%.o: %.c\n\tsecond\n";
    assert.equal(taskNamed(graphOk(ff, { files: ["a.c"] }), "a.o").recipe, "first");
  });

  test("a pattern whose prerequisite cannot be made is passed over", () => {
    const ff = "all: a.o\n%.o: %.c\n\tfrom-c\n%.o: %.s\n\tfrom-s\n";
    assert.equal(taskNamed(graphOk(ff, { files: ["a.s"] }), "a.o").recipe, "from-s");
    assert.equal(taskNamed(graphOk(ff, { files: ["a.c", "a.s"] }), "a.o").recipe, "from-c");
  });

  test("pattern chains: %.o: %.c, %.c: %.y", () => {
    const g = graphOk("all: p.o\n%.o: %.c\n\tcc $<\n%.c: %.y\n\tyacc $< -o $@\n", { files: ["p.y"] });
    const o = taskNamed(g, "p.o");
    const c = taskNamed(g, "p.c");
    assert.deepEqual(depNames(g, o), ["p.c"]);
    assert.deepEqual(o.inputs, []);
    assert.deepEqual(c.inputs, ["p.y"]);
    assert.equal(c.recipe, "yacc p.y -o p.c");
  });

  test("an explicit rule without a recipe adds prerequisites to a pattern instance", () => {
    const g = graphOk("all: build/a.o\nbuild/%.o: src/%.c\n\tcc -c $< -o $@\nbuild/a.o: include/a.h\n", { files: ["src/a.c", "include/a.h"] });
    const t = taskNamed(g, "build/a.o");
    assert.deepEqual(t.inputs, ["include/a.h", "src/a.c"]);
    // the pattern's own prerequisite stays first: $< is src/a.c
    assert.equal(t.recipe, "cc -c src/a.c -o build/a.o");
  });

  test("a grouped rule (&:) is one task with all outputs, named by its first target", () => {
    const g = graphOk("all: y.tab.h prog\nprog: y.tab.c\n\tcc $<\ny.tab.c y.tab.h &: gram.y\n\tyacc -d $<\n", { files: ["gram.y"] });
    const y = taskNamed(g, "y.tab.c");
    assert.deepEqual(outs(y), ["y.tab.c", "y.tab.h"]);
    assert.equal(g.byOutput.get("y.tab.h"), y.id);
    assert.equal(g.byName.has("y.tab.h"), false);
    assert.deepEqual(depNames(g, taskNamed(g, "prog")), ["y.tab.c"]);
    assert.deepEqual(depNames(g, taskNamed(g, "all")).sort(), ["prog", "y.tab.c"]);
    assert.equal(g.tasks.filter((t) => t.recipe.startsWith("yacc")).length, 1);
  });

  test("&: is the same as a multi-target rule", () => {
    const g = graphOk("all: b\na b &: src\n\tgen\n", { files: ["src"] });
    assert.deepEqual(outs(taskNamed(g, "a")), ["a", "b"]);
  });

  test(
    "a grouped rule gets prerequisites added to any of its targets, whichever is resolved first",
    () => {
      const ff = "all: a b\na b &: c\n\tgen\nb: d\n";
      const g = graphOk(ff, { files: ["c", "d"] });
      assert.deepEqual(taskNamed(g, "a").inputs, ["c", "d"]);
    },
  );

  test("the same with b as the task's name includes d (control)", () => {
    const g = graphOk("all: a b\nb a &: c\n\tgen\nb: d\n", { files: ["c", "d"] });
    assert.deepEqual(taskNamed(g, "b").inputs, ["c", "d"]);
  });

  // GNU Make: `a b: c` is `a: c` and `b: c`, each with its own run and $@.
  test("a rule with several targets (no &:) is one task per target, each with its own $@ and prerequisites", () => {
    const g = graphOk("all: a b\na b: c\n\techo $@ > $@\nb: d\n", { files: ["c", "d"] });
    const a = taskNamed(g, "a");
    const b = taskNamed(g, "b");
    assert.notEqual(a.id, b.id);
    assert.deepEqual(outs(a), ["a"]);
    assert.deepEqual(outs(b), ["b"]);
    assert.equal(a.recipe, "echo a > a");
    assert.equal(b.recipe, "echo b > b");
    assert.deepEqual(a.inputs, ["c"]);
    assert.deepEqual(b.inputs, ["c", "d"], "b's own recipe-less rule adds to b only");
  });

  // zstd's Makefile, reduced: GNU make runs `echo b`, then `echo a`.
  test("a phony multi-target rule whose first target needs the second: two tasks, in order", () => {
    const g = graphOk(".PHONY: a b\na: b\na b:\n\techo $@\n");
    assert.deepEqual(depNames(g, taskNamed(g, "a")), ["b"]);
    assert.equal(taskNamed(g, "b").recipe, "echo b");
    assert.equal(g.tasks.length, 2);
  });

  test("a rule without a recipe (an aggregate) makes no file", () => {
    const g = graphOk("all: a\na:\n\ttouch a\n");
    const all = taskNamed(g, "all");
    assert.deepEqual(all.outputs, []);
    assert.equal(all.recipe, "");
  });

  test("an existing file named by a recipe-less rule is a source, not a task", () => {
    const g = graphOk("app: conf.h\n\tcc\nconf.h: other.h\n", { files: ["conf.h", "other.h"] });
    assert.deepEqual(taskNamed(g, "app").inputs, ["conf.h"]);
    assert.equal(g.byName.has("conf.h"), false);
  });

  test(".PHONY tasks have no outputs, and their names are edges", () => {
    const g = graphOk(".PHONY: all test\nall: test\ntest: app\n\t./run app\napp:\n\tcc -o app\n");
    const t = taskNamed(g, "test");
    assert.equal(t.phony, true);
    assert.deepEqual(t.outputs, []);
    assert.deepEqual(depNames(g, taskNamed(g, "all")), ["test"]);
    assert.equal(taskNamed(g, "app").phony, false);
    assert.deepEqual(outs(taskNamed(g, "app")), ["app"]);
    assert.equal(g.byOutput.has("test"), false);
  });

  test("a .PHONY name without a rule is an empty task", () => {
    const g = graphOk(".PHONY: clean\nall: clean\n");
    const c = taskNamed(g, "clean");
    assert.equal(c.recipe, "");
    assert.deepEqual(c.outputs, []);
  });

  test(".ALWAYS marks a task never cached", () => {
    const g = graphOk(".ALWAYS: deploy\n.PHONY: deploy\ndeploy: app\n\t./deploy\napp:\n\tcc\n");
    assert.equal(taskNamed(g, "deploy").always, true);
    assert.equal(taskNamed(g, "app").always, false);
  });

  test(".OUTPUTS adds files and directories; the paths are normalized and sorted", () => {
    const g = graphOk(".PHONY: report\nreport: .OUTPUTS := out/report/ ./logs/z.txt logs/a.txt\nreport: data.csv\n\tpython3 r.py\n", { files: ["data.csv"] });
    const t = taskNamed(g, "report");
    assert.deepEqual(t.outputs, [
      { path: "logs/a.txt", isDir: false },
      { path: "logs/z.txt", isDir: false },
      { path: "out/report", isDir: true },
    ]);
  });

  test("a file inside a .OUTPUTS directory resolves to its task", () => {
    const g = graphOk("all: summary\nsummary: out/report/x.csv\n\tcat $< > $@\nreport: .OUTPUTS := out/report/\nreport:\n\tgen\n");
    assert.deepEqual(depNames(g, taskNamed(g, "summary")), ["report"]);
    // and an extra .OUTPUTS file too
    const g2 = graphOk("all: summary\nsummary: side.txt\n\tcat $< > $@\nmain: .OUTPUTS := side.txt\nmain:\n\tgen\n");
    assert.deepEqual(depNames(g2, taskNamed(g2, "summary")), ["main"]);
    assert.deepEqual(outs(taskNamed(g2, "main")), ["main", "side.txt"]);
  });

  test(".OUTPUTS on a pattern rule applies to every instance", () => {
    const g = graphOk("all: a.o b.o\n%.o: .OUTPUTS = $*.d\n%.o: %.c\n\tcc -MD $<\n", { files: ["a.c", "b.c"] });
    assert.deepEqual(outs(taskNamed(g, "a.o")), ["a.d", "a.o"]);
    assert.deepEqual(outs(taskNamed(g, "b.o")), ["b.d", "b.o"]);
  });

  test(".TAGS are sorted and unique; target-specific += appends", () => {
    const g = graphOk("test: .TAGS := slow check\ntest: .TAGS += check ci\ntest:\n\trun\n");
    assert.deepEqual(taskNamed(g, "test").tags, ["check", "ci", "slow"]);
  });

  test(".ENV is sorted and unique", () => {
    const g = graphOk("r: .ENV := SEED API_URL SEED\nr:\n\trun\n");
    assert.deepEqual(taskNamed(g, "r").env, ["API_URL", "SEED"]);
  });

  test(".TIMEOUT: a positive number of seconds", () => {
    assert.equal(taskNamed(graphOk("t: .TIMEOUT := 2.5\nt:\n\trun\n"), "t").timeoutSec, 2.5);
    assert.equal(taskNamed(graphOk("t:\n\trun\n"), "t").timeoutSec, undefined);
    for (const bad of ["0", "-3", "abc", "1s"]) {
      const d = graphErr(`t: .TIMEOUT := ${bad}\nt:\n\trun\n`);
      assert.equal(d.code, "FLOW011", bad);
      assert.equal(d.message, `.TIMEOUT must be a positive number of seconds, got '${bad}'`);
      assert.equal(d.loc?.line, 1, "points at the attribute's assignment");
    }
  });

  test(".SLURM and .EXECUTOR: per task and on patterns, global default, checked", () => {
    const g = graphOk(".EXECUTOR := slurm\nall: a.out b.out\n%.out: .SLURM := --mem=8G   --time=1:00:00\n%.out:\n\trun $@\nb.out: .EXECUTOR := local\n");
    assert.equal(taskNamed(g, "a.out").slurm, "--mem=8G --time=1:00:00");
    assert.equal(taskNamed(g, "a.out").executor, "slurm");
    assert.equal(taskNamed(g, "b.out").executor, "local");
    const plain = taskNamed(graphOk("t:\n\trun\n"), "t");
    assert.equal("slurm" in plain || "executor" in plain, false, "no field on a task without them");
    const d = graphErr("t: .EXECUTOR := cloud\nt:\n\trun\n");
    assert.equal(d.code, "FLOW011");
    assert.equal(d.message, ".EXECUTOR is 'slurm' or 'local', got 'cloud'");
    assert.equal(d.loc?.line, 1);
  });

  test("target-specific variables reach the recipe and override globals", () => {
    const g = graphOk("CFLAGS = -O2\nall: dbg rel\ndbg: CFLAGS := -g\ndbg:\n\tcc $(CFLAGS)\nrel:\n\tcc $(CFLAGS)\n");
    assert.equal(taskNamed(g, "dbg").recipe, "cc -g");
    assert.equal(taskNamed(g, "rel").recipe, "cc -O2");
  });

  test("target-specific += appends to the global value; pattern-specific variables apply to instances", () => {
    const ff = "CFLAGS = -O2\nOPT := -O1\nall: a.o b\n%.o: CFLAGS += -fpic\n%.o: %.c\n\tcc $(CFLAGS)\nb: OPT += -g\nb: CFLAGS ?= ignored\nb:\n\tcc $(CFLAGS) $(OPT)\n";
    const g = graphOk(ff, { files: ["a.c"] });
    assert.equal(taskNamed(g, "a.o").recipe, "cc -O2 -fpic");
    assert.equal(taskNamed(g, "b").recipe, "cc -O2 -O1 -g");
  });

  test("exported variables are listed sorted with their values", () => {
    const g = graphOk("export ZED = z\nexport ALPHA = $(X)\nX = x\nt:\n\trun\n");
    assert.deepEqual(taskNamed(g, "t").exported, [
      ["ALPHA", "x"],
      ["ZED", "z"],
    ]);
  });

  test("order-only prerequisites are edges, not deps", () => {
    const g = graphOk("build/a.o: a.c | build\n\tcc\nbuild:\n\tmkdir build\n", { files: ["a.c"] });
    const t = taskNamed(g, "build/a.o");
    assert.deepEqual(t.deps, []);
    assert.deepEqual(names(g, t.orderOnly), ["build"]);
    assert.deepEqual(t.inputs, ["a.c"]);
  });

  test("static pattern rules instantiate for the listed targets", () => {
    const g = graphOk("OBJS = build/a.o build/b.o\nall: $(OBJS)\n$(OBJS): build/%.o: src/%.c\n\tcc -c $< -o $@\n", { files: ["src/a.c", "src/b.c"] });
    assert.equal(taskNamed(g, "build/b.o").recipe, "cc -c src/b.c -o build/b.o");
    assert.deepEqual(taskNamed(g, "build/a.o").inputs, ["src/a.c"]);
  });

  test("a static pattern target that does not match its pattern", () => {
    const d = graphErr("x.c: build/%.o: src/%.c\n\tcc\n");
    assert.equal(d.code, "FLOW001");
    assert.equal(d.message, "target 'x.c' does not match the target pattern 'build/%.o'");
  });

  test("several recipes for one target: FLOW006 naming both (GNU Make would use the last one)", () => {
    const d = graphErr("a:\n\tfirst\na:\n\tsecond\n");
    assert.equal(d.code, "FLOW006");
    assert.equal(d.message, "'a' is declared as an output of two tasks: 'a' (Flowfile:1:1) and 'a' (Flowfile:3:1)");
    assert.equal(d.loc?.line, 3);
    assert.equal(d.hint, "each file is made by one task: keep one recipe for 'a' (rules without a recipe may still add prerequisites to it)");
    // A phony target too: which recipe runs must not depend on the order of the lines.
    assert.equal(graphErr(".PHONY: t\nt:\n\tone\nt:\n\ttwo\n").code, "FLOW006");
    // A static pattern rule's instance and an explicit rule, in either order.
    assert.equal(graphErr("a.o: %.o: %.c\n\tcc\na.o:\n\tother\n", { files: ["a.c"] }).code, "FLOW006");
    assert.equal(graphErr("a.o:\n\tother\na.o: %.o: %.c\n\tcc\n", { files: ["a.c"] }).code, "FLOW006");
  });

  test("several rules for one target, one of them with a recipe: the prerequisites add up (Make's way)", () => {
    const g = graphOk("all: a\na: x\na: y\n\tcat $^ > $@\na: z\n.PHONY: all\n", { files: ["x", "y", "z"] });
    assert.deepEqual(taskNamed(g, "a").inputs, ["x", "y", "z"]);
    assert.equal(taskNamed(g, "a").recipe, "cat y x z > a");
    // One rule naming its target twice is one declaration.
    assert.deepEqual(outs(taskNamed(graphOk("a ./a:\n\tmk\n"), "a")), ["a"]);
  });

  test("an absolute path inside the root is made relative", () => {
    const g = graphOk(`all: ${ROOT}/out/x\n${ROOT}/out/x: ${ROOT}/src/x\n\tcp $< $@\n`, { files: ["src/x"] });
    const t = taskNamed(g, "out/x");
    assert.deepEqual(outs(t), ["out/x"]);
    assert.deepEqual(t.inputs, ["src/x"]);
  });
});

describe("recipes", () => {
  test("automatic variables", () => {
    const ff = "all: out/lib/x.o\nout/lib/%.o: src/dir/%.c src/h.h src/dir/%.c | gen\n\techo $@ $< $^ $* $(@D) $(@F) $(<D) $(<F) [$|] [$+]\ngen:\n\ttouch gen\n";
    const g = graphOk(ff, { files: ["src/dir/x.c", "src/h.h"] });
    assert.equal(
      taskNamed(g, "out/lib/x.o").recipe,
      "echo out/lib/x.o src/dir/x.c src/dir/x.c src/h.h x out/lib x.o src/dir x.c [gen] [src/dir/x.c src/h.h src/dir/x.c]",
    );
  });

  test("$(@D) of a top-level target is .", () => {
    assert.equal(taskNamed(graphOk("a:\n\techo $(@D) $(@F) [$<]\n"), "a").recipe, "echo . a []");
  });

  test("$@ in a multi-target rule is the task's name", () => {
    assert.equal(taskNamed(graphOk("a b:\n\techo $@\n"), "a").recipe, "echo a");
  });

  test("recipe lines are expanded late, with the final value of globals", () => {
    assert.equal(taskNamed(graphOk("CC = gcc\nall:\n\t$(CC) x\nCC = clang\n"), "all").recipe, "clang x");
  });

  test("@ and - prefixes: @ dropped, - guarded so sh -e goes on", () => {
    const g = graphOk("all:\n\t@echo quiet\n\t-rm nothing\n\t@-false\n\t-@true\n\techo done\n");
    assert.equal(taskNamed(g, "all").recipe, "echo quiet\n( rm nothing\n) || :\n( false\n) || :\n( true\n) || :\necho done");
  });

  test("a prefix from a variable counts too, and empty lines are dropped", () => {
    const g = graphOk("Q = @\nE =\nall:\n\t$(Q)echo hi\n\t$(E)\n");
    assert.equal(taskNamed(g, "all").recipe, "echo hi");
  });

  test("$$ in a recipe is a shell $", () => {
    assert.equal(taskNamed(graphOk("all:\n\tfor f in a b; do echo $$f; done\n"), "all").recipe, "for f in a b; do echo $f; done");
  });

  test("recipe continuation lines stay one line for the shell", () => {
    assert.equal(taskNamed(graphOk("all:\n\techo a \\\n\t  b\n"), "all").recipe, "echo a \\\n  b");
  });
});

describe("glob prerequisites", () => {
  test("a glob prerequisite adds every match as an input", () => {
    const files = ["data/b.csv", "data/a.csv", "data/sub/c.csv", "data/x.txt"];
    const g = graphOk("report: data/**/*.csv scripts/r.py\n\tpython3 $(lastword $^) $(words $^)\n", { files: [...files, "scripts/r.py"] });
    const t = taskNamed(g, "report");
    assert.deepEqual(t.inputs, ["data/a.csv", "data/b.csv", "data/sub/c.csv", "scripts/r.py"]);
    assert.equal(t.recipe, "python3 scripts/r.py 4");
    assert.deepEqual(g.warnings, []);
  });

  test("a glob that matches nothing warns FLOW017 and adds nothing", () => {
    const g = graphOk("r: none/*.csv\n\trun\n");
    assert.deepEqual(taskNamed(g, "r").inputs, []);
    assert.deepEqual(g.warnings.map((w) => [w.code, w.message]), [["FLOW017", "'none/*.csv' matches no file"]]);
  });
});

describe("goals", () => {
  test("the default goal is the first rule that is not special and not a pattern", () => {
    const g = graphOk(".PHONY: all\n%.o: %.c\n\tcc\n.SUFFIXES:\nfirst: second\nsecond:\n\ttouch second\n");
    assert.deepEqual(names(g, g.goals), ["first"]);
  });

  test("a static pattern rule can be the default goal", () => {
    const g = graphOk("a.o: %.o: %.c\n\tcc\nb:\n\tx\n", { files: ["a.c"] });
    assert.deepEqual(names(g, g.goals), ["a.o"]);
  });

  test(".DEFAULT_GOAL overrides the first rule", () => {
    const g = graphOk(".DEFAULT_GOAL := second\nfirst:\n\tx\nsecond:\n\ty\n");
    assert.deepEqual(names(g, g.goals), ["second"]);
  });

  test("goals from the command line, in order, normalized and deduplicated", () => {
    const g = graphOk("a:\n\tx\nb:\n\ty\n", { goals: ["b", "./a", "b"] });
    assert.deepEqual(names(g, g.goals), ["b", "a"]);
  });

  test("allTargets instantiates every explicit target", () => {
    const g = graphOk("a:\n\tx\nb:\n\ty\n%.o: %.c\n\tcc\n", { allTargets: true });
    assert.deepEqual(names(g, g.goals), ["a", "b"]);
  });

  test("a goal that is an existing source file is no task", () => {
    const g = graphOk("a:\n\tx\n", { goals: ["src.c"], files: ["src.c"] });
    assert.deepEqual(g.goals, []);
  });

  test("unknown goal: FLOW012", () => {
    const d = graphErr("a:\n\tx\n", { goals: ["nope"] });
    assert.equal(
      formatDiagnostic(d),
      "flow: error FLOW012: no rule to make target 'nope'\nhint: name a target of the Flowfile ('flow status --plan ascii --expand' lists them all) or an existing file",
    );
  });

  test("of several missing inputs, the one the goal reaches first is reported, as make reports it", () => {
    // make -n here: "No rule to make target 'missing1', needed by 'a'".
    const d = graphErr("all: a b\na: missing1\n\tx\nb: missing2\n\tx\nc: missing3\n\tx\n");
    assert.equal(d.message, "no rule to make 'missing1', needed by 'a'");
    // A rule no goal needs is still validated, after the goal's.
    assert.equal(graphErr("all: a\na:\n\tx\nc: missing3\n\tx\n").message, "no rule to make 'missing3', needed by 'c'");
  });

  test("an empty Flowfile has no goal: FLOW012", () => {
    const d = graphErr("X = 1\n");
    assert.equal(d.code, "FLOW012");
    assert.equal(d.message, "no targets: the Flowfile has no rule to build");
  });
});

describe("graph errors", () => {
  test("FLOW004: no rule to make a prerequisite, at its column", () => {
    const d = graphErr("all: app\napp: main.o   missing.h\n\tcc\nmain.o:\n\tcc\n");
    assert.equal(
      formatDiagnostic(d),
      [
        "Flowfile:2:15: error FLOW004: no rule to make 'missing.h', needed by 'app'",
        "  2 | app: main.o   missing.h",
        "    |               ^",
        "hint: create 'missing.h', or add a rule whose target is 'missing.h'",
      ].join("\n"),
    );
  });

  test("FLOW004 through a pattern instance names the instance", () => {
    const d = graphErr("all: a.o\na.o: gen.h\n%.o: %.c\n\tcc\n", { files: ["a.c"] });
    assert.equal(d.code, "FLOW004");
    assert.equal(d.message, "no rule to make 'gen.h', needed by 'a.o'");
    assert.equal(d.loc?.line, 2);
    assert.equal(d.loc?.col, 6);
  });

  test("FLOW004 when a pattern's prerequisite is missing (no pattern applies)", () => {
    const d = graphErr("all: a.o\n%.o: %.c\n\tcc\n");
    assert.equal(d.message, "no rule to make 'a.o', needed by 'all'");
    assert.equal(d.loc?.col, 6);
  });

  test("FLOW005: a cycle printed whole", () => {
    const d = graphErr("a: b\n\tx\nb: c\n\tx\nc: a\n\tx\n");
    assert.equal(
      formatDiagnostic(d),
      ["Flowfile:1:1: error FLOW005: dependency cycle: a -> b -> c -> a", "  1 | a: b", "    | ^", "hint: remove one of these prerequisites to break the cycle"].join("\n"),
    );
  });

  test("FLOW005 through a multi-output rule", () => {
    const d = graphErr("all: x\nx y &: z\n\tgen\nz: y\n\tcp y z\n");
    assert.equal(d.code, "FLOW005");
    assert.equal(d.message, "dependency cycle: x -> z -> x");
  });

  test("FLOW005: a task needing its own other output", () => {
    const d = graphErr("a b &: b\n\tgen\n");
    assert.equal(d.code, "FLOW005");
    assert.equal(d.message, "dependency cycle: a -> a");
  });

  // A group that needs its own member is a cycle error. It made the group
  // again for `b`, forever, because a phony group claims no file (the
  // builder ran out of memory on zstd's Makefile, when `a b:` was a group).
  test("FLOW005: a phony group needing its own member is a cycle, not a hang", () => {
    const d = graphErr(".PHONY: a b\na: b\na b &:\n\techo $@\n");
    assert.equal(d.code, "FLOW005");
    assert.equal(d.message, "dependency cycle: a -> a");
  });

  test("a phony group's second member names the group's task", () => {
    const g = graphOk(".PHONY: a b\nall: b c\nc: a\n\ttouch c\na b &:\n\techo $@\n");
    assert.deepEqual(depNames(g, taskNamed(g, "all")).sort(), ["a", "c"]);
    assert.deepEqual(depNames(g, taskNamed(g, "c")), ["a"]);
    assert.equal(g.tasks.length, 3);
  });

  test("FLOW005 through order-only prerequisites", () => {
    const d = graphErr("a: | b\n\tx\nb: a\n\tx\n");
    assert.equal(d.message, "dependency cycle: a -> b -> a");
  });

  test("FLOW006: one output declared by two tasks, with ./a, x/../a and a spelled differently", () => {
    const pairs: [string, string][] = [
      ["a:\n\tmk\n", "p: .OUTPUTS := ./a\np:\n\tmk\n"],
      ["a:\n\tmk\n", "p: .OUTPUTS := x/../a\np:\n\tmk\n"],
      ["q: .OUTPUTS := ./a\nq:\n\tmk\n", "p: .OUTPUTS := x/../a\np:\n\tmk\n"],
    ];
    for (const [one, two] of pairs) {
      const first = one.split(/[:\n]/)[0] as string;
      const second = two.split(/[:\n]/)[0] as string;
      const d = graphErr(`all: ${first} ${second}\n${one}${two}`);
      assert.equal(d.code, "FLOW006", one + two);
      assert.match(d.message, new RegExp(`^'a' is declared as an output of two tasks: (.OUTPUTS of )?'${first}' \\(Flowfile:2:1\\) and .OUTPUTS of '${second}' \\(Flowfile:\\d:1\\)$`));
    }
  });

  test("FLOW006 names both declarations, with line and column", () => {
    const d = graphErr("all: a p\na:\n\tmk\np: .OUTPUTS := a\np:\n\tmk\n");
    assert.equal(d.message, "'a' is declared as an output of two tasks: 'a' (Flowfile:2:1) and .OUTPUTS of 'p' (Flowfile:4:1)");
    assert.equal(d.loc?.line, 4);
    assert.equal(d.hint, "each file is made by one task: declare 'a' in one place, and let a task that needs it list it as a prerequisite");
  });

  test("FLOW006 whatever the goal and the order of the rules: a .OUTPUTS claim and a rule of its own", () => {
    const claim = "z: .OUTPUTS := y\nz:\n\tmk\n";
    const own = "y:\n\tmk\n";
    for (const body of [claim + own, own + claim]) {
      for (const goals of [[], ["y"], ["z"], ["all"]]) {
        const d = graphErr(`all: y\n${body}.PHONY: all\n`, { goals });
        assert.equal(d.code, "FLOW006", `${body} goals ${goals.join(" ")}`);
        assert.match(d.message, /^'y' is declared as an output of two tasks: 'y' \(Flowfile:\d:1\) and .OUTPUTS of 'z' \(Flowfile:\d:1\)$/);
      }
    }
    // Two .OUTPUTS claims, and a grouped rule sharing a target with another, in both orders.
    assert.equal(graphErr("p: .OUTPUTS := a\nq: .OUTPUTS := ./a\np:\n\tmk\nq:\n\tmk\n", { goals: ["p"] }).code, "FLOW006");
    for (const body of ["a b &:\n\tmk\nb c:\n\tmk\n", "b c:\n\tmk\na b &:\n\tmk\n"]) {
      const d = graphErr(body, { goals: ["a"] });
      assert.equal(d.code, "FLOW006");
      assert.match(d.message, /^'b' is declared as an output of two tasks/);
    }
  });

  test("not FLOW006: .OUTPUTS naming a target of its own rule, or one without a recipe", () => {
    graphOk("a b: .OUTPUTS := b c\na b &:\n\tmk\n");
    graphOk("a: .OUTPUTS := c\nb: .OUTPUTS := c\na b &:\n\tmk\n");
    const g = graphOk("all: c\nc: src\nz: .OUTPUTS := c\nz:\n\tmk\n.PHONY: all\n", { files: ["src"] });
    assert.deepEqual(depNames(g, taskNamed(g, "all")), ["z"]);
  });

  test("FLOW006 when a pattern rule's .OUTPUTS claims a path with a recipe of its own, whatever asks for it first", () => {
    const ff = "%.o: .OUTPUTS = $*.d\n%.o: %.c\n\tcc\na.d:\n\tmk\n";
    for (const goals of [["a.o"], ["a.d", "a.o"]]) {
      const d = graphErr(ff, { goals, files: ["a.c"] });
      assert.equal(d.code, "FLOW006", goals.join(" "));
      assert.match(d.message, /^'a.d' is declared as an output of two tasks: /);
    }
  });

  test("FLOW007: an output outside the project root", () => {
    const d = graphErr("all: ../x\n../x:\n\tmk\n");
    assert.equal(d.code, "FLOW007");
    assert.equal(d.message, "output '../x' is outside the project root");
    assert.equal(d.loc?.line, 2);
    const abs = graphErr("all: /tmp/x\n/tmp/x:\n\tmk\n");
    assert.equal(abs.code, "FLOW007");
    assert.equal(abs.message, "output '/tmp/x' is outside the project root");
    const sneaky = graphErr("all: a/../../x\na/../../x:\n\tmk\n");
    assert.equal(sneaky.code, "FLOW007");
    const prefix = graphErr(`all: ${ROOT}x/y\n${ROOT}x/y:\n\tmk\n`);
    assert.equal(prefix.code, "FLOW007", "a sibling directory that shares the root's prefix is outside");
  });

  test("FLOW007 for a .OUTPUTS entry and for a goal", () => {
    assert.equal(graphErr("t: .OUTPUTS := ../out/\nt:\n\tmk\n").code, "FLOW007");
    const d = graphErr("a:\n\tx\n", { goals: ["../a"] });
    assert.equal(d.message, "target '../a' is outside the project root");
  });

  test("an input outside the root is allowed", () => {
    const g = graphOk("a: ../shared/x.h\n\tcc\n", { files: ["../shared/x.h"] });
    assert.deepEqual(taskNamed(g, "a").inputs, ["../shared/x.h"]);
  });

  test("FLOW015: an output inside another task's output directory", () => {
    const d = graphErr("all: gen out/x.txt\ngen: .OUTPUTS := out/\ngen:\n\tmk\nout/x.txt:\n\tmk\n");
    assert.equal(d.code, "FLOW015");
    assert.equal(d.message, "'out/x.txt', an output of 'out/x.txt', is inside 'out/', the output directory of 'gen'");
    assert.equal(d.loc?.line, 5);
  });

  test("the output directory itself and a sibling with the same prefix are fine", () => {
    const g = graphOk("all: gen out2/x\ngen: .OUTPUTS := out/\ngen:\n\tmk\nout2/x:\n\tmk\n");
    assert.deepEqual(outs(taskNamed(g, "gen")), ["gen", "out/"]);
  });
});

describe("scale", () => {
  const N = 100_000;
  const chain = (n: number, extra = "") => {
    const parts: string[] = [];
    for (let i = 0; i < n - 1; i++) parts.push(`t${i}: t${i + 1}\n\techo ${i} > $@\n`);
    parts.push(`t${n - 1}:${extra}\n\techo last > $@\n`);
    return parts.join("");
  };

  test("a 100,000-task chain builds and topologicalOrder returns it in dependency order", () => {
    const g = graphOk(chain(N));
    assert.equal(g.tasks.length, N);
    const order = topologicalOrder(g, g.goals);
    assert.equal(order.length, N);
    const pos = new Int32Array(N);
    order.forEach((id, i) => (pos[id] = i));
    for (const t of g.tasks) for (const d of t.deps) assert.ok(pos[d]! < pos[t.id]!, `${t.name} before its dep`);
    assert.equal((g.tasks[order[0] as number] as Task).name, `t${N - 1}`);
    assert.equal((g.tasks[order[N - 1] as number] as Task).name, "t0");
    assert.equal(taskNamed(g, "t5").recipe, "echo 5 > t5");
  });

  test("a 100,000-task chain closed into a cycle is reported whole", () => {
    const d = graphErr(chain(N, " t0"));
    assert.equal(d.code, "FLOW005");
    assert.ok(d.message.startsWith("dependency cycle: t0 -> t1 -> t2 -> "));
    assert.ok(d.message.endsWith(` -> t${N - 1} -> t0`));
    assert.equal(d.message.split(" -> ").length, N + 1);
  });

  test("findCycle on a 100,000 chain plus one back edge", () => {
    const tasks: Task[] = [];
    for (let i = 0; i < N; i++) tasks.push(mkTask(i, `t${i}`, i + 1 < N ? [i + 1] : [50_000]));
    const g: TaskGraph = { tasks, byName: new Map(), byOutput: new Map(), goals: [0], warnings: [] };
    const cycle = findCycle(g) as number[];
    assert.ok(cycle, "a cycle");
    assert.equal(cycle.length, N - 50_000 + 1);
    assert.equal(cycle[0], 50_000);
    assert.equal(cycle.at(-1), 50_000);
    for (let i = 0; i + 1 < cycle.length; i++) assert.ok((tasks[cycle[i] as number] as Task).deps.includes(cycle[i + 1] as number));
    // without the back edge: no cycle
    tasks[N - 1] = mkTask(N - 1, `t${N - 1}`, []);
    assert.equal(findCycle(g), undefined);
  });
});

describe("graph fs", () => {
  test("the graph asks the disk only about paths that need it, once each", () => {
    const model = readOk("all: a.o b.o\n%.o: %.c\n\tcc $<\n");
    const fs = memoryGraphFs(["a.c", "b.c"]);
    const r = buildTaskGraph(model, { root: ROOT, goals: [], fs });
    assert.ok(r.ok);
    assert.equal(new Set(fs.asked).size, fs.asked.length, `asked twice: ${fs.asked.join(" ")}`);
  });

  test("with a remembering fs, a directory of sources where a pattern rule later makes a file still finds it", () => {
    // gen/a.c and gen/c.c are sources; gen/b.o is made by the pattern rule only when a task asks
    // for it, after gen/ has been seen as a directory no rule names anything in.
    const text = "all: t1 t2\nt1: gen/a.c gen/b.o\n\tcat $^ > $@\nt2: gen/c.c gen/b.o\n\tcat $^ > $@\ngen/%.o: gen/%.c\n\tcc $<\n";
    for (const fs of [memoryGraphFs(["gen/a.c", "gen/b.c", "gen/c.c"]), rememberingFs(memoryGraphFs(["gen/a.c", "gen/b.c", "gen/c.c"]))]) {
      const r = buildTaskGraph(readOk(text), { root: ROOT, goals: [], fs });
      assert.ok(r.ok, r.ok ? "" : r.error.message);
      const bo = r.value.byName.get("gen/b.o") as number;
      assert.ok(bo !== undefined, "gen/b.o is a task");
      for (const t of ["t1", "t2"]) assert.deepEqual(r.value.tasks[r.value.byName.get(t) as number]?.deps, [bo], t);
      assert.deepEqual(r.value.tasks[r.value.byName.get("t2") as number]?.inputs, ["gen/c.c"]);
    }
  });
});
