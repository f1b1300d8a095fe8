// RELIABILITY 25: a key collision. Two different actions whose keys hash
// alike would share one cache entry, and the second would take the first's
// outputs. flow keeps each entry's ingredients (the canonical text its key
// was hashed from) and compares them on every hit: a record whose
// ingredients are not the task's is a miss, with a CACHE_KEY_COLLISION
// warning, never a restore.
//
// The collision is forced through the cache's own API (@flow/cache, as the
// build uses it): task `b`'s record is written again under task `a`'s key,
// exactly what a collision of a's key with b's would have stored. Nothing in
// flow was added for the test.
import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { createHasher, LocalCache } from "@flow/cache";
import { buildJson, cleanup, read, withStatus, writeProject } from "../e2e/support.js";

const FLOWFILE = ["a.txt:", "\techo made by a > $@", "b.txt:", "\techo made by b > $@", ""].join("\n");

test("RELIABILITY 25: a record under the task's key but with other ingredients is a miss, never restored", async () => {
  const dir = writeProject({ Flowfile: FLOWFILE });
  try {
    const first = buildJson(["a.txt", "b.txt"], { cwd: dir });
    assert.equal(first.code, 0, first.stderr);
    const keyOf = (name: string) => first.summary.tasks.find((t) => t.name === name)?.key as string;
    const [keyA, keyB] = [keyOf("a.txt"), keyOf("b.txt")];
    assert.ok(keyA && keyB && keyA !== keyB);

    // Force the collision: b's record (its outputs, its ingredients) filed under a's key.
    const cache = await LocalCache.open(join(dir, ".flow"), { hasher: await createHasher() });
    try {
      const recB = await cache.getAction(keyB);
      assert.ok(recB, "b's record");
      await cache.putAction({ ...recB, key: keyA });
    } finally {
      await cache.close();
    }

    // a.txt is gone. A build that trusted the entry would check b's outputs (b.txt, on disk and
    // intact) and call a.txt up to date with no a.txt at all.
    rmSync(join(dir, "a.txt"));
    const r = buildJson(["a.txt"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /CACHE_KEY_COLLISION.*'a\.txt' has other ingredients than its key implies/);
    assert.deepEqual(withStatus(r.summary, "ran"), ["a.txt"], "a miss: the recipe ran");
    assert.deepEqual(withStatus(r.summary, "restored"), []);
    assert.equal(read(dir, "a.txt"), "made by a\n");
    assert.equal(read(dir, "b.txt"), "made by b\n", "b's output untouched");

    // The rerun wrote a's own record over the forged one: the next build finds it.
    rmSync(join(dir, "a.txt"));
    const again = buildJson(["a.txt"], { cwd: dir });
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stderr, /COLLISION/);
    assert.deepEqual(withStatus(again.summary, "restored"), ["a.txt"]);
    assert.equal(read(dir, "a.txt"), "made by a\n");
  } finally {
    cleanup(dir);
  }
});
