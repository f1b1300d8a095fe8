import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { ContentHash } from "./content-hash.js";
import type { FileState } from "./file-state.js";
import { FileStateTable } from "./file-state-table.js";

const file = (i: number): FileState => ({ kind: "file", hash: i.toString(16).padStart(32, "0") as ContentHash, size: i, mode: 0o644, mtimeMs: 1_700_000_000_000.25 + i, ctimeMs: 1_700_000_000_001.5 + i, ino: 2 ** 40 + i });

describe("FileStateTable", () => {
  test("gives back every kind of state as it was set, past its first growth", () => {
    const t = new FileStateTable();
    const states = new Map<string, FileState>();
    for (let i = 0; i < 3000; i++) states.set(`/p/f${i}`, file(i));
    states.set("/p/d", { kind: "dir" });
    states.set("/p/gone", { kind: "missing" });
    states.set("/p/link", { kind: "symlink", target: "f1" });
    for (const [p, s] of states) t.set(p, s);
    for (const [p, s] of states) assert.deepEqual(t.get(p), s);
    assert.equal(t.get("/p/never"), undefined);
  });

  test("a deleted path has no answer until it is set again, then has the new one", () => {
    const t = new FileStateTable();
    t.set("/a", file(1));
    t.set("/b", file(2));
    t.delete("/a");
    assert.equal(t.get("/a"), undefined);
    assert.deepEqual(t.get("/b"), file(2));
    t.set("/a", { kind: "missing" });
    assert.deepEqual(t.get("/a"), { kind: "missing" });
    t.set("/a", file(3));
    assert.deepEqual(t.get("/a"), file(3));
    t.delete("/nothing");
  });
});
