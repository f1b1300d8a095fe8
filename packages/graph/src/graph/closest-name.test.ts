import assert from "node:assert/strict";
import { test } from "node:test";
import { closestName, editDistance } from "./closest-name.js";
import { graphErr } from "../test-support.js";

test("editDistance counts insertions, deletions, substitutions and swaps of neighbours", () => {
  assert.equal(editDistance("build", "build"), 0);
  assert.equal(editDistance("biuld", "build"), 1, "a swap is one step");
  assert.equal(editDistance("buid", "build"), 1);
  assert.equal(editDistance("bulid", "build"), 1);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("abcdef", "uvwxyz", 2), 2, "stops at the cap");
});

test("closestName: the nearest within a third of the length, nothing when none is near", () => {
  assert.equal(closestName("biuld", ["clean", "build", "test"]), "build");
  assert.equal(closestName("out/ap", ["out/app", "out/lib.a"]), "out/app");
  assert.equal(closestName("docs", ["build", "test"]), undefined);
  assert.equal(closestName("ab", ["xy"]), undefined);
  assert.equal(closestName("tests", ["test", "tests2"]), "test", "ties go to the first in sorted order");
});

test("FLOW012 for a mistyped goal names the closest target", () => {
  const d = graphErr("all: app\napp: main.c\n\tcc -o $@ $<\n.PHONY: all check\ncheck:\n\ttrue\n", { goals: ["chekc"], files: ["main.c"] });
  assert.equal(d.code, "FLOW012");
  assert.match(d.hint ?? "", /^did you mean 'check'\?/);
  const far = graphErr("all: app\napp:\n\ttouch app\n", { goals: ["zzzzzz"] });
  assert.doesNotMatch(far.hint ?? "", /did you mean/);
});
