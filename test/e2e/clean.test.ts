// `flow clean`: the acceptance cases of issue 5 on recipes/c-project, tag
// selection (a union; an unknown tag removes nothing), --cache and --dry-run.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, copyRecipe, didWork, flow, withStatus, writeProject } from "./support.js";

/** Every file under dir (relative, sorted) with its bytes, `.flow/` excluded. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const p = rel === "" ? name : `${rel}/${name}`;
      if (p === ".flow") continue;
      if (statSync(join(dir, p)).isDirectory()) walk(p);
      else out.set(p, readFileSync(join(dir, p)).toString("base64"));
    }
  };
  walk("");
  return out;
}

function removedBetween(before: Map<string, string>, after: Map<string, string>): string[] {
  for (const [p, v] of after) assert.equal(before.get(p), v, `${p} appeared or changed`);
  return [...before.keys()].filter((p) => !after.has(p)).sort();
}

/** recipes/c-project whose check task writes its result to build/test.log (a declared output). */
function cProjectWithTestLog(): string {
  const dir = copyRecipe("c-project");
  const flowfile = readFileSync(join(dir, "Flowfile"), "utf8");
  const edited = flowfile
    .replace("\tsh tests/run.sh build/app tests/expected.txt\n", "\tsh tests/run.sh build/app tests/expected.txt > build/test.log\n")
    .replace("test: .TAGS := check\n", "test: .TAGS := check\ntest: .OUTPUTS := build/test.log\n");
  assert.notEqual(edited, flowfile);
  writeFileSync(join(dir, "Flowfile"), edited);
  return dir;
}

test("clean --tag check removes exactly the tagged task's outputs; the next build restores only it", () => {
  const dir = cProjectWithTestLog();
  try {
    const first = buildJson(["all", "test"], { cwd: dir });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.match(readFileSync(join(dir, "build/test.log"), "utf8"), /^ok: /);
    const before = snapshot(dir);

    const dry = flow(["clean", "--tag", "check", "--dry-run"], { cwd: dir });
    assert.equal(dry.code, 0, dry.stderr);
    assert.equal(dry.stdout, "  would remove build/test.log\nflow: clean --dry-run: would remove 1 path; nothing was removed\n");
    assert.deepEqual(removedBetween(before, snapshot(dir)), []);

    const r = flow(["clean", "--tag", "check"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "  removed      build/test.log\nflow: clean: removed 1 path\n");
    assert.deepEqual(removedBetween(before, snapshot(dir)), ["build/test.log"]);

    const next = buildJson(["all", "test"], { cwd: dir });
    assert.equal(next.code, 0, next.stderr);
    assert.deepEqual(didWork(next.summary), ["test"]);
    assert.deepEqual(withStatus(next.summary, "restored"), ["test"]);
    assert.deepEqual(snapshot(dir), before);

    // With --cache the entry goes too: the next build reruns the task instead.
    const withCache = flow(["clean", "--tag", "check", "--cache"], { cwd: dir });
    assert.equal(withCache.code, 0, withCache.stderr);
    assert.deepEqual(removedBetween(before, snapshot(dir)), ["build/test.log"]);
    const rerun = buildJson(["all", "test"], { cwd: dir });
    assert.deepEqual(didWork(rerun.summary), ["test"]);
    assert.deepEqual(withStatus(rerun.summary, "ran"), ["test"]);
  } finally {
    cleanup(join(dir, ".."));
  }
});

test("on recipes/c-project as shipped (a test task without outputs) clean --tag check --cache makes only it rerun", () => {
  const dir = copyRecipe("c-project");
  try {
    assert.equal(buildJson(["all", "test"], { cwd: dir }).code, 0);
    const before = snapshot(dir);
    const r = flow(["clean", "--tag", "check", "--cache"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "  forgot       the cache entry of test\nflow: clean: removed 0 paths and 1 cache entry\n");
    assert.deepEqual(snapshot(dir), before, "the task declares no outputs: no file is touched");
    const next = buildJson(["all", "test"], { cwd: dir });
    assert.deepEqual(didWork(next.summary), ["test"]);
  } finally {
    cleanup(join(dir, ".."));
  }
});

test("a tag nobody uses removes nothing, says so and exits 2, even next to a real tag", () => {
  const dir = cProjectWithTestLog();
  try {
    assert.equal(buildJson(["all", "test"], { cwd: dir }).code, 0);
    const before = snapshot(dir);
    for (const args of [["--tag", "nobody"], ["--tag", "check", "--tag", "nobody"], ["--tag", ""]]) {
      const r = flow(["clean", ...args], { cwd: dir });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.equal(r.stdout, "");
      assert.match(r.stderr, /^flow: no task has the tag '(nobody|)' \(tags in this Flowfile: check\); nothing removed\n$/);
      assert.deepEqual(snapshot(dir), before);
    }
    const b = flow(["build", "--tag", "nobody"], { cwd: dir });
    assert.equal(b.code, 2);
    assert.match(b.stderr, /no task has the tag 'nobody'.*; nothing built/);
  } finally {
    cleanup(join(dir, ".."));
  }
});

test("with nothing selected clean removes every recorded output and the directories it emptied; sources stay", () => {
  const dir = cProjectWithTestLog();
  try {
    assert.equal(buildJson(["all", "test"], { cwd: dir }).code, 0);
    const before = snapshot(dir);
    const r = flow(["clean"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(removedBetween(before, snapshot(dir)), ["build/app", "build/greet.o", "build/main.o", "build/test.log", "build/words.o"]);
    assert.ok(!existsSync(join(dir, "build")), "build/ held only outputs and no rule names it: emptied, it goes too");
    assert.match(r.stdout, /^ {2}removed {6}build\/$/m);
    const again = flow(["clean"], { cwd: dir });
    assert.equal(again.stdout, "flow: clean: nothing to remove\n");
    const next = buildJson(["all", "test"], { cwd: dir });
    assert.deepEqual(withStatus(next.summary, "ran"), []);
    assert.deepEqual(snapshot(dir), before);
  } finally {
    cleanup(join(dir, ".."));
  }
});

test("--tag repeats as a union, targets add to it; build --tag builds the tagged tasks and what they need", () => {
  const dir = writeProject({
    Flowfile: [
      ".PHONY: all",
      "all: a.txt b.txt c.txt",
      "base.txt:",
      "\techo base > $@",
      "a.txt: base.txt",
      "\tcat $< > $@",
      "a.txt: .TAGS := one",
      "b.txt:",
      "\techo b > $@",
      "b.txt: .TAGS := two shared",
      "c.txt:",
      "\techo c > $@",
      "c.txt: .TAGS := shared",
      "",
    ].join("\n"),
  });
  try {
    const b = buildJson(["--tag", "one"], { cwd: dir });
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(withStatus(b.summary, "ran"), ["a.txt", "base.txt"]);
    assert.equal(buildJson([], { cwd: dir }).code, 0);

    const r = flow(["clean", "--tag", "two", "--tag", "shared", "--dry-run"], { cwd: dir });
    assert.equal(r.stdout, "  would remove b.txt\n  would remove c.txt\nflow: clean --dry-run: would remove 2 paths; nothing was removed\n");
    const t = flow(["clean", "--tag", "one", "base.txt", "--json"], { cwd: dir });
    assert.equal(t.code, 0, t.stderr);
    const doc = JSON.parse(t.stdout) as { removed: { path: string; task: string }[] };
    assert.deepEqual(doc.removed.map((x) => x.path), ["a.txt", "base.txt"], "clean acts on the selection, not on what it needs");
    assert.ok(existsSync(join(dir, "b.txt")) && existsSync(join(dir, "c.txt")));
  } finally {
    cleanup(dir);
  }
});

test("clean before any build touches nothing and creates no cache", () => {
  const dir = writeProject({ Flowfile: "out.txt:\n\techo hi > $@\n", "out.txt": "made by hand\n" });
  try {
    const r = flow(["clean"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "flow: clean: no recorded run in this checkout for out.txt: their outputs are left alone\nflow: clean: nothing to remove\n");
    assert.equal(readFileSync(join(dir, "out.txt"), "utf8"), "made by hand\n");
    assert.equal(existsSync(join(dir, ".flow", "db")), false);
  } finally {
    cleanup(dir);
  }
});
