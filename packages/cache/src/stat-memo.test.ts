import assert from "node:assert/strict";
import { mkdirSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { createHasher, type ContentHash } from "./content-hash.js";
import { RACY_WINDOW_MS, StatMemo } from "./stat-memo.js";
import { countingHasher, fakeClock, memoryStore, tempDir } from "./fixtures.js";

const BOGUS = "00000000000000000000000000000000" as ContentHash;

async function setup(t: Parameters<typeof tempDir>[0]) {
  const dir = tempDir(t);
  const hasher = countingHasher(await createHasher());
  const store = memoryStore();
  const file = join(dir, "f.txt");
  writeFileSync(file, "one");
  const mtime = statSync(file).mtimeMs;
  // Far enough after the file's ctime/mtime that records are trusted.
  const clock = fakeClock(Math.max(mtime, statSync(file).ctimeMs) + RACY_WINDOW_MS + 1);
  const run = () => new StatMemo({ hasher, store, clock });
  return { dir, hasher, store, file, clock, run };
}

test("an unchanged file is not re-read in the next run", async (t) => {
  const { hasher, file, run } = await setup(t);
  const first = run().fileState(file);
  assert.equal(first.kind, "file");
  assert.equal(hasher.fileReads, 1);
  const second = run().fileState(file);
  assert.deepEqual(second, first);
  assert.equal(hasher.fileReads, 1);
});

test("a trusted record is believed: identical stat returns the recorded hash without reading", async (t) => {
  const { store, file, run, hasher } = await setup(t);
  run().fileState(file);
  const rec = store.records.get(file);
  assert.ok(rec?.trusted);
  // Pretend the bytes changed under an identical stat: the memo must not look.
  store.records.set(file, { ...rec, hash: BOGUS });
  const state = run().fileState(file);
  assert.equal(state.kind === "file" && state.hash, BOGUS);
  assert.equal(hasher.fileReads, 1);
});

test("a same-size edit with the mtime restored is still seen (ctime changes)", async (t) => {
  const { file, run, clock } = await setup(t);
  const before = run().fileState(file);
  const { mtime, atime } = statSync(file);
  writeFileSync(file, "two");
  utimesSync(file, atime, mtime);
  clock.set(clock.now() + 10 * RACY_WINDOW_MS);
  const after = run().fileState(file);
  assert.equal(after.kind, "file");
  assert.notEqual(after.kind === "file" && after.hash, before.kind === "file" && before.hash);
});

test("racy git: a record hashed within the window is untrusted and re-hashed until old enough", async (t) => {
  const { store, file, run, clock, hasher } = await setup(t);
  const st = statSync(file);
  clock.set(Math.max(st.mtimeMs, st.ctimeMs) + 100); // hashed 100 ms after the write
  const real = run().fileState(file);
  assert.equal(store.records.get(file)?.trusted, false);
  // A second same-size edit within one mtime tick leaves the stat identical;
  // model it by making the record's hash stale under the same stat.
  const rec = store.records.get(file);
  assert.ok(rec);
  store.records.set(file, { ...rec, hash: BOGUS });
  assert.deepEqual(run().fileState(file), real, "the racy record is not believed");
  assert.equal(hasher.fileReads, 2);
  // Once the file is old enough the new record is trusted and reads stop.
  clock.set(clock.now() + RACY_WINDOW_MS);
  run().fileState(file);
  assert.equal(store.records.get(file)?.trusted, true);
  run().fileState(file);
  assert.equal(hasher.fileReads, 3);
});

test("a file with an mtime in the future is never trusted", async (t) => {
  const { store, file, run, clock } = await setup(t);
  clock.set(statSync(file).mtimeMs - 60_000);
  run().fileState(file);
  assert.equal(store.records.get(file)?.trusted, false);
});

test("missing, directories and symlinks (followed, for inputs)", async (t) => {
  const { dir, file, run, hasher } = await setup(t);
  const memo = run();
  assert.deepEqual(memo.fileState(join(dir, "nope")), { kind: "missing" });
  assert.deepEqual(memo.fileState(join(file, "child")), { kind: "missing" }); // ENOTDIR
  symlinkSync("nowhere", join(dir, "dangling"));
  assert.deepEqual(memo.fileState(join(dir, "dangling")), { kind: "missing" });
  symlinkSync("loop", join(dir, "loop"));
  assert.deepEqual(memo.fileState(join(dir, "loop")), { kind: "missing" });
  mkdirSync(join(dir, "sub"));
  assert.deepEqual(memo.fileState(join(dir, "sub")), { kind: "dir" });
  symlinkSync("f.txt", join(dir, "link"));
  const viaLink = memo.fileState(join(dir, "link"));
  const st = statSync(file);
  assert.deepEqual(viaLink, { kind: "file", hash: hasher.hashBytes("one"), size: 3, mode: st.mode & 0o777, mtimeMs: st.mtimeMs, ctimeMs: st.ctimeMs, ino: st.ino });
});

test("a path asked twice in one run is hashed once; forget drops the answer", async (t) => {
  const { file, run, hasher } = await setup(t);
  const memo = run();
  const a = memo.fileState(file);
  writeFileSync(file, "changed!");
  assert.deepEqual(memo.fileState(file), a);
  assert.equal(hasher.fileReads, 1);
  memo.forget(file);
  const b = memo.fileState(file);
  assert.equal(b.kind === "file" && b.hash, hasher.hashBytes("changed!"));
});

test("a stat the caller already took is used instead of a second one; a changed file under it is still seen", async (t) => {
  const { file, store, hasher, clock } = await setup(t);
  let stats = 0;
  const memo = () => new StatMemo({ hasher, store, clock, stat: (p) => (stats++, statSync(p)) });
  const taken = statSync(file);
  const first = memo().fileState(file, taken);
  assert.equal(stats, 0, "the handed-over stat is used");
  assert.equal(first.kind === "file" && first.size, 3);
  writeFileSync(file, "three");
  clock.set(Math.max(statSync(file).mtimeMs, statSync(file).ctimeMs) + RACY_WINDOW_MS + 1);
  const second = memo().fileState(file, statSync(file));
  assert.notDeepEqual(second, first, "a new stat with another size means new bytes, hashed again");
  assert.equal(hasher.fileReads, 2);
  assert.equal(stats, 0);
});
