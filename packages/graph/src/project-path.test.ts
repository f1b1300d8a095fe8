import assert from "node:assert/strict";
import { posix } from "node:path";
import { test } from "node:test";
import { hasGlobChars, isPlainInput, isPlainProjectPath, normalizeProjectPath, type Normalized } from "./project-path.js";

const ROOT = "/home/u/proj";

/** The definition: what posix.normalize makes of the path, relative to the root (the code before its fast path). */
function reference(written: string, root: string): Normalized {
  if (written === "") return { ok: false };
  let p = written;
  if (posix.isAbsolute(p)) {
    const rel = posix.relative(root, p);
    if (rel === "" || rel.startsWith("../") || rel === ".." || posix.isAbsolute(rel)) return { ok: true, path: posix.normalize(p), inside: false };
    p = rel;
  }
  const n = posix.normalize(p);
  if (n === ".." || n.startsWith("../")) return { ok: true, path: n, inside: false };
  let out = n === "." ? "" : n;
  if (out.endsWith("/")) out = out.slice(0, -1);
  if (out === "") return { ok: false };
  return { ok: true, path: out, inside: true };
}

test("the fast path for plain paths agrees with posix.normalize on every shape", () => {
  const pieces = ["a", ".", "..", "", "b.c", ".x", "..y", "z..", "...", "-n", "sp ace", "ü"];
  const cases = new Set<string>(["/", "//", "a//b", "./a", "a/./b", "a/..", "a/../..", "../a", `${ROOT}/a`, `${ROOT}`, `${ROOT}/../x`, "/etc/passwd", "a/", "a/b/"]);
  for (const x of pieces) for (const y of pieces) for (const z of pieces) {
    cases.add(`${x}/${y}`);
    cases.add(`${x}/${y}/${z}`);
    cases.add(`/${x}/${y}`);
    cases.add(`${x}${y}`);
  }
  for (const c of cases) assert.deepEqual(normalizeProjectPath(c, ROOT), reference(c, ROOT), JSON.stringify(c));
});

test("isPlainInput is isPlainProjectPath without glob characters, on every shape", () => {
  const pieces = ["a", ".", "..", "", "b.c", ".x", "..y", "z..", "...", "*", "a?", "[ab]", "x]", "ü", "-"];
  const cases = new Set<string>(["", "/", "//", "a//b", "./a", "a/./b", "a/..", "../a", "a/", "/a", "src/d000/f00001", "*.c", "src/**/x"]);
  for (const x of pieces) for (const y of pieces) for (const z of pieces) {
    cases.add(`${x}/${y}`);
    cases.add(`${x}/${y}/${z}`);
    cases.add(`/${x}/${y}`);
    cases.add(`${x}${y}${z}`);
  }
  for (const c of cases) assert.equal(isPlainInput(c), isPlainProjectPath(c) && !hasGlobChars(c), JSON.stringify(c));
});

test("./a, x/../a and a are one path; outside paths are marked", () => {
  for (const p of ["./a", "x/../a", "a", "a/", `${ROOT}/a`]) assert.deepEqual(normalizeProjectPath(p, ROOT), { ok: true, path: "a", inside: true });
  assert.deepEqual(normalizeProjectPath("../a", ROOT), { ok: true, path: "../a", inside: false });
  assert.deepEqual(normalizeProjectPath("/etc/x", ROOT), { ok: true, path: "/etc/x", inside: false });
  assert.deepEqual(normalizeProjectPath(".", ROOT), { ok: false });
});
