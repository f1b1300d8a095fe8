// Garbage collection of the local cache: least recently used entries first.
//
// An entry's "last use" is its last hit (the `access` db, written on every
// getAction hit) or, never hit, its createdAt. Entries are dropped oldest
// first (ties by key, so a run is deterministic) until at most `keep` are
// left and the blobs still named by a kept entry fit in `maxBytes`. A blob is
// deleted only when no kept entry names it (blobs are shared between entries:
// two tasks that produce the same bytes store them once).
//
// Also removed: records that fail to decode, orphan blobs (named by no
// record) older than ORPHAN_GRACE_MS, and envs set aside as db.corrupt-* /
// db.old-schema-*.
//
// Order of deletion: records first (awaited), blobs after, so a concurrent
// reader never finds a record whose blob went missing because of gc. The
// grace period protects a blob another process has just stored and whose
// record it has not written yet (putAction refuses a record with a missing
// blob). What remains possible with several processes on one cache: an entry
// written while gc runs may name an old orphan blob that gc removes; its
// restore then fails its check and the task reruns (a miss, never a wrong
// build: every restore is verified).
//
// `maxBytes` counts blob bytes only: the LMDB file never shrinks (freed pages
// are reused), so counting it would make some caps unreachable.
import { readdirSync, rmSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { CacheDb } from "./cache-db.js";
import { errnoCode } from "./cache-warning.js";
import type { ContentHash } from "./content-hash.js";
import { listBlobs, readEntries, type EntrySummary } from "./gc-blobs.js";

export const ORPHAN_GRACE_MS = 60 * 60 * 1000;

export interface GcOptions {
  /** Drop LRU entries until the blobs still referenced take at most this many bytes. */
  readonly maxBytes?: number;
  /** Keep at most this many entries (the most recently used). */
  readonly keep?: number;
  /** ms since epoch. */
  readonly now: number;
  readonly orphanGraceMs?: number;
}

export interface GcReport {
  readonly entriesBefore: number;
  readonly entriesRemoved: number;
  /** Of entriesRemoved: records that failed to decode or check. */
  readonly invalidRemoved: number;
  /** Keys of the entries removed, sorted. */
  readonly removedKeys: readonly string[];
  readonly blobsBefore: number;
  readonly blobsRemoved: number;
  /** Of blobsRemoved: blobs no record named. */
  readonly orphansRemoved: number;
  readonly bytesBefore: number;
  readonly bytesAfter: number;
  /** Names of set-aside envs deleted. */
  readonly setAsideRemoved: readonly string[];
}

export async function collectGarbage(db: CacheDb, cacheDir: string, opts: GcOptions): Promise<GcReport> {
  const { entries, invalid } = readEntries(db);
  const blobs = listBlobs(cacheDir);
  const sizeOf = new Map<ContentHash, number>(blobs.map((b) => [b.hash, b.size]));
  const bytesBefore = blobs.reduce((n, b) => n + b.size, 0);

  const refs = new Map<ContentHash, number>();
  for (const e of entries) for (const h of e.blobs) refs.set(h, (refs.get(h) ?? 0) + 1);
  const grace = opts.orphanGraceMs ?? ORPHAN_GRACE_MS;
  const doomedBlobs: ContentHash[] = [];
  let orphans = 0;
  let bytes = bytesBefore;
  for (const b of blobs) {
    if (refs.has(b.hash) || opts.now - b.mtimeMs < grace) continue;
    doomedBlobs.push(b.hash);
    orphans++;
    bytes -= b.size;
  }

  const dropped = pickVictims(entries, opts, bytes, refs, sizeOf);
  for (const e of dropped) {
    for (const h of e.blobs) {
      const n = (refs.get(h) ?? 0) - 1;
      if (n > 0) {
        refs.set(h, n);
        continue;
      }
      refs.delete(h);
      const size = sizeOf.get(h);
      if (size === undefined) continue; // named but already missing
      doomedBlobs.push(h);
      bytes -= size;
    }
  }

  const keys = [...invalid, ...dropped.map((e) => e.key)];
  await Promise.all(keys.flatMap((k) => [db.actions.remove(k), db.access.remove(k)]));
  let blobsRemoved = 0;
  for (const h of doomedBlobs) if (removeFile(join(cacheDir, "blobs", h.slice(0, 2), h))) blobsRemoved++;
  return {
    entriesBefore: entries.length + invalid.length,
    entriesRemoved: keys.length,
    invalidRemoved: invalid.length,
    removedKeys: [...keys].sort(),
    blobsBefore: blobs.length,
    blobsRemoved,
    orphansRemoved: orphans,
    bytesBefore,
    bytesAfter: bytes,
    setAsideRemoved: removeSetAside(cacheDir),
  };
}

/** LRU order, ties by key; stops as soon as both limits hold. Mutates nothing. */
function pickVictims(
  entries: readonly EntrySummary[],
  opts: GcOptions,
  startBytes: number,
  refs: ReadonlyMap<ContentHash, number>,
  sizeOf: ReadonlyMap<ContentHash, number>,
): EntrySummary[] {
  const lru = [...entries].sort((a, b) => a.lastUsed - b.lastUsed || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const left = new Map(refs);
  let bytes = startBytes;
  let count = lru.length;
  const victims: EntrySummary[] = [];
  for (const e of lru) {
    const overCount = opts.keep !== undefined && count > opts.keep;
    const overBytes = opts.maxBytes !== undefined && bytes > opts.maxBytes;
    if (!overCount && !overBytes) break;
    victims.push(e);
    count--;
    for (const h of e.blobs) {
      const n = (left.get(h) ?? 0) - 1;
      left.set(h, n);
      if (n === 0) bytes -= sizeOf.get(h) ?? 0;
    }
  }
  return victims;
}

/** db.corrupt-<ms>[-n] and db.old-schema-<ms>[-n], as cache-db.ts names them. */
export function setAsideNames(cacheDir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(cacheDir);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return [];
    throw err;
  }
  return names.filter((n) => /^db\.(corrupt|old-schema)-\d+(-\d+)?$/.test(n)).sort();
}

function removeSetAside(cacheDir: string): string[] {
  const names = setAsideNames(cacheDir);
  for (const n of names) rmSync(join(cacheDir, n), { recursive: true, force: true });
  return names;
}

/** false when it was already gone (another gc, or verify, got there first). */
function removeFile(path: string): boolean {
  try {
    unlinkSync(path);
    return true;
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return false;
    throw err;
  }
}
