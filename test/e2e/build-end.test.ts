// What a build says about its tasks besides their output (docs/output-logs.md):
// -v echoes recipes.
import assert from "node:assert/strict";
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
