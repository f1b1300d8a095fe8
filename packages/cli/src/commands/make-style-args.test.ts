import assert from "node:assert/strict";
import { test } from "node:test";
import { makeStyleArgs } from "./make-style-args.js";

test("make's -j8, -Cdir and -fFILE are split; everything else, and all after --, is left as it is", () => {
  assert.deepEqual(makeStyleArgs(["build", "-j8", "-Crecipes/hello", "-fMakefile", "all"]), ["build", "-j", "8", "-C", "recipes/hello", "-f", "Makefile", "all"]);
  assert.deepEqual(makeStyleArgs(["build", "-j", "2", "-k", "-v", "X=-j3"]), ["build", "-j", "2", "-k", "-v", "X=-j3"]);
  assert.deepEqual(makeStyleArgs(["build", "-jx"]), ["build", "-jx"], "not a number: clipanion's error says what is wrong");
  assert.deepEqual(makeStyleArgs(["build", "--", "-j4"]), ["build", "--", "-j4"]);
});
