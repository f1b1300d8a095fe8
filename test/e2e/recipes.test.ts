// Every recipe builds, and a second build does no work.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { ensureDebianTool, runs } from "./debian-tool.js";
import { buildJson, cleanup, copyRecipe, didWork, repoRoot } from "./support.js";

const recipes = readdirSync(join(repoRoot, "recipes"), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

test("there are recipes to build", () => {
  assert.ok(recipes.includes("hello") && recipes.includes("c-project"), `recipes found: ${recipes.join(", ")}`);
});

/** What a recipe's recipes run besides a shell and coreutils, installed from Debian when missing. */
const needs: Record<string, { pkg: string; probe: () => boolean }> = {
  "asset-download": { pkg: "curl", probe: () => runs("curl", ["--version"]) },
};

for (const name of recipes) {
  test(`recipes/${name} builds, then a second build does no work`, () => {
    const need = needs[name];
    if (need !== undefined) {
      const tool = ensureDebianTool(need.pkg, need.probe);
      assert.ok(tool.ok, `recipes/${name} needs ${need.pkg}: ${tool.ok ? "" : tool.why}`);
    }
    const dir = copyRecipe(name);
    try {
      const first = buildJson([], { cwd: dir });
      assert.equal(first.code, 0, first.stdout + first.stderr);
      assert.ok(first.summary.ok);
      assert.ok(first.summary.tasks.some((t) => t.status === "ran"), "the first build ran something");
      const second = buildJson([], { cwd: dir });
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(didWork(second.summary), [], "the second build must do no work");
      assert.ok(second.summary.tasks.every((t) => t.status === "up-to-date"));
    } finally {
      cleanup(join(dir, ".."));
    }
  });
}
