import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import type { BlobReader, HomeTier } from "./action-cache.js";
import type { ActionRecord, OutputEntry } from "./action-record.js";
import type { ContentHash } from "./content-hash.js";
import { blobsOf } from "./local-tier.js";
import { TieredCache } from "./tiered-cache.js";
import type { CacheWarning } from "./cache-warning.js";

const spill = mkdtempSync(join(tmpdir(), "flow-tiered-test-"));
process.on("exit", () => rmSync(spill, { recursive: true, force: true }));

const hashOf = (b: Uint8Array | string) => createHash("sha256").update(b).digest("hex").slice(0, 32) as ContentHash;

/** A tier in memory: records and blobs in maps, every call logged. */
class MemoryTier implements HomeTier {
  readonly records = new Map<string, ActionRecord>();
  readonly blobs = new Map<string, Uint8Array>();
  readonly lastRuns = new Map<string, string>();
  readonly calls: string[] = [];
  failPuts = false;

  constructor(readonly name: string) {}

  async get(key: string, peek: boolean): Promise<ActionRecord | undefined> {
    this.calls.push(`${peek ? "peek" : "get"} ${key}`);
    return this.records.get(key);
  }

  async put(record: ActionRecord, read: BlobReader): Promise<void> {
    this.calls.push(`put ${record.key}`);
    if (this.failPuts) throw new Error(`${this.name} is full`);
    for (const h of blobsOf(record)) {
      if (this.blobs.has(h)) continue;
      const path = await read(h);
      if (path === undefined) throw new Error(`blob ${h} unreadable`);
      this.blobs.set(h, new Uint8Array(readFileSync(path)));
    }
    this.records.set(record.key, record);
  }

  async delete(key: string): Promise<void> {
    this.calls.push(`delete ${key}`);
    this.records.delete(key);
  }

  /** Writes the blob to a file on demand: tiers hand each other paths. */
  async blobPath(hash: ContentHash): Promise<string | undefined> {
    const bytes = this.blobs.get(hash);
    if (bytes === undefined) return undefined;
    const path = join(spill, `${this.name}-${hash}`);
    writeFileSync(path, bytes);
    return path;
  }

  async release(key: string): Promise<void> {
    this.calls.push(`release ${key}`);
  }

  getLastRun(scope: string, task: string): string | undefined {
    return this.lastRuns.get(`${scope}\0${task}`);
  }

  putLastRun(scope: string, task: string, key: string): void {
    this.lastRuns.set(`${scope}\0${task}`, key);
  }

  async putBlobBytes(data: Uint8Array): Promise<ContentHash> {
    const h = hashOf(data);
    this.blobs.set(h, data);
    return h;
  }

  async flush(): Promise<void> {}
}

const bytes = (s: string) => new TextEncoder().encode(s);

function fileOutput(path: string, content: string): OutputEntry {
  return { path, kind: "file", hash: hashOf(content), size: content.length, mode: 0o644 };
}

function setup(o: { peek?: boolean; logs?: Record<string, string> } = {}) {
  const home = new MemoryTier("home");
  const remote = new MemoryTier("remote");
  const warnings: CacheWarning[] = [];
  const cache = new TieredCache({
    home,
    further: [remote],
    scope: "checkout",
    clock: { now: () => 42 },
    onWarning: (w) => void warnings.push(w),
    readLog: (p) => (o.logs?.[p] !== undefined ? bytes(o.logs[p] as string) : undefined),
    ...(o.peek ? { peek: true } : {}),
  });
  return { home, remote, cache, warnings };
}

/** A record as another machine would have stored it in the remote tier. */
function remoteEntry(remote: MemoryTier, key: string, content: string): ActionRecord {
  const out = fileOutput("out.txt", content);
  remote.blobs.set(out.hash as string, bytes(content));
  const record: ActionRecord = { key, outputs: [out], exitCode: 0, durationMs: 5, ingredients: `canonical of ${key}`, createdAt: 1 };
  remote.records.set(key, record);
  return record;
}

describe("TieredCache", () => {
  test("a hit in the remote tier is copied home, record and blobs, and the next lookup stays home", async () => {
    const { home, remote, cache, warnings } = setup();
    const record = remoteEntry(remote, "k1", "hello");
    const hit = await cache.lookup("k1");
    assert.deepEqual(hit, { outputs: record.outputs, canonical: "canonical of k1", log: undefined, discovered: undefined });
    assert.deepEqual(home.records.get("k1"), record);
    assert.deepEqual(home.blobs.get(record.outputs[0]?.hash as string), bytes("hello"));
    remote.calls.length = 0;
    assert.deepEqual(await cache.lookup("k1"), hit);
    assert.deepEqual(remote.calls, [], "served by the home tier");
    assert.deepEqual(warnings, []);
  });

  test("a further tier's hit is released once copied home, and when the copy fails", async () => {
    const { home, remote, cache } = setup();
    remoteEntry(remote, "k1", "hello");
    const bad = remoteEntry(remote, "k2", "lost");
    remote.blobs.delete(bad.outputs[0]?.hash as string);
    assert.ok(await cache.lookup("k1"));
    assert.equal(await cache.lookup("k2"), undefined);
    assert.deepEqual(remote.calls, ["get k1", "release k1", "get k2", "release k2"]);
    assert.ok(home.records.has("k1") && !home.records.has("k2"));
  });

  test("home first: a home hit never asks the remote tier", async () => {
    const { home, remote, cache } = setup();
    remoteEntry(home, "k1", "local");
    remoteEntry(remote, "k1", "remote");
    assert.equal((await cache.lookup("k1"))?.outputs[0]?.hash, hashOf("local"));
    assert.deepEqual(remote.calls, []);
    assert.deepEqual(home.calls, ["get k1"]);
  });

  test("a miss in every tier asks each once, in order", async () => {
    const { home, remote, cache } = setup();
    assert.equal(await cache.lookup("nope"), undefined);
    assert.deepEqual([...home.calls, ...remote.calls], ["get nope", "get nope"]);
  });

  test("a remote hit whose blob cannot be read is a warning and a miss; nothing is stored home", async () => {
    const { home, remote, cache, warnings } = setup();
    const record = remoteEntry(remote, "k1", "hello");
    remote.blobs.delete(record.outputs[0]?.hash as string);
    assert.equal(await cache.lookup("k1"), undefined);
    assert.equal(home.records.size, 0);
    assert.deepEqual(warnings.map((w) => w.code), ["CACHE_WRITE_FAILED"]);
  });

  test("peek: lookups are peeks in every tier and copy nothing", async () => {
    const { home, remote, cache } = setup({ peek: true });
    remoteEntry(remote, "k1", "hello");
    assert.ok(await cache.lookup("k1"));
    assert.equal(home.records.size, 0);
    assert.deepEqual([...home.calls, ...remote.calls], ["peek k1", "peek k1", "release k1"]);
  });

  test("commit builds the record (format, log blob, time) and writes it home, then to the remote tier", async () => {
    const { home, remote, cache, warnings } = setup({ logs: { "/logs/t.log": "compiling\n" } });
    const out = fileOutput("out.txt", "built");
    home.blobs.set(out.hash as string, bytes("built")); // saveOutputs put it there
    cache.commit({ key: "k2", canonical: "the text", outputs: [out], durationMs: 7, logPath: "/logs/t.log" });
    await cache.flush();
    const expected: ActionRecord = { key: "k2", outputs: [out], exitCode: 0, durationMs: 7, log: hashOf("compiling\n"), ingredients: "the text", createdAt: 42 };
    assert.deepEqual(home.records.get("k2"), expected);
    assert.deepEqual(remote.records.get("k2"), expected);
    assert.deepEqual(remote.blobs.get(hashOf("compiling\n")), bytes("compiling\n"), "the remote tier read the log blob from home");
    assert.deepEqual(remote.blobs.get(out.hash as string), bytes("built"));
    assert.deepEqual(warnings, []);
  });

  test("commit: an empty or absent log is not stored", async () => {
    const { home, cache } = setup({ logs: { "/logs/empty.log": "" } });
    cache.commit({ key: "a", canonical: "a", outputs: [], durationMs: 1, logPath: "/logs/empty.log" });
    cache.commit({ key: "b", canonical: "b", outputs: [], durationMs: 1, logPath: "/logs/none.log" });
    await cache.flush();
    assert.equal(home.records.get("a")?.log, undefined);
    assert.equal(home.records.get("b")?.log, undefined);
  });

  test("a tier that cannot store is a warning; the others still hold the entry", async () => {
    const { home, remote, cache, warnings } = setup();
    remote.failPuts = true;
    cache.commit({ key: "k3", canonical: "t", outputs: [], durationMs: 1 });
    await cache.flush();
    assert.ok(home.records.has("k3"));
    assert.deepEqual(warnings.map((w) => w.code), ["CACHE_WRITE_FAILED"]);
    assert.match(warnings[0]?.message ?? "", /remote is full/);
  });

  test("delete reaches every tier", async () => {
    const { home, remote, cache } = setup();
    remoteEntry(home, "k1", "x");
    remoteEntry(remote, "k1", "x");
    await cache.delete("k1");
    assert.equal(home.records.size + remote.records.size, 0);
  });

  test("lastRun: the key recorded for the task, with its text while home holds the entry", async () => {
    const { home, cache } = setup();
    assert.equal(await cache.lastRun("t"), undefined);
    remoteEntry(home, "k1", "x");
    cache.recordLastRun("t", "k1");
    assert.deepEqual(await cache.lastRun("t"), { key: "k1", canonical: "canonical of k1" });
    assert.deepEqual(home.calls.at(-1), "peek k1", "reading the last run is not a use");
    home.records.delete("k1");
    assert.deepEqual(await cache.lastRun("t"), { key: "k1", canonical: undefined });
  });
});
