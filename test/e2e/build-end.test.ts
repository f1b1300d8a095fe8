// What a build says about its tasks besides their output (docs/output-logs.md):
// -v echoes recipes, a failure names its rule's location, and the end of a
// build says what happened: interrupted, what could not run, what early
// cutoff spared.
import assert from "node:assert/strict";
import { existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { cleanup, flow, flowAsync, writeProject } from "./support.js";

test("-v echoes each recipe, each line, before the task's line; without -v nothing is echoed", () => {
  const dir = writeProject({ Flowfile: ["out.txt:", "\tX=1", "\techo made > $@", ""].join("\n") });
  try {
    const r = flow(["build", "-v"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^X=1\necho made > out\.txt\n {2}ran {7}out\.txt /m, r.stdout);
    const fresh = flow(["build", "-v"], { cwd: dir });
    assert.match(fresh.stdout, /^ {2}fresh {5}out\.txt\n/m, "-v still lists up-to-date tasks");
    assert.doesNotMatch(fresh.stdout, /echo made/, "a task that does not run is not echoed");
    const plain = flow(["build", "-B"], { cwd: dir });
    assert.doesNotMatch(plain.stdout, /echo made/);
  } finally {
    cleanup(dir);
  }
});

test("a failed task's line names its rule's Flowfile location, relative to the current directory", () => {
  const dir = writeProject({ "proj/Flowfile": ["# a comment", "", "ok.txt:", "\ttouch $@", "", "bad.txt:", "\texit 4", ""].join("\n") });
  try {
    const r = flow(["build", "bad.txt"], { cwd: join(dir, "proj") });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^ {2}FAILED {4}bad\.txt: recipe exited with code 4 \(rule at Flowfile:6:1\)$/m, r.stdout);
    const fromAbove = flow(["build", "-C", "proj", "bad.txt"], { cwd: dir });
    assert.match(fromAbove.stdout, /FAILED {4}bad\.txt: recipe exited with code 4 \(rule at proj\/Flowfile:6:1\)$/m, fromAbove.stdout);
  } finally {
    cleanup(dir);
  }
});

test("the tasks that could not run after a failure are named, a long list capped with 'and N more'", () => {
  const libs = Array.from({ length: 13 }, (_, i) => `lib${String(i).padStart(2, "0")}`);
  const dir = writeProject({
    Flowfile: ["all: " + libs.join(" "), ...libs.flatMap((l) => [`${l}: bad`, "\ttouch $@"]), "bad:", "\texit 1", ""].join("\n"),
  });
  try {
    const r = flow(["build", "-k"], { cwd: dir });
    assert.equal(r.code, 1);
    // `all` needs them all: 14 tasks could not run; 10 named, in the order they were given up.
    const line = /^flow: could not run, a dependency failed: (.*) and 4 more$/m.exec(r.stdout);
    assert.ok(line, r.stdout);
    const named = (line[1] as string).split(", ");
    assert.equal(named.length, 10);
    assert.equal(new Set(named).size, 10);
    for (const n of named) assert.ok([...libs, "all"].includes(n), n);
    assert.match(r.stdout, /^flow: build failed: 1 failed, 14 cannot run \(/m);
  } finally {
    cleanup(dir);
  }
});

test("without -k, the tasks not started after the failure are named", () => {
  // At -j1 `bad` starts first (first in order, and the longest path left: bad c1 c2 c3) and fails: `x` never starts.
  const dir = writeProject({ Flowfile: ["all: c3 x", "bad:", "\texit 1", "c1: bad", "\ttouch $@", "c2: c1", "\ttouch $@", "c3: c2", "\ttouch $@", "x:", "\ttouch $@", ""].join("\n") });
  try {
    const r = flow(["build", "-j", "1"], { cwd: dir });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^flow: not started after the failure \(-k goes on with them\): x$/m, r.stdout);
    assert.match(r.stdout, /^flow: could not run, a dependency failed: (c1|c2|c3|all)(, (c1|c2|c3|all)){3}$/m, r.stdout);
  } finally {
    cleanup(dir);
  }
});

test("early cutoff: a line names the dependency that ran and made the same bytes, and counts the tasks it spared", () => {
  const dir = writeProject({
    Flowfile: ["all: a.out b.out c.out", "gen.h: src.txt", "\tcut -c1 src.txt > $@", "a.out b.out: gen.h", "\tcp gen.h $@", "c.out: other.txt", "\tcp other.txt $@", ""].join("\n"),
    "src.txt": "ab\n",
    "other.txt": "o\n",
  });
  try {
    assert.equal(flow(["build"], { cwd: dir }).code, 0);
    // The edit changes src.txt but not its first character: gen.h runs and makes the same bytes.
    writeFileSync(join(dir, "src.txt"), "ac\n");
    const r = flow(["build"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /^ {2}ran {7}gen\.h /m);
    assert.match(r.stdout, /^flow: early cutoff: gen\.h ran and made the same bytes as an earlier build, so 2 tasks after it did not run: a\.out, b\.out$/m, r.stdout);
    // A build where nothing ran says nothing of it.
    const noop = flow(["build"], { cwd: dir });
    assert.doesNotMatch(noop.stdout, /early cutoff/);
  } finally {
    cleanup(dir);
  }
});

test("Ctrl-C: the build ends 'interrupted', naming the task it stopped, not 'build failed'", async () => {
  const dir = writeProject({
    Flowfile: ["all: slow.txt after.txt", "slow.txt:", "\ttouch started; sleep 30; touch $@", "after.txt: slow.txt", "\ttouch $@", ""].join("\n"),
  });
  try {
    const { child, done } = flowAsync(["build"], { cwd: dir });
    for (let i = 0; i < 400 && !existsSync(join(dir, "started")); i++) await sleep(50);
    assert.ok(existsSync(join(dir, "started")), "the slow task started");
    child.kill("SIGINT");
    const r = await done;
    assert.equal(r.code, 130, r.stdout + r.stderr);
    assert.match(r.stdout, /^flow: stopped while running: slow\.txt$/m, r.stdout);
    assert.match(r.stdout, /^flow: interrupted: 3 skipped \(/m, r.stdout);
    assert.doesNotMatch(r.stdout, /build failed/);
  } finally {
    cleanup(dir);
  }
});
