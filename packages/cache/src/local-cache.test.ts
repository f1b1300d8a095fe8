import assert from "node:assert/strict";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { test, type TestContext } from "node:test";
import { INLINE_MAX_BYTES, type ActionRecord, type OutputEntry } from "./action-record.js";
import { createHasher, type ContentHash } from "./content-hash.js";
import { LocalCache } from "./local-cache.js";
import { countingHasher, fakeClock, tempDir, warningCollector } from "./fixtures.js";

const WEIRD_NAMES = ["with space.txt", "quote'\"s.txt", "$dollar.txt", "-leading-dash", "ünï©ødé.txt", "new\nline.txt"];

/** `inlineMaxBytes: -1`: every output a blob file, for the tests of blobs themselves. */
async function openCache(t: TestContext, cacheDir = tempDir(t), opts: { inlineMaxBytes?: number } = {}) {
  const w = warningCollector();
  const cache = await LocalCache.open(cacheDir, { hasher: await createHasher(), onWarning: w.onWarning, ...opts });
  t.after(() => cache.close());
  return { cache, cacheDir, ...w };
}

/** Inline bytes decode as a Buffer or a plain Uint8Array (lmdb-js decides): compare them as Buffers. */
function bytesAsBuffers(r: ActionRecord | undefined): unknown {
  return r === undefined ? r : { ...r, outputs: r.outputs.map((o) => (o.data === undefined ? o : { ...o, data: Buffer.from(o.data) })) };
}

function blobPath(cacheDir: string, hash: ContentHash | undefined): string {
  assert.ok(hash);
  return join(cacheDir, "blobs", hash.slice(0, 2), hash);
}

/** A project with every kind of output the round trip must preserve. */
function makeProject(root: string): { path: string; isDir: boolean }[] {
  mkdirSync(join(root, "out/nested/deeper"), { recursive: true });
  for (const name of WEIRD_NAMES) writeFileSync(join(root, "out", name), `content of ${name}`);
  writeFileSync(join(root, "out/nested/deeper/data.bin"), Buffer.from([0, 1, 2, 255, 254]));
  writeFileSync(join(root, "out/nested/empty"), "");
  writeFileSync(join(root, "run.sh"), "#!/bin/sh\necho hi\n");
  chmodSync(join(root, "run.sh"), 0o755);
  symlinkSync("../run.sh", join(root, "out/nested/link-to-script"));
  writeFileSync(join(root, "single.txt"), "single");
  return [
    { path: "out", isDir: true },
    { path: "run.sh", isDir: false },
    { path: "./single.txt", isDir: false },
  ];
}

function snapshot(root: string, entries: OutputEntry[]): unknown[] {
  return entries.map((e) => {
    const abs = join(root, e.path);
    const st = lstatSync(abs);
    if (st.isSymbolicLink()) return [e.path, "link", readlinkSync(abs)];
    if (st.isDirectory()) return [e.path, "dir", st.mode & 0o777];
    return [e.path, "file", st.mode & 0o777, readFileSync(abs).toString("base64")];
  });
}

test("save then restore into an empty root is byte-exact, modes and links included", async (t) => {
  const { cache } = await openCache(t);
  const src = tempDir(t);
  const saved = await cache.saveOutputs(src, makeProject(src));
  assert.ok(saved.ok, JSON.stringify(saved));
  const paths = saved.entries.map((e) => e.path);
  assert.equal(paths[0], "out");
  assert.ok(paths.includes("out/new\nline.txt"));
  assert.deepEqual(saved.entries.find((e) => e.path === "out/nested/link-to-script"), {
    path: "out/nested/link-to-script",
    kind: "symlink",
    mode: lstatSync(join(src, "out/nested/link-to-script")).mode & 0o777,
    target: "../run.sh",
  });
  assert.equal(saved.entries.find((e) => e.path === "run.sh")?.mode, 0o755);
  // Everything below "out" directly follows it.
  const outEnd = paths.findLastIndex((p) => p === "out" || p.startsWith("out/"));
  assert.ok(paths.slice(0, outEnd + 1).every((p) => p === "out" || p.startsWith("out/")));
  assert.ok(cache.outputsMatch(src, saved.entries));

  const dest = tempDir(t);
  const restored = await cache.restoreOutputs(dest, saved.entries);
  assert.deepEqual(restored, { ok: true });
  assert.deepEqual(snapshot(dest, saved.entries), snapshot(src, saved.entries));
  assert.ok(cache.outputsMatch(dest, saved.entries));
  assert.deepEqual(readdirSync(join(dest, "out")).filter((n) => n.startsWith(".flow-tmp")), []);
});

test("outputsMatch notices changed, missing and replaced outputs", async (t) => {
  const { cache } = await openCache(t);
  const root = tempDir(t);
  const saved = await cache.saveOutputs(root, makeProject(root));
  assert.ok(saved.ok);
  writeFileSync(join(root, "single.txt"), "SINGLE");
  cache.statMemo.forget(join(root, "single.txt"));
  assert.equal(cache.outputsMatch(root, saved.entries), false);
  // Restoring over a dirty tree fixes it, including a file replaced by a symlink.
  symlinkSync("single.txt", join(root, "out/with space.txt.tmp"));
  writeFileSync(join(root, "elsewhere"), "x");
  const victim = join(root, "out/$dollar.txt");
  rmSync(victim);
  symlinkSync("../elsewhere", victim);
  assert.equal(cache.outputsMatch(root, saved.entries), false);
  assert.deepEqual(await cache.restoreOutputs(root, saved.entries), { ok: true });
  assert.equal(readFileSync(join(root, "elsewhere"), "utf8"), "x", "never wrote through the link");
  assert.ok(lstatSync(victim).isFile());
  // A file the record does not name inside a declared output directory is a mismatch
  // (a clean build would not have it); the build removes declared outputs before restoring.
  assert.equal(cache.outputsMatch(root, saved.entries), false);
  rmSync(join(root, "out/with space.txt.tmp"));
  assert.ok(cache.outputsMatch(root, saved.entries));
});

test("saveOutputs reports missing outputs, unsafe symlinks and special files as values", async (t) => {
  const { cache } = await openCache(t);
  const root = tempDir(t);
  assert.deepEqual(await cache.saveOutputs(root, [{ path: "gone.txt", isDir: false }]), {
    ok: false,
    reason: "missing-output",
    path: "gone.txt",
    message: "declared output gone.txt was not created",
  });
  mkdirSync(join(root, "d"));
  symlinkSync("/etc/passwd", join(root, "d/abs"));
  const abs = await cache.saveOutputs(root, [{ path: "d", isDir: true }]);
  assert.equal(abs.ok === false && abs.reason, "unsafe-symlink");
  mkdirSync(join(root, "e"));
  symlinkSync("../../outside", join(root, "e/escape"));
  const esc = await cache.saveOutputs(root, [{ path: "e", isDir: true }]);
  assert.deepEqual(esc.ok === false && [esc.reason, esc.path], ["unsafe-symlink", "e/escape"]);
  const { execFileSync } = await import("node:child_process");
  execFileSync("mkfifo", [join(root, "fifo")]);
  const fifo = await cache.saveOutputs(root, [{ path: "fifo", isDir: false }]);
  assert.equal(fifo.ok === false && fifo.reason, "special-file");
  const outside = await cache.saveOutputs(root, [{ path: "../x", isDir: false }]);
  assert.equal(outside.ok, false);
});

test("a corrupted or truncated blob is detected on restore and removed", async (t) => {
  const { cache, cacheDir, codes } = await openCache(t, tempDir(t), { inlineMaxBytes: -1 });
  const root = tempDir(t);
  writeFileSync(join(root, "a.txt"), "alpha alpha alpha");
  writeFileSync(join(root, "b.txt"), "bravo bravo bravo");
  const saved = await cache.saveOutputs(root, [
    { path: "a.txt", isDir: false },
    { path: "b.txt", isDir: false },
  ]);
  assert.ok(saved.ok);
  const [a, b] = saved.entries;
  await cache.flush(); // blobs reach blobs/ at a flush
  const aBlob = blobPath(cacheDir, a?.hash);
  chmodSync(aBlob, 0o644);
  const bytes = readFileSync(aBlob);
  bytes[3] = (bytes[3] as number) ^ 0x01;
  writeFileSync(aBlob, bytes);
  const bBlob = blobPath(cacheDir, b?.hash);
  chmodSync(bBlob, 0o644);
  truncateSync(bBlob, 5);

  const dest = tempDir(t);
  const ra = await cache.restoreOutputs(dest, [a as OutputEntry]);
  assert.deepEqual(ra.ok === false && [ra.reason, ra.path], ["blob-corrupt", "a.txt"]);
  assert.equal(existsSync(aBlob), false);
  assert.equal(existsSync(join(dest, "a.txt")), false);
  const rb = await cache.restoreOutputs(dest, [b as OutputEntry]);
  assert.equal(rb.ok === false && rb.reason, "blob-corrupt");
  assert.equal(existsSync(bBlob), false);
  assert.deepEqual(codes(), ["BLOB_CORRUPT", "BLOB_CORRUPT"]);
  const again = await cache.restoreOutputs(dest, [a as OutputEntry]);
  assert.equal(again.ok === false && again.reason, "blob-missing");
  assert.deepEqual(readdirSync(dest), [], "no temp file left behind");
});

test("restore refuses hostile entries before writing anything", async (t) => {
  const { cache } = await openCache(t);
  const root = tempDir(t);
  writeFileSync(join(root, "ok.txt"), "fine");
  const saved = await cache.saveOutputs(root, [{ path: "ok.txt", isDir: false }]);
  assert.ok(saved.ok);
  const good = saved.entries[0] as OutputEntry;
  const dest = tempDir(t);
  for (const bad of [
    { ...good, path: "../x" },
    { ...good, path: "/tmp/flow-abs-escape" },
    { ...good, path: "a/../../x" },
    { path: "l", kind: "symlink", mode: 0o777, target: "/etc" },
    { path: "l", kind: "symlink", mode: 0o777, target: "../.." },
  ] as OutputEntry[]) {
    const r = await cache.restoreOutputs(dest, [good, bad]);
    assert.equal(r.ok === false && r.reason, "unsafe-path", JSON.stringify(bad));
    assert.deepEqual(readdirSync(dest), [], "nothing written");
  }
  assert.equal(existsSync("/tmp/flow-abs-escape"), false);
});

test("restore never writes through a pre-existing symlink", async (t) => {
  const { cache } = await openCache(t);
  const src = tempDir(t);
  mkdirSync(join(src, "out"));
  writeFileSync(join(src, "out/f.txt"), "payload");
  writeFileSync(join(src, "top.txt"), "top");
  const saved = await cache.saveOutputs(src, [
    { path: "out", isDir: true },
    { path: "top.txt", isDir: false },
  ]);
  assert.ok(saved.ok);

  const outside = tempDir(t);
  writeFileSync(join(outside, "f.txt"), "precious");
  writeFileSync(join(outside, "top.txt"), "precious");
  const dest = tempDir(t);
  symlinkSync(outside, join(dest, "out")); // a link where a recorded dir goes: replaced
  symlinkSync(join(outside, "top.txt"), join(dest, "top.txt")); // a link where a file goes: replaced
  assert.deepEqual(await cache.restoreOutputs(dest, saved.entries), { ok: true });
  assert.equal(readFileSync(join(outside, "f.txt"), "utf8"), "precious");
  assert.equal(readFileSync(join(outside, "top.txt"), "utf8"), "precious");
  assert.ok(lstatSync(join(dest, "out")).isDirectory());
  assert.equal(readFileSync(join(dest, "out/f.txt"), "utf8"), "payload");
  assert.ok(lstatSync(join(dest, "top.txt")).isFile());

  // A link where an unrecorded parent directory goes: refused, not followed.
  const dest2 = tempDir(t);
  symlinkSync(outside, join(dest2, "out"));
  const fileOnly = saved.entries.filter((e) => e.kind === "file");
  const r = await cache.restoreOutputs(dest2, fileOnly);
  assert.deepEqual(r.ok === false && [r.reason, r.path], ["unsafe-path", "out"]);
  assert.equal(readFileSync(join(outside, "f.txt"), "utf8"), "precious");
});

test("action records round-trip; putAction requires its blobs; access is recorded", async (t) => {
  const first = await openCache(t);
  const { cacheDir } = first;
  let cache = first.cache;
  const root = tempDir(t);
  writeFileSync(join(root, "o.txt"), "out");
  const saved = await cache.saveOutputs(root, [{ path: "o.txt", isDir: false }]);
  assert.ok(saved.ok);
  const log = await cache.putBlobBytes(new TextEncoder().encode("build log\n"));
  assert.ok(await cache.hasBlob(log));
  assert.equal(Buffer.from((await cache.readBlob(log)) ?? []).toString(), "build log\n");
  const record: ActionRecord = {
    key: "k1",
    outputs: saved.entries,
    exitCode: 0,
    durationMs: 12,
    log,
    ingredients: { cmd: "touch o.txt", inputs: [["a", "b"]] },
    createdAt: 1_700_000_000_000,
  };
  await cache.putAction(record);
  assert.ok(record.outputs[0]?.data !== undefined, "a 3-byte output is kept in its record");
  assert.deepEqual(bytesAsBuffers(await cache.getAction("k1")), bytesAsBuffers(record));
  const accessOf = (c: LocalCache, k: string) => (c as unknown as { db: { access: { get(k: string): unknown } } }).db.access.get(k);
  // Hits are written in one batch when the cache closes (or before a gc), not one write per hit.
  assert.equal(accessOf(cache, "k1"), undefined);
  await cache.close();
  cache = (await openCache(t, cacheDir)).cache;
  assert.equal(typeof accessOf(cache, "k1"), "number");
  assert.deepEqual(bytesAsBuffers(await cache.peekAction("k1")), bytesAsBuffers(record));
  assert.equal(await cache.getAction("nope"), undefined);
  await assert.rejects(cache.putAction({ ...record, key: "k2", log: "0".repeat(32) as ContentHash }), /not in the store/);
  await cache.deleteAction("k1");
  assert.equal(await cache.getAction("k1"), undefined);
  assert.equal(statSync(blobPath(cacheDir, log)).mode & 0o777, 0o444);
});

test("a record filed under key A whose key says B is a miss, warned and deleted", async (t) => {
  const { cache, codes } = await openCache(t);
  const record: ActionRecord = { key: "B", outputs: [], exitCode: 0, durationMs: 1, ingredients: null, createdAt: 1 };
  await cache.putAction(record);
  // Force the collision: file B's record under A, below the API.
  const db = (cache as unknown as { db: { actions: { put(k: string, v: unknown): Promise<boolean> } } }).db;
  await db.actions.put("A", record);
  await db.actions.put("junk", { key: "junk", outputs: [{ path: "../etc", kind: "file", mode: 0 }] });
  assert.equal(await cache.getAction("A"), undefined);
  assert.equal(await cache.getAction("junk"), undefined);
  assert.deepEqual(codes(), ["ACTION_KEY_MISMATCH", "ACTION_RECORD_INVALID"]);
  assert.equal(await cache.getAction("A"), undefined);
  assert.deepEqual(await cache.getAction("B"), record);
});

test("actionRecords walks every sound record in key order, skipping bad ones without warning or deleting", async (t) => {
  const { cache, codes } = await openCache(t);
  const b: ActionRecord = { key: "b", outputs: [], exitCode: 0, durationMs: 1, ingredients: null, createdAt: 2 };
  const a: ActionRecord = { ...b, key: "a", createdAt: 1 };
  await cache.putAction(b);
  await cache.putAction(a);
  const db = (cache as unknown as { db: { actions: { put(k: string, v: unknown): Promise<boolean>; get(k: string): unknown } } }).db;
  await db.actions.put("c-misfiled", b);
  await db.actions.put("d-junk", { key: "d-junk", outputs: [{ path: "../etc", kind: "file", mode: 0 }] });
  assert.deepEqual([...cache.actionRecords()], [a, b]);
  assert.deepEqual(codes(), [], "a reader's walk warns about nothing");
  assert.ok(db.actions.get("d-junk") !== undefined, "and deletes nothing");
});

test("the stat memo persists in LMDB: an unchanged output is not re-read after reopening", async (t) => {
  const cacheDir = tempDir(t);
  const root = tempDir(t);
  const file = join(root, "input.txt");
  writeFileSync(file, "input");
  const st = statSync(file);
  const clock = fakeClock(Math.max(st.mtimeMs, st.ctimeMs) + 10_000);
  const hasher = countingHasher(await createHasher());
  const first = await LocalCache.open(cacheDir, { hasher, clock });
  const a = first.statMemo.fileState(file);
  await first.close();
  const second = await LocalCache.open(cacheDir, { hasher, clock });
  t.after(() => second.close());
  assert.deepEqual(second.statMemo.fileState(file), a);
  assert.equal(hasher.fileReads, 1);
});

test("outputs that cannot be made durable by close are a warning, not a crash (RELIABILITY 28)", async (t) => {
  const cacheDir = tempDir(t);
  const w = warningCollector();
  const cache = await LocalCache.open(cacheDir, { hasher: await createHasher(), onWarning: w.onWarning, inlineMaxBytes: -1 });
  const root = tempDir(t);
  writeFileSync(join(root, "o.txt"), "bytes that never reach blobs/");
  const saved = await cache.saveOutputs(root, [{ path: "o.txt", isDir: false }]);
  assert.ok(saved.ok);
  // blobs/ replaced by a file: the rename of every pending blob fails, as on a full or broken disk.
  rmSync(join(cacheDir, "blobs"), { recursive: true, force: true });
  writeFileSync(join(cacheDir, "blobs"), "not a directory");
  await cache.close();
  assert.ok(w.codes().includes("CACHE_WRITE_FAILED"), w.codes().join(" "));
});

test("putBlobFile: another tier's copy enters the store only if it hashes to its name, small or streamed", async (t) => {
  const { cache, cacheDir } = await openCache(t);
  const hasher = await createHasher();
  const dir = tempDir(t);
  const small = Buffer.from("small blob");
  const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x61);
  for (const bytes of [small, big]) {
    const hash = hasher.hashBytes(bytes);
    const good = join(dir, "good");
    writeFileSync(good, bytes);
    const flipped = Buffer.from(bytes);
    flipped[5] = (flipped[5] as number) ^ 1;
    const bad = join(dir, "bad");
    writeFileSync(bad, flipped);
    await assert.rejects(cache.putBlobFile(bad, hash), /hashes to/);
    await cache.flush();
    assert.equal(existsSync(blobPath(cacheDir, hash)), false, "a copy that is not the blob is stored under no name");
    assert.equal(existsSync(blobPath(cacheDir, hasher.hashBytes(flipped))), false, "nor under its own");
    await cache.putBlobFile(good, hash);
    assert.equal(await cache.blobPath(hash), blobPath(cacheDir, hash));
    assert.ok(readFileSync(blobPath(cacheDir, hash)).equals(bytes));
    const stored = statSync(blobPath(cacheDir, hash));
    assert.equal(stored.mode & 0o777, 0o444);
    // A large file on the cache's disk is linked, not copied (one write fewer); a small one is copied.
    assert.equal(stored.ino === statSync(good).ino, bytes.length > 1024 * 1024);
  }
});

test("a small output is kept in its record, not as a blob: saved, recorded, restored byte-exact; its bytes are checked on restore", async (t) => {
  const { cache, cacheDir } = await openCache(t);
  const root = tempDir(t);
  const small = "x".repeat(INLINE_MAX_BYTES);
  const large = "y".repeat(INLINE_MAX_BYTES + 1);
  writeFileSync(join(root, "small.txt"), small);
  writeFileSync(join(root, "large.txt"), large);
  writeFileSync(join(root, "empty.txt"), "");
  const saved = await cache.saveOutputs(root, ["empty.txt", "large.txt", "small.txt"].map((path) => ({ path, isDir: false })));
  assert.ok(saved.ok && saved.stored);
  const [empty, big, little] = saved.entries;
  assert.deepEqual([empty?.data?.length, big?.data, little?.data?.length], [0, undefined, INLINE_MAX_BYTES]);
  await cache.putAction({ key: "k", outputs: saved.entries, exitCode: 0, durationMs: 1, ingredients: null, createdAt: 1 });
  // One blob file: the large output's. The small ones live in the record.
  const blobs = readdirSync(join(cacheDir, "blobs")).flatMap((d) => readdirSync(join(cacheDir, "blobs", d)));
  assert.deepEqual(blobs, [big?.hash]);
  const record = await cache.peekAction("k");
  assert.ok(record);
  const dest = tempDir(t);
  assert.deepEqual(await cache.restoreOutputs(dest, record.outputs), { ok: true });
  assert.equal(readFileSync(join(dest, "small.txt"), "utf8"), small);
  assert.equal(readFileSync(join(dest, "large.txt"), "utf8"), large);
  assert.equal(readFileSync(join(dest, "empty.txt"), "utf8"), "");
  // Bytes that do not hash to the entry's name are refused, like a corrupt blob: nothing is written.
  const forged: OutputEntry = { ...(little as OutputEntry), data: Buffer.from("z".repeat(INLINE_MAX_BYTES)) };
  const dest2 = tempDir(t);
  const r = await cache.restoreOutputs(dest2, [forged]);
  assert.deepEqual(r.ok === false && [r.reason, r.path], ["blob-corrupt", "small.txt"]);
  assert.deepEqual(readdirSync(dest2), []);
});

test("records finishing one by one are committed in batches, one LMDB transaction for several; each is written only once its blobs are", async (t) => {
  const { cache, cacheDir } = await openCache(t);
  const env = (cache as unknown as { db: { env: { getStats(): { lastTxnId: number } } } }).db.env;
  const before = env.getStats().lastTxnId;
  const puts: Promise<void>[] = [];
  for (let i = 0; i < 40; i++) {
    // A large output: a blob that must be durable before its record (the small ones need none).
    const bytes = Buffer.alloc(INLINE_MAX_BYTES + 1, i);
    const hash = await cache.putBlobBytes(bytes);
    const outputs: OutputEntry[] = [{ path: "o.bin", kind: "file", hash, size: bytes.length, mode: 0o644 }];
    puts.push(cache.putAction({ key: `k${i}`, outputs, exitCode: 0, durationMs: 1, ingredients: null, createdAt: 1 }));
    cache.putLastRun("scope", `t${i}`, `k${i}`);
    // The next task finishes in a later turn of the event loop, as in a build.
    await new Promise((r) => setImmediate(r));
  }
  await Promise.all(puts);
  await (cache as unknown as { recordCommitter?: Promise<void> }).recordCommitter; // the last runs queued after the last record
  const txns = env.getStats().lastTxnId - before;
  await cache.close();
  assert.ok(txns < 20, `40 records and 40 last runs in ${txns} transactions`);
  const again = (await openCache(t, cacheDir)).cache;
  for (let i = 0; i < 40; i++) {
    const record = await again.peekAction(`k${i}`);
    assert.ok(record, `k${i} was written`);
    assert.ok(existsSync(blobPath(cacheDir, record.outputs[0]?.hash)), `the blob of k${i} is there`);
    assert.equal(again.getLastRun("scope", `t${i}`), `k${i}`);
  }
});
