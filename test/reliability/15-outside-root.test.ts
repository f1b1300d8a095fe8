// RELIABILITY 15: an output or a glob outside the project root is a
// validation error (FLOW007): exit 2 before anything runs, nothing touched.
// "Outside" is where the path really is: `linkdir/x`, with linkdir an in-root
// symlink to a directory elsewhere, is outside. Every "outside" directory
// here is inside the test's own temp dir.
import assert from "node:assert/strict";
import { existsSync, readdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { cleanup, flow, read, writeProject } from "../e2e/support.js";

/** A temp dir holding `outside/` (with one file) and the project `p/`, with `p/linkdir` -> `../outside`. */
function setUp(flowfile: string): { base: string; dir: string } {
  const base = writeProject({ "outside/o.txt": "outside\n", "p/in.txt": "in\n" });
  const dir = join(base, "p");
  symlinkSync("../outside", join(dir, "linkdir"));
  writeFileSync(join(dir, "Flowfile"), flowfile);
  return { base, dir };
}

/** exit 2 with FLOW007 at `Flowfile:LINE:`; nothing ran, nothing was written outside, no cache made. */
function assertRefused(base: string, dir: string, line: number, what: RegExp): void {
  for (const cmd of [["build"], ["status"]]) {
    const r = flow(cmd, { cwd: dir });
    assert.equal(r.code, 2, `${cmd.join(" ")}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, new RegExp(`^Flowfile:${line}:\\d+: error FLOW007: `, "m"), r.stderr);
    assert.match(r.stderr, what, r.stderr);
  }
  assert.deepEqual(readdirSync(join(base, "outside")), ["o.txt"], "nothing written outside the root");
  assert.equal(read(base, "outside/o.txt"), "outside\n");
  assert.equal(existsSync(join(dir, "ran")), false, "nothing ran");
  assert.equal(existsSync(join(dir, ".flow")), false, "no cache made");
}

test("RELIABILITY 15: an output '../x' is refused before anything runs", () => {
  const { base, dir } = setUp("all: ../outside/x ok\nok:\n\ttouch ran $@\n../outside/x:\n\techo x > $@\n");
  try {
    assertRefused(base, dir, 4, /output '\.\.\/outside\/x' is outside the project root/);
  } finally {
    cleanup(base);
  }
});

test("RELIABILITY 15: an absolute output is refused before anything runs", () => {
  const { base, dir } = setUp("");
  try {
    const abs = join(base, "outside", "abs");
    writeFileSync(join(dir, "Flowfile"), `all: ${abs} ok\nok:\n\ttouch ran $@\n${abs}:\n\techo x > $@\n`);
    assertRefused(base, dir, 4, /is outside the project root/);
  } finally {
    cleanup(base);
  }
});

test("RELIABILITY 15: an output through an in-root symlink to a directory outside is refused before anything runs", () => {
  const { base, dir } = setUp("all: ok linkdir/x\nok:\n\ttouch ran $@\nlinkdir/x:\n\techo x > $@\n");
  try {
    assertRefused(base, dir, 4, /output 'linkdir\/x' is outside the project root: 'linkdir' is a symlink to /);
  } finally {
    cleanup(base);
  }
});

test("RELIABILITY 15: an output directory (.OUTPUTS) through such a symlink is refused too", () => {
  const { base, dir } = setUp("all: ok gen\nok:\n\ttouch ran $@\ngen: .OUTPUTS := linkdir/sub/\ngen:\n\tmkdir -p linkdir/sub && touch $@\n");
  try {
    // The rule with the recipe is where the task is: line 5.
    assertRefused(base, dir, 5, /output 'linkdir\/sub' is outside the project root: 'linkdir' is a symlink to /);
  } finally {
    cleanup(base);
  }
});

test("RELIABILITY 15: a glob through an in-root symlink to a directory outside is refused before anything runs", () => {
  for (const prereq of ["linkdir/*.txt", "$(wildcard linkdir/*.txt)", "linkdir/**/*.txt"]) {
    const { base, dir } = setUp(`all: ok g\nok:\n\ttouch ran $@\ng: ${prereq}\n\tcat $^ > $@\n`);
    try {
      assertRefused(base, dir, 4, /glob '.*' matches 'linkdir\/o\.txt', which is outside the project root: 'linkdir' is a symlink to /);
    } finally {
      cleanup(base);
    }
  }
});

test("RELIABILITY 15: a glob through an in-root link to an in-root directory is fine; an output through it is refused (FLOW020)", () => {
  const base = writeProject({ "p/real/in.txt": "in\n" });
  const dir = join(base, "p");
  try {
    symlinkSync("real", join(dir, "inlink"));
    writeFileSync(join(dir, "Flowfile"), "g: inlink/*.txt\n\tcat $^ > $@\n");
    const r = flow(["build"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.equal(read(dir, "g"), "in\n");
    // flow never writes through a link (nor restores through one): the output must name the real path.
    writeFileSync(join(dir, "Flowfile"), "w:\n\ttouch ran $@\nw: .OUTPUTS := inlink/x\n");
    const w = flow(["build"], { cwd: dir });
    assert.equal(w.code, 2, w.stdout + w.stderr);
    assert.match(w.stderr, /^Flowfile:\d+:\d+: error FLOW020: output 'inlink\/x' goes through the symlink 'inlink' \(to 'real'\)/m);
    assert.match(w.stderr, /name it 'real\/x'/);
    assert.equal(existsSync(join(dir, "ran")), false, "nothing ran");
  } finally {
    cleanup(base);
  }
});
