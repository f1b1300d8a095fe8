// Opening a cache directory in every state a crash, a disk or another
// version of flow can leave it in. None of them may fail the open.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, openSync, readdirSync, readFileSync, utimesSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import type { ActionRecord } from "./action-record.js";
import { createHasher } from "./content-hash.js";
import { LocalCache } from "./local-cache.js";
import { tempDir, warningCollector } from "./fixtures.js";

const RECORD: ActionRecord = { key: "k", outputs: [], exitCode: 0, durationMs: 1, ingredients: ["x"], createdAt: 1 };

async function open(t: TestContext, cacheDir: string) {
  const w = warningCollector();
  const cache = await LocalCache.open(cacheDir, { hasher: await createHasher(), onWarning: w.onWarning });
  t.after(() => cache.close());
  return { cache, ...w };
}

async function populated(cacheDir: string, n = 1): Promise<void> {
  const cache = await LocalCache.open(cacheDir, { hasher: await createHasher() });
  for (let i = 0; i < n; i++) await cache.putAction({ ...RECORD, key: `k${i === 0 ? "" : i}`, ingredients: ["x".repeat(60)] });
  await cache.close();
}

function setAsideDirs(cacheDir: string, kind: string): string[] {
  return readdirSync(cacheDir).filter((n) => n.startsWith(`db.${kind}-`));
}

test("a fresh directory opens with no warning and records survive reopening", async (t) => {
  const dir = tempDir(t);
  await populated(dir);
  const { cache, warnings } = await open(t, dir);
  assert.deepEqual(await cache.getAction("k"), { ...RECORD, ingredients: ["x".repeat(60)] });
  assert.deepEqual(warnings, []);
  for (const sub of ["db", "blobs", "tmp"]) assert.ok(existsSync(join(dir, sub)), sub);
});

for (const [name, garbage] of [
  ["zeros", () => Buffer.alloc(64 * 1024)],
  ["random bytes", () => Buffer.from(Array.from({ length: 64 * 1024 }, (_, i) => (i * 2654435761) >>> 24))],
  ["a short text", () => Buffer.from("this is not an LMDB file\n")],
] as const) {
  test(`garbage over db/data.mdb (${name}) is set aside with a warning and the cache works`, async (t) => {
    const dir = tempDir(t);
    await populated(dir);
    writeFileSync(join(dir, "db/data.mdb"), garbage());
    const { cache, codes } = await open(t, dir);
    assert.deepEqual(codes(), ["CACHE_CORRUPT_SET_ASIDE"]);
    assert.equal(setAsideDirs(dir, "corrupt").length, 1);
    assert.equal(await cache.getAction("k"), undefined);
    await cache.putAction(RECORD);
    assert.deepEqual(await cache.getAction("k"), RECORD);
  });
}

test("garbage over the first meta page only is caught by the header check", async (t) => {
  const dir = tempDir(t);
  await populated(dir);
  const fd = openSync(join(dir, "db/data.mdb"), "r+");
  writeSync(fd, Buffer.alloc(4096, 0x5a), 0, 4096, 0);
  closeSync(fd);
  const { codes } = await open(t, dir);
  assert.deepEqual(codes(), ["CACHE_CORRUPT_SET_ASIDE"]);
});

test("after a crash, damage past the header is found by the full check", async (t) => {
  const dir = tempDir(t);
  await populated(dir, 500);
  // Overwrite every page but the two metas and the main root: it still passes the header check.
  const file = join(dir, "db/data.mdb");
  const bytes = readFileSync(file);
  const txnid = (p: number): bigint => bytes.readBigUInt64LE(p * 4096 + 144 + 8);
  const meta = txnid(0) >= txnid(1) ? 0 : 1;
  const root = Number(bytes.readBigUInt64LE(meta * 4096 + 48 + 48 + 40));
  for (let p = 2; p * 4096 < bytes.length; p++) if (p !== root) bytes.fill(0xa5, p * 4096, (p + 1) * 4096);
  writeFileSync(file, bytes);
  // A marker left by a process that no longer exists: it died with the env open.
  mkdirSync(join(dir, "run"), { recursive: true });
  writeFileSync(join(dir, "run", `${spawnSync("true").pid}-1`), "");
  const { cache, codes, warnings } = await open(t, dir);
  assert.deepEqual(codes(), ["CACHE_CORRUPT_SET_ASIDE"], JSON.stringify(warnings));
  assert.match(warnings[0]?.message ?? "", /failed the full check \(/);
  await cache.putAction(RECORD);
  assert.deepEqual(await cache.getAction("k"), RECORD);
});

/** Sets both meta pages' last page number `extra` pages past the file's end, as LMDB leaves it when a commit's last pages were freed unwritten. */
function lastPageBeyondEnd(file: string, extra: number): void {
  const bytes = readFileSync(file);
  const pages = Math.floor(bytes.length / 4096);
  for (const m of [0, 1]) bytes.writeBigUInt64LE(BigInt(pages - 1 + extra), m * 4096 + 144);
  writeFileSync(file, bytes);
}

test("a last page past the end of the file (LMDB's unwritten loose pages) is no damage: kept, read and written", async (t) => {
  const dir = tempDir(t);
  await populated(dir, 200);
  lastPageBeyondEnd(join(dir, "db/data.mdb"), 10);
  const { cache, warnings } = await open(t, dir);
  assert.deepEqual(warnings, []);
  assert.equal((await cache.getAction("k"))?.key, "k");
  assert.equal((await cache.getAction("k199"))?.key, "k199");
  await cache.putAction({ ...RECORD, key: "after" });
  assert.equal((await cache.getAction("after"))?.key, "after");
});

test("after a crash, a last page past the end of the file passes the full check too", async (t) => {
  const dir = tempDir(t);
  await populated(dir, 200);
  lastPageBeyondEnd(join(dir, "db/data.mdb"), 10);
  mkdirSync(join(dir, "run"), { recursive: true });
  writeFileSync(join(dir, "run", `${spawnSync("true").pid}-1`), "");
  const { cache, warnings } = await open(t, dir);
  assert.deepEqual(warnings, []);
  assert.equal((await cache.getAction("k199"))?.key, "k199");
});

test("a file cut short through the pages in use is still set aside", async (t) => {
  const dir = tempDir(t);
  await populated(dir, 500);
  const file = join(dir, "db/data.mdb");
  const bytes = readFileSync(file);
  writeFileSync(file, bytes.subarray(0, 4 * 4096));
  mkdirSync(join(dir, "run"), { recursive: true });
  writeFileSync(join(dir, "run", `${spawnSync("true").pid}-1`), "");
  const { codes } = await open(t, dir);
  assert.deepEqual(codes(), ["CACHE_CORRUPT_SET_ASIDE"]);
});

test("a session that met read errors leaves its marker, as a crash does, so the next open checks the env in full", async (t) => {
  const dir = tempDir(t);
  await populated(dir, 50);
  // The session runs in a child (markers of this very process are never stale). A damaged
  // page makes LMDB throw on the read: the patched get does the same.
  const script = [
    `import { LocalCache } from ${JSON.stringify(new URL("./local-cache.js", import.meta.url).href)};`,
    `import { createHasher } from ${JSON.stringify(new URL("./content-hash.js", import.meta.url).href)};`,
    `const codes = [];`,
    `const cache = await LocalCache.open(${JSON.stringify(dir)}, { hasher: await createHasher(), onWarning: (w) => codes.push(w.code) });`,
    `cache.db.actions.get = () => { throw new Error("MDB_PAGE_NOTFOUND: Requested page not found"); };`,
    `const got = await cache.getAction("k");`,
    `await cache.close();`,
    `process.stdout.write(JSON.stringify({ got: got ?? null, codes, pid: process.pid }));`,
  ].join("\n");
  const r = spawnSync(process.execPath, ["--no-concurrent-recompilation", "--input-type=module", "-e", script], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { got: unknown; codes: string[]; pid: number };
  assert.deepEqual([out.got, out.codes], [null, ["ACTION_RECORD_INVALID"]]);
  assert.deepEqual(readdirSync(join(dir, "run")), [`${out.pid}-1`], "the session's marker stays after a clean exit");
  // The next open finds a marker of a process that is gone: it checks the env in a child
  // (sound here, so kept: a damaged one is set aside, see the test above) and removes it.
  const { cache, warnings } = await open(t, dir);
  assert.deepEqual(warnings, []);
  assert.equal((await cache.getAction("k1"))?.key, "k1");
  await cache.close();
  assert.deepEqual(readdirSync(join(dir, "run")), [], "a clean session leaves none");
});

test("a last-run key that cannot be read is no key: one warning, and the build goes on", async (t) => {
  const dir = tempDir(t);
  await populated(dir);
  const { cache, codes, warnings } = await open(t, dir);
  const db = (cache as unknown as { db: { lastrun: { get(k: string): unknown; getRange(o: unknown): unknown } } }).db;
  db.lastrun.get = () => {
    throw new Error("MDB_PAGE_NOTFOUND: Requested page not found");
  };
  db.lastrun.getRange = () => {
    throw new Error("MDB_CORRUPTED: Located page was wrong type");
  };
  assert.equal(cache.getLastRun("scope", "t"), undefined);
  cache.putLastRun("scope", "t", "key");
  assert.deepEqual(cache.lastRuns("scope"), []);
  assert.deepEqual(codes(), ["CACHE_WRITE_FAILED"]);
  assert.match(warnings[0]?.message ?? "", /^could not read the cache database: MDB_PAGE_NOTFOUND: Requested page not found; the next build checks it in full$/);
});

test("after a crash, a sound env passes the child-process check and is kept", async (t) => {
  const dir = tempDir(t);
  await populated(dir, 50);
  mkdirSync(join(dir, "run"), { recursive: true });
  const stale = join(dir, "run", `${spawnSync("true").pid}-1`);
  writeFileSync(stale, "");
  const { cache, warnings } = await open(t, dir);
  assert.deepEqual(warnings, []);
  assert.equal(existsSync(stale), false);
  assert.equal((await cache.getAction("k"))?.key, "k");
});

test("a clean shutdown leaves no session marker behind", async (t) => {
  const dir = tempDir(t);
  await populated(dir);
  assert.deepEqual(readdirSync(join(dir, "run")), []);
});

for (const old of [999, 2]) test(`another schema version (${old}) is set aside with CACHE_SCHEMA_MISMATCH`, async (t) => {
  // 2: the format before small files were kept inline, whose entries name a blob for every file.
  const dir = tempDir(t);
  await populated(dir);
  {
    const { cache } = await open(t, dir);
    const db = (cache as unknown as { db: { meta: { put(k: string, v: unknown): Promise<boolean> } } }).db;
    await db.meta.put("schema", old);
    await cache.close();
  }
  const { cache, codes } = await open(t, dir);
  assert.deepEqual(codes(), ["CACHE_SCHEMA_MISMATCH"]);
  assert.equal(setAsideDirs(dir, "old-schema").length, 1);
  assert.equal(await cache.getAction("k"), undefined);
  await cache.close();
  const again = await open(t, dir);
  assert.deepEqual(again.codes(), [], "the fresh env carries the current schema");
});

test("records without a schema record (a damaged env, not another version) are set aside as corrupt", async (t) => {
  const dir = tempDir(t);
  await populated(dir);
  {
    const { cache } = await open(t, dir);
    const db = (cache as unknown as { db: { meta: { remove(k: string): Promise<boolean> } } }).db;
    await db.meta.remove("schema");
    await cache.close();
  }
  const { cache, warnings, codes } = await open(t, dir);
  assert.deepEqual(codes(), ["CACHE_CORRUPT_SET_ASIDE"]);
  assert.match(warnings[0]?.message ?? "", /it holds records but no schema record, which flow writes first: it is damaged; starting a fresh one$/);
  assert.equal(setAsideDirs(dir, "corrupt").length, 1);
  assert.equal(await cache.getAction("k"), undefined);
  await cache.close();
  const again = await open(t, dir);
  assert.deepEqual(again.codes(), [], "the fresh env carries the current schema");
});

test("temp files older than an hour are removed at open, recent ones kept", async (t) => {
  const dir = tempDir(t);
  mkdirSync(join(dir, "tmp"), { recursive: true });
  const old = join(dir, "tmp", "12345-deadbeef");
  const recent = join(dir, "tmp", "12345-cafebabe");
  writeFileSync(old, "half a blob");
  writeFileSync(recent, "being written");
  const twoHoursAgo = new Date(Date.now() - 2 * 60 * 60 * 1000);
  utimesSync(old, twoHoursAgo, twoHoursAgo);
  await open(t, dir);
  assert.equal(existsSync(old), false);
  assert.equal(existsSync(recent), true);
});
