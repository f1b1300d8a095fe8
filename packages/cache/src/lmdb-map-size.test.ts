import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { openCacheDb } from "./cache-db.js";
import { tempDir } from "./fixtures.js";
import { addressSpaceUnlimited, lmdbMapSize } from "./lmdb-map-size.js";

// /proc/self/limits as Linux prints it (columns: soft, hard, units).
const limits = (soft: string, hard: string) =>
  ["Limit                     Soft Limit           Hard Limit           Units     ", "Max data size             unlimited            unlimited            bytes     ", `Max address space         ${soft.padEnd(21)}${hard.padEnd(21)}bytes     `, "Max file locks            unlimited            unlimited            locks     ", ""].join("\n");

describe("addressSpaceUnlimited", () => {
  test("unlimited address space: the env maps its whole size at once", () => {
    assert.equal(addressSpaceUnlimited(limits("unlimited", "unlimited")), true);
  });
  test("a soft limit (ulimit -v) keeps lmdb-js's growing map, which a 64 GiB map would crash past", () => {
    assert.equal(addressSpaceUnlimited(limits("17179869184", "unlimited")), false);
  });
  test("no /proc (not Linux) or no such line: the limit is unknown, so not unlimited", () => {
    assert.equal(addressSpaceUnlimited(undefined), false);
    assert.equal(addressSpaceUnlimited("Limit Soft Hard Units\n"), false);
  });
});

test("an env written well past lmdb-js's first 128 KiB map is mapped once (each outgrown map kept its pages resident)", async (t) => {
  if (lmdbMapSize() === undefined) {
    t.skip("the address space is limited here (ulimit -v), or /proc/self/limits cannot be read: the map grows as before");
    return;
  }
  const dir = tempDir(t);
  const db = await openCacheDb(dir, { clock: { now: () => Date.now() }, warn: () => undefined, crashed: false });
  try {
    // ~4 MiB of records in a few transactions: five doublings of a growing map.
    for (let batch = 0; batch < 4; batch++) {
      await db.actions.batch(() => {
        for (let i = 0; i < 1000; i++) void db.actions.put(`k${batch}-${i}`, { pad: "x".repeat(1000) });
      });
    }
    const dataFile = join(dir, "db", "data.mdb");
    const maps = readFileSync("/proc/self/maps", "utf8").split("\n").filter((l) => l.endsWith(dataFile));
    assert.equal(maps.length, 1, maps.join("\n"));
  } finally {
    await db.env.close();
  }
});
