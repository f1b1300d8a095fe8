// A failing task: descendants cannot run, independent tasks finish under -k,
// exit code 1, its log shown, nothing of it cached.
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, flow, withStatus, writeProject } from "./support.js";

const FAILING = `
.PHONY: all
all: out/final out/independent

out/bad:
	mkdir -p out
	echo partial > $@
	echo "compiler says: something is wrong on line 3" >&2
	exit 3

out/final: out/bad
	cat $< > $@

out/independent:
	sleep 0.3
	mkdir -p out
	echo fine > $@
`;

test("a failure stops the build: descendants cannot run, the log is shown, exit 1", () => {
  const dir = writeProject({ Flowfile: FAILING });
  try {
    const r = flow(["build", "-j", "1", "out/bad", "out/final", "out/independent"], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAILED\s+out\/bad: recipe exited with code 3/);
    assert.match(r.stdout, /compiler says: something is wrong on line 3/, "the failed task's log is shown");
    assert.equal(existsSync(join(dir, "out/bad")), false, "partial output removed");
    const j = buildJson(["-j", "1", "out/bad", "out/final", "out/independent"], { cwd: dir });
    assert.equal(j.code, 1);
    assert.equal(j.summary.ok, false);
    assert.deepEqual(withStatus(j.summary, "failed"), ["out/bad"], "not cached: it runs (and fails) again");
    assert.deepEqual(withStatus(j.summary, "cannot-run"), ["all", "out/final"].filter((n) => j.summary.tasks.some((t) => t.name === n)));
  } finally {
    cleanup(dir);
  }
});

test("with -k, tasks that do not depend on the failure finish", () => {
  const dir = writeProject({ Flowfile: FAILING });
  try {
    const j = buildJson(["-k", "-j", "1"], { cwd: dir });
    assert.equal(j.code, 1);
    assert.deepEqual(withStatus(j.summary, "failed"), ["out/bad"]);
    assert.deepEqual(withStatus(j.summary, "cannot-run"), ["all", "out/final"]);
    assert.deepEqual(withStatus(j.summary, "ran"), ["out/independent"]);
    assert.equal(existsSync(join(dir, "out/independent")), true);
  } finally {
    cleanup(dir);
  }
});

test("without -k, an independent task not yet started is skipped", () => {
  const dir = writeProject({ Flowfile: FAILING });
  try {
    // -j 1 and out/bad first: the failure happens before out/independent could start.
    const j = buildJson(["-j", "1", "out/bad", "out/independent"], { cwd: dir });
    assert.equal(j.code, 1);
    assert.deepEqual(withStatus(j.summary, "skipped"), ["out/independent"]);
  } finally {
    cleanup(dir);
  }
});

test("a recipe that exits 0 without writing its declared output fails and is not cached", () => {
  const dir = writeProject({ Flowfile: "out.txt:\n\techo forgot to write it\n" });
  try {
    const j = buildJson([], { cwd: dir });
    assert.equal(j.code, 1);
    const t = j.summary.tasks.find((x) => x.name === "out.txt");
    assert.equal(t?.status, "failed");
    assert.match(t?.message ?? "", /did not create its declared output 'out.txt'/);
    const again = buildJson([], { cwd: dir });
    assert.equal(again.summary.tasks.find((x) => x.name === "out.txt")?.status, "failed");
  } finally {
    cleanup(dir);
  }
});

test("an input edited while its task runs: the result is not cached", () => {
  const dir = writeProject({
    Flowfile: "out.txt: in.txt\n\tcat in.txt > $@\n\techo edited >> in.txt\n",
    "in.txt": "one\n",
  });
  try {
    const j = buildJson([], { cwd: dir });
    assert.equal(j.code, 0, j.stderr);
    assert.match(j.stderr, /INPUT_CHANGED_DURING_RUN/);
    // in.txt now has new content, and the old result was never recorded: it runs again.
    const again = buildJson([], { cwd: dir });
    assert.deepEqual(withStatus(again.summary, "ran"), ["out.txt"]);
  } finally {
    cleanup(dir);
  }
});

test("each recipe runs as one sh -e script in the Flowfile's directory", () => {
  const dir = writeProject({
    "sub/Flowfile": "out.txt:\n\tpwd > $@\n\tfalse\n\techo never >> $@\n",
  });
  try {
    const j = buildJson(["-C", "sub"], { cwd: dir });
    assert.equal(j.code, 1, "sh -e stops at the first failing line");
    assert.equal(existsSync(join(dir, "sub/out.txt")), false);
    const ok = writeProject({ "sub/Flowfile": "out.txt:\n\tpwd > $@\n" }, dir);
    const r = buildJson(["-C", "sub"], { cwd: ok });
    assert.equal(r.code, 0);
  } finally {
    cleanup(dir);
  }
});
