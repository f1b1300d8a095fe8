// RELIABILITY 21: a corrupted and a truncated blob, met by a build's restore
// (test/e2e/cache.test.ts covers `flow cache verify` finding them instead).
// Each is detected, removed with a warning, its task reruns, the build exits
// 0 with correct outputs, and the rerun stores the blob again.
import assert from "node:assert/strict";
import { chmodSync, lstatSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, didWork, withStatus } from "../e2e/support.js";
import { manyTasks, outputs, overwrite } from "./support.js";

/** The blob holding `content` (outputs are stored whole, one blob each). */
function blobWith(dir: string, content: string): string {
  const root = join(dir, ".flow", "blobs");
  for (const shard of readdirSync(root)) {
    for (const name of readdirSync(join(root, shard))) {
      const p = join(root, shard, name);
      if (lstatSync(p).isFile() && readFileSync(p, "utf8") === content) return p;
    }
  }
  throw new Error(`no blob holds ${JSON.stringify(content)}`);
}

test("RELIABILITY 21: a corrupted and a truncated blob: detected on restore, dropped, the tasks rerun, the build succeeds", () => {
  const dir = manyTasks(3);
  try {
    // Past 4 KiB, so that each output is a blob (smaller ones are kept in their records).
    for (let i = 0; i < 3; i++) writeFileSync(join(dir, `src/f${i}.txt`), `source ${i}\n`.repeat(600));
    assert.equal(buildJson([], { cwd: dir }).code, 0);
    const clean = outputs(dir);
    const corrupt = blobWith(dir, clean["out/f1.txt"] as string);
    const truncated = blobWith(dir, clean["out/f2.txt"] as string);
    chmodSync(corrupt, 0o644);
    overwrite(corrupt, 0, Buffer.from("XXXXXX"));
    chmodSync(truncated, 0o644);
    truncateSync(truncated, 3);
    rmSync(join(dir, "out"), { recursive: true });

    const r = buildJson([], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(outputs(dir), clean);
    assert.deepEqual(withStatus(r.summary, "ran"), ["out/f1.txt", "out/f2.txt"]);
    assert.deepEqual(withStatus(r.summary, "restored"), ["out/f0.txt"]);
    assert.match(r.stderr, /warning BLOB_CORRUPT: blob [0-9a-f]{32} was removed: its bytes do not match its name/);
    assert.match(r.stderr, /warning BLOB_CORRUPT: blob [0-9a-f]{32} was removed: size 3, expected \d+/);
    // The reruns stored the blobs again, whole.
    assert.equal(readFileSync(corrupt, "utf8"), clean["out/f1.txt"]);
    assert.equal(readFileSync(truncated, "utf8"), clean["out/f2.txt"]);

    rmSync(join(dir, "out"), { recursive: true });
    const again = buildJson([], { cwd: dir });
    assert.deepEqual(didWork(again.summary), ["out/f0.txt", "out/f1.txt", "out/f2.txt"]);
    assert.deepEqual(withStatus(again.summary, "ran"), [], "all three restore now");
    assert.deepEqual(outputs(dir), clean);
  } finally {
    cleanup(dir);
  }
});
