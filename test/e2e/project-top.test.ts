import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { buildJson, cleanup, flow, read, tempDir, writeProject } from "./support.js";

// A recursive layout in the style of a well-known compression library: the
// program's Makefile globs the library's sources one directory up.
const LAYOUT = {
  "Makefile": "all:\n\t$(MAKE) -C programs\n",
  "lib/a.c": "int a(void) { return 1; }\n",
  "lib/b.c": "int b(void) { return 2; }\n",
  "programs/Makefile": "SRCS := $(wildcard ../lib/*.c)\nlist.txt: $(SRCS)\n\techo $^ > $@\n",
};

const NO_TOP_MAKEFILE: Record<string, string> = Object.fromEntries(Object.entries(LAYOUT).filter(([p]) => p !== "Makefile"));

describe("the project's top, for recursive layouts", () => {
  test("a glob above the Makefile's directory works below the outermost directory with a Makefile", () => {
    const dir = writeProject(LAYOUT);
    try {
      const r = buildJson(["-C", "programs"], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(read(dir, "programs/list.txt"), "../lib/a.c ../lib/b.c\n");
      // .flow/ stays beside the Makefile that was built: each Makefile is its own build.
      assert.ok(existsSync(join(dir, "programs", ".flow")));
      assert.ok(!existsSync(join(dir, ".flow")));
      // An edit above is an input like any other.
      writeProject({ "lib/c.c": "int c(void) { return 3; }\n" }, dir);
      const again = buildJson(["-C", "programs"], { cwd: dir });
      assert.deepEqual(again.summary.tasks.filter((t) => t.status === "ran").map((t) => t.name), ["list.txt"]);
      assert.equal(read(dir, "programs/list.txt"), "../lib/a.c ../lib/b.c ../lib/c.c\n");
    } finally {
      cleanup(dir);
    }
  });

  test("without a Makefile in the parent, the glob reaches outside the project: FLOW007", () => {
    const dir = writeProject(NO_TOP_MAKEFILE);
    try {
      const r = flow(["build", "-C", "programs"], { cwd: dir });
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /FLOW007: glob '\.\.\/lib\/\*\.c' reaches outside the project root/);
    } finally {
      cleanup(dir);
    }
  });

  test("the top of a git repository is the top, Makefile in the parent or not; FLOW_ROOT overrides", () => {
    const dir = tempDir();
    try {
      const repo = writeProject(NO_TOP_MAKEFILE, join(dir, "repo"));
      mkdirSync(join(repo, ".git"));
      assert.equal(buildJson(["-C", "programs"], { cwd: repo }).code, 0);
      // Nothing above the top: a glob two levels up is refused even though it exists.
      writeProject({ "other/x.c": "\n", "repo/programs/Makefile": "out.txt: $(wildcard ../../other/*.c)\n\techo $^ > $@\n" }, dir);
      assert.match(flow(["build", "-C", "programs"], { cwd: repo }).stderr, /FLOW007/);
      // FLOW_ROOT names the top explicitly.
      const r = flow(["build", "-C", "programs"], { cwd: repo, env: { FLOW_ROOT: dir } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(read(repo, "programs/out.txt"), "../../other/x.c\n");
      const bad = flow(["build", "-C", "programs"], { cwd: repo, env: { FLOW_ROOT: join(dir, "other") } });
      assert.match(bad.stderr, /FLOW007: FLOW_ROOT '.*other' does not hold the Flowfile's directory/);
    } finally {
      cleanup(dir);
    }
  });
});
