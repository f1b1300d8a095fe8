import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { drawPlan } from "./plan-render-ascii.js";
import { planDot } from "./plan-render-graph.js";
import { groupLayer } from "./plan-render-groups.js";
import { reasonText } from "./plan-render-reason.js";
import { statusText } from "../commands/status-command.js";
import { planOf } from "./test-support/plan-of.js";

const body = (text: string) => text.split("\n").filter((l) => /^ *[0-9.]+ [|│] |^ +[|│] /.test(l));

describe("drawPlan", () => {
  test("pattern instances of a layer are one node with counts; single tasks keep their names", () => {
    const { graph, plan } = planOf([
      { name: "build/a.o", pattern: "build/%.o", state: "stale" },
      { name: "build/b.o", pattern: "build/%.o" },
      { name: "gen/only.c", pattern: "gen/%.c" },
      { name: "app", deps: ["build/a.o", "build/b.o", "gen/only.c"], state: "waiting" },
    ]);
    assert.deepEqual(body(drawPlan(graph, plan, { width: 100, expand: false, charset: "ascii" })), [
      "0 | build/%.o x2 (1 stale, 1 fresh) [S]   gen/only.c [F]",
      "1 | app [W] <- build/%.o, gen/only.c",
    ]);
    assert.deepEqual(body(drawPlan(graph, plan, { width: 100, expand: true, charset: "unicode" })), [
      "0 │ build/a.o [●]   build/b.o [✓]   gen/only.c [✓]",
      "1 │ app [○] ← build/a.o, build/b.o, gen/only.c",
    ]);
  });

  test("a layer too big for its share is grouped by name shape, then directory, then top directory", () => {
    const shapes = Array.from({ length: 300 }, (_, i) => ({ name: `out/part${i}.txt` }));
    const a = planOf(shapes);
    assert.deepEqual(body(drawPlan(a.graph, a.plan, { width: 80, expand: false, charset: "ascii" })), ["0 | out/part*.txt x300 (300 fresh) [F]"]);

    const words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];
    const dirs = words.flatMap((d) => words.map((w) => ({ name: `out/${d}/${w}.txt` })));
    const b = planOf(dirs);
    const lines = body(drawPlan(b.graph, b.plan, { width: 60, expand: false, charset: "ascii" }));
    assert.ok(lines.length <= 48, lines.join("\n"));
    assert.ok(lines[0]?.startsWith("0 | out/alpha/* x10 (10 fresh) [F]"), lines.join("\n"));

    const wide = planOf([...words, ...words.map((w) => `${w}2`)].flatMap((top) => words.map((w) => ({ name: `${top}/sub${w}/${w}/f.txt` }))));
    const top = body(drawPlan(wide.graph, wide.plan, { width: 40, expand: false, charset: "ascii" }));
    assert.ok(top.length <= 48 && top.every((l) => l.length <= 40), top.join("\n"));
  });

  test("every line fits the width; an over-long name is cut in the middle", () => {
    const long = `out/${"very-long-directory-name/".repeat(8)}file.txt`;
    const { graph, plan } = planOf([{ name: long, state: "stale" }, { name: "next", deps: [long], state: "waiting" }]);
    const text = drawPlan(graph, plan, { width: 50, expand: true, charset: "ascii" });
    for (const l of text.split("\n")) assert.ok(l.length <= 50, `${l.length}: ${l}`);
    const first = body(text)[0] as string;
    assert.equal(first, "0 | out/very-long-direct...ctory-name/file.txt [S]");
    assert.equal(body(text)[1], "1 | next [W] <- +1");
  });

  test("an empty plan", () => {
    const { graph, plan } = planOf([]);
    assert.equal(drawPlan(graph, plan, { width: 100, expand: false, charset: "ascii" }).split("\n")[0], "flow plan: 0 tasks: 0 stale, 0 waiting, 0 cached, 0 fresh");
  });
});

describe("statusText", () => {
  test("counts, then one aligned line per task that is not fresh, in plan order", () => {
    const { graph, plan } = planOf([
      { name: "lib.o", state: "stale", reason: { kind: "recipe-changed" } },
      { name: "main.o" },
      { name: "app", deps: ["lib.o", "main.o"], state: "waiting", reason: { kind: "waiting-for", names: ["lib.o"] } },
    ]);
    assert.equal(statusText(graph, plan), "flow status: 3 tasks: 1 stale, 1 waiting, 0 cached, 1 fresh\n  stale    lib.o  recipe changed\n  waiting  app    waits for lib.o\n");
    const fresh = planOf([{ name: "a" }]);
    assert.equal(statusText(fresh.graph, fresh.plan), "flow status: 1 task, all fresh: nothing to do\n");
  });
});

describe("reasonText", () => {
  test("lists are cut after three names", () => {
    assert.equal(reasonText({ kind: "dependency-changed", names: ["a", "b", "c", "d", "e"] }), "dependency output changed: a, b, c (+2 more)");
  });

  test("input changes: changed, added, removed, mixed", () => {
    const ch = (name: string, o: string | null, n: string | null) => ({ name, old: o, new: n });
    assert.equal(reasonText({ kind: "input-changed", changes: [ch("a.c", "1", "2")] }), "input changed: a.c");
    assert.equal(reasonText({ kind: "input-changed", changes: [ch("a.c", null, "2"), ch("b.c", null, "3")] }), "inputs added: a.c, b.c");
    assert.equal(reasonText({ kind: "input-changed", changes: [ch("a.c", "1", null)] }), "input removed: a.c");
    assert.equal(reasonText({ kind: "input-changed", changes: [ch("a.c", "1", "2"), ch("b.c", null, "3")] }), "inputs changed: a.c, b.c (added)");
  });
});

describe("planDot", () => {
  test("names are escaped; edges go from a dependency to what needs it", () => {
    const { graph, plan } = planOf([{ name: 'we"ird\\name' }, { name: "app", deps: ['we"ird\\name'] }]);
    assert.equal(
      planDot(graph, plan, false),
      [
        "digraph flow_plan {",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
        '  edge [color="#666666"];',
        '  n0 [label="we\\"ird\\\\name\\nfresh", fillcolor="#d9ead3", color="#6aa84f"];',
        '  n1 [label="app\\nfresh", fillcolor="#d9ead3", color="#6aa84f"];',
        "  n0 -> n1;",
        "}",
        "",
      ].join("\n"),
    );
  });
});

test("groupLayer keeps a key of one task as the task's own name", () => {
  const { graph, plan } = planOf([{ name: "out/a1.txt" }, { name: "out/b.txt" }]);
  assert.deepEqual(
    groupLayer(graph, plan, 0, [0, 1], 2).map((n) => n.label),
    ["out/a1.txt", "out/b.txt"],
  );
});
