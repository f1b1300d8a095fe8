// RELIABILITY 26: `flow clean --tag T` removes only the recorded outputs of
// the tasks tagged T. In one workspace, end to end: an untagged task's
// output stays; an output that became a symlink out of the root goes as a
// link, its target untouched; a directory goes only when it is a declared
// output directory, and only once empty; a git-tracked file inside a declared
// output directory stays (it is not itself a declared output), while a
// tracked file that is a declared output goes; files outside the root and
// files flow never recorded stay. test/e2e/clean-safety.test.ts takes each
// rule on its own, with the exact report.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, flow, tempDir, writeProject } from "../e2e/support.js";

const FLOWFILE = [
  ".PHONY: all docs",
  "all: docs report.txt link.txt keep.txt",
  // tagged gen: an output directory, a plain file (tracked by git), a file that will become a symlink
  "docs:",
  "\tmkdir -p site/sub && echo i > site/index.html && echo p > site/sub/page.html && echo t > site/tracked.html",
  "docs: .OUTPUTS := site/",
  "docs: .TAGS := gen",
  "report.txt:",
  "\techo r > $@",
  "report.txt: .TAGS := gen nightly",
  "link.txt:",
  "\techo l > $@",
  "link.txt: .TAGS := gen",
  // untagged
  "keep.txt:",
  "\techo k > $@",
  "",
].join("\n");

const gone = (p: string) => lstatSync(p, { throwIfNoEntry: false }) === undefined;

test("RELIABILITY 26: clean --tag removes only the tagged tasks' recorded outputs, safely", () => {
  const dir = writeProject({ Flowfile: FLOWFILE });
  const outside = tempDir("flow-outside-");
  try {
    const b = buildJson([], { cwd: dir });
    assert.equal(b.code, 0, b.stderr);
    execFileSync("git", ["init", "-q"], { cwd: dir });
    execFileSync("git", ["add", "Flowfile", "report.txt", "site/tracked.html"], { cwd: dir });
    writeFileSync(join(outside, "precious.txt"), "precious");
    rmSync(join(dir, "link.txt"));
    symlinkSync(join(outside, "precious.txt"), join(dir, "link.txt"));
    writeFileSync(join(dir, "site", "sub", "mine.txt"), "not flow's");
    writeFileSync(join(dir, "notes.txt"), "not flow's");

    const r = flow(["clean", "--tag", "gen", "--json"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { removed: { path: string; kind: string; task: string }[]; kept: { path: string; reason: string; task: string }[] };
    assert.deepEqual(
      report.removed.map((x) => `${x.kind} ${x.path} (${x.task})`).sort(),
      ["file report.txt (report.txt)", "file site/index.html (docs)", "file site/sub/page.html (docs)", "symlink link.txt (link.txt)"],
    );
    assert.deepEqual(report.kept.map((x) => `${x.path}: ${x.reason}`).sort(), [
      "site/sub: not-empty",
      "site/tracked.html: tracked-by-git",
      "site: not-empty",
    ]);
    assert.ok(gone(join(dir, "report.txt")), "a tracked file that is itself a declared output goes");
    assert.ok(gone(join(dir, "link.txt")), "the link goes");
    assert.equal(readFileSync(join(outside, "precious.txt"), "utf8"), "precious", "its target outside the root is untouched");
    assert.equal(readFileSync(join(dir, "site", "tracked.html"), "utf8"), "t\n");
    assert.equal(readFileSync(join(dir, "site", "sub", "mine.txt"), "utf8"), "not flow's");
    assert.equal(readFileSync(join(dir, "keep.txt"), "utf8"), "k\n", "an untagged task's output stays");
    assert.equal(readFileSync(join(dir, "notes.txt"), "utf8"), "not flow's");
    assert.ok(existsSync(join(dir, "Flowfile")));

    // Once the user's files are gone, the declared output directory goes too (rmdir, never recursive).
    rmSync(join(dir, "site", "sub", "mine.txt"));
    execFileSync("git", ["rm", "-q", "--cached", "site/tracked.html"], { cwd: dir });
    const b2 = buildJson(["--tag", "gen"], { cwd: dir });
    assert.equal(b2.code, 0, b2.stderr);
    const r2 = flow(["clean", "--tag", "gen"], { cwd: dir });
    assert.equal(r2.code, 0, r2.stderr);
    assert.ok(gone(join(dir, "site")), r2.stdout);
    assert.equal(readFileSync(join(dir, "keep.txt"), "utf8"), "k\n");
  } finally {
    cleanup(dir);
    cleanup(outside);
  }
});
