import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { BuildEvent } from "./events.js";
import { asIngredients } from "./ingredient-diff.js";
import { canonicalIngredients } from "./key.js";
import { runBuild } from "./run-build.js";
import type { Task, TaskGraph } from "../graph/task-graph.js";
import type { TaskResult } from "./task-result.js";
import type { Prior, PriorLookup } from "./decide-task.js";
import { FakeRunner, graphOk, MemoryBuildHost, ROOT, sleep, writes, type FakeRecipe } from "../test-support.js";

interface BuildOpts {
  readonly j?: number;
  readonly keepGoing?: boolean;
  readonly force?: boolean;
  readonly signal?: AbortSignal;
  readonly env?: Record<string, string>;
  readonly roots?: readonly string[];
  readonly prior?: PriorLookup;
  readonly profileClock?: () => number;
  readonly expectedMs?: (t: Task) => number | undefined;
}

async function build(graph: TaskGraph, host: MemoryBuildHost, runner: FakeRunner, o: BuildOpts = {}) {
  host.newRun();
  const events: BuildEvent[] = [];
  const putsBefore = host.puts.length;
  const startedBefore = runner.started.length;
  const outcome = await runBuild({
    graph,
    roots: o.roots ? o.roots.map((r) => graph.byName.get(r) as number) : graph.goals,
    root: ROOT,
    host,
    runner,
    emit: (e) => events.push(e),
    concurrency: o.j ?? 4,
    keepGoing: o.keepGoing ?? false,
    force: o.force ?? false,
    signal: o.signal ?? new AbortController().signal,
    baseEnv: { PATH: "/usr/bin:/bin" },
    env: o.env ?? {},
    ...(o.prior ? { prior: o.prior } : {}),
    ...(o.profileClock ? { profileClock: o.profileClock } : {}),
    ...(o.expectedMs ? { expectedMs: o.expectedMs } : {}),
  });
  const result = (name: string): TaskResult => {
    const r = outcome.results.get(graph.byName.get(name) as number);
    assert.ok(r, `no result for ${name}`);
    return r;
  };
  return {
    outcome,
    events,
    result,
    status: (name: string) => result(name).status,
    /** Task names whose recipe ran in this build. */
    ran: runner.started.slice(startedBefore),
    /** Keys recorded in this build. */
    puts: host.puts.slice(putsBefore),
    warnings: events.flatMap((e) => (e.type === "warning" ? [e.warning.code] : [])),
  };
}

const C_PROJECT = "app: lib.o main.o\n\tld -o $@ $^\nlib.o: lib.c\n\tcc -c lib.c VERSION\nmain.o: main.c\n\tcc -c main.c\n";
const cProject = (version: string) => graphOk(C_PROJECT.replace("VERSION", version), { files: ["lib.c", "main.c"] });
const cRecipes = (libBytes: () => string): Record<string, FakeRecipe> => ({
  "lib.o": (files) => {
    files.set("lib.o", libBytes());
    return 0;
  },
  "main.o": writes({ "main.o": "MAIN" }),
  app: (files) => {
    files.set("app", `APP(${files.get("lib.o")},${files.get("main.o")})`);
    return 0;
  },
});

describe("runBuild", () => {
  test("a first build runs everything in dependency order; the second does no work", async () => {
    const host = new MemoryBuildHost({ "lib.c": "int lib;", "main.c": "int main;" });
    const runner = new FakeRunner(host, cRecipes(() => "LIB"));
    const g = cProject("-O2");
    const b1 = await build(g, host, runner);
    assert.equal(b1.outcome.ok, true);
    assert.deepEqual([b1.status("app"), b1.status("lib.o"), b1.status("main.o")], ["ran", "ran", "ran"]);
    assert.equal(b1.ran.at(-1), "app");
    assert.equal(b1.puts.length, 3);
    assert.equal(host.files.get("app"), "APP(LIB,MAIN)");
    assert.deepEqual(b1.events[0], { type: "build-start", total: 3, concurrency: 4 });
    assert.equal(b1.events.at(-1)?.type, "build-end");
    // the recorded key is the result's key
    assert.equal(b1.puts.find((p) => p.outputs[0]?.path === "app")?.key, b1.result("app").key);
    assert.equal(host.lastRunKey("app"), b1.result("app").key);

    const b2 = await build(g, host, runner);
    assert.deepEqual(b2.ran, []);
    assert.deepEqual(b2.puts, []);
    assert.deepEqual([b2.status("app"), b2.status("lib.o"), b2.status("main.o")], ["up-to-date", "up-to-date", "up-to-date"]);
    assert.equal(b2.result("app").key, b1.result("app").key);
  });

  test("the recipe gets the script, the root, the log path and the base env", async () => {
    const host = new MemoryBuildHost({ "lib.c": "", "main.c": "" });
    const runner = new FakeRunner(host, cRecipes(() => "LIB"));
    await build(cProject("-O2"), host, runner);
    const req = runner.requests.find((r) => r.taskName === "app");
    assert.ok(req);
    assert.equal(req.script, "ld -o app lib.o main.o");
    assert.equal(req.cwd, ROOT);
    assert.equal(req.logPath, host.logPath("app"));
    assert.deepEqual(req.env, { PATH: "/usr/bin:/bin" });
    assert.equal(req.timeoutMs, undefined);
  });

  test("an edited source reruns its task and, through new bytes, its dependents", async () => {
    const host = new MemoryBuildHost({ "lib.c": "v1", "main.c": "m" });
    const runner = new FakeRunner(host, cRecipes(() => `LIB(${host.files.get("lib.c")})`));
    const g = cProject("-O2");
    await build(g, host, runner);
    host.files.set("lib.c", "v2");
    const b2 = await build(g, host, runner);
    assert.deepEqual([...b2.ran].sort(), ["app", "lib.o"]);
    assert.equal(b2.status("main.o"), "up-to-date");
    assert.equal(host.files.get("app"), "APP(LIB(v2),MAIN)");
  });

  test("early cutoff: a dependency whose recipe changed but made identical bytes leaves its dependent up-to-date", async () => {
    const host = new MemoryBuildHost({ "lib.c": "int lib;", "main.c": "int main;" });
    const runner = new FakeRunner(host, cRecipes(() => "LIB"));
    await build(cProject("-O2"), host, runner);
    const b2 = await build(cProject("-O2 -g0"), host, runner);
    assert.deepEqual(b2.ran, ["lib.o"]);
    assert.equal(b2.status("lib.o"), "ran");
    assert.equal(b2.status("app"), "up-to-date");
    assert.equal(b2.puts.length, 1);
  });

  test("without early cutoff (different bytes) the dependent reruns (control)", async () => {
    const host = new MemoryBuildHost({ "lib.c": "int lib;", "main.c": "int main;" });
    let n = 0;
    const runner = new FakeRunner(host, cRecipes(() => `LIB${++n}`));
    await build(cProject("-O2"), host, runner);
    const b2 = await build(cProject("-O2 -g0"), host, runner);
    assert.deepEqual(b2.ran, ["lib.o", "app"]);
    assert.equal(b2.status("app"), "ran");
  });

  test("a deleted output is restored from the cache without running", async () => {
    const host = new MemoryBuildHost({ "lib.c": "", "main.c": "" });
    const runner = new FakeRunner(host, cRecipes(() => "LIB"));
    const g = cProject("-O2");
    await build(g, host, runner);
    host.files.delete("app");
    host.files.set("main.o", "tampered");
    const b2 = await build(g, host, runner);
    assert.deepEqual(b2.ran, []);
    assert.equal(b2.status("app"), "restored");
    assert.equal(b2.status("main.o"), "restored");
    assert.equal(host.files.get("app"), "APP(LIB,MAIN)");
    assert.equal(host.files.get("main.o"), "MAIN");
  });

  test("--force reruns even when cached", async () => {
    const host = new MemoryBuildHost({ "lib.c": "", "main.c": "" });
    const runner = new FakeRunner(host, cRecipes(() => "LIB"));
    const g = cProject("-O2");
    await build(g, host, runner);
    const b2 = await build(g, host, runner, { force: true });
    assert.deepEqual([...b2.ran].sort(), ["app", "lib.o", "main.o"]);
  });

  test(".ENV values are passed to the recipe and change the key", async () => {
    const g = graphOk("r: .ENV := SEED\nr:\n\tgen\n");
    const host = new MemoryBuildHost();
    const runner = new FakeRunner(host, { r: writes({ r: "R" }) });
    const b1 = await build(g, host, runner, { env: { SEED: "1", OTHER: "x" } });
    assert.deepEqual(runner.requests[0]?.env, { PATH: "/usr/bin:/bin", SEED: "1" });
    const b2 = await build(g, host, runner, { env: { SEED: "1", OTHER: "y" } });
    assert.deepEqual(b2.ran, []);
    const b3 = await build(g, host, runner, { env: { SEED: "2" } });
    assert.deepEqual(b3.ran, ["r"]);
    assert.notEqual(b3.result("r").key, b1.result("r").key);
  });

  test("concurrency through runBuild never exceeds -j", async () => {
    const n = 10;
    let ff = `all: ${Array.from({ length: n }, (_, i) => `o${i}`).join(" ")}\n`;
    const recipes: Record<string, FakeRecipe> = {};
    for (let i = 0; i < n; i++) {
      ff += `o${i}:\n\tgen ${i}\n`;
      recipes[`o${i}`] = writes({ [`o${i}`]: String(i) });
    }
    const host = new MemoryBuildHost();
    const runner = new FakeRunner(host, recipes, 5);
    const b = await build(graphOk(ff), host, runner, { j: 3 });
    assert.equal(b.outcome.ok, true);
    assert.equal(runner.maxInFlight, 3);
    assert.equal(b.ran.length, n);
  });

  test("a failed recipe: exit code reported, partial outputs removed, no record, dependents cannot run", async () => {
    const g = graphOk("all: app other\napp: lib.o\n\tld\nlib.o:\n\tcc\nother:\n\tgen\n");
    const host = new MemoryBuildHost();
    const runner = new FakeRunner(host, {
      "lib.o": (files) => {
        files.set("lib.o", "half-written");
        return 2;
      },
      app: writes({ app: "A" }),
      other: async (files) => {
        await sleep(1);
        files.set("other", "O");
        return 0;
      },
    });
    const b = await build(g, host, runner, { j: 1 });
    assert.equal(b.outcome.ok, false);
    const lib = b.result("lib.o");
    assert.equal(lib.status, "failed");
    assert.equal(lib.reason, "exit-code");
    assert.equal(lib.exitCode, 2);
    assert.equal(lib.message, "recipe exited with code 2");
    assert.equal(lib.logPath, host.logPath("lib.o"));
    assert.equal(host.files.has("lib.o"), false);
    assert.equal(b.status("app"), "cannot-run");
    assert.equal(b.status("all"), "cannot-run");
    assert.ok(!b.ran.includes("app"));
    assert.ok(b.puts.every((p) => p.outputs.every((o) => o.path !== "lib.o")));
    assert.equal(host.lastRunKey("lib.o"), undefined);
  });

  test("keepGoing builds the independent part after a failure", async () => {
    const g = graphOk("all: app other\napp: lib.o\n\tld\nlib.o:\n\tcc\nother:\n\tgen\n");
    const host = new MemoryBuildHost();
    const runner = new FakeRunner(host, { "lib.o": () => 1, app: writes({ app: "A" }), other: writes({ other: "O" }) });
    const b = await build(g, host, runner, { j: 1, keepGoing: true });
    assert.equal(b.status("other"), "ran");
    assert.equal(b.status("app"), "cannot-run");
    assert.equal(b.outcome.ok, false);
  });

  test("a recipe that exits 0 without its output fails missing-output and records nothing", async () => {
    const g = graphOk("all: out/a.txt\nout/a.txt:\n\tgen\n");
    const host = new MemoryBuildHost();
    const runner = new FakeRunner(host, { "out/a.txt": () => 0 });
    const b = await build(g, host, runner);
    const r = b.result("out/a.txt");
    assert.equal(r.status, "failed");
    assert.equal(r.reason, "missing-output");
    assert.equal(
      r.message,
      "the recipe succeeded but did not create its declared output 'out/a.txt'; if 'out/a.txt' names an action rather than a file, declare it phony: add '.PHONY: out/a.txt' to the Flowfile",
    );
    assert.deepEqual(b.puts, []);
    assert.equal(b.status("all"), "cannot-run");
    assert.equal(b.outcome.ok, false);
  });

  test("a missing output of a multi-output rule is named", async () => {
    const g = graphOk("a b &:\n\tgen\n");
    const host = new MemoryBuildHost();
    const runner = new FakeRunner(host, { a: writes({ a: "A" }) });
    const b = await build(g, host, runner);
    assert.equal(b.result("a").message, "the recipe succeeded but did not create its declared output 'b'");
    assert.equal(host.files.has("a"), false, "what it did make is removed");
  });

  test("an input whose hash changes while the task runs: status ran, but no record", async () => {
    const g = graphOk("out: in.txt\n\tcp in.txt out\n", { files: ["in.txt"] });
    const host = new MemoryBuildHost({ "in.txt": "before" });
    const runner = new FakeRunner(host, {
      out: (files) => {
        files.set("out", files.get("in.txt") as string);
        files.set("in.txt", "edited during the run");
        return 0;
      },
    });
    const b = await build(g, host, runner);
    assert.equal(b.status("out"), "ran");
    assert.equal(b.outcome.ok, true);
    assert.deepEqual(b.puts, []);
    assert.deepEqual(b.warnings, ["INPUT_CHANGED_DURING_RUN"]);
    // the next build sees the new input and runs again
    const b2 = await build(g, host, runner);
    assert.deepEqual(b2.ran, ["out"]);
  });

  test("an input edited and changed back while the task runs: same content, other identity, no record", async () => {
    const g = graphOk("out: in.txt\n\tcp in.txt out\n", { files: ["in.txt"] });
    const host = new MemoryBuildHost({ "in.txt": "before" });
    const runner = new FakeRunner(host, {
      out: (files) => {
        files.set("in.txt", "edited");
        files.set("out", files.get("in.txt") as string);
        files.set("in.txt", "before"); // the content is back; the file's times are not
        host.touched.set("in.txt", 2000);
        return 0;
      },
    });
    const b = await build(g, host, runner);
    assert.equal(b.status("out"), "ran");
    assert.deepEqual(b.puts, [], "a result that may have read the edit is never filed under the old key");
    assert.deepEqual(b.warnings, ["INPUT_CHANGED_DURING_RUN"]);
  });

  test("an unchanged input: the run is recorded (control for the test above)", async () => {
    const g = graphOk("out: in.txt\n\tcp in.txt out\n", { files: ["in.txt"] });
    const host = new MemoryBuildHost({ "in.txt": "before" });
    const runner = new FakeRunner(host, { out: writes({ out: "before" }) });
    const b = await build(g, host, runner);
    assert.equal(b.puts.length, 1);
    assert.deepEqual(b.warnings, []);
    const expected = {
      schema: 1,
      recipe: "cp in.txt out",
      outputs: ["out"],
      inputs: [["in.txt", host.inputState("in.txt").kind === "file" ? (host.inputState("in.txt") as { hash: string }).hash : ""]] as [string, string][],
      deps: [],
      env: [],
      exported: [],
    };
    // The record keeps the key's canonical text (compared whole on every hit), which reads back as the ingredients.
    assert.equal(b.puts[0]?.ingredients, canonicalIngredients(expected));
    assert.deepEqual(asIngredients(b.puts[0]?.ingredients), expected);
  });

  test("an input deleted before its task hashes it fails input-missing", async () => {
    const g = graphOk("out: in.txt\n\tcp in.txt out\n", { files: ["in.txt"] });
    const host = new MemoryBuildHost({});
    const runner = new FakeRunner(host, { out: writes({ out: "x" }) });
    const b = await build(g, host, runner);
    assert.equal(b.result("out").reason, "input-missing");
    assert.deepEqual(b.ran, []);
  });

  test("an interrupt: the running task and everything not started are skipped, nothing recorded", async () => {
    const g = graphOk("all: a b c\na:\n\tmk a\nb: a\n\tmk b\nc:\n\tmk c\n");
    const host = new MemoryBuildHost();
    const ac = new AbortController();
    const runner = new FakeRunner(host, {
      a: (files) => {
        files.set("a", "partial");
        ac.abort();
        return { exitCode: null, signal: "SIGINT", timedOut: false, interrupted: true };
      },
      b: writes({ b: "B" }),
      c: writes({ c: "C" }),
    });
    const b = await build(g, host, runner, { j: 1, signal: ac.signal });
    assert.deepEqual(b.ran, ["a"]);
    for (const n of ["a", "b", "c", "all"]) assert.equal(b.status(n), "skipped", n);
    assert.equal(b.result("a").reason, "interrupted");
    assert.equal(b.result("c").reason, "interrupted");
    assert.deepEqual(b.puts, []);
    assert.equal(host.files.has("a"), false, "a's partial output is removed");
    assert.equal(b.outcome.ok, false);
  });

  test("an interrupt while a task still completes normally: that task is recorded, the rest skipped", async () => {
    const g = graphOk("all: a b c\na:\n\tmk a\nb: a\n\tmk b\nc:\n\tmk c\n");
    const host = new MemoryBuildHost();
    const ac = new AbortController();
    const runner = new FakeRunner(host, {
      a: (files) => {
        files.set("a", "A");
        ac.abort();
        return 0;
      },
      b: writes({ b: "B" }),
      c: writes({ c: "C" }),
    });
    const b = await build(g, host, runner, { j: 1, signal: ac.signal });
    assert.deepEqual(b.ran, ["a"]);
    assert.equal(b.status("a"), "ran");
    assert.deepEqual([b.status("b"), b.status("c"), b.status("all")], ["skipped", "skipped", "skipped"]);
    assert.deepEqual(
      b.puts.map((p) => p.outputs.map((o) => o.path)),
      [["a"]],
    );
  });

  test("an aborted signal before the build: all skipped, no recipe, no record", async () => {
    const host = new MemoryBuildHost({ "lib.c": "", "main.c": "" });
    const runner = new FakeRunner(host, cRecipes(() => "LIB"));
    const ac = new AbortController();
    ac.abort();
    const b = await build(cProject("-O2"), host, runner, { signal: ac.signal });
    assert.deepEqual(b.ran, []);
    assert.deepEqual(b.puts, []);
    for (const n of ["app", "lib.o", "main.o"]) assert.equal(b.status(n), "skipped");
  });

  test("a timeout fails the task and passes .TIMEOUT to the runner", async () => {
    const g = graphOk("t: .TIMEOUT := 2\nt:\n\tsleep 9\n");
    const host = new MemoryBuildHost();
    const runner = new FakeRunner(host, { t: () => ({ exitCode: null, signal: "SIGKILL", timedOut: true, interrupted: false }) });
    const b = await build(g, host, runner);
    assert.equal(runner.requests[0]?.timeoutMs, 2000);
    assert.equal(b.result("t").reason, "timeout");
    assert.equal(b.result("t").message, "killed after its .TIMEOUT of 2s");
  });

  test("a .PHONY aggregate without a recipe is up-to-date once its deps are", async () => {
    const g = graphOk(".PHONY: all\nall: x\nx:\n\tgen\n");
    const host = new MemoryBuildHost();
    const runner = new FakeRunner(host, { x: writes({ x: "X" }) });
    const b = await build(g, host, runner);
    assert.equal(b.status("all"), "up-to-date");
    assert.match(b.result("all").key ?? "", /^[0-9a-f]{32}$/);
  });

  test("a phony dependency enters its dependent's key through its key", async () => {
    const ff = (v: string) => `.PHONY: setup\nout: setup\n\tmk out\nsetup:\n\tprepare ${v}\n`;
    const host = new MemoryBuildHost();
    const runner = new FakeRunner(host, { setup: () => 0, out: writes({ out: "O" }) });
    const b1 = await build(graphOk(ff("1")), host, runner);
    const b2 = await build(graphOk(ff("2")), host, runner);
    assert.notEqual(b2.result("out").key, b1.result("out").key);
    assert.deepEqual(b2.ran, ["setup", "out"]);
  });
});

describe("the persistent build state's vouchers (Prior)", () => {
  const setup = async () => {
    const graph = cProject("v1");
    const host = new MemoryBuildHost({ "lib.c": "lib", "main.c": "main" });
    const runner = new FakeRunner(host, cRecipes(() => "lib-bytes"));
    const first = await build(graph, host, runner);
    const priors = new Map<number, Prior>();
    for (const id of first.outcome.order) priors.set(id, { key: first.outcome.results.get(id)?.key as string, outputs: first.outcome.outputs.get(id) ?? [] });
    return { graph, host, runner, first, priors };
  };

  test("vouched-for tasks are fresh with their recorded keys, looked up nowhere, and the events are a no-op's", async () => {
    const { graph, host, runner, priors } = await setup();
    const plain = await build(graph, host, runner);
    host.actions.clear(); // a vouched-for task must not even look: an empty cache changes nothing
    const vouched = await build(graph, host, runner, { prior: (t) => priors.get(t.id) });
    assert.deepEqual(vouched.ran, []);
    for (const name of ["lib.o", "main.o", "app"]) {
      assert.equal(vouched.status(name), "up-to-date");
      assert.equal(vouched.result(name).key, plain.result(name).key);
    }
    const ends = (evs: BuildEvent[]) => evs.flatMap((e) => (e.type === "task-end" ? [`${e.task.name} ${e.result.status} ${e.result.key}`] : [])).sort();
    assert.deepEqual(ends(vouched.events), ends(plain.events));
    assert.deepEqual(vouched.events.map((e) => e.type).filter((t) => t !== "task-end"), plain.events.map((e) => e.type).filter((t) => t !== "task-end"));
    assert.deepEqual([...vouched.outcome.outputs.get(graph.byName.get("app") as number) ?? []], [...plain.outcome.outputs.get(graph.byName.get("app") as number) ?? []]);
  });

  test("a task without a voucher is decided in full, and so is every task after it", async () => {
    const { graph, host, runner, priors } = await setup();
    host.files.set("lib.c", "lib edited");
    const libId = graph.byName.get("lib.o") as number;
    const appId = graph.byName.get("app") as number;
    // The state vouches for main.o only: lib.c changed, and app depends on lib.o.
    const b = await build(graph, host, runner, { prior: (t) => (t.id === libId || t.id === appId ? undefined : priors.get(t.id)) });
    assert.ok(b.ran.includes("lib.o"), "the edited input's task runs");
    assert.equal(b.status("main.o"), "up-to-date");
  });

  test("expected durations are asked for only when the scheduler runs: never when every task is vouched for", async () => {
    const { graph, host, runner, priors } = await setup();
    const asked: string[] = [];
    const expectedMs = (t: Task): number | undefined => {
      asked.push(t.name);
      return undefined;
    };
    await build(graph, host, runner, { j: 1, prior: (t) => priors.get(t.id), expectedMs });
    assert.deepEqual(asked, []);
    await build(graph, host, runner, { j: 1, prior: (t) => (t.name === "app" ? undefined : priors.get(t.id)), expectedMs });
    assert.deepEqual([...asked].sort(), ["app", "lib.o", "main.o"], "once per task with a recipe");
  });

  test("--force overrides the vouchers", async () => {
    const { graph, host, runner, priors } = await setup();
    const b = await build(graph, host, runner, { force: true, prior: (t) => priors.get(t.id) });
    assert.deepEqual([...b.ran].sort(), ["app", "lib.o", "main.o"]);
  });
});

describe("runBuild with a profile clock", () => {
  const timings = (events: BuildEvent[]) => new Map(events.flatMap((e) => (e.type === "task-end" && e.timing !== undefined ? [[e.task.name, e.timing] as const] : [])));
  const phasesOf = (events: BuildEvent[], name: string) => timings(events).get(name)?.phases.map((p) => p.phase);

  test("a task that ran has look-up, run and store, in order, nested in its span; without a clock no event has a timing", async () => {
    const host = new MemoryBuildHost({ "lib.c": "", "main.c": "" });
    const runner = new FakeRunner(host, cRecipes(() => "LIB"));
    const g = cProject("-O2");
    const plain = await build(g, host, runner, { force: true });
    assert.equal(timings(plain.events).size, 0);
    let t = 0;
    const b = await build(g, host, runner, { force: true, profileClock: () => ++t });
    assert.deepEqual([...timings(b.events).keys()].sort(), ["app", "lib.o", "main.o"]);
    assert.deepEqual(phasesOf(b.events, "app"), ["look-up", "run", "store"]);
    for (const timing of timings(b.events).values()) {
      let last = timing.startMs;
      for (const p of timing.phases) {
        assert.ok(p.startMs >= last && p.endMs >= p.startMs, JSON.stringify(timing));
        last = p.endMs;
      }
      assert.ok(timing.endMs >= last);
    }
  });

  test("a restored task shows its restore; fresh tasks carry no timing", async () => {
    const host = new MemoryBuildHost({ "lib.c": "", "main.c": "" });
    const runner = new FakeRunner(host, cRecipes(() => "LIB"));
    const g = cProject("-O2");
    await build(g, host, runner);
    host.files.delete("app");
    let t = 0;
    const b = await build(g, host, runner, { profileClock: () => ++t });
    assert.equal(b.status("app"), "restored");
    assert.deepEqual([...timings(b.events).keys()], ["app"]);
    assert.deepEqual(phasesOf(b.events, "app"), ["look-up", "restore"]);
  });
});
