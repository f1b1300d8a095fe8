// The cache's housekeeping through the CLI: stats, gc (explicit and
// automatic), verify, and a cache thrown away when its LMDB files are garbage.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, openSync, closeSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, copyRecipe, didWork, flow, withStatus } from "./support.js";

interface Stats {
  entries: number;
  blobs: number;
  blobBytes: number;
  setAside: string[];
  builds?: { totals: { builds: number; hits: number; misses: number }; recent: { hits: number; misses: number }[] };
}

function stats(dir: string): Stats {
  const r = flow(["cache", "stats", "--json"], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as Stats;
}

function buildAll(dir: string, env?: NodeJS.ProcessEnv) {
  const r = buildJson(["all", "test"], { cwd: dir, ...(env ? { env } : {}) });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r;
}

test("cache stats: entries, blobs, and the hits and misses of recent builds", () => {
  const dir = copyRecipe("c-project");
  try {
    const none = flow(["cache", "stats"], { cwd: dir });
    assert.equal(none.stdout, `flow: no cache at ${join(dir, ".flow")}\n`);
    buildAll(dir);
    buildAll(dir);
    const s = stats(dir);
    assert.equal(s.entries, 5);
    // The program is a blob; object files of at most 4 KiB are kept in their records (no blob).
    assert.ok(s.blobs >= 1 && s.blobBytes > 0);
    assert.deepEqual(s.builds?.totals, { builds: 2, hits: 5, misses: 5 });
    assert.deepEqual(s.builds?.recent.map((b) => [b.hits, b.misses]), [[0, 5], [5, 0]]);
    const text = flow(["cache", "stats"], { cwd: dir }).stdout;
    assert.match(text, /^entries {5}5$/m);
    assert.match(text, /^builds {6}2: 5 hits, 5 misses \(50% hits\)$/m);
  } finally {
    cleanup(join(dir, ".."));
  }
});

test("after gc --max-size the cache is under the cap, and the next build restores every entry kept", () => {
  const dir = copyRecipe("c-project");
  try {
    const first = buildAll(dir);
    const before = stats(dir);
    const cap = Math.floor(before.blobBytes / 2);
    const r = flow(["cache", "gc", "--max-size", String(cap), "--json"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { removedKeys: string[]; bytesAfter: number };
    assert.ok(report.removedKeys.length > 0 && report.removedKeys.length < 5, `removed ${report.removedKeys.length} of 5`);
    assert.ok(report.bytesAfter <= cap);
    assert.ok(stats(dir).blobBytes <= cap, "stats agree: under the cap");

    rmSync(join(dir, "build"), { recursive: true });
    const next = buildAll(dir);
    for (const t of first.summary.tasks) {
      if (t.key === null || t.name === "all") continue;
      const now = next.summary.tasks.find((x) => x.name === t.name);
      const removed = report.removedKeys.includes(t.key);
      assert.equal(now?.status === "ran", removed, `${t.name}: ${now?.status}, entry ${removed ? "removed" : "kept"}`);
    }
    const again = flow(["cache", "gc", "--keep", "2"], { cwd: dir });
    assert.match(again.stdout, /^flow: gc removed 3 of 5 entries, /);
    assert.equal(stats(dir).entries, 2);
  } finally {
    cleanup(join(dir, ".."));
  }
});

test("automatic gc when the cache passes FLOW_CACHE_MAX_SIZE; a bad value is a warning", () => {
  const dir = copyRecipe("c-project");
  try {
    const bad = buildAll(dir, { FLOW_CACHE_MAX_SIZE: "lots" });
    assert.match(bad.stderr, /^flow: warning: FLOW_CACHE_MAX_SIZE="lots" is not a size \(e\.g\. 500M, 10G, or bytes\); using 10\.0 GiB$/m);
    const size = stats(dir).blobBytes;
    const cap = Math.floor(size / 2);
    rmSync(join(dir, "build"), { recursive: true });
    const r = buildAll(dir, { FLOW_CACHE_MAX_SIZE: String(cap) });
    assert.deepEqual(withStatus(r.summary, "ran"), [], "the build itself is untouched");
    assert.match(r.stderr, /^flow: the cache passed .* \(FLOW_CACHE_MAX_SIZE\); gc removed \d+ of 5 entries/m);
    assert.ok(stats(dir).blobBytes <= cap * 0.8, "down to the low-water mark");
    const quiet = buildAll(dir, { FLOW_CACHE_MAX_SIZE: "10G" });
    assert.doesNotMatch(quiet.stderr, /cache passed/);
  } finally {
    cleanup(join(dir, ".."));
  }
});

test("cache verify drops a corrupted blob and its entry; that task alone reruns", () => {
  const dir = copyRecipe("c-project");
  try {
    const first = buildAll(dir);
    const blobs = join(dir, ".flow", "blobs");
    // The biggest blob is the linked program.
    const all = readdirSync(blobs).flatMap((s) => readdirSync(join(blobs, s)).map((n) => join(blobs, s, n)));
    const victim = all.sort((a, b) => statSync(b).size - statSync(a).size)[0] as string;
    chmodSync(victim, 0o644);
    const fd = openSync(victim, "r+");
    writeSync(fd, Buffer.from("XX"), 0, 2, 100);
    closeSync(fd);
    const r = flow(["cache", "verify"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^flow: verify: \d+ blobs \(.*\): 1 bad, removed; 5 entries, 1 dropped\n$/);
    assert.match(r.stderr, /warning BLOB_CORRUPT: blob [0-9a-f]{32} was removed/);
    assert.equal(existsSync(victim), false);
    const next = buildAll(dir);
    assert.deepEqual(withStatus(next.summary, "ran"), ["build/app"]);
    assert.ok(first.summary.ok);
    assert.match(flow(["cache", "verify"], { cwd: dir }).stdout, /: all good; 5 entries, 0 dropped/);
  } finally {
    cleanup(join(dir, ".."));
  }
});

for (const [what, damage] of [
  ["the whole data file replaced by garbage", (f: string) => writeFileSync(f, randomBytes(statSync(f).size))],
  ["garbage over its first pages", (f: string) => overwrite(f, 0, randomBytes(16384))],
  ["the data file truncated to a few bytes", (f: string) => writeFileSync(f, "garbage")],
  ["garbage in the lock file too", (f: string) => (overwrite(f, 0, randomBytes(8192)), overwrite(join(f, "..", "lock.mdb"), 0, randomBytes(4096)))],
] as const) {
  test(`garbage in the LMDB files (${what}): the next build warns, rebuilds, exits 0`, () => {
    const dir = copyRecipe("c-project");
    try {
      buildAll(dir);
      damage(join(dir, ".flow", "db", "data.mdb"));
      const r = buildAll(dir);
      assert.match(r.stderr + r.stdout, /warning CACHE_CORRUPT_SET_ASIDE: cache database set aside as .*db\.corrupt-\d+/);
      assert.deepEqual(withStatus(r.summary, "ran"), ["build/app", "build/greet.o", "build/main.o", "build/words.o", "test"]);
      assert.deepEqual(didWork(buildAll(dir).summary), [], "the fresh cache works");
      assert.equal(stats(dir).setAside.length, 1);
      assert.match(flow(["cache", "gc"], { cwd: dir }).stdout, /1 set-aside databases/);
      assert.deepEqual(stats(dir).setAside, []);
    } finally {
      cleanup(join(dir, ".."));
    }
  });
}

test("garbage deep inside the LMDB data file (past the pages checked at open): at worst one crashed build, never a crash loop", () => {
  const dir = copyRecipe("c-project");
  try {
    buildAll(dir);
    overwrite(join(dir, ".flow", "db", "data.mdb"), 8192, randomBytes(20000));
    // LMDB may kill the first build (SIGBUS on a damaged page); its session
    // marker makes the next open verify the env in a child and set it aside.
    const first = flow(["build", "all", "test"], { cwd: dir });
    const r = first.code === 0 ? first : flow(["build", "all", "test"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(first.stderr + first.stdout + r.stderr + r.stdout, /CACHE_CORRUPT_SET_ASIDE/);
  } finally {
    cleanup(join(dir, ".."));
  }
});

function overwrite(file: string, at: number, bytes: Buffer): void {
  mkdirSync(join(file, ".."), { recursive: true });
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, bytes, 0, bytes.length, at);
  } finally {
    closeSync(fd);
  }
}
