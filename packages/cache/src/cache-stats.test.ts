import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { RECENT_BUILDS, REMEASURE_EVERY } from "./cache-stats.js";
import { createHasher } from "./content-hash.js";
import { tempDir } from "./fixtures.js";
import { LocalCache } from "./local-cache.js";

test("stats count entries, blobs and set-aside envs; builds add to stats.json", async (t) => {
  const cacheDir = tempDir(t);
  const cache = await LocalCache.open(cacheDir, { hasher: await createHasher() });
  t.after(() => cache.close());
  const h = await cache.putBlobBytes(Buffer.from("12345"));
  await cache.putAction({ key: "k", outputs: [{ path: "f", kind: "file", hash: h, size: 5, mode: 0o644 }], exitCode: 0, durationMs: 1, ingredients: null, createdAt: 1 });
  await cache.putBlobBytes(Buffer.from("orphan"));
  mkdirSync(join(cacheDir, "db.corrupt-1"));
  await cache.flush(); // blobs reach blobs/ at a flush; stats() counts what is on disk

  const before = cache.stats();
  assert.equal(before.builds, undefined);
  assert.deepEqual([before.entries, before.blobs, before.blobBytes, before.orphanBlobs, before.setAside], [1, 2, 11, 1, ["db.corrupt-1"]]);

  // The first build measures (11 bytes are on disk); later ones add what their records name.
  assert.equal(cache.recordBuild({ hits: 2, misses: 1, newKeys: ["k"] }).blobBytes, 11);
  const second = cache.recordBuild({ hits: 3, misses: 1, newKeys: ["k"] });
  assert.equal(second.blobBytes, 16);
  assert.deepEqual(second.totals, { builds: 2, hits: 5, misses: 2 });
  assert.deepEqual(second.recent.map((r) => [r.hits, r.misses, r.bytesStored]), [[2, 1, 5], [3, 1, 5]]);
  assert.deepEqual(cache.stats().builds, second);
});

test("stats.json: garbage starts afresh; history is bounded; the estimate is re-measured now and then", async (t) => {
  const cacheDir = tempDir(t);
  const cache = await LocalCache.open(cacheDir, { hasher: await createHasher() });
  t.after(() => cache.close());
  writeFileSync(join(cacheDir, "stats.json"), "{ torn");
  assert.equal(cache.recordBuild({ hits: 0, misses: 0, newKeys: [] }).totals.builds, 1);
  // A wrong estimate (say, lost updates from another process) is corrected by the next measurement.
  const file = JSON.parse(readFileSync(join(cacheDir, "stats.json"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(cacheDir, "stats.json"), JSON.stringify({ ...file, blobBytes: 999 }));
  let last;
  for (let i = 0; i < REMEASURE_EVERY; i++) last = cache.recordBuild({ hits: 1, misses: 0, newKeys: [] });
  assert.ok(last);
  assert.equal(last.blobBytes, 0);
  assert.equal(last.recent.length, RECENT_BUILDS);
  assert.equal(last.totals.builds, REMEASURE_EVERY + 1);
});
