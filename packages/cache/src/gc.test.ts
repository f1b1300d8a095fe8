import assert from "node:assert/strict";
import { existsSync, mkdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import type { ActionRecord } from "./action-record.js";
import { createHasher, type ContentHash } from "./content-hash.js";
import { fakeClock, tempDir, warningCollector } from "./fixtures.js";
import { parseSize, formatSize } from "./gc-size.js";
import { LocalCache } from "./local-cache.js";

const T0 = 1_700_000_000_000;

async function setup(t: TestContext) {
  const cacheDir = tempDir(t);
  const clock = fakeClock(T0);
  const w = warningCollector();
  // Every output a blob file (none kept in its record): gc counts and removes blobs.
  const cache = await LocalCache.open(cacheDir, { hasher: await createHasher(), onWarning: w.onWarning, clock, inlineMaxBytes: -1 });
  t.after(() => cache.close());
  const root = tempDir(t);
  /** An entry whose one output holds `content`, made at `at`. */
  const entry = async (key: string, content: string, at: number): Promise<ContentHash> => {
    writeFileSync(join(root, "out.txt"), content);
    cache.statMemo.forget(join(root, "out.txt"));
    const saved = await cache.saveOutputs(root, [{ path: "out.txt", isDir: false }]);
    assert.ok(saved.ok);
    const record: ActionRecord = { key, outputs: saved.entries, exitCode: 0, durationMs: 1, ingredients: null, createdAt: at };
    await cache.putAction(record);
    return saved.entries[0]?.hash as ContentHash;
  };
  const blob = (h: ContentHash) => join(cacheDir, "blobs", h.slice(0, 2), h);
  return { cache, cacheDir, clock, entry, blob };
}

test("gc --max-size drops least recently used entries first and keeps shared blobs", async (t) => {
  const { cache, clock, entry, blob } = await setup(t);
  const a = await entry("a", "x".repeat(1000), T0);
  const b = await entry("b", "y".repeat(1000), T0 + 1);
  const shared = await entry("c", "z".repeat(1000), T0 + 2);
  await entry("d", "z".repeat(1000), T0 + 3); // same bytes as c: one blob
  // A hit on "a" makes it the most recently used.
  clock.set(T0 + 10);
  assert.ok(await cache.getAction("a"));
  await new Promise((r) => setTimeout(r, 20)); // the access write is not awaited by getAction

  const report = await cache.gc({ maxBytes: 2000 });
  // LRU: b (T0+1), c (T0+2), d (T0+3), a (T0+10). Dropping b alone gets to 2000 bytes.
  assert.equal(report.entriesRemoved, 1);
  assert.equal(report.bytesBefore, 3000);
  assert.equal(report.bytesAfter, 2000);
  assert.equal(await cache.peekAction("b"), undefined);
  assert.equal(existsSync(blob(b)), false);
  assert.ok(existsSync(blob(a)) && existsSync(blob(shared)));

  // Dropping c frees nothing (d still names the blob); then d goes and frees it.
  const second = await cache.gc({ maxBytes: 1500 });
  assert.equal(second.entriesRemoved, 2);
  assert.equal(second.bytesAfter, 1000);
  assert.equal(existsSync(blob(shared)), false);
  assert.ok(await cache.peekAction("a"), "the most recently used entry stays");
  assert.ok(existsSync(blob(a)));
});

test("gc --keep N keeps the N most recently used; ties are broken by key", async (t) => {
  const { cache, entry } = await setup(t);
  await entry("k3", "3", T0);
  await entry("k1", "1", T0);
  await entry("k2", "2", T0);
  await entry("k0", "0", T0 + 5);
  const report = await cache.gc({ keep: 2 });
  assert.equal(report.entriesRemoved, 2);
  const left = [];
  for (const k of ["k0", "k1", "k2", "k3"]) if (await cache.peekAction(k)) left.push(k);
  assert.deepEqual(left, ["k0", "k3"]);
});

test("gc removes old orphan blobs, spares young ones, and deletes set-aside envs", async (t) => {
  const { cache, cacheDir, entry, blob } = await setup(t);
  const kept = await entry("k", "kept", T0);
  const oldOrphan = await cache.putBlobBytes(Buffer.from("old orphan"));
  const youngOrphan = await cache.putBlobBytes(Buffer.from("young orphan"));
  await cache.flush(); // blobs reach blobs/ at a flush
  const hourAgo = new Date(T0 - 2 * 60 * 60 * 1000);
  utimesSync(blob(oldOrphan), hourAgo, hourAgo);
  utimesSync(blob(youngOrphan), new Date(T0 - 1000), new Date(T0 - 1000));
  for (const d of ["db.corrupt-123", "db.old-schema-456-1"]) {
    mkdirSync(join(cacheDir, d));
    writeFileSync(join(cacheDir, d, "data.mdb"), "junk");
  }
  writeFileSync(join(cacheDir, "db.notes"), "not a set-aside env");

  const report = await cache.gc({});
  assert.equal(report.entriesRemoved, 0);
  assert.equal(report.orphansRemoved, 1);
  assert.deepEqual(report.setAsideRemoved, ["db.corrupt-123", "db.old-schema-456-1"]);
  assert.equal(existsSync(blob(oldOrphan)), false);
  assert.ok(existsSync(blob(youngOrphan)), "a blob written within the grace period may be about to get its record");
  assert.ok(existsSync(blob(kept)));
  assert.ok(existsSync(join(cacheDir, "db.notes")));
  assert.equal(existsSync(join(cacheDir, "db.corrupt-123")), false);
});

test("gc makes the size estimate exact", async (t) => {
  const { cache, entry } = await setup(t);
  await entry("a", "aaaa", T0);
  cache.recordBuild({ hits: 0, misses: 1, newKeys: ["a"] });
  cache.recordBuild({ hits: 1, misses: 0, newKeys: ["a"] }); // counted twice: an over-estimate
  assert.equal(cache.recordBuild({ hits: 1, misses: 0, newKeys: [] }).blobBytes, 8);
  await cache.gc({});
  const after = cache.recordBuild({ hits: 1, misses: 0, newKeys: [] });
  assert.equal(after.blobBytes, 4);
  assert.deepEqual(after.totals, { builds: 4, hits: 3, misses: 1 });
});

test("sizes: binary units, optional B/iB, plain bytes; anything else is refused", () => {
  assert.equal(parseSize("500M"), 500 * 1024 * 1024);
  assert.equal(parseSize("2G"), 2 * 1024 ** 3);
  assert.equal(parseSize("10GiB"), 10 * 1024 ** 3);
  assert.equal(parseSize("1.5k"), 1536);
  assert.equal(parseSize("123456"), 123456);
  assert.equal(parseSize("0"), 0);
  for (const bad of ["", "M", "-1G", "1X", "1 2", "1e9", "G5"]) assert.equal(parseSize(bad), undefined, bad);
  assert.equal(formatSize(512), "512 B");
  assert.equal(formatSize(1536), "1.5 KiB");
  assert.equal(formatSize(10 * 1024 ** 3), "10.0 GiB");
});
