import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync, existsSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import type { OutputEntry } from "@flow/cache";
import { NodeCleanDisk, executeClean } from "./clean-disk.js";
import { isCanonical, planClean, type CleanDisk, type DiskKind, type TaskRecord } from "./clean-plan.js";

/** A disk described by path -> kind; directories list their direct children. */
function fakeDisk(kinds: Record<string, DiskKind>): CleanDisk {
  return {
    kind: (p) => kinds[p] ?? "missing",
    list: (p) => Object.keys(kinds).filter((k) => k.startsWith(`${p}/`) && !k.slice(p.length + 1).includes("/")).map((k) => k.slice(p.length + 1)),
  };
}

const file = (path: string): OutputEntry => ({ path, kind: "file", hash: "0".repeat(32) as OutputEntry["hash"], size: 0, mode: 0o644 });
const dir = (path: string): OutputEntry => ({ path, kind: "dir", mode: 0o755 });

function rec(name: string, outputs: { path: string; isDir: boolean }[], entries: OutputEntry[] | undefined, key = `key-${name}`): TaskRecord {
  return { task: { name, outputs }, key, entries };
}

test("paths that are not canonical and relative are never removed, whatever the record says", () => {
  for (const p of ["../outside", "/etc/passwd", "a/../../b", "./a", "a//b", "a/", ""]) assert.equal(isCanonical(p), false, p);
  assert.ok(isCanonical("build/app") && isCanonical("with space/ü"));
  const disk = fakeDisk({ "../outside": "file", "/etc/passwd": "file", build: "dir", "build/x": "file" });
  const plan = planClean(
    [rec("t", [{ path: "../outside", isDir: false }, { path: "/etc/passwd", isDir: false }, { path: "build/x", isDir: false }], [file("../outside"), file("/etc/passwd"), file("build/x")])],
    disk,
    undefined,
    false,
  );
  assert.deepEqual(plan.remove.map((r) => r.path), ["build/x", "build"], "build/ held only build/x: emptied, it goes too");
  assert.deepEqual(plan.kept.map((k) => [k.path, k.reason]), [["/etc/passwd", "unsafe-path"], ["../outside", "unsafe-path"]]);
});

test("the plan: files and links first, then emptied directories deepest first; --cache lists last-run keys", () => {
  const disk = fakeDisk({ out: "dir", "out/a": "file", "out/l": "symlink", "out/s": "dir", "out/s/t": "dir", "out/s/t/f": "file", z: "file" });
  const plan = planClean(
    [
      rec("z", [{ path: "z", isDir: false }], [file("z")]),
      rec("o", [{ path: "out", isDir: true }], [dir("out"), file("out/a"), file("out/l"), dir("out/s"), dir("out/s/t"), file("out/s/t/f")]),
      { task: { name: "unbuilt", outputs: [{ path: "u", isDir: false }] }, key: undefined, entries: undefined },
      rec("phony", [], undefined),
    ],
    disk,
    undefined,
    true,
  );
  assert.deepEqual(plan.remove.map((r) => `${r.kind}:${r.path}`), ["file:out/a", "symlink:out/l", "file:out/s/t/f", "file:z", "dir:out/s/t", "dir:out/s", "dir:out"]);
  assert.deepEqual(plan.unrecorded, ["unbuilt"]);
  assert.deepEqual(plan.cacheEntries.map((c) => c.task), ["o", "phony", "z"]);
});

test("removal re-checks each path: a parent turned into a symlink after planning is not followed", (t) => {
  const root = mkdtempSync(join(tmpdir(), "flow-clean-plan-"));
  const outside = mkdtempSync(join(tmpdir(), "flow-clean-outside-"));
  t.after(() => {
    rmSync(root, { recursive: true, force: true });
    rmSync(outside, { recursive: true, force: true });
  });
  mkdirSync(join(root, "out"));
  writeFileSync(join(root, "out/f"), "flow's");
  writeFileSync(join(outside, "f"), "precious");
  const disk = new NodeCleanDisk(root);
  const plan = planClean([rec("o", [{ path: "out", isDir: true }], [dir("out"), file("out/f")])], disk, undefined, false);
  assert.deepEqual(plan.remove.map((r) => r.path), ["out/f", "out"]);
  // The race: between plan and removal, out/ becomes a link to somewhere else.
  rmSync(join(root, "out"), { recursive: true });
  symlinkSync(outside, join(root, "out"));
  const done = executeClean(plan, disk);
  assert.deepEqual(done.removed, []);
  assert.deepEqual(done.failed, [
    { path: "out/f", message: "out became a symlink" },
    { path: "out", message: "changed from dir to symlink since it was checked" },
  ]);
  assert.equal(readFileSync(join(outside, "f"), "utf8"), "precious");
  assert.ok(existsSync(join(root, "out")));
  assert.throws(() => disk.abs("../x"), /outside the root/);
});

test("directories emptied by the removals go too, deepest first, unless the Flowfile names them or they are links", () => {
  const disk = fakeDisk({
    build: "dir",
    "build/obj": "dir",
    "build/obj/a.o": "file",
    "build/app": "file",
    keep: "dir",
    "keep/x": "file",
    linked: "symlink",
    mixed: "dir",
    "mixed/out": "file",
    "mixed/source.c": "file",
  });
  const recs = [
    rec("app", [{ path: "build/app", isDir: false }], [file("build/app")]),
    rec("a.o", [{ path: "build/obj/a.o", isDir: false }], [file("build/obj/a.o")]),
    rec("x", [{ path: "keep/x", isDir: false }], [file("keep/x")]),
    rec("out", [{ path: "mixed/out", isDir: false }], [file("mixed/out")]),
  ];
  const plan = planClean(recs, disk, undefined, false, new Set(["keep"]));
  assert.deepEqual(plan.remove.map((r) => `${r.kind}:${r.path}`), ["file:build/obj/a.o", "file:build/app", "file:mixed/out", "file:keep/x", "dir:build/obj", "dir:build"]);
  assert.equal(plan.remove.find((r) => r.path === "build")?.task, "a.o");
  // Without the name, keep/ is emptied like build/.
  assert.ok(planClean(recs, disk, undefined, false).remove.some((r) => r.path === "keep"));
});
