// The blob store on a real disk: what reaches blobs/ and when, group commit,
// dedupe, large blobs, and a batch in which one blob cannot be written.
import assert from "node:assert/strict";
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { BlobStore } from "./blob-store.js";
import { createHasher, HASH_CHUNK_BYTES, type ContentHash } from "./content-hash.js";
import { tempDir, warningCollector } from "./fixtures.js";

async function store(t: TestContext): Promise<{ blobs: BlobStore; dir: string; warnings: ReturnType<typeof warningCollector> }> {
  const dir = tempDir(t);
  for (const sub of ["blobs", "tmp"]) mkdirSync(join(dir, sub));
  const warnings = warningCollector();
  return { blobs: new BlobStore(dir, await createHasher(), warnings.onWarning), dir, warnings };
}

function putFile(blobs: BlobStore, path: string): { hash: ContentHash; size: number } {
  const fd = openSync(path, "r");
  try {
    return blobs.putFromFd(fd, statSync(path).size);
  } finally {
    closeSync(fd);
  }
}

test("a put blob reaches its name at the flush, read-only, and tmp/ is left empty", async (t) => {
  const { blobs, dir } = await store(t);
  const hash = blobs.putBytes(Buffer.from("hello"));
  assert.equal(blobs.has(hash), false, "not under its name before the flush");
  await blobs.flush();
  assert.equal(blobs.has(hash), true);
  assert.equal(readFileSync(blobs.pathOf(hash), "utf8"), "hello");
  assert.equal(statSync(blobs.pathOf(hash)).mode & 0o777, 0o444);
  assert.deepEqual(readdirSync(join(dir, "tmp")), []);
});

test("flush with nothing put resolves", async (t) => {
  const { blobs } = await store(t);
  await blobs.flush();
});

test("group commit: flushes during a batch all resolve with every blob put before them on disk", async (t) => {
  const { blobs } = await store(t);
  const first = blobs.putBytes(Buffer.from("first"));
  const f1 = blobs.flush();
  const second = blobs.putBytes(Buffer.from("second"));
  const f2 = blobs.flush();
  const third = blobs.putBytes(Buffer.from("third"));
  const f3 = blobs.flush();
  await f2;
  assert.equal(blobs.has(first), true, "an earlier batch is done when a later flush resolves");
  assert.equal(blobs.has(second), true);
  await Promise.all([f1, f3]);
  assert.equal(blobs.has(third), true);
});

test("group commit: a flush that starts a batch just before the queued one begins does not let the queued flush resolve early", async (t) => {
  const { blobs } = await store(t);
  blobs.putBytes(Buffer.from("a"));
  const f1 = blobs.flush();
  const b = blobs.putBytes(Buffer.from("b"));
  const f2 = blobs.flush(); // queued behind f1's batch
  let c: ContentHash | undefined;
  let f3: Promise<void> | undefined;
  // Runs right after f1's batch ends, before the queued flush starts its own batch.
  void f1.then(() => {
    c = blobs.putBytes(Buffer.from("c"));
    f3 = blobs.flush();
  });
  await f2;
  assert.equal(blobs.has(b), true, "f2 resolved only once b is under its name");
  await f3;
  assert.equal(blobs.has(c as ContentHash), true);
});

test("the same bytes put twice are written once", async (t) => {
  const { blobs, dir } = await store(t);
  const a = blobs.putBytes(Buffer.from("same"));
  const f = blobs.flush();
  const b = blobs.putBytes(Buffer.from("same")); // while the first is being written
  await Promise.all([f, blobs.flush()]);
  const c = blobs.putBytes(Buffer.from("same")); // already on disk
  await blobs.flush();
  assert.equal(a, b);
  assert.equal(b, c);
  assert.deepEqual(readdirSync(join(dir, "tmp")), []);
  assert.deepEqual(readdirSync(join(dir, "blobs", a.slice(0, 2))), [a]);
});

test("putFromFd: small and empty files in one read; a file over one chunk is streamed to a temp file", async (t) => {
  const { blobs, dir } = await store(t);
  const hasher = await createHasher();
  const cases: [string, Buffer][] = [
    ["empty", Buffer.alloc(0)],
    ["small", Buffer.from("small file\n")],
    ["chunk", Buffer.alloc(HASH_CHUNK_BYTES, 7)],
    ["large", Buffer.alloc(HASH_CHUNK_BYTES * 2 + 5, 9)],
  ];
  const hashes = cases.map(([name, bytes]) => {
    writeFileSync(join(dir, name), bytes);
    const r = putFile(blobs, join(dir, name));
    assert.equal(r.size, bytes.length, name);
    assert.equal(r.hash, hasher.hashBytes(bytes), name);
    return r.hash;
  });
  await blobs.flush();
  cases.forEach(([name, bytes], i) => assert.ok(readFileSync(blobs.pathOf(hashes[i] as ContentHash)).equals(bytes), name));
  assert.deepEqual(readdirSync(join(dir, "tmp")), []);
});

test("more small blobs than the store holds in memory still all arrive", async (t) => {
  const { blobs } = await store(t);
  const hashes: ContentHash[] = [];
  for (let i = 0; i < 40; i++) hashes.push(blobs.putBytes(Buffer.alloc(HASH_CHUNK_BYTES, i)));
  await blobs.flush();
  for (const h of hashes) assert.equal(blobs.has(h), true);
});

test("a blob that cannot be renamed fails its flush; the rest of the batch is still written and no temp file is left", async (t) => {
  const { blobs, dir } = await store(t);
  const hasher = await createHasher();
  const good = Buffer.from("good");
  let bad = Buffer.from("bad 0");
  for (let i = 1; hasher.hashBytes(bad).slice(0, 2) === hasher.hashBytes(good).slice(0, 2); i++) bad = Buffer.from(`bad ${i}`);
  // A file where the bad blob's shard directory should be.
  writeFileSync(join(dir, "blobs", hasher.hashBytes(bad).slice(0, 2)), "in the way");
  const g = blobs.putBytes(good);
  const b = blobs.putBytes(bad);
  await assert.rejects(blobs.flush(), /ENOTDIR|EEXIST/);
  assert.equal(blobs.has(g), true);
  assert.equal(blobs.has(b), false);
  assert.deepEqual(readdirSync(join(dir, "tmp")), []);
  // A later batch is not poisoned by the failed one.
  const later = blobs.putBytes(Buffer.from("later"));
  await blobs.flush();
  assert.equal(blobs.has(later), true);
});

test("a corrupt blob is removed on read and reported", async (t) => {
  const { blobs, warnings } = await store(t);
  const hash = blobs.putBytes(Buffer.from("original"));
  await blobs.flush();
  const path = blobs.pathOf(hash);
  chmodSync(path, 0o644);
  writeFileSync(path, "tampered");
  assert.equal(blobs.read(hash), undefined);
  assert.equal(existsSync(path), false);
  assert.deepEqual(warnings.codes(), ["BLOB_CORRUPT"]);
});
