import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { layoutPlan, MAX_LAYERS, MAX_NODES_PER_LAYER, type PlanLayout } from "./plan-layout.js";
import { planSvg } from "./plan-svg.js";
import { planOf, type Spec } from "./test-support/plan-of.js";

/** Every element named `name` anywhere under a parsed node, with its attributes (preserveOrder form). */
function elements(tree: unknown, name: string): Record<string, string>[] {
  const found: Record<string, string>[] = [];
  const walk = (items: unknown) => {
    if (!Array.isArray(items)) return;
    for (const item of items as Record<string, unknown>[]) {
      for (const [k, v] of Object.entries(item)) {
        if (k === ":@") continue;
        if (k === name) found.push((item[":@"] ?? {}) as Record<string, string>);
        walk(v);
      }
    }
  };
  walk(tree);
  return found;
}

function parse(svg: string): unknown {
  const valid = XMLValidator.validate(svg);
  assert.equal(valid, true, `not well-formed XML: ${JSON.stringify(valid)}`);
  return new XMLParser({ preserveOrder: true, ignoreAttributes: false, attributeNamePrefix: "" }).parse(svg);
}

const nodesOf = (tree: unknown) => elements(tree, "g").filter((g) => g.class?.split(" ").includes("node"));

const SMALL: Spec[] = [
  { name: "build/a.o", pattern: "build/%.o", state: "stale" },
  { name: "build/b.o", pattern: "build/%.o" },
  { name: "gen/<odd> & \"name\".c", state: "cached" },
  { name: "app", deps: ["build/a.o", "build/b.o", "gen/<odd> & \"name\".c"], state: "waiting" },
  { name: "test", deps: ["app"], state: "waiting" },
];

describe("layoutPlan and planSvg", () => {
  test("a small plan: one node per plan node with its state class, an edge per dependency between nodes, text escaped", async () => {
    const { graph, plan } = planOf(SMALL);
    const layout = await layoutPlan(graph, plan);
    const tree = parse(planSvg(layout, { title: "plan of <all>" }));
    parse(planSvg(layout, { title: "a bell \u0007 and a lone \ud800: characters XML cannot hold" }));
    const nodes = nodesOf(tree).map((g) => [g["data-node"], g.class, g["data-group"]]);
    assert.deepEqual(nodes.sort(), [
      ["g:0:build/%.o", "node state-mixed", "1"],
      ["t:app", "node state-waiting", "0"],
      ['t:gen/<odd> & "name".c', "node state-cached", "0"],
      ["t:test", "node state-waiting", "0"],
    ]);
    const edges = elements(tree, "path")
      .filter((p) => p.class === "edge")
      .map((p) => `${p["data-from"]} -> ${p["data-to"]}`);
    assert.deepEqual(edges.sort(), ["g:0:build/%.o -> t:app", "t:app -> t:test", 't:gen/<odd> & "name".c -> t:app']);
    const group = layout.nodes.find((n) => n.id === "g:0:build/%.o");
    assert.deepEqual(group?.counts, { stale: 1, fresh: 1 });
    assert.deepEqual(group?.tasks, ["build/a.o", "build/b.o"]);
    // Dependencies sit above what needs them, and no two boxes overlap.
    const at = new Map(layout.nodes.map((n) => [n.id, n]));
    for (const e of layout.edges) assert.ok((at.get(e.from)?.y ?? 0) < (at.get(e.to)?.y ?? 0), `${e.from} above ${e.to}`);
    assertNoOverlap(layout);
    // The legend names the states the picture uses.
    const legend = elements(tree, "g")
      .filter((g) => g.class?.startsWith("legend-item"))
      .map((g) => g.class);
    assert.deepEqual(legend, ["legend-item state-stale", "legend-item state-waiting", "legend-item state-cached", "legend-item state-fresh", "legend-item state-mixed"]);
  });

  test("a group expands by id into its tasks; run states colour instead of the plan", async () => {
    const { graph, plan } = planOf(SMALL);
    const runStates = new Map([
      ["build/a.o", "ran"],
      ["build/b.o", "ran"],
      ["app", "failed"],
      ["test", "cannot-run"],
    ] as const);
    const collapsed = await layoutPlan(graph, plan, { runStates });
    assert.equal(collapsed.nodes.find((n) => n.id === "g:0:build/%.o")?.state, "ran");
    const expanded = await layoutPlan(graph, plan, { expand: new Set(["g:0:build/%.o"]), runStates });
    const states = Object.fromEntries(expanded.nodes.map((n) => [n.id, n.state]));
    assert.deepEqual(states, { "t:build/a.o": "ran", "t:build/b.o": "ran", 't:gen/<odd> & "name".c': "cached", "t:app": "failed", "t:test": "cannot-run" });
    assert.equal(expanded.edges.length, 4);
  });

  test("10,000 tasks collapse to a few nodes per layer and a fold, and lay out fast", async () => {
    const specs: Spec[] = [];
    for (let i = 0; i < 5000; i++) specs.push({ name: `data/raw${i}.csv`, state: i % 7 === 0 ? "stale" : "fresh" });
    for (let i = 0; i < 4900; i++) specs.push({ name: `out/clean/${i}.csv`, pattern: "out/clean/%.csv", deps: [`data/raw${i}.csv`] });
    // A chain longer than MAX_LAYERS, whose middle folds.
    for (let i = 0; i < 100; i++) specs.push({ name: `chain${i}`, deps: [i === 0 ? "out/clean/0.csv" : `chain${i - 1}`] });
    const { graph, plan } = planOf(specs);
    const start = performance.now();
    const layout = await layoutPlan(graph, plan);
    const ms = performance.now() - start;
    const svg = planSvg(layout);
    parse(svg);
    assert.ok(layout.nodes.length <= MAX_LAYERS * MAX_NODES_PER_LAYER, `${layout.nodes.length} nodes`);
    const fold = layout.nodes.find((n) => n.id.startsWith("f:"));
    assert.ok(fold, "the middle layers fold");
    assert.equal(layout.nodes.reduce((sum, n) => sum + n.tasks.length, 0), 10_000, "every task in exactly one node");
    assertNoOverlap(layout);
    // Measured about 0.3 s here (elk loaded); the bound leaves room for a slow shared machine.
    assert.ok(ms < 5000, `layout took ${Math.round(ms)} ms`);
    const unfolded = await layoutPlan(graph, plan, { expand: new Set([fold.id]) });
    assert.ok(!unfolded.nodes.some((n) => n.id.startsWith("f:")));
    assert.ok(unfolded.nodes.some((n) => n.id === "t:chain50"));
  });
});

function assertNoOverlap(layout: PlanLayout): void {
  const ns = layout.nodes;
  for (let i = 0; i < ns.length; i++)
    for (let j = i + 1; j < ns.length; j++) {
      const a = ns[i];
      const b = ns[j];
      if (!a || !b) continue;
      const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
      assert.ok(apart, `${a.id} overlaps ${b.id}`);
    }
}
