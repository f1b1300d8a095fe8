// `flow explain TASK` and `flow build --explain`: what changed since a task's
// last successful run, named exactly.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildJson, cleanup, copyRecipe, flow, writeProject } from "./support.js";

/** The lines of one section of `flow explain` ("inputs: ...", "env: ..."), header first. */
function section(stdout: string, name: string): string[] {
  const lines = stdout.split("\n");
  const start = lines.findIndex((l) => l.startsWith(`${name}:`));
  assert.ok(start >= 0, `no '${name}:' section in:\n${stdout}`);
  const out = [lines[start] as string];
  for (const l of lines.slice(start + 1)) {
    if (!l.startsWith(" ")) break;
    out.push(l);
  }
  return out;
}

const HASH = /^[0-9a-f]{32}$/;

describe("flow explain on recipes/c-project", () => {
  let dir: string;
  before(() => {
    dir = copyRecipe("c-project");
    const b = buildJson(["all", "test"], { cwd: dir });
    assert.equal(b.code, 0, b.stdout + b.stderr);
  });
  after(() => cleanup(join(dir, "..")));

  test("after an edit, it names exactly the one input that changed, with its old and new hash", () => {
    const file = join(dir, "src/words.c");
    const original = readFileSync(file, "utf8");
    writeFileSync(file, `${original}\n/* edited */\n`);
    try {
      const r = flow(["explain", "build/words.o"], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout.split("\n")[0], "build/words.o: stale (will run): input changed: src/words.c");
      const inputs = section(r.stdout, "inputs");
      assert.equal(inputs[0], "inputs: 1 of 2 changed");
      const changed = inputs.filter((l) => /^ {2}(changed|added|removed) /.test(l));
      assert.deepEqual(changed, ["  changed  src/words.c"]);
      const [oldHash, newHash] = inputs.filter((l) => /^ +(old|new) /.test(l)).map((l) => l.trim().split(" ")[1] as string);
      assert.match(oldHash as string, HASH);
      assert.match(newHash as string, HASH);
      assert.notEqual(oldHash, newHash);
      assert.deepEqual(section(r.stdout, "recipe"), ["recipe: unchanged"]);
      assert.deepEqual(section(r.stdout, "dependencies' outputs"), ["dependencies' outputs: none"]);

      // The untouched object: fresh, nothing changed.
      const greet = flow(["explain", "build/greet.o"], { cwd: dir });
      assert.equal(greet.stdout.split("\n")[0], "build/greet.o: fresh (up to date)");
      assert.deepEqual(section(greet.stdout, "inputs"), ["inputs: 2, unchanged"]);

      // The link step waits: the edited object's outputs are not known before it runs.
      const app = flow(["explain", "build/app"], { cwd: dir });
      assert.match(app.stdout, /^build\/app: waiting .*: waits for build\/words\.o$/m);
      assert.deepEqual(section(app.stdout, "dependencies' outputs"), [
        "dependencies' outputs: 3 (2 unchanged, 1 not known yet)",
        "  pending  build/words.o (stale or waiting: its outputs are known once it runs)",
      ]);
    } finally {
      writeFileSync(file, original);
    }
  });

  test("a changed recipe is shown as a line diff", () => {
    const r = flow(["explain", "build/main.o", "CFLAGS=-O0"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split("\n")[0], "build/main.o: stale (will run): recipe changed");
    assert.deepEqual(section(r.stdout, "recipe"), [
      "recipe: changed",
      "    mkdir -p build",
      "  - cc -O2 -Wall -Wextra -Iinclude -c src/main.c -o build/main.o",
      "  + cc -O0 -Iinclude -c src/main.c -o build/main.o",
    ]);
  });

  test("build --explain: one reason per task that ran, none for the others", () => {
    const file = join(dir, "src/words.c");
    const original = readFileSync(file, "utf8");
    writeFileSync(file, original.replace("*s == '\\n');", "*s == '\\n' || *s == ',');"));
    try {
      const r = flow(["build", "--explain", "all", "test"], { cwd: dir });
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const why = r.stdout.split("\n").filter((l) => l.startsWith("  why "));
      assert.deepEqual(why.sort(), [
        "  why       build/app: dependency output changed: build/words.o",
        "  why       build/words.o: input changed: src/words.c",
        "  why       test: dependency output changed: build/app",
      ]);
    } finally {
      writeFileSync(file, original);
    }
    // Restored from the cache, nothing runs: no reasons; --json carries them per task.
    const j = buildJson(["--explain", "all", "test"], { cwd: dir });
    assert.equal(j.code, 0);
    assert.deepEqual(j.summary.tasks.filter((t) => "why" in t), []);
    assert.doesNotMatch(j.stderr, /why/);
    const forced = buildJson(["--explain", "--force", "build/greet.o"], { cwd: dir });
    assert.deepEqual(
      forced.summary.tasks.map((t) => [t.name, (t as { why?: string }).why]),
      [["build/greet.o", "forced (--force)"]],
    );
  });

  test("usage: one task, which must exist", () => {
    const none = flow(["explain"], { cwd: dir });
    assert.equal(none.code, 2);
    assert.match(none.stderr, /explain takes one task/);
    const unknown = flow(["explain", "build/nothing.o"], { cwd: dir });
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no rule to make .*'build\/nothing\.o'/);
  });
});

test("after an .ENV value changed, explain and status name the variable", () => {
  const dir = writeProject({
    Flowfile: "out/report: .ENV := SEED REGION\nout/report: data.txt\n\tmkdir -p out\n\techo \"$$SEED $$REGION\" | cat - data.txt > $@\n",
    "data.txt": "rows\n",
  });
  try {
    const env = { SEED: "1", REGION: "eu" };
    assert.equal(buildJson([], { cwd: dir, env }).code, 0);
    assert.equal(flow(["status"], { cwd: dir, env }).code, 0);
    const changed = { SEED: "2", REGION: "eu" };
    const s = flow(["status"], { cwd: dir, env: changed });
    assert.equal(s.code, 1);
    assert.match(s.stdout, /^ {2}stale +out\/report +env value changed: SEED$/m);
    const r = flow(["explain", "out/report"], { cwd: dir, env: changed });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.split("\n")[0], "out/report: stale (will run): env value changed: SEED");
    assert.deepEqual(section(r.stdout, "env"), ["env: 1 of 2 changed", '           REGION="eu"', '  changed  SEED: "1" -> "2"']);
    assert.deepEqual(section(r.stdout, "inputs"), ["inputs: 1, unchanged"]);
    assert.deepEqual(section(r.stdout, "recipe"), ["recipe: unchanged"]);
    const unset = flow(["explain", "out/report"], { cwd: dir, env: { REGION: "eu" } });
    assert.ok(section(unset.stdout, "env").includes('  changed  SEED: "1" -> (unset)'), unset.stdout);
  } finally {
    cleanup(dir);
  }
});
