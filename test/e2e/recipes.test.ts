// Every recipe builds, and a second build does no work.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, copyRecipe, didWork, repoRoot } from "./support.js";

const recipes = readdirSync(join(repoRoot, "recipes"), { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

test("there are recipes to build", () => {
  assert.ok(recipes.includes("hello") && recipes.includes("c-project"), `recipes found: ${recipes.join(", ")}`);
});

for (const name of recipes) {
  test(`recipes/${name} builds, then a second build does no work`, () => {
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
