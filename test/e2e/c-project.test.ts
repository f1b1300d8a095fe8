// Incremental behaviour of recipes/c-project: exact reruns, early cutoff,
// touch without change, restore from cache, a shared cache across checkouts.
import assert from "node:assert/strict";
import { appendFileSync, existsSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { buildJson, cleanup, copyRecipe, didWork, tempDir, withStatus } from "./support.js";

let dir: string;
before(() => {
  dir = copyRecipe("c-project");
  const first = buildJson(["all", "test"], { cwd: dir });
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.deepEqual(withStatus(first.summary, "ran"), ["build/app", "build/greet.o", "build/main.o", "build/words.o", "test"]);
});
after(() => cleanup(join(dir, "..")));

test("editing one source reruns exactly the tasks whose ingredients changed", () => {
  const file = join(dir, "src/words.c");
  const original = readFileSync(file, "utf8");
  // A real code change (commas also separate words); the program's output for the test stays the same.
  const edited = original.replace("*s == '\\n');", "*s == '\\n' || *s == ',');");
  assert.notEqual(edited, original);
  writeFileSync(file, edited);
  try {
    const r = buildJson(["all", "test"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    // words.o has new bytes (code moved), so the link reruns and so does the test.
    assert.deepEqual(withStatus(r.summary, "ran"), ["build/app", "build/words.o", "test"]);
    assert.deepEqual(withStatus(r.summary, "up-to-date"), ["all", "build/greet.o", "build/main.o"]);
  } finally {
    writeFileSync(file, original);
  }
  // Back to the original bytes: every task's key was seen before.
  const back = buildJson(["all", "test"], { cwd: dir });
  assert.deepEqual(withStatus(back.summary, "ran"), []);
});

test("a comment edit recompiles one object and stops there (early cutoff)", () => {
  const file = join(dir, "src/greet.c");
  const original = readFileSync(file, "utf8");
  appendFileSync(file, "/* a comment that changes no code */\n");
  try {
    const r = buildJson(["all", "test"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(didWork(r.summary), ["build/greet.o"], "only the edited object reruns; the link step is spared");
    assert.equal(r.summary.tasks.find((t) => t.name === "build/app")?.status, "up-to-date");
  } finally {
    writeFileSync(file, original);
  }
});

test("touching a file without changing it reruns nothing", () => {
  const later = new Date(Date.now() + 5000);
  for (const f of ["src/main.c", "include/greet.h", "tests/run.sh"]) utimesSync(join(dir, f), later, later);
  const r = buildJson(["all", "test"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(didWork(r.summary), []);
});

test("deleted outputs are restored from the cache without running any recipe", () => {
  const app = readFileSync(join(dir, "build/app"));
  rmSync(join(dir, "build"), { recursive: true });
  const r = buildJson(["all", "test"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(withStatus(r.summary, "ran"), []);
  assert.deepEqual(withStatus(r.summary, "restored"), ["build/app", "build/greet.o", "build/main.o", "build/words.o"]);
  assert.deepEqual(readFileSync(join(dir, "build/app")), app, "restored bytes are the built bytes");
  // The restored program is still executable.
  const again = buildJson(["test", "--force"], { cwd: dir });
  assert.equal(again.code, 0, again.stdout + again.stderr);
});

test("the project copied elsewhere, built with the same --cache-dir, runs nothing", () => {
  const cacheDir = join(tempDir(), "shared-cache");
  const a = copyRecipe("c-project");
  const b = copyRecipe("c-project");
  try {
    const first = buildJson(["--cache-dir", cacheDir, "all", "test"], { cwd: a });
    assert.equal(first.code, 0, first.stderr);
    const second = buildJson(["--cache-dir", cacheDir, "all", "test"], { cwd: b });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(withStatus(second.summary, "ran"), []);
    assert.ok(existsSync(join(b, "build/app")));
    // Keys are the same in both checkouts: nothing absolute enters them.
    const keys = (s: typeof first.summary) => s.tasks.map((t) => `${t.name}=${t.key}`).sort();
    assert.deepEqual(keys(second.summary), keys(first.summary));
  } finally {
    for (const d of [a, b, cacheDir]) cleanup(join(d, ".."));
  }
});
