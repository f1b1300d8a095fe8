// RELIABILITY.md case 20: the parser and the planner survive fuzzing. A short
// budget here (npm test); `npm run test:fuzz` runs a long one.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { checkCase, loadSeeds, makeCase } from "./fuzz-cases.js";
import { runFuzz } from "./fuzz-driver.js";

const repoRoot = join(fileURLToPath(import.meta.url), "..", "..", "..", "..", "..");

test("random and mutated Flowfiles give a graph or a diagnostic, never an exception or a hang", async (t) => {
  const seed = Number(process.env["FLOW_FUZZ_SEED"] ?? 20261122);
  const report = await runFuzz({ seed, maxCases: 30_000, budgetMs: 8000, caseTimeoutMs: 5000, repoRoot });
  t.diagnostic(`fuzz: seed ${seed}, ${report.cases} cases, ${report.failures.length} failure(s)`);
  const shown = report.failures
    .slice(0, 5)
    .map((f) => `case ${f.index} (reproduce: npm run test:fuzz -- --seed ${f.seed} --case ${f.index}): ${f.problem}\n--- Flowfile ---\n${f.flowfile}\n---`);
  assert.deepEqual(shown, [], `${report.failures.length} failing case(s) of ${report.cases}`);
  assert.ok(report.cases >= 200, `only ${report.cases} cases ran`);
});

test("cases are reproducible from (seed, index)", () => {
  const seeds = loadSeeds(repoRoot);
  assert.ok(seeds.length >= 30, `seed projects found: ${seeds.length}`);
  assert.deepEqual(makeCase(7, 42, seeds), makeCase(7, 42, seeds));
});

test("a known-tricky input is a diagnostic, not a crash", () => {
  const tricky = [
    "f = $(call f,$(1)x)$(call f,$(1)y)\nX := $(call f)\n",
    "X := a\n" + "X := $(X) $(X)\n".repeat(40),
    "$(foreach a,1 2 3 4 5 6 7 8 9 10,$(foreach b,1 2 3 4 5 6 7 8 9 10,$(eval R$(a)$(b) := $$(R$(a)$(b)) x)))\nall:\n",
    "%: %.x\n\tcp $< $@\n%.x: %.y\n\tcp $< $@\n%.y: %\n\tcp $< $@\nall: z\n",
    "a: b\n\ttouch a\nb: a\n\ttouch b\n",
  ];
  for (const flowfile of tricky) assert.equal(checkCase({ flowfile, texts: {}, files: [], goals: [] }), undefined, flowfile);
});
