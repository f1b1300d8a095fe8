// `flow status` on recipes/c-project: states, reasons, exit codes, and the
// `--plan ascii` drawing in each situation, against golden files
// (test/e2e/golden/plan-c-project-*.txt, compared byte for byte;
// FLOW_UPDATE_GOLDEN=1 rewrites them: review the diff before committing).
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildJson, cleanup, copyRecipe, didWork, flow, repoRoot, withStatus, writeProject } from "./support.js";

const GOLDEN = join(repoRoot, "test", "e2e", "golden");

function assertGolden(name: string, actual: string): void {
  const path = join(GOLDEN, name);
  if (process.env["FLOW_UPDATE_GOLDEN"] === "1") {
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `no golden file test/e2e/golden/${name}; run the tests with FLOW_UPDATE_GOLDEN=1 to write it`);
  assert.equal(actual, readFileSync(path, "utf8"), `output differs from test/e2e/golden/${name} (FLOW_UPDATE_GOLDEN=1 rewrites it)`);
}

const TARGETS = ["all", "test"];
/** The drawing of the goals at a fixed width, so the golden does not depend on the terminal. */
const plan = (dir: string) => flow(["status", "--plan", "ascii", "--width", "100", ...TARGETS], { cwd: dir });
const status = (dir: string, args: string[] = TARGETS) => flow(["status", ...args], { cwd: dir });

/** The non-fresh lines of `flow status`: [state, task, reason]. */
function lines(stdout: string): string[][] {
  return stdout
    .split("\n")
    .slice(1)
    .filter((l) => l.trim() !== "")
    .map((l) => {
      const m = /^ {2}(\S+)\s+(\S+)\s+(.*)$/.exec(l);
      assert.ok(m, `not a status line: ${JSON.stringify(l)}`);
      return [m[1] as string, m[2] as string, m[3] as string];
    });
}

describe("flow status on recipes/c-project", () => {
  let dir: string;
  before(() => {
    dir = copyRecipe("c-project");
  });
  after(() => cleanup(join(dir, "..")));

  test("never built: new tasks and what waits for them; exit 1; no cache is created", () => {
    const r = status(dir);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout.split("\n")[0], "flow status: 6 tasks: 3 stale, 3 waiting, 0 cached, 0 fresh");
    assert.deepEqual(lines(r.stdout), [
      ["stale", "build/greet.o", "new task (never built in this checkout)"],
      ["stale", "build/main.o", "new task (never built in this checkout)"],
      ["stale", "build/words.o", "new task (never built in this checkout)"],
      ["waiting", "build/app", "waits for build/greet.o, build/main.o, build/words.o"],
      ["waiting", "all", "waits for build/app"],
      ["waiting", "test", "waits for build/app"],
    ]);
    const p = plan(dir);
    assert.equal(p.code, 1);
    assertGolden("plan-c-project-new.txt", p.stdout);
    assert.equal(existsSync(join(dir, ".flow")), false, "status must not create a cache");
    assert.equal(existsSync(join(dir, "build")), false, "status must not build");
  });

  test("fresh after a build: exit 0, nothing to do", () => {
    const b = buildJson(TARGETS, { cwd: dir });
    assert.equal(b.code, 0, b.stdout + b.stderr);
    const r = status(dir);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(r.stdout, "flow status: 6 tasks, all fresh: nothing to do\n");
    const p = plan(dir);
    assert.equal(p.code, 0);
    assertGolden("plan-c-project-fresh.txt", p.stdout);
  });

  test("after editing one source: that object is stale, naming the file; what needs it waits", () => {
    const file = join(dir, "src/words.c");
    const original = readFileSync(file, "utf8");
    writeFileSync(file, original.replace("*s == '\\n');", "*s == '\\n' || *s == ',');"));
    try {
      const r = status(dir);
      assert.equal(r.code, 1);
      assert.deepEqual(lines(r.stdout), [
        ["stale", "build/words.o", "input changed: src/words.c"],
        ["waiting", "build/app", "waits for build/words.o"],
        ["waiting", "all", "waits for build/app"],
        ["waiting", "test", "waits for build/app"],
      ]);
      assertGolden("plan-c-project-edited.txt", plan(dir).stdout);
      // The plan ran nothing: the build still has the work to do.
      const b = buildJson(TARGETS, { cwd: dir });
      assert.deepEqual(withStatus(b.summary, "ran"), ["build/app", "build/words.o", "test"]);
    } finally {
      writeFileSync(file, original);
    }
    // Back to the original bytes: the original outputs come back from the cache.
    const back = status(dir);
    assert.equal(back.code, 1);
    assert.deepEqual(lines(back.stdout).map((l) => l.slice(0, 2)), [
      ["cached", "build/words.o"],
      ["cached", "build/app"],
      ["cached", "all"],
    ]);
    assert.deepEqual(didWork(buildJson(TARGETS, { cwd: dir }).summary), ["build/app", "build/words.o"]);
    assert.equal(status(dir).code, 0);
  });

  test("after deleting the outputs: cached, restored without running", () => {
    rmSync(join(dir, "build"), { recursive: true });
    const r = status(dir);
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stdout), [
      ["cached", "build/greet.o", "outputs missing: build/greet.o"],
      ["cached", "build/main.o", "outputs missing: build/main.o"],
      ["cached", "build/words.o", "outputs missing: build/words.o"],
      ["cached", "build/app", "outputs missing: build/app"],
      ["cached", "all", "dependencies restored from the cache: build/app"],
    ]);
    assertGolden("plan-c-project-outputs-deleted.txt", plan(dir).stdout);
    const b = buildJson(TARGETS, { cwd: dir });
    assert.deepEqual(withStatus(b.summary, "ran"), []);
    assert.deepEqual(withStatus(b.summary, "restored"), ["build/app", "build/greet.o", "build/main.o", "build/words.o"]);
    assert.equal(status(dir).code, 0);
  });

  test("--tag selects tagged tasks (with what they need); an unknown tag is a usage error", () => {
    const r = status(dir, ["--tag", "check", "--plan", "json"]);
    assert.equal(r.code, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { roots: string[]; tasks: { name: string }[] };
    assert.deepEqual(j.roots, ["test"]);
    assert.deepEqual(j.tasks.map((t) => t.name).sort(), ["build/app", "build/greet.o", "build/main.o", "build/words.o", "test"]);
    const bad = status(dir, ["--tag", "nope"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /no task has the tag 'nope'/);
  });

  test("--expand draws every task; --width wraps a layer", () => {
    const r = flow(["status", "--plan", "ascii", "--expand", "--width", "100", ...TARGETS], { cwd: dir });
    assert.match(r.stdout, /^0 \| build\/greet\.o \[F\] {3}build\/main\.o \[F\] {3}build\/words\.o \[F\]$/m);
    const narrow = flow(["status", "--plan", "ascii", "--expand", "--width", "40", ...TARGETS], { cwd: dir });
    const drawn = narrow.stdout.split("\n");
    assert.ok(drawn.every((l) => l.length <= 40), narrow.stdout);
    assert.deepEqual(drawn.filter((l) => /^[0-9 ] \| /.test(l)).slice(0, 3), ["0 | build/greet.o [F]   build/main.o [F]", "  | build/words.o [F]", "1 | build/app [F] <- build/greet.o +2"]);
  });
});

test("after a failure: the failed task is stale, everything it did not touch is fresh", () => {
  const dir = copyRecipe("c-project");
  try {
    // The program is fine; the test's expectation is not, so the `test` recipe fails.
    writeFileSync(join(dir, "tests/expected.txt"), "something the program never prints\n");
    const b = buildJson(["-k", ...TARGETS], { cwd: dir });
    assert.equal(b.code, 1);
    assert.deepEqual(withStatus(b.summary, "failed"), ["test"]);
    const r = status(dir);
    assert.equal(r.code, 1);
    assert.deepEqual(lines(r.stdout), [["stale", "test", "new task (never built in this checkout)"]]);
    assertGolden("plan-c-project-failed.txt", plan(dir).stdout);
  } finally {
    cleanup(join(dir, ".."));
  }
});

test("a bad Flowfile: exit 2 with the diagnostic, nothing planned", () => {
  const dir = writeProject({ Flowfile: "all: missing-thing\n\techo hi\n" });
  try {
    const r = flow(["status"], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no rule to make .*'missing-thing'/);
    assert.equal(r.stdout, "");
    assert.equal(flow(["status", "--plan", "nope"], { cwd: dir }).code, 2);
  } finally {
    cleanup(dir);
  }
});

test("status writes nothing but the stat memo: the cache's records and last runs are untouched", () => {
  const dir = writeProject({
    Flowfile: ".PHONY: all\nall: out/a out/b\nout/a: a.txt\n\tmkdir -p out && cp a.txt $@\nout/b: out/a\n\tcp out/a $@\n",
    "a.txt": "one\n",
  });
  try {
    assert.equal(buildJson([], { cwd: dir }).code, 0);
    writeFileSync(join(dir, "a.txt"), "two\n");
    for (let i = 0; i < 2; i++) {
      const r = status(dir, []);
      assert.equal(r.code, 1);
      assert.deepEqual(lines(r.stdout)[0], ["stale", "out/a", "input changed: a.txt"]);
    }
    assert.equal(readFileSync(join(dir, "out/b"), "utf8"), "one\n", "outputs untouched");
    const b = buildJson([], { cwd: dir });
    assert.deepEqual(withStatus(b.summary, "ran"), ["out/a", "out/b"]);
  } finally {
    cleanup(dir);
  }
});
