import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { planBuild, planIsNoop, type Plan, type PlanState } from "./plan.js";
import type { PlanReason } from "../build/plan-reason.js";
import { runBuild } from "../build/run-build.js";
import type { TaskGraph } from "../graph/task-graph.js";
import type { TaskStatus } from "../build/task-result.js";
import { contentHash, FakeRunner, graphOk, MemoryBuildHost, mkGraph, ROOT, writes, type FakeRecipe } from "../test-support.js";

// A small C-like project: three objects, a link step, an aggregate and a test.
const FLOWFILE = (cflags = "-O2") => `
.PHONY: all test
.CACHED: test
all: app
app: lib.o main.o util.o
\tld -o $@ $^
%.o: %.c common.h
\tcc ${cflags} -c $< -o $@
test: app
\t./app --selftest
`;
const SOURCES = { "lib.c": "int lib;", "main.c": "int main;", "util.c": "int util;", "common.h": "#define X 1" };
const graphOf = (cflags?: string) => graphOk(FLOWFILE(cflags), { files: Object.keys(SOURCES), goals: ["all", "test"] });

/** Objects are the source's text plus the header's, so an edit changes exactly its object's bytes. */
function recipes(host: MemoryBuildHost): Record<string, FakeRecipe> {
  const obj = (src: string, out: string): FakeRecipe => (files) => {
    files.set(out, `OBJ(${files.get(src)}|${files.get("common.h")})`);
    return 0;
  };
  return {
    "lib.o": obj("lib.c", "lib.o"),
    "main.o": obj("main.c", "main.o"),
    "util.o": obj("util.c", "util.o"),
    app: (files) => {
      files.set("app", `APP(${files.get("lib.o")},${files.get("main.o")},${files.get("util.o")})`);
      return 0;
    },
    test: () => (host.files.has("app") ? 0 : 1),
  };
}

async function build(graph: TaskGraph, host: MemoryBuildHost, o: { env?: Record<string, string>; roots?: string[]; recipes?: Record<string, FakeRecipe>; force?: boolean } = {}) {
  host.newRun();
  const runner = new FakeRunner(host, o.recipes ?? recipes(host));
  const outcome = await runBuild({
    graph,
    roots: o.roots ? o.roots.map((n) => graph.byName.get(n) as number) : graph.goals,
    root: ROOT,
    host,
    runner,
    emit: () => undefined,
    concurrency: 2,
    keepGoing: false,
    force: o.force ?? false,
    signal: new AbortController().signal,
    baseEnv: {},
    env: o.env ?? {},
  });
  const status = new Map<string, TaskStatus>();
  for (const [id, r] of outcome.results) status.set(graph.tasks[id]?.name as string, r.status);
  return { outcome, status, ran: runner.started };
}

async function plan(graph: TaskGraph, host: MemoryBuildHost, o: { env?: Record<string, string>; roots?: string[]; force?: boolean } = {}) {
  host.newRun();
  const p = await planBuild({
    graph,
    roots: o.roots ? o.roots.map((n) => graph.byName.get(n) as number) : graph.goals,
    host,
    env: o.env ?? {},
    ...(o.force ? { force: true } : {}),
  });
  const name = (id: number) => graph.tasks[id]?.name as string;
  const byName = new Map([...p.tasks.values()].map((t) => [name(t.id), t] as const));
  return {
    plan: p,
    state: (n: string): PlanState => (byName.get(n) ?? assert.fail(`${n} not planned`)).state,
    reason: (n: string): PlanReason | undefined => byName.get(n)?.reason,
    states: () => Object.fromEntries([...byName].map(([n, t]) => [n, t.state]).sort()) as Record<string, PlanState>,
    withState: (s: PlanState) => [...byName].filter(([, t]) => t.state === s).map(([n]) => n).sort(),
  };
}

/** Every promise of the plan, checked against what the build then does. */
function assertBuildKeptPlan(p: Plan, graph: TaskGraph, status: ReadonlyMap<string, TaskStatus>): void {
  for (const t of p.tasks.values()) {
    const n = graph.tasks[t.id]?.name as string;
    const s = status.get(n);
    const allowed: Record<PlanState, TaskStatus[]> = { fresh: ["up-to-date"], cached: ["restored", "up-to-date"], stale: ["ran"], waiting: ["ran", "up-to-date", "restored"] };
    const ok = allowed[t.state].includes(s as TaskStatus) || (graph.tasks[t.id]?.recipe === "" && s === "up-to-date");
    assert.ok(ok, `${n}: planned ${t.state}, build said ${s}`);
  }
}

describe("planBuild", () => {
  test("never built: sources' tasks are new and stale, the rest waits on them", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    const p = await plan(g, host);
    assert.deepEqual(p.states(), { all: "waiting", app: "waiting", "lib.o": "stale", "main.o": "stale", test: "waiting", "util.o": "stale" });
    assert.deepEqual(p.reason("lib.o"), { kind: "new-task" });
    assert.deepEqual(p.reason("app"), { kind: "waiting-for", names: ["lib.o", "main.o", "util.o"] });
    assert.deepEqual(p.reason("all"), { kind: "waiting-for", names: ["app"] });
    assert.deepEqual(p.plan.counts, { stale: 3, waiting: 3, cached: 0, fresh: 0 });
    assert.equal(planIsNoop(p.plan), false);
  });

  test("after a build everything is fresh, with the build's keys", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    const b = await build(g, host);
    assert.equal(b.outcome.ok, true);
    const p = await plan(g, host);
    assert.deepEqual(p.withState("fresh"), ["all", "app", "lib.o", "main.o", "test", "util.o"]);
    assert.equal(planIsNoop(p.plan), true);
    for (const [id, r] of b.outcome.results) assert.equal(p.plan.tasks.get(id)?.key, r.key, `key of ${g.tasks[id]?.name}`);
  });

  test("layers: the longest path from a task without dependencies", async () => {
    const g = graphOf();
    const p = await plan(g, new MemoryBuildHost(SOURCES));
    const layer = (n: string) => p.plan.tasks.get(g.byName.get(n) as number)?.layer;
    assert.deepEqual(["lib.o", "app", "all", "test"].map(layer), [0, 1, 2, 2]);
    assert.equal(p.plan.layers, 3);
  });

  test("an edited source: its task is stale naming that input with both hashes; dependents wait", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    host.files.set("util.c", "int util2;");
    const p = await plan(g, host);
    assert.deepEqual(p.withState("stale"), ["util.o"]);
    assert.deepEqual(p.withState("waiting"), ["all", "app", "test"]);
    assert.deepEqual(p.withState("fresh"), ["lib.o", "main.o"]);
    assert.deepEqual(p.reason("util.o"), { kind: "input-changed", changes: [{ name: "util.c", old: contentHash("int util;"), new: contentHash("int util2;") }] });
    assert.deepEqual(p.reason("app"), { kind: "waiting-for", names: ["util.o"] });
    const b = await build(g, host);
    assertBuildKeptPlan(p.plan, g, b.status);
    assert.deepEqual([...b.ran].sort(), ["app", "test", "util.o"]);
  });

  test("a shared header: every object names it", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    host.files.set("common.h", "#define X 2");
    const p = await plan(g, host);
    assert.deepEqual(p.withState("stale"), ["lib.o", "main.o", "util.o"]);
    const r = p.reason("main.o");
    assert.equal(r?.kind, "input-changed");
    assert.deepEqual(r?.kind === "input-changed" ? r.changes.map((c) => c.name) : [], ["common.h"]);
  });

  test("deleted and modified outputs are cached (restored), and the tasks after them stay fresh", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    host.files.delete("lib.o");
    host.files.set("app", "tampered");
    const p = await plan(g, host);
    assert.deepEqual(p.withState("cached"), ["all", "app", "lib.o"]);
    assert.deepEqual(p.withState("fresh"), ["main.o", "test", "util.o"]);
    assert.deepEqual(p.reason("lib.o"), { kind: "outputs-missing", paths: ["lib.o"] });
    assert.deepEqual(p.reason("app"), { kind: "outputs-modified", paths: ["app"] });
    assert.deepEqual(p.reason("all"), { kind: "deps-restored", names: ["app"] });
    const b = await build(g, host);
    assertBuildKeptPlan(p.plan, g, b.status);
    assert.deepEqual(b.ran, []);
    assert.equal(b.status.get("lib.o"), "restored");
  });

  test("an edit undone after building it: cached, and the reason names the input", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    host.files.set("lib.c", "int lib2;");
    await build(g, host);
    host.files.set("lib.c", SOURCES["lib.c"]);
    const p = await plan(g, host);
    assert.equal(p.state("lib.o"), "cached");
    assert.equal(p.reason("lib.o")?.kind, "input-changed");
    // app's key, with lib.o's recorded (old) bytes, was built before too.
    assert.equal(p.state("app"), "cached");
    const b = await build(g, host);
    assertBuildKeptPlan(p.plan, g, b.status);
    assert.deepEqual(b.ran, []);
  });

  test("a changed recipe", async () => {
    const host = new MemoryBuildHost(SOURCES);
    await build(graphOf(), host);
    const p = await plan(graphOf("-O3"), host);
    assert.deepEqual(p.withState("stale"), ["lib.o", "main.o", "util.o"]);
    assert.deepEqual(p.reason("lib.o"), { kind: "recipe-changed" });
  });

  test("a changed .ENV value names the variable; other variables do not matter", async () => {
    const g = graphOk(".PHONY: all\nall: r q\nr: .ENV := SEED\nr:\n\tgen\nq:\n\tgen q\n");
    const host = new MemoryBuildHost();
    const rec = { r: writes({ r: "R" }), q: writes({ q: "Q" }) };
    await build(g, host, { env: { SEED: "1" }, recipes: rec });
    assert.equal(planIsNoop((await plan(g, host, { env: { SEED: "1", OTHER: "x" } })).plan), true);
    const p = await plan(g, host, { env: { SEED: "2" } });
    assert.deepEqual(p.withState("stale"), ["r"]);
    assert.deepEqual(p.reason("r"), { kind: "env-changed", names: ["SEED"] });
    const unset = await plan(g, host, { env: {} });
    assert.deepEqual(unset.reason("r"), { kind: "env-changed", names: ["SEED"] });
  });

  test("a dependency built on its own: the dependent is stale because of its output", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    host.files.set("main.c", "int main2;");
    await build(g, host, { roots: ["main.o"] });
    const p = await plan(g, host);
    assert.equal(p.state("main.o"), "fresh");
    assert.equal(p.state("app"), "stale");
    assert.deepEqual(p.reason("app"), { kind: "dependency-changed", names: ["main.o"] });
    assert.deepEqual(p.withState("waiting"), ["all", "test"]);
  });

  test(".ALWAYS tasks and --force are stale; dependents of one without outputs do not wait (its key is known), the rest do", async () => {
    const g = graphOk(".PHONY: all deploy\n.ALWAYS: deploy\nall: out notify\nout:\n\tgen\ndeploy: out\n\tpush\nnotify: deploy\n\tsay\n", { goals: ["all"] });
    const host = new MemoryBuildHost();
    const rec = { out: writes({ out: "O" }), deploy: writes({}), notify: writes({ notify: "N" }) };
    await build(g, host, { recipes: rec });
    const p = await plan(g, host);
    assert.deepEqual(p.states(), { all: "fresh", deploy: "stale", notify: "fresh", out: "fresh" });
    assert.deepEqual(p.reason("deploy"), { kind: "always" });
    // The build keeps the plan's promise: deploy runs, notify (keyed by deploy's key) does not.
    const again = await build(g, host, { recipes: rec });
    assert.deepEqual(again.ran, ["deploy"]);
    const forced = await plan(g, host, { force: true });
    assert.deepEqual(forced.reason("out"), { kind: "forced" });
    assert.deepEqual(forced.withState("stale"), ["out"]);
    assert.deepEqual(forced.withState("waiting"), ["all", "deploy", "notify"]);
  });

  test("a phony task without outputs is stale on every plan (it runs every build), unless .CACHED", async () => {
    const g = graphOk(".PHONY: clean test\n.CACHED: test\nclean:\n\trm\ntest: a.c\n\tcheck\n", { files: ["a.c"], goals: ["clean", "test"] });
    const host = new MemoryBuildHost({ "a.c": "x" });
    const rec = { clean: writes({}), test: writes({}) };
    const first = await build(g, host, { recipes: rec });
    assert.deepEqual([...first.ran].sort(), ["clean", "test"]);
    const p = await plan(g, host);
    assert.deepEqual(p.states(), { clean: "stale", test: "fresh" });
    assert.deepEqual(p.reason("clean"), { kind: "phony" });
    assert.equal(planIsNoop(p.plan), false);
    const second = await build(g, host, { recipes: rec });
    assert.deepEqual(second.ran, ["clean"]);
    assert.equal(second.status.get("clean"), "ran");
    assert.equal(second.status.get("test"), "up-to-date");
  });

  test("a missing input: stale (the build will fail it), dependents wait", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    host.files.delete("util.c");
    const p = await plan(g, host);
    assert.deepEqual(p.reason("util.o"), { kind: "input-missing", path: "util.c" });
    assert.equal(p.plan.tasks.get(g.byName.get("util.o") as number)?.key, undefined);
    assert.equal(p.state("app"), "waiting");
  });

  test("same ingredients as the last run but the cache entry is gone: not in cache, or outputs missing", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    host.actions.delete(host.lastRunKey("lib.o") as string);
    const p = await plan(g, host);
    assert.deepEqual(p.reason("lib.o"), { kind: "not-in-cache" });
    host.files.delete("lib.o");
    assert.deepEqual((await plan(g, host)).reason("lib.o"), { kind: "outputs-missing", paths: ["lib.o"] });
  });

  test("changed since a last run whose record is gone: what changed is unknown", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    host.actions.delete(host.lastRunKey("lib.o") as string);
    host.files.set("lib.c", "int lib2;");
    assert.deepEqual((await plan(g, host)).reason("lib.o"), { kind: "last-run-unknown" });
  });

  test("a record with the key but other ingredients (a collision) is not trusted", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    const key = host.lastRunKey("lib.o") as string;
    const rec = host.actions.get(key);
    assert.ok(rec);
    host.actions.set(key, { ...rec, ingredients: { forged: true } });
    assert.equal((await plan(g, host)).state("lib.o"), "stale");
  });

  test("early cutoff: the plan says waiting, the build then leaves the dependent up to date", async () => {
    const host = new MemoryBuildHost(SOURCES);
    await build(graphOf(), host);
    // A recipe change that makes the same bytes.
    const g = graphOf("-O2 ");
    const p = await plan(g, host);
    assert.equal(p.state("app"), "waiting");
    const b = await build(g, host);
    assert.equal(b.status.get("app"), "up-to-date");
    assertBuildKeptPlan(p.plan, g, b.status);
  });

  test("the planner writes nothing: no record, no last run, no file touched", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    await build(g, host);
    host.files.set("lib.c", "int lib3;");
    host.files.delete("app");
    const before = { files: [...host.files], actions: [...host.actions.keys()], puts: host.puts.length, lastRuns: [...host.lastRuns], removed: host.removed.length };
    await plan(g, host);
    await plan(g, host, { force: true });
    assert.deepEqual({ files: [...host.files], actions: [...host.actions.keys()], puts: host.puts.length, lastRuns: [...host.lastRuns], removed: host.removed.length }, before);
  });

  test("roots select what is planned: a target's closure only", async () => {
    const g = graphOf();
    const p = await plan(g, new MemoryBuildHost(SOURCES), { roots: ["main.o"] });
    assert.deepEqual(Object.keys(p.states()), ["main.o"]);
  });

  test("the build kept every promise of the plan across a series of edits", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost(SOURCES);
    const steps: ((h: MemoryBuildHost) => void)[] = [
      () => undefined,
      (h) => h.files.set("lib.c", "a"),
      (h) => h.files.delete("main.o"),
      (h) => h.files.set("common.h", "b"),
      (h) => h.files.set("lib.c", SOURCES["lib.c"]),
      (h) => {
        h.files.set("common.h", SOURCES["common.h"]);
        h.files.delete("app");
      },
    ];
    for (const step of steps) {
      step(host);
      const p = await plan(g, host);
      const b = await build(g, host);
      assertBuildKeptPlan(p.plan, g, b.status);
      assert.equal(planIsNoop((await plan(g, host)).plan), true, "after the build, nothing to do");
    }
  });

  test("a 10,000-long chain plans without deep recursion", async () => {
    const n = 10_000;
    const g = mkGraph(Array.from({ length: n }, (_, i) => [`t${i}`, i === 0 ? [] : [`t${i - 1}`]] as const));
    const p = await plan(g, new MemoryBuildHost(), { roots: [`t${n - 1}`] });
    assert.equal(p.plan.order.length, n);
    assert.equal(p.plan.layers, n);
    assert.deepEqual(p.plan.counts, { stale: 1, waiting: n - 1, cached: 0, fresh: 0 });
  });
});
