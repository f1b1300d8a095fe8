import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { assumeFreshMatcher, unmatchedPatterns, type AssumeFresh } from "./assume-fresh.js";
import { decideTask } from "./decide-task.js";
import { runBuild, type BuildOutcome } from "./run-build.js";
import { planBuild, type Plan } from "../plan/plan.js";
import type { TaskGraph } from "../graph/task-graph.js";
import type { TaskResult } from "./task-result.js";
import { contentHash, FakeRunner, graphOk, MemoryBuildHost, ROOT, taskNamed, type FakeRecipe } from "../test-support.js";

// Two phases over two runs: raw -> points -> clusters, then a summary of the clusters.
const FLOWFILE = (pointsVersion = "v1") => `
.PHONY: all
all: summary
points/%.csv: raw/%.csv
\tpoints ${pointsVersion} $< > $@
clusters/%.csv: points/%.csv
\tclusters $< > $@
summary: clusters/r1.csv clusters/r2.csv
\tcat $^ > $@
`;
const RAW = { "raw/r1.csv": "1,2,3", "raw/r2.csv": "4,5,6" };
const graphOf = (v?: string) => graphOk(FLOWFILE(v), { files: Object.keys(RAW), goals: ["all"] });

function recipes(version: string): Record<string, FakeRecipe> {
  const points = (run: string): FakeRecipe => (f) => (f.set(`points/${run}.csv`, `P${version}(${f.get(`raw/${run}.csv`)})`), 0);
  const clusters = (run: string): FakeRecipe => (f) => (f.set(`clusters/${run}.csv`, `C(${f.get(`points/${run}.csv`)})`), 0);
  return {
    "points/r1.csv": points("r1"),
    "points/r2.csv": points("r2"),
    "clusters/r1.csv": clusters("r1"),
    "clusters/r2.csv": clusters("r2"),
    summary: (f) => (f.set("summary", `${f.get("clusters/r1.csv")}+${f.get("clusters/r2.csv")}`), 0),
  };
}

function matcher(...patterns: string[]): AssumeFresh {
  const m = assumeFreshMatcher(patterns);
  assert.ok(m.ok && m.assume !== undefined);
  return m.assume;
}

async function build(g: TaskGraph, host: MemoryBuildHost, o: { version?: string; assume?: AssumeFresh; force?: boolean; keepGoing?: boolean } = {}) {
  host.newRun();
  const runner = new FakeRunner(host, recipes(o.version ?? "v1"));
  const outcome: BuildOutcome = await runBuild({
    graph: g,
    roots: g.goals,
    root: ROOT,
    host,
    runner,
    emit: () => undefined,
    concurrency: 1,
    keepGoing: o.keepGoing ?? false,
    force: o.force ?? false,
    signal: new AbortController().signal,
    baseEnv: {},
    env: {},
    ...(o.assume ? { assume: o.assume } : {}),
  });
  const result = (name: string) => outcome.results.get(g.byName.get(name) as number) as TaskResult;
  return { outcome, ran: runner.started, result };
}

async function plan(g: TaskGraph, host: MemoryBuildHost, assume?: AssumeFresh): Promise<Plan & { of(name: string): { state: string; reason?: unknown } }> {
  host.newRun();
  const p = await planBuild({ graph: g, roots: g.goals, host, env: {}, ...(assume ? { assume } : {}) });
  return { ...p, of: (name: string) => p.tasks.get(g.byName.get(name) as number) as { state: string; reason?: unknown } };
}

describe("--assume-fresh patterns", () => {
  test("% matches any text in the whole name (slashes too); no % names one task", () => {
    const g = graphOf();
    const names = (a: AssumeFresh) => g.tasks.filter((t) => a(t)).map((t) => t.name).sort();
    assert.deepEqual(names(matcher("points/%.csv")), ["points/r1.csv", "points/r2.csv"]);
    assert.deepEqual(names(matcher("%/r1.csv")), ["clusters/r1.csv", "points/r1.csv"]);
    assert.deepEqual(names(matcher("summary", "clusters/r2.csv")), ["clusters/r2.csv", "summary"]);
    assert.deepEqual(names(matcher("points")), [], "a name matches whole, not as a prefix");
  });

  test("two % or an empty pattern are refused; a pattern that matches nothing is reported", () => {
    const two = assumeFreshMatcher(["%/%.csv"]);
    assert.ok(!two.ok && /at most one %/.test(two.message));
    assert.ok(!assumeFreshMatcher([""]).ok);
    assert.deepEqual(assumeFreshMatcher([]), { ok: true, assume: undefined });
    assert.deepEqual(unmatchedPatterns(["points/%.csv", "pionts/%"], graphOf().tasks), ["pionts/%"]);
  });
});

describe("the assumed verdict", () => {
  test("an assumed task is neither run nor restored nor recorded; its dependents' keys see the bytes on disk", async () => {
    const host = new MemoryBuildHost({ ...RAW });
    await build(graphOf(), host);
    const lastRun = host.lastRunKey("points/r1.csv");
    // The phase's script is edited (v2), and its artifact on disk is not what the cache holds for it.
    host.files.set("points/r1.csv", "P-by-hand(1,2,3)");
    const puts = host.puts.length;
    const g2 = graphOf("v2");
    const b = await build(g2, host, { version: "v2", assume: matcher("points/%.csv") });
    assert.deepEqual(b.ran, ["clusters/r1.csv", "summary"], "no points task ran; only what reads the changed artifact");
    for (const run of ["r1", "r2"]) {
      const r = b.result(`points/${run}.csv`);
      assert.deepEqual([r.status, r.reason], ["up-to-date", "assumed"]);
    }
    assert.equal(host.files.get("points/r1.csv"), "P-by-hand(1,2,3)", "not restored");
    assert.equal(host.files.get("clusters/r1.csv"), "C(P-by-hand(1,2,3))");
    assert.equal(host.lastRunKey("points/r1.csv"), lastRun, "no last run recorded for an assumed task");
    const filed = host.puts.slice(puts);
    assert.deepEqual(filed.map((r) => r.outputs.map((o) => o.path)), [["clusters/r1.csv"], ["summary"]], "no cache record for an assumed task");
    // The dependent's record is filed under the artifact's real bytes.
    assert.ok((filed[0]?.ingredients as string).includes(contentHash("P-by-hand(1,2,3)")));
    assert.equal(b.outcome.ok, true);
  });

  test("switched back on, the phase reruns; what comes out the same spares its dependents (early cutoff)", async () => {
    const host = new MemoryBuildHost({ ...RAW });
    await build(graphOf(), host);
    await build(graphOf("v2"), host, { version: "v1", assume: matcher("points/%.csv") });
    // v2 of the script writes the same bytes (the recipe text changed, not what it makes).
    const b = await build(graphOf("v2"), host, { version: "v1" });
    assert.deepEqual(b.ran, ["points/r1.csv", "points/r2.csv"]);
    assert.equal(b.result("clusters/r1.csv").status, "up-to-date");
  });

  test("an assumed task whose output is missing fails, naming it; its dependents cannot run; nothing runs for it", async () => {
    const host = new MemoryBuildHost({ ...RAW });
    await build(graphOf(), host);
    host.files.delete("points/r2.csv");
    const b = await build(graphOf(), host, { assume: matcher("points/%.csv"), keepGoing: true });
    const r = b.result("points/r2.csv");
    assert.deepEqual([r.status, r.reason], ["failed", "missing-output"]);
    assert.match(r.message ?? "", /'points\/r2.csv' is assumed fresh \(--assume-fresh\), but its output 'points\/r2.csv' is missing/);
    assert.equal(b.result("clusters/r2.csv").status, "cannot-run");
    assert.equal(b.result("clusters/r1.csv").status, "up-to-date");
    assert.deepEqual(b.ran, []);
    assert.equal(host.files.has("points/r2.csv"), false, "not restored either");
  });

  test("--assume-fresh wins over --force for the tasks it matches; the others run", async () => {
    const host = new MemoryBuildHost({ ...RAW });
    await build(graphOf(), host);
    const b = await build(graphOf(), host, { force: true, assume: matcher("points/%.csv") });
    assert.deepEqual(b.ran, ["clusters/r1.csv", "clusters/r2.csv", "summary"]);
  });

  test("a task without a recipe is never assumed: it does no work", async () => {
    const host = new MemoryBuildHost({ ...RAW });
    const b = await build(graphOf(), host, { assume: matcher("all") });
    assert.equal(b.result("all").reason, undefined);
    assert.equal(b.ran.length, 5);
  });

  test("no voucher of the persistent state is taken under --assume-fresh", async () => {
    const g = graphOf();
    const host = new MemoryBuildHost({ ...RAW });
    await build(g, host);
    const prior = () => ({ key: "vouched", outputs: [] });
    const clusters = taskNamed(g, "clusters/r1.csv");
    host.newRun();
    const without = await decideTask(clusters, [], { host, env: {}, force: false, prior });
    assert.ok(without.ok && without.decision.vouched === true);
    const points = taskNamed(g, "points/r1.csv");
    const assumedPoints = await decideTask(points, [], { host, env: {}, force: false, assume: matcher("points/%.csv") });
    assert.ok(assumedPoints.ok);
    const dep = [[points, { result: { status: "up-to-date", durationMs: 0 } as TaskResult, outputs: assumedPoints.decision.outputs }]] as const;
    const withAssume = await decideTask(clusters, dep, { host, env: {}, force: false, prior, assume: matcher("points/%.csv") });
    assert.ok(withAssume.ok);
    assert.equal(withAssume.decision.vouched, undefined);
    assert.equal(withAssume.decision.verdict, "fresh", "decided in full: the cache's record for the real bytes");
  });

  test("the plan predicts the build: assumed tasks fresh (reason assumed) even behind stale work, missing outputs cannot be assumed", async () => {
    const host = new MemoryBuildHost({ ...RAW });
    await build(graphOf(), host);
    host.files.set("raw/r1.csv", "7,8,9"); // points/r1 would run, so its dependents would wait
    host.files.set("points/r1.csv", "P-by-hand");
    const g2 = graphOf("v2");
    const p = await plan(g2, host, matcher("points/%.csv"));
    assert.deepEqual(p.of("points/r1.csv"), { ...p.of("points/r1.csv"), state: "fresh", reason: { kind: "assumed" } });
    assert.equal(p.of("clusters/r1.csv").state, "stale", "its key is known at once, from the bytes on disk");
    assert.equal(p.of("clusters/r2.csv").state, "fresh");
    const b = await build(g2, host, { version: "v2", assume: matcher("points/%.csv") });
    assert.deepEqual(b.ran, ["clusters/r1.csv", "summary"], "what the plan said: one stale, its dependent waiting");
    assert.equal(p.of("summary").state, "waiting");

    host.files.delete("points/r2.csv");
    const q = await plan(g2, host, matcher("points/%.csv"));
    assert.deepEqual(q.of("points/r2.csv"), { ...q.of("points/r2.csv"), state: "stale", reason: { kind: "cannot-assume", paths: ["points/r2.csv"] } });
  });
});
