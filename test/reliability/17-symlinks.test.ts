// RELIABILITY 17: symlinks (dangling, looping, escaping the root) follow one
// documented policy (docs/flowfile.md, "Symlinks"), the same at save and at
// restore:
// - a link read as an input (a source, or a dependency's output that is a
//   link) is followed: the key sees what it resolves to, so editing the
//   target makes the reader stale, in `flow build` and `flow status` alike;
// - a link output is saved and restored as a link (its text), never
//   followed; a dangling or looping one is kept as it is; one whose text is
//   absolute or leaves the root is refused and not cached;
// - a dangling or looping source is a missing input (exit 2, nothing runs).
import assert from "node:assert/strict";
import { existsSync, lstatSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, flow, read, withStatus, writeProject } from "../e2e/support.js";

const status = (dir: string, targets: string[] = []) => flow(["status", ...targets], { cwd: dir });

test("RELIABILITY 17: a dependent of a symlink output reruns when the link's target is edited, and status says so first", () => {
  const dir = writeProject({
    Flowfile: "all: d\nl_in:\n\tln -s real.txt $@\nd: l_in\n\tcat $< > $@\n",
    "real.txt": "v1\n",
  });
  try {
    const first = buildJson([], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    assert.deepEqual(withStatus(first.summary, "ran"), ["d", "l_in"]);
    assert.equal(read(dir, "d"), "v1\n");
    assert.equal(status(dir).code, 0, "all fresh after the build");

    writeFileSync(join(dir, "real.txt"), "v2\n");
    const st = status(dir);
    assert.equal(st.code, 1, `status must see d stale:\n${st.stdout}${st.stderr}`);
    assert.match(st.stdout, /^\s*stale\s+d\b/m, st.stdout);
    assert.doesNotMatch(st.stdout, /^\s*stale\s+l_in\b/m, "the link itself did not change");

    const second = buildJson([], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(withStatus(second.summary, "ran"), ["d"]);
    assert.equal(read(dir, "d"), "v2\n");
    // And the plan agrees with the build: nothing left to do.
    assert.equal(status(dir).code, 0);
    assert.deepEqual(withStatus(buildJson([], { cwd: dir }).summary, "ran"), []);
  } finally {
    cleanup(dir);
  }
});

test("RELIABILITY 17: a source that is a symlink is followed: retargeting it or editing its target reruns the task", () => {
  const dir = writeProject({ Flowfile: "out.txt: src.txt\n\tcat $< > $@\n", "a.txt": "A\n", "b.txt": "B\n" });
  try {
    symlinkSync("a.txt", join(dir, "src.txt"));
    assert.equal(buildJson([], { cwd: dir }).code, 0);
    assert.equal(read(dir, "out.txt"), "A\n");
    writeFileSync(join(dir, "a.txt"), "A2\n");
    assert.equal(status(dir).code, 1);
    assert.deepEqual(withStatus(buildJson([], { cwd: dir }).summary, "ran"), ["out.txt"]);
    assert.equal(read(dir, "out.txt"), "A2\n");
    rmSync(join(dir, "src.txt"));
    symlinkSync("b.txt", join(dir, "src.txt"));
    assert.deepEqual(withStatus(buildJson([], { cwd: dir }).summary, "ran"), ["out.txt"]);
    assert.equal(read(dir, "out.txt"), "B\n");
  } finally {
    cleanup(dir);
  }
});

test("RELIABILITY 17: a dangling or looping source link is a missing input: exit 2, nothing runs", () => {
  const dir = writeProject({ Flowfile: "a: dl\n\tcat dl > $@\nb: lp\n\tcat lp > $@\n" });
  try {
    symlinkSync("nowhere", join(dir, "dl"));
    symlinkSync("lp", join(dir, "lp"));
    for (const [goal, link, what] of [
      ["a", "dl", "dangling"],
      ["b", "lp", "looping"],
    ] as const) {
      const r = flow(["build", goal], { cwd: dir });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.match(r.stderr, new RegExp(`FLOW004: no rule to make '${link}'`));
      assert.match(r.stderr, new RegExp(`'${link}' is a ${what} symlink`), r.stderr);
      assert.equal(existsSync(join(dir, goal)), false, "nothing ran");
    }
  } finally {
    cleanup(dir);
  }
});

test("RELIABILITY 17: a dependency's dangling link output is kept; its dependent reruns when the target appears", () => {
  const dir = writeProject({
    Flowfile: "all: d\ndl:\n\tln -s later.txt $@\nd: dl\n\t(cat $< 2>/dev/null || echo none) > $@\n",
  });
  try {
    assert.equal(buildJson([], { cwd: dir }).code, 0);
    assert.equal(readlinkSync(join(dir, "dl")), "later.txt");
    assert.equal(read(dir, "d"), "none\n");
    assert.equal(status(dir).code, 0);
    writeFileSync(join(dir, "later.txt"), "here\n");
    assert.equal(status(dir).code, 1, "the target appeared: d is stale");
    const r = buildJson([], { cwd: dir });
    assert.deepEqual(withStatus(r.summary, "ran"), ["d"]);
    assert.equal(read(dir, "d"), "here\n");
  } finally {
    cleanup(dir);
  }
});

test("RELIABILITY 17: a dependency's looping link output is cached as a link; its dependent sees it as missing", () => {
  const dir = writeProject({ Flowfile: "all: d\nlp:\n\tln -s lp $@\nd: lp\n\t(cat $< 2>/dev/null || echo loop) > $@\n" });
  try {
    const first = buildJson([], { cwd: dir });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.equal(read(dir, "d"), "loop\n");
    rmSync(join(dir, "lp"));
    const again = buildJson([], { cwd: dir });
    assert.equal(again.code, 0);
    assert.deepEqual(withStatus(again.summary, "restored"), ["lp"]);
    assert.deepEqual(withStatus(again.summary, "ran"), []);
    assert.equal(readlinkSync(join(dir, "lp")), "lp");
  } finally {
    cleanup(dir);
  }
});

test("RELIABILITY 17: a link output whose text is absolute or leaves the root is refused and not cached", () => {
  // The "outside" directory is inside this test's own temp dir; the link is never followed.
  const base = writeProject({ "outside/secret.txt": "s\n", "p/real.txt": "r\n" });
  const dir = join(base, "p");
  try {
    writeFileSync(
      join(dir, "Flowfile"),
      `up:\n\tln -s ../outside/secret.txt $@\nabs:\n\tln -s ${join(dir, "real.txt")} $@\nok:\n\tln -s real.txt $@\n`,
    );
    for (const goal of ["up", "abs"]) {
      const r = buildJson([goal], { cwd: dir });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      const t = r.summary.tasks.find((x) => x.name === goal);
      assert.equal(t?.status, "failed");
      assert.equal(t?.reason, "unsafe-output");
      assert.match(t?.message ?? "", /absolute or leaves the project/);
      assert.equal(existsSync(join(dir, goal)), false, "the refused link is removed");
      // Not cached: the next build runs it (and refuses it) again.
      assert.deepEqual(withStatus(buildJson([goal], { cwd: dir }).summary, "failed"), [goal]);
    }
    assert.equal(read(base, "outside/secret.txt"), "s\n");
    assert.equal(buildJson(["ok"], { cwd: dir }).code, 0);
  } finally {
    cleanup(base);
  }
});

test("RELIABILITY 17: link outputs come back from the cache as saved (their text, dangling or not), and dependents stay fresh", () => {
  const dir = writeProject({
    Flowfile:
      "all: d\nlinks:\n\tmkdir -p out\n\tln -s ../real.txt out/l\n\tln -s nowhere out/dl\n\ttouch $@\n" +
      "links: .OUTPUTS := out/\nd: links\n\tcat out/l > $@\n",
    "real.txt": "v1\n",
  });
  try {
    assert.equal(buildJson([], { cwd: dir }).code, 0);
    rmSync(join(dir, "out"), { recursive: true });
    rmSync(join(dir, "links"));
    rmSync(join(dir, "d"));
    const r = buildJson([], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(withStatus(r.summary, "restored"), ["d", "links"]);
    assert.deepEqual(withStatus(r.summary, "ran"), []);
    assert.ok(lstatSync(join(dir, "out/l")).isSymbolicLink());
    assert.equal(readlinkSync(join(dir, "out/l")), "../real.txt");
    assert.equal(readlinkSync(join(dir, "out/dl")), "nowhere");
    assert.equal(read(dir, "d"), "v1\n");
    // After the restore, editing the target still makes d stale: the policy is the same for restored links.
    writeFileSync(join(dir, "real.txt"), "v2\n");
    const again = buildJson([], { cwd: dir });
    assert.deepEqual(withStatus(again.summary, "ran"), ["d"]);
    assert.equal(read(dir, "d"), "v2\n");
  } finally {
    cleanup(dir);
  }
});
