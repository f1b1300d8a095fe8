import assert from "node:assert/strict";
import { test } from "node:test";
import { comparePaths, isSafeRelativePath, isSafeSymlinkTarget } from "./output-path.js";

test("safe relative paths", () => {
  for (const ok of ["a", "a/b", "-x", "a b/c'$\"\n", "é/ü", "..a", "a.."]) assert.ok(isSafeRelativePath(ok), ok);
  for (const bad of ["", "/a", "../x", "a/../b", "./a", "a/./b", "a//b", "a/", "a\0b", ".."]) assert.ok(!isSafeRelativePath(bad), bad);
});

test("symlink targets must stay inside the root", () => {
  assert.ok(isSafeSymlinkTarget("a/link", "../b"));
  assert.ok(isSafeSymlinkTarget("a/link", "."));
  assert.ok(isSafeSymlinkTarget("link", "a/b"));
  assert.ok(!isSafeSymlinkTarget("link", "../x"));
  assert.ok(!isSafeSymlinkTarget("a/link", "../../x"));
  assert.ok(!isSafeSymlinkTarget("a/link", "/etc/passwd"));
  assert.ok(!isSafeSymlinkTarget("a/link", ""));
});

test("comparePaths puts a directory right before its contents", () => {
  const sorted = ["a-b", "a/c", "a", "b", "a/c/d", "a.x", "A"].sort(comparePaths);
  assert.deepEqual(sorted, ["A", "a", "a/c", "a/c/d", "a-b", "a.x", "b"]);
});
