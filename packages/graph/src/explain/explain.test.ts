import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BuildEvent } from "../build/events.js";
import { asIngredients, diffIngredients, isEmptyDiff } from "../build/ingredient-diff.js";
import { lineDiff } from "./explain-line-diff.js";
import { explainTask } from "./explain-task.js";
import { KEY_SCHEMA, type Ingredients } from "../build/key.js";
import { planBuild } from "../plan/plan.js";
import type { PlanReason } from "../build/plan-reason.js";
import { runBuild } from "../build/run-build.js";
import type { TaskGraph } from "../graph/task-graph.js";
import { contentHash, FakeRunner, graphOk, MemoryBuildHost, ROOT, type FakeRecipe } from "../test-support.js";

const FLOWFILE = (flags = "-O2") => `
app: lib.o main.o
\tld -o $@ $^
%.o: %.c
\tcc ${flags} -c $<
\techo done
app: .ENV := TARGET
`;
const SOURCES = { "lib.c": "int lib;", "main.c": "int main;" };
const graphOf = (flags?: string) => graphOk(FLOWFILE(flags), { files: Object.keys(SOURCES) });
const RECIPES: Record<string, FakeRecipe> = {
  "lib.o": (f) => (f.set("lib.o", `O(${f.get("lib.c")})`), 0),
  "main.o": (f) => (f.set("main.o", `O(${f.get("main.c")})`), 0),
  app: (f) => (f.set("app", `A(${f.get("lib.o")},${f.get("main.o")})`), 0),
};

async function build(graph: TaskGraph, host: MemoryBuildHost, env: Record<string, string> = {}, onEvent: (e: BuildEvent) => void = () => undefined) {
  host.newRun();
  return runBuild({
    graph,
    roots: graph.goals,
    root: ROOT,
    host,
    runner: new FakeRunner(host, RECIPES),
    emit: onEvent,
    concurrency: 1,
    keepGoing: false,
    force: false,
    signal: new AbortController().signal,
    baseEnv: {},
    env,
  });
}

const explain = (graph: TaskGraph, host: MemoryBuildHost, name: string, env: Record<string, string> = {}) => {
  host.newRun();
  return explainTask({ graph, id: graph.byName.get(name) as number, host, env });
};

describe("explainTask", () => {
  test("after an edit: exactly the one input, with its old and new hash", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    host.files.set("lib.c", "int lib2;");
    const x = await explain(g, host, "lib.o");
    assert.equal(x.state, "stale");
    assert.equal(x.lastRun, "found");
    assert.deepEqual(x.diff?.inputs, [{ name: "lib.c", old: contentHash("int lib;"), new: contentHash("int lib2;") }]);
    assert.equal(x.diff?.recipe, undefined);
    assert.deepEqual(x.diff?.env, []);
    assert.deepEqual(x.diff?.deps, []);
    assert.notEqual(x.key, x.lastKey);
  });

  test("a waiting task: pending dependencies are listed, not compared", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host, { TARGET: "x86" });
    host.files.set("lib.c", "int lib2;");
    const x = await explain(g, host, "app", { TARGET: "arm" });
    assert.equal(x.state, "waiting");
    assert.equal(x.key, undefined);
    assert.deepEqual(x.pendingDeps, ["lib.o"]);
    assert.deepEqual(x.diff?.deps, []);
    assert.deepEqual(x.diff?.env, [{ name: "TARGET", old: "x86", new: "arm" }]);
  });

  test("a changed recipe is diffed line by line", async () => {
    const host = new MemoryBuildHost(SOURCES);
    await build(graphOf(), host);
    const x = await explain(graphOf("-O3"), host, "main.o");
    assert.ok(x.diff?.recipe);
    assert.deepEqual(lineDiff(x.diff.recipe.old, x.diff.recipe.new), [
      { op: "-", line: "cc -O2 -c main.c" },
      { op: "+", line: "cc -O3 -c main.c" },
      { op: " ", line: "echo done" },
    ]);
  });

  test("never ran, and a missing input", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost({ "main.c": "x" });
    const x = await explain(g, host, "lib.o");
    assert.equal(x.lastRun, "none");
    assert.deepEqual(x.missingInputs, ["lib.c"]);
    assert.deepEqual(x.now.inputs, [["lib.c", "missing"]]);
  });

  test("a fresh task: no difference", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    const x = await explain(g, host, "app");
    assert.equal(x.state, "fresh");
    assert.equal(x.reason, undefined);
    assert.ok(x.diff && isEmptyDiff(x.diff));
  });
});

describe("the build's decisions (build --explain prints their reasons)", () => {
  /** The reason carried by each task-start event of one build, by task name. */
  async function reasons(g: TaskGraph, host: MemoryBuildHost, env: Record<string, string> = {}): Promise<Record<string, PlanReason>> {
    const got: Record<string, PlanReason> = {};
    await build(g, host, env, (e) => {
      if (e.type === "task-start") got[e.task.name] = e.decision.reason as PlanReason;
    });
    return got;
  }

  test("one reason per task that ran, including the dependents of a rebuilt task", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    assert.deepEqual(await reasons(g, host), { "lib.o": { kind: "new-task" }, "main.o": { kind: "new-task" }, app: { kind: "new-task" } });
    host.files.set("main.c", "int main2;");
    assert.deepEqual(await reasons(g, host), {
      "main.o": { kind: "input-changed", changes: [{ name: "main.c", old: contentHash("int main;"), new: contentHash("int main2;") }] },
      app: { kind: "dependency-changed", names: ["main.o"] },
    });
    assert.deepEqual(await reasons(g, host), {}, "nothing runs, nothing is explained");
    assert.deepEqual(await reasons(g, host, { TARGET: "arm" }), { app: { kind: "env-changed", names: ["TARGET"] } });
  });

  test("same ingredients as the last run, but the cache lost the result", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    host.actions.delete(host.lastRunKey("lib.o") as string);
    assert.deepEqual(await reasons(g, host), { "lib.o": { kind: "not-in-cache" } });
  });

  test("a dependency's outputs come from the build itself, not from its record: a result the cache never got still explains its dependents", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    host.files.set("lib.c", "int lib2;");
    host.loseCommits = true;
    assert.deepEqual((await reasons(g, host))["app"], { kind: "dependency-changed", names: ["lib.o"] });
  });

  test("the plan and the build decide alike: status's reason is the one the build then carries", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    host.files.set("main.c", "int main3;");
    host.newRun();
    const plan = await planBuild({ graph: g, roots: g.goals, host, env: {} });
    const planned = plan.tasks.get(g.byName.get("main.o") as number);
    const ends: BuildEvent[] = [];
    await build(g, host, {}, (e) => void (e.type === "task-end" && ends.push(e)));
    const end = ends.find((e) => e.type === "task-end" && e.task.name === "main.o");
    assert.ok(end?.type === "task-end" && end.decision);
    assert.equal(end.decision.verdict, "run");
    assert.deepEqual(end.decision.reason, planned?.reason);
    assert.equal(end.decision.key, planned?.key);
    const fresh = ends.find((e) => e.type === "task-end" && e.task.name === "lib.o");
    assert.ok(fresh?.type === "task-end");
    assert.equal(fresh.decision?.verdict, "fresh");
    assert.equal(fresh.decision?.reason, undefined);
  });
});

describe("diffIngredients and asIngredients", () => {
  const base: Ingredients = {
    schema: KEY_SCHEMA,
    recipe: "cc",
    outputs: ["a.o"],
    inputs: [["a.c", "h1"], ["b.h", "h2"]],
    deps: [["gen", [["gen.h", "h3", 0o644]]], ["phony", "k1"]],
    env: [["CC", "gcc"]],
    exported: [["V", "1"]],
  };

  test("added, removed and changed entries, each list sorted", () => {
    const now: Ingredients = {
      ...base,
      outputs: ["a.o", "a.d"],
      inputs: [["a.c", "h9"], ["c.h", "h4"]],
      deps: [["gen", [["gen.h", "h3", 0o755]]], ["phony", "k1"]],
      env: [["CC", null]],
      exported: [["V", "1"], ["W", "2"]],
    };
    const d = diffIngredients(now, base);
    assert.deepEqual(d.outputsAdded, ["a.d"]);
    assert.deepEqual(d.inputs, [
      { name: "a.c", old: "h1", new: "h9" },
      { name: "b.h", old: "h2", new: null },
      { name: "c.h", old: null, new: "h4" },
    ]);
    assert.deepEqual(d.env, [{ name: "CC", old: "gcc", new: null }]);
    assert.deepEqual(d.exported, [{ name: "W", old: null, new: "2" }]);
    assert.deepEqual(d.deps.map((x) => x.name), ["gen"], "a mode change is a change");
    assert.equal(isEmptyDiff(diffIngredients(base, base)), true);
  });

  test("untrusted records: the shape is checked", () => {
    assert.deepEqual(asIngredients(JSON.parse(JSON.stringify(base))), JSON.parse(JSON.stringify(base)));
    assert.equal(asIngredients(undefined), undefined);
    assert.equal(asIngredients({ ...base, inputs: [["a.c", 3]] }), undefined);
    assert.equal(asIngredients({ ...base, deps: [["gen", [["x", "h", "mode"]]]] }), undefined);
    assert.equal(asIngredients({ ...base, recipe: undefined }), undefined);
  });
});

describe("lineDiff", () => {
  test("kept, removed and added lines in order", () => {
    assert.deepEqual(lineDiff("a\nb\nc\n", "a\nc\nd"), [
      { op: " ", line: "a" },
      { op: "-", line: "b" },
      { op: " ", line: "c" },
      { op: "+", line: "d" },
    ]);
    assert.deepEqual(lineDiff("", "x"), [{ op: "+", line: "x" }]);
    assert.deepEqual(lineDiff("same", "same"), [{ op: " ", line: "same" }]);
  });

  test("a long recipe does not blow up", () => {
    const a = Array.from({ length: 3000 }, (_, i) => `line ${i}`).join("\n");
    const b = Array.from({ length: 3000 }, (_, i) => `line ${i * 7}`).join("\n");
    const d = lineDiff(a, b);
    assert.equal(d.filter((l) => l.op !== "+").length, 3000);
    assert.equal(d.filter((l) => l.op !== "-").length, 3000);
  });
});
