import assert from "node:assert/strict";
import { test } from "node:test";
import { readFlowfile } from "../reader/flowfile-reader.js";
import { planGeneratedIncludes, planIncludes } from "./generated-includes.js";
import type { TaskGraph } from "../graph/task-graph.js";
import { buildInMemory, FakeRunner, memoryGraphFs, memoryReadHost, MemoryBuildHost, ROOT } from "../test-support.js";

const FLOWFILE = "all: $(PARTS)\ninclude parts.mk\nparts.mk: list.txt\n\tgen $< > $@\n";

/** The include graph of FLOWFILE as read with the files on `host` (parts.mk may be missing). */
function includeGraph(host: MemoryBuildHost): TaskGraph {
  const texts: Record<string, string> = { Flowfile: FLOWFILE };
  for (const [p, c] of host.files) texts[p] = c;
  const model = readFlowfile(memoryReadHost(texts), { file: "Flowfile", missingIncludes: "defer" });
  assert.ok(model.ok);
  const plan = planIncludes(model.value, { root: ROOT, fs: memoryGraphFs(Object.keys(texts)) });
  assert.ok(plan.ok && plan.value.graph);
  return plan.value.graph;
}

async function states(host: MemoryBuildHost): Promise<{ settled: boolean; states: string[] }> {
  host.newRun();
  const graph = includeGraph(host);
  const { plan, settled } = await planGeneratedIncludes(graph, { host, env: {} });
  return { settled, states: plan.order.map((id) => `${graph.tasks[id]?.name} ${plan.tasks.get(id)?.state}`) };
}

async function makeIncludes(host: MemoryBuildHost): Promise<void> {
  host.newRun();
  const graph = includeGraph(host);
  const runner = new FakeRunner(host, {
    "parts.mk": (files) => {
      files.set("parts.mk", `PARTS := ${files.get("list.txt")}\n`);
      return 0;
    },
  });
  const outcome = await buildInMemory(graph, host, runner);
  assert.ok(outcome.ok);
}

test("generated includes are settled only when every task that makes one is fresh", async () => {
  const host = new MemoryBuildHost({ "list.txt": "a" });
  // Never made (a fresh checkout): the file is missing and its task stale.
  assert.deepEqual(await states(host), { settled: false, states: ["parts.mk stale"] });
  await makeIncludes(host);
  assert.deepEqual(await states(host), { settled: true, states: ["parts.mk fresh"] });
  // An input of the include changed: the build remakes it and reads again.
  host.files.set("list.txt", "a b");
  assert.deepEqual(await states(host), { settled: false, states: ["parts.mk stale"] });
  await makeIncludes(host);
  // Deleted: restored from the cache, which is work too (the Flowfile is read again).
  host.files.delete("parts.mk");
  assert.deepEqual(await states(host), { settled: false, states: ["parts.mk cached"] });
});
