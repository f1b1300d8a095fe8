// What a build says about its tasks besides their output (docs/output-logs.md):
// -v echoes recipes, a failure names its rule's location.
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { cleanup, flow, writeProject } from "./support.js";

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
