import assert from "node:assert/strict";
import { chmodSync, existsSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import type { ActionRecord } from "./action-record.js";
import { createHasher, type ContentHash } from "./content-hash.js";
import { tempDir, warningCollector } from "./fixtures.js";
import { LocalCache } from "./local-cache.js";

test("verify rehashes every blob, drops bad ones and the entries naming them", async (t) => {
  const cacheDir = tempDir(t);
  const w = warningCollector();
  const cache = await LocalCache.open(cacheDir, { hasher: await createHasher(), onWarning: w.onWarning });
  t.after(() => cache.close());
  const good = await cache.putBlobBytes(Buffer.from("good"));
  const bad = await cache.putBlobBytes(Buffer.from("soon bad"));
  const gone = await cache.putBlobBytes(Buffer.from("soon gone"));
  const rec = (key: string, hash: ContentHash, size: number): ActionRecord => ({
    key,
    outputs: [{ path: "f", kind: "file", hash, size, mode: 0o644 }],
    exitCode: 0,
    durationMs: 1,
    ingredients: null,
    createdAt: 1,
  });
  await cache.putAction(rec("good", good, 4));
  await cache.putAction(rec("bad", bad, 8));
  await cache.putAction(rec("gone", gone, 9));
  const badPath = join(cacheDir, "blobs", bad.slice(0, 2), bad);
  chmodSync(badPath, 0o644);
  writeFileSync(badPath, "SOON BAD");
  const { rmSync } = await import("node:fs");
  rmSync(join(cacheDir, "blobs", gone.slice(0, 2), gone));

  const report = await cache.verify();
  assert.equal(report.blobsChecked, 2);
  assert.deepEqual(report.badBlobs, [bad]);
  assert.deepEqual(report.entriesRemoved, ["bad", "gone"]);
  assert.equal(existsSync(badPath), false);
  assert.deepEqual(w.codes(), ["BLOB_CORRUPT"]);
  assert.ok(await cache.peekAction("good"));
  assert.equal(await cache.peekAction("bad"), undefined);

  const again = await cache.verify();
  assert.deepEqual([again.badBlobs, again.entriesRemoved], [[], []]);
});

test("verify rehashes files kept inline in records too: a record whose bytes do not match their hash is dropped; the rest need no blob", async (t) => {
  const cacheDir = tempDir(t);
  const cache = await LocalCache.open(cacheDir, { hasher: await createHasher() });
  t.after(() => cache.close());
  const hasher = await createHasher();
  const rec = (key: string, data: Uint8Array, hash = hasher.hashBytes(data)): ActionRecord => ({
    key,
    outputs: [{ path: "f", kind: "file", hash, size: data.length, mode: 0o644, data }],
    exitCode: 0,
    durationMs: 1,
    ingredients: null,
    createdAt: 1,
  });
  await cache.putAction(rec("inline-good", Buffer.from("small")));
  // Bytes that are not what the entry's hash says (a damaged or forged record).
  await cache.putAction(rec("inline-bad", Buffer.from("SMALL"), hasher.hashBytes("small")));
  const report = await cache.verify();
  assert.equal(report.blobsChecked, 0);
  assert.deepEqual(report.entriesRemoved, ["inline-bad"]);
  assert.ok(await cache.peekAction("inline-good"));
});
