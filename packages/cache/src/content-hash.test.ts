import assert from "node:assert/strict";
import { truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { createHasher, HASH_CHUNK_BYTES, isContentHash } from "./content-hash.js";
import { tempDir } from "./fixtures.js";

// Pinned: changing the algorithm or the second seed changes every cache key.
// Lane 0 is the published XXH64("") / XXH64("hello"); lane 1 of "" was
// cross-checked with an independent BigInt XXH64 (seed 0x9e3779b97f4a7c15).
const EMPTY = "ef46db3751d8e999c4349fc93c010000";
const HELLO = "26c7827d889f6da3040982e185e9c819";

test("hashBytes pins exact values; strings are UTF-8", async () => {
  const h = await createHasher();
  assert.equal(h.hashBytes(""), EMPTY);
  assert.equal(h.hashBytes("hello"), HELLO);
  assert.equal(h.hashBytes(new TextEncoder().encode("hello")), HELLO);
  assert.equal(h.hashBytes("é"), h.hashBytes(new Uint8Array([0xc3, 0xa9])));
  assert.ok(isContentHash(h.hashBytes("x")));
  assert.notEqual(h.hashBytes("hello "), HELLO);
});

test("createHasher is memoized", async () => {
  assert.equal(await createHasher(), await createHasher());
});

test("streaming in any split equals one-shot", async () => {
  const h = await createHasher();
  const data = new Uint8Array(100_003).map((_, i) => (i * 31) & 0xff);
  for (const cut of [0, 1, 31, 32, 33, 4096, 99_999]) {
    const s = h.stream();
    s.update(data.subarray(0, cut));
    s.update(data.subarray(cut));
    assert.equal(s.digest(), h.hashBytes(data), `cut at ${cut}`);
  }
  const s = h.stream();
  s.update("hel");
  s.update("lo");
  assert.equal(s.digest(), HELLO);
  assert.equal(h.stream().digest(), EMPTY);
});

test("hashFileSync of a multi-chunk file equals hashBytes of its contents", async (t) => {
  const h = await createHasher();
  const dir = tempDir(t);
  const data = Buffer.alloc(2 * HASH_CHUNK_BYTES + 12345);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + (i >> 11)) & 0xff;
  const file = join(dir, "big.bin");
  writeFileSync(file, data);
  assert.equal(h.hashFileSync(file), h.hashBytes(data));
  writeFileSync(file, "");
  assert.equal(h.hashFileSync(file), EMPTY);
  assert.throws(() => h.hashFileSync(dir), { code: "EISDIR" });
  assert.throws(() => h.hashFileSync(join(dir, "nope")), { code: "ENOENT" });
});

test("a sparse file over 2 GiB hashes as a stream", async (t) => {
  const h = await createHasher();
  const file = join(tempDir(t), "huge.bin");
  const size = 2 ** 31 + 5;
  writeFileSync(file, "");
  truncateSync(file, size); // sparse: reads as zeros without using the disk
  const expected = h.stream();
  const zeros = new Uint8Array(HASH_CHUNK_BYTES);
  for (let left = size; left > 0; left -= HASH_CHUNK_BYTES) expected.update(zeros.subarray(0, Math.min(left, HASH_CHUNK_BYTES)));
  const before = process.memoryUsage().rss;
  assert.equal(h.hashFileSync(file), expected.digest());
  assert.ok(process.memoryUsage().rss - before < 256 * 1024 * 1024, "never held the file in memory");
});
