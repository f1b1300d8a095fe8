// `.flow/` (lock, logs, the default cache) carries its own .gitignore, so a
// build in a git checkout leaves `git status` clean (issue 17, tidy edges).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, lstatSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cleanup, flow, tempDir, writeProject } from "./support.js";

const git = (cwd: string, ...args: string[]) => spawnSync("git", args, { cwd, encoding: "utf8" });
const hasGit = git(process.cwd(), "--version").status === 0;

test("a build in a git checkout leaves nothing untracked: .flow/ ignores itself", { skip: hasGit ? false : "git is not installed" }, () => {
  const dir = writeProject({ Flowfile: "out.txt: in.txt\n\tcp in.txt out.txt\n", "in.txt": "x\n", ".gitignore": "out.txt\n" });
  try {
    assert.equal(git(dir, "init", "-q").status, 0);
    assert.equal(flow(["build"], { cwd: dir }).code, 0);
    assert.ok(existsSync(join(dir, ".flow")), ".flow/ was made");
    assert.equal(readFileSync(join(dir, ".flow", ".gitignore"), "utf8").trim().split("\n").at(-1), "*");
    const status = git(dir, "status", "--porcelain", "--untracked-files=all");
    assert.equal(status.status, 0, status.stderr);
    assert.deepEqual(status.stdout.trim().split("\n").sort(), ["?? .gitignore", "?? Flowfile", "?? in.txt"]);
  } finally {
    cleanup(dir);
  }
});

test("a link where .flow/.gitignore goes is left alone, never written through", () => {
  const dir = writeProject({ Flowfile: "out.txt:\n\techo hi > out.txt\n" });
  const outside = tempDir("flow-e2e-outside-");
  try {
    const target = join(outside, "victim");
    writeFileSync(target, "keep\n");
    spawnSync("mkdir", ["-p", join(dir, ".flow")]);
    symlinkSync(target, join(dir, ".flow", ".gitignore"));
    assert.equal(flow(["build"], { cwd: dir }).code, 0);
    assert.equal(readFileSync(target, "utf8"), "keep\n");
    assert.ok(lstatSync(join(dir, ".flow", ".gitignore")).isSymbolicLink());
  } finally {
    cleanup(dir);
    cleanup(outside);
  }
});
