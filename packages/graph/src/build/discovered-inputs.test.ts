import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decideTask } from "./decide-task.js";
import type { TaskGraph } from "../graph/task-graph.js";
import { buildInMemory, contentHash, FakeRunner, graphErr, graphOk, MemoryBuildHost, taskNamed, type FakeRecipe } from "../test-support.js";

// The idiom: gcc writes build/X.d beside build/X.o, and the Makefile includes them all.
const MAKEFILE = `
CFLAGS += -MMD -MP
OBJS := build/a.o build/b.o
app: $(OBJS)
\tcc -o $@ $^
build/%.o: src/%.c
\tcc $(CFLAGS) -c $< -o $@
-include $(OBJS:.o=.d)
`;
const SOURCES = ["src/a.c", "src/b.c", "inc/a.h", "inc/common.h"];
const A_D = "build/a.o: src/a.c inc/a.h \\\n inc/common.h\ninc/a.h:\ninc/common.h:\n";
const B_D = "build/b.o: src/b.c inc/common.h\ninc/common.h:\n";

/** A fake compiler: the object from the source and the headers it names, and the depfile -MMD writes. */
function compile(src: string, obj: string, headers: readonly string[]): FakeRecipe {
  return (files) => {
    for (const h of headers) if (!files.has(h)) return 1;
    files.set(obj, `OBJ(${files.get(src)}${headers.map((h) => files.get(h)).join("")})`);
    files.set(obj.replace(/\.o$/, ".d"), `${obj}: ${src} ${headers.join(" ")}\n${headers.map((h) => `${h}:\n`).join("")}`);
    return 0;
  };
}

function fixture(headersOfA: readonly string[] = ["inc/a.h", "inc/common.h"]) {
  const host = new MemoryBuildHost({ "src/a.c": "a", "src/b.c": "b", "inc/a.h": "A1", "inc/common.h": "C1" });
  const runner = () =>
    new FakeRunner(host, {
      "build/a.o": compile("src/a.c", "build/a.o", headersOfA),
      "build/b.o": compile("src/b.c", "build/b.o", ["inc/common.h"]),
      app: (f) => (f.set("app", "BIN"), 0),
    });
  /** The graph as flow reads it now: with the depfiles that are on the fake disk. */
  const graph = (): TaskGraph => {
    const texts: Record<string, string> = {};
    for (const d of ["build/a.d", "build/b.d"]) {
      const t = host.files.get(d);
      if (t !== undefined) texts[d] = t;
    }
    return graphOk(MAKEFILE, { files: [...host.files.keys()].filter((f) => !f.endsWith(".d")), texts, goals: ["app"] });
  };
  const build = async () => {
    host.newRun();
    const r = runner();
    const outcome = await buildInMemory(graph(), host, r);
    return { ran: [...r.started].sort(), ok: outcome.ok };
  };
  return { host, graph, build };
}

describe("depfiles: how flow recognises them", () => {
  test("an -included depfile that a task's -MMD writes adds nothing to the graph: the same inputs and key as without it", () => {
    const before = graphOk(MAKEFILE, { files: SOURCES, goals: ["app"] });
    const after = graphOk(MAKEFILE, { files: SOURCES, texts: { "build/a.d": A_D, "build/b.d": B_D }, goals: ["app"] });
    const a = taskNamed(after, "build/a.o");
    assert.equal(a.depfile, "build/a.d");
    assert.deepEqual(a.inputs, ["src/a.c"]);
    assert.deepEqual(a, taskNamed(before, "build/a.o"));
    // The -MP lines (`inc/a.h:`) make no tasks.
    assert.equal(after.byName.has("inc/a.h"), false);
    assert.equal(after.tasks.length, before.tasks.length);
  });

  test("a depfile-shaped include no task claims (a hand-written or `cc -MM > deps.mk` list) is read as rules, as before", () => {
    const g = graphOk("app.o: app.c\n\tcc -c app.c -o app.o\n-include deps.mk\n", { files: ["app.c", "app.h"], texts: { "deps.mk": "app.o: app.c app.h\n" }, goals: ["app.o"] });
    const t = taskNamed(g, "app.o");
    assert.equal(t.depfile, undefined);
    assert.deepEqual(t.inputs, ["app.c", "app.h"]);
  });

  test(".DEPFILE names the depfile of a recipe flow cannot read it from; a bad value is FLOW011", () => {
    const g = graphOk("%.o: %.c\n\tmycc --deps $*.dep $< $@\n%.o: .DEPFILE = $*.dep\n-include x.dep\n", {
      files: ["x.c", "x.h"],
      texts: { "x.dep": "x.o: x.c x.h\n" },
      goals: ["x.o"],
    });
    const t = taskNamed(g, "x.o");
    assert.equal(t.depfile, "x.dep");
    assert.deepEqual(t.inputs, ["x.c"]);
    const d = graphErr("x.o: x.c\n\tcc -c x.c\nx.o: .DEPFILE = a.d b.d\n", { files: ["x.c"], goals: ["x.o"] });
    assert.equal(d.code, "FLOW011");
    assert.equal(graphErr("x.o: x.c\n\tcc -c x.c\nx.o: .DEPFILE = ../x.d\n", { files: ["x.c"], goals: ["x.o"] }).code, "FLOW011");
  });
});

describe("depfiles: discovered inputs in the build", () => {
  test("first build runs each object once, the second runs nothing, with the depfiles now read", async () => {
    const f = fixture();
    assert.deepEqual((await f.build()).ran, ["app", "build/a.o", "build/b.o"]);
    assert.deepEqual((await f.build()).ran, []);
    // The record keeps what the depfile listed beyond the declared inputs, with content hashes.
    const rec = f.host.puts.find((r) => r.outputs.some((o) => o.path === "build/a.o"));
    assert.deepEqual(rec?.discovered, [
      ["inc/a.h", contentHash("A1")],
      ["inc/common.h", contentHash("C1")],
    ]);
    // A task without a depfile records none.
    assert.equal(f.host.puts.find((r) => r.outputs.some((o) => o.path === "app"))?.discovered, undefined);
  });

  test("editing a header reruns exactly the objects whose depfiles name it; the reason names the header", async () => {
    const f = fixture();
    await f.build();
    await f.build();
    f.host.files.set("inc/a.h", "A2");
    f.host.newRun();
    const d = await decideTask(taskNamed(f.graph(), "build/a.o"), [], { host: f.host, env: {}, force: false });
    assert.ok(d.ok);
    assert.equal(d.decision.verdict, "run");
    assert.deepEqual(d.decision.reason, { kind: "discovered-input-changed", changes: [{ name: "inc/a.h", old: contentHash("A1"), new: contentHash("A2") }] });
    assert.deepEqual((await f.build()).ran, ["app", "build/a.o"]);
    f.host.files.set("inc/common.h", "C2");
    assert.deepEqual((await f.build()).ran, ["app", "build/a.o", "build/b.o"]);
    assert.deepEqual((await f.build()).ran, []);
  });

  test("a deleted header a depfile still names is no error: the task reruns and the compiler decides", async () => {
    const f = fixture();
    await f.build();
    f.host.files.delete("inc/a.h");
    f.host.newRun();
    const d = await decideTask(taskNamed(f.graph(), "build/a.o"), [], { host: f.host, env: {}, force: false });
    assert.ok(d.ok);
    assert.deepEqual(d.decision.reason, { kind: "discovered-input-changed", changes: [{ name: "inc/a.h", old: contentHash("A1"), new: null }] });
    // Here the compiler still wants it: the task fails as the compiler's, not as flow's missing input.
    const r = await f.build();
    assert.equal(r.ok, false);
    assert.deepEqual(r.ran, ["build/a.o", "build/b.o"].filter((n) => n === "build/a.o"));
  });

  test("a record without discovered inputs (made before the task had a depfile) is not trusted by a task that has one", async () => {
    const f = fixture();
    await f.build();
    for (const r of f.host.actions.values()) delete r.discovered;
    f.host.newRun();
    const d = await decideTask(taskNamed(f.graph(), "build/b.o"), [], { host: f.host, env: {}, force: false });
    assert.ok(d.ok);
    assert.deepEqual(d.decision.reason, { kind: "discovered-input-changed", changes: [] });
  });

  test("restored from the cache, a task still checks its discovered inputs, and is fresh after", async () => {
    const f = fixture();
    await f.build();
    f.host.files.delete("build/a.o");
    f.host.files.delete("build/a.d");
    assert.deepEqual((await f.build()).ran, []);
    assert.deepEqual((await f.build()).ran, []);
    f.host.files.delete("build/a.o");
    f.host.files.set("inc/a.h", "A3");
    assert.deepEqual((await f.build()).ran, ["app", "build/a.o"]);
  });
});
