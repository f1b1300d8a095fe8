import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decideTask, type Decided, type DecideHost, type DoneTask } from "./decide-task.js";
import { canonicalIngredients } from "./key.js";
import type { Task, TaskGraph } from "../graph/task-graph.js";
import { buildInMemory, contentHash, FakeRunner, graphOk, MemoryBuildHost, taskNamed } from "../test-support.js";

const FLOWFILE = `
.PHONY: all
all: app
app: main.c
\tcc -o $@ $<
`;
const graph = () => graphOk(FLOWFILE, { files: ["main.c"], goals: ["all"] });

async function build(g: TaskGraph, host: MemoryBuildHost): Promise<void> {
  host.newRun();
  await buildInMemory(g, host, new FakeRunner(host, { app: (f) => (f.set("app", `BIN(${f.get("main.c")})`), 0) }));
}

/** The host as the decision sees it, counting what it asks of the cache. */
function counted(host: MemoryBuildHost): DecideHost & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    workspace: host,
    cache: {
      lookup: (k) => (asked.push("lookup"), host.lookup(k)),
      lastRun: (t) => (asked.push("lastRun"), host.lastRun(t)),
    },
    hashString: (s) => host.hashString(s),
  };
}

async function decide(g: TaskGraph, host: DecideHost, name: string, o: { force?: boolean; deps?: (readonly [Task, DoneTask])[] } = {}): Promise<Decided> {
  if (host instanceof MemoryBuildHost) host.newRun();
  return decideTask(taskNamed(g, name), o.deps ?? [], { host, env: {}, force: o.force ?? false });
}

function decision(d: Decided) {
  assert.ok(d.ok, "expected a decision");
  return d.decision;
}

describe("decideTask", () => {
  test("never built: run, reason new-task, the key with the canonical text it hashes", async () => {
    const g = graph();
    const host = new MemoryBuildHost({ "main.c": "int main;" });
    const d = decision(await decide(g, host, "app"));
    assert.equal(d.verdict, "run");
    assert.deepEqual(d.reason, { kind: "new-task" });
    assert.equal(d.canonical, canonicalIngredients(d.ingredients));
    assert.equal(d.key, contentHash(d.canonical));
    assert.deepEqual(d.outputs, []);
  });

  test("built and untouched: fresh with the recorded outputs; no reason, and the last run is never read", async () => {
    const g = graph();
    const host = new MemoryBuildHost({ "main.c": "int main;" });
    await build(g, host);
    const h = counted(host);
    host.newRun();
    const d = decision(await decideTask(taskNamed(g, "app"), [], { host: h, env: {}, force: false }));
    assert.equal(d.verdict, "fresh");
    assert.equal(d.reason, undefined);
    assert.deepEqual(d.outputs.map((o) => o.path), ["app"]);
    assert.deepEqual(h.asked, ["lookup"], "the no-op path: one lookup, nothing else");
  });

  test("outputs deleted or edited: restore, saying which", async () => {
    const g = graph();
    const host = new MemoryBuildHost({ "main.c": "int main;" });
    await build(g, host);
    host.files.delete("app");
    const gone = decision(await decide(g, host, "app"));
    assert.equal(gone.verdict, "restore");
    assert.deepEqual(gone.reason, { kind: "outputs-missing", paths: ["app"] });
    host.files.set("app", "edited");
    assert.deepEqual(decision(await decide(g, host, "app")).reason, { kind: "outputs-modified", paths: ["app"] });
  });

  test("an input edited: run, naming the input with both hashes", async () => {
    const g = graph();
    const host = new MemoryBuildHost({ "main.c": "int main;" });
    await build(g, host);
    host.files.set("main.c", "int main2;");
    const d = decision(await decide(g, host, "app"));
    assert.equal(d.verdict, "run");
    assert.deepEqual(d.reason, { kind: "input-changed", changes: [{ name: "main.c", old: contentHash("int main;"), new: contentHash("int main2;") }] });
  });

  test("an entry under the key with other ingredients is never trusted: run, flagged as a collision", async () => {
    const g = graph();
    const host = new MemoryBuildHost({ "main.c": "int main;" });
    await build(g, host);
    const key = host.lastRunKey("app") as string;
    host.actions.set(key, { ...(host.actions.get(key) as NonNullable<ReturnType<typeof host.actions.get>>), ingredients: "forged" });
    const d = decision(await decide(g, host, "app"));
    assert.equal(d.verdict, "run");
    assert.equal(d.collision, true);
  });

  test("--force: run, reason forced, without asking the cache", async () => {
    const g = graph();
    const host = new MemoryBuildHost({ "main.c": "int main;" });
    await build(g, host);
    const h = counted(host);
    const d = decision(await decideTask(taskNamed(g, "app"), [], { host: h, env: {}, force: true }));
    assert.deepEqual([d.verdict, d.reason], ["run", { kind: "forced" }]);
    assert.deepEqual(h.asked, []);
  });

  test("a task without a recipe is fresh without a lookup: it does no work", async () => {
    const g = graph();
    const host = new MemoryBuildHost({ "main.c": "int main;" });
    const h = counted(host);
    const app = taskNamed(g, "app");
    const d = decision(await decideTask(taskNamed(g, "all"), [[app, { result: { status: "ran", key: "k", durationMs: 0 }, outputs: [] }]], { host: h, env: {}, force: false }));
    assert.equal(d.verdict, "fresh");
    assert.deepEqual(h.asked, []);
  });

  test("a missing input: no decision, the path named", async () => {
    const g = graph();
    const host = new MemoryBuildHost({});
    const d = await decide(g, host, "app");
    assert.ok(!d.ok);
    assert.equal(d.missingInput, "main.c");
    assert.equal(d.failed.reason, "input-missing");
  });
});

