// RELIABILITY 26: clean removes only declared, recorded outputs; never
// through a symlink (a symlink output goes as a link); a directory only when
// it is a declared output directory; never a git-tracked file unless it is
// itself a declared output. Each rule has its own case.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, flow, tempDir, writeProject } from "./support.js";

function build(dir: string, args: string[] = []): void {
  const r = buildJson(args, { cwd: dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
}

const gone = (p: string) => !existsSync(p) && lstatSync(p, { throwIfNoEntry: false }) === undefined;

test("a symlink pointing outside the root among the outputs is removed as a link, never followed", () => {
  const dir = writeProject({
    Flowfile: [
      ".PHONY: all outdir",
      "all: result.txt gen/data/out.txt outdir",
      "result.txt:",
      "\techo r > $@",
      "gen/data/out.txt:",
      "\tmkdir -p $(@D) && echo g > $@",
      "outdir:",
      "\tmkdir -p out/sub && echo x > out/inner.txt && echo y > out/sub/deep.txt",
      "outdir: .OUTPUTS := out/",
      "",
    ].join("\n"),
  });
  const outside = tempDir("flow-outside-");
  try {
    build(dir);
    for (const [p, text] of [["precious.txt", "precious"], ["data/out.txt", "not flow's"], ["inner.txt", "not flow's"], ["sub/deep.txt", "not flow's"]] as const) {
      mkdirSync(join(outside, p, ".."), { recursive: true });
      writeFileSync(join(outside, p), text);
    }
    // An output file, a directory on the way to an output, and a declared output directory: each now a link out of the root.
    rmSync(join(dir, "result.txt"));
    symlinkSync(join(outside, "precious.txt"), join(dir, "result.txt"));
    rmSync(join(dir, "gen"), { recursive: true });
    symlinkSync(outside, join(dir, "gen"));
    rmSync(join(dir, "out"), { recursive: true });
    symlinkSync(outside, join(dir, "out"));

    const dry = flow(["clean", "--dry-run"], { cwd: dir });
    const r = flow(["clean"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        "  removed      out (a symlink, removed as a link)",
        "  removed      result.txt (a symlink, removed as a link)",
        "  kept         gen: a symlink: 1 recorded entry below it left alone (never followed)",
        "  kept         out: a symlink: 3 recorded entries below it left alone (never followed)",
        "flow: clean: removed 2 paths",
        "",
      ].join("\n"),
    );
    assert.equal(dry.stdout, r.stdout.replaceAll("  removed     ", "  would remove").replace("flow: clean: removed 2 paths", "flow: clean --dry-run: would remove 2 paths; nothing was removed"));
    assert.ok(gone(join(dir, "result.txt")) && gone(join(dir, "out")));
    assert.ok(lstatSync(join(dir, "gen")).isSymbolicLink(), "gen is no output: the link stays");
    for (const [p, text] of [["precious.txt", "precious"], ["data/out.txt", "not flow's"], ["inner.txt", "not flow's"], ["sub/deep.txt", "not flow's"]]) {
      assert.equal(readFileSync(join(outside, p as string), "utf8"), text, `${p} outside the root is untouched`);
    }
  } finally {
    cleanup(dir);
    cleanup(outside);
  }
});

test("a directory goes only as a declared output directory, and only once empty", () => {
  const dir = writeProject({
    Flowfile: [
      ".PHONY: all outdir",
      "all: thing.txt outdir",
      "thing.txt:",
      "\techo t > $@",
      "outdir:",
      "\tmkdir -p out/sub out/empty && echo x > out/a.txt && echo y > out/sub/b.txt",
      "outdir: .OUTPUTS := out/",
      "",
    ].join("\n"),
  });
  try {
    build(dir);
    // A file output replaced by a directory; a file of the user's inside the output directory.
    rmSync(join(dir, "thing.txt"));
    mkdirSync(join(dir, "thing.txt"));
    writeFileSync(join(dir, "thing.txt", "notes"), "mine");
    writeFileSync(join(dir, "out", "mine.txt"), "mine");
    const r = flow(["clean"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        "  removed      out/a.txt",
        "  removed      out/sub/b.txt",
        "  removed      out/empty/",
        "  removed      out/sub/",
        "  kept         thing.txt: a directory, but not a declared output directory",
        "  kept         out: holds files flow did not record",
        "flow: clean: removed 4 paths",
        "",
      ].join("\n"),
    );
    assert.equal(readFileSync(join(dir, "thing.txt", "notes"), "utf8"), "mine");
    assert.equal(readFileSync(join(dir, "out", "mine.txt"), "utf8"), "mine");
    rmSync(join(dir, "out", "mine.txt"));
    build(dir); // restored
    assert.equal(flow(["clean", "outdir"], { cwd: dir }).code, 0);
    assert.equal(existsSync(join(dir, "out")), false, "an emptied declared output directory goes too");
  } finally {
    cleanup(dir);
  }
});

test("only outputs that are both declared and recorded: not side files, not outputs no longer declared, not unbuilt ones", () => {
  const dir = writeProject({
    Flowfile: [
      ".PHONY: all multi",
      "all: multi",
      "multi:",
      "\techo 1 > one.txt && echo 2 > two.txt && echo side > side.txt",
      "multi: .OUTPUTS := one.txt two.txt",
      "never.txt:",
      "\techo n > $@",
      "",
    ].join("\n"),
    "never.txt": "made by hand\n",
  });
  try {
    build(dir);
    writeFileSync(join(dir, "Flowfile"), readFileSync(join(dir, "Flowfile"), "utf8").replace(".OUTPUTS := one.txt two.txt", ".OUTPUTS := one.txt"));
    const r = flow(["clean"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        "  removed      one.txt",
        "  kept         two.txt: recorded, but no longer a declared output",
        "flow: clean: no recorded run in this checkout for never.txt: their outputs are left alone",
        "flow: clean: removed 1 path",
        "",
      ].join("\n"),
    );
    assert.deepEqual(["two.txt", "side.txt", "never.txt"].map((p) => existsSync(join(dir, p))), [true, true, true]);
  } finally {
    cleanup(dir);
  }
});

test("a file tracked by git is removed only when it is itself a declared output", () => {
  const dir = writeProject({
    Flowfile: [
      ".PHONY: all docs",
      "all: tracked.txt docs",
      "tracked.txt:",
      "\techo t > $@",
      "docs:",
      "\tmkdir -p gen && echo a > gen/a.txt && echo b > gen/b.txt",
      "docs: .OUTPUTS := gen/",
      "",
    ].join("\n"),
  });
  try {
    build(dir);
    execFileSync("git", ["init", "-q"], { cwd: dir });
    execFileSync("git", ["add", "Flowfile", "tracked.txt", "gen/a.txt"], { cwd: dir });
    const r = flow(["clean"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      [
        "  removed      gen/b.txt",
        "  removed      tracked.txt",
        "  kept         gen/a.txt: tracked by git, and not itself a declared output",
        "  kept         gen: holds files flow did not record",
        "flow: clean: removed 2 paths",
        "",
      ].join("\n"),
    );
    assert.equal(readFileSync(join(dir, "gen/a.txt"), "utf8"), "a\n");
  } finally {
    cleanup(dir);
  }
});

test("paths with spaces and quotes are cleaned and listed unambiguously", () => {
  const dir = writeProject({
    Flowfile: [".PHONY: all weird", "all: weird", "weird:", "\tmkdir -p w && printf x > 'w/a b.txt' && printf y > 'w/q\"uote'", "weird: .OUTPUTS := w/", ""].join("\n"),
  });
  try {
    build(dir);
    const r = flow(["clean"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '  removed      "w/a b.txt"\n  removed      "w/q\\"uote"\n  removed      w/\nflow: clean: removed 3 paths\n');
    assert.equal(existsSync(join(dir, "w")), false);
  } finally {
    cleanup(dir);
  }
});
