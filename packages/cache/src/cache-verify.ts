// `flow cache verify`: the LMDB file is walked in full when the cache is
// opened for it (see cache-db.ts; a damaged env is set aside and reported in
// `databaseSetAside`); then rehash every blob; a blob whose bytes do not match its
// name is deleted, and so is every record that names a deleted or missing
// blob (its restore could only fail), that keeps a file inline whose bytes do
// not hash to its name, or that fails to decode.
//
// Blobs are read in 1 MiB chunks (hashFileSync), so a blob over 2 GiB is
// checked like any other. Restore already verifies every blob it copies;
// verify finds the damage before a build trips over it, and frees the space.
import { unlinkSync } from "node:fs";
import type { CacheDb } from "./cache-db.js";
import { errnoCode, type WarningSink } from "./cache-warning.js";
import type { ContentHash, Hasher } from "./content-hash.js";
import { listBlobs, readEntries } from "./gc-blobs.js";

export interface VerifyReport {
  readonly blobsChecked: number;
  readonly bytesChecked: number;
  /** Blobs whose bytes did not hash to their name; deleted. */
  readonly badBlobs: readonly ContentHash[];
  readonly entriesChecked: number;
  /** Keys of records dropped: they named a bad or missing blob, or failed to decode. */
  readonly entriesRemoved: readonly string[];
  /** The LMDB env failed its full check when verify opened it: set aside here, a fresh one started (its entries are gone). */
  readonly databaseSetAside?: { readonly path: string; readonly reason: string };
}

export async function verifyCache(db: CacheDb, cacheDir: string, hasher: Hasher, warn: WarningSink): Promise<VerifyReport> {
  const present = new Set<ContentHash>();
  const bad: ContentHash[] = [];
  let bytes = 0;
  const blobs = listBlobs(cacheDir);
  for (const b of blobs) {
    let actual: ContentHash;
    try {
      actual = hasher.hashFileSync(b.path);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") continue; // removed meanwhile by another process
      throw err;
    }
    bytes += b.size;
    if (actual === b.hash) {
      present.add(b.hash);
      continue;
    }
    bad.push(b.hash);
    try {
      unlinkSync(b.path);
    } catch (err) {
      if (errnoCode(err) !== "ENOENT") throw err;
    }
    warn({ code: "BLOB_CORRUPT", message: `blob ${b.hash} was removed: its bytes hash to ${actual}` });
  }
  const { entries, invalid } = readEntries(db);
  // A file kept inline must hash to its name like a blob: a record with one that does not is dropped.
  const badInline = (e: (typeof entries)[number]): boolean => e.inline?.some((o) => hasher.hashBytes(o.data as Uint8Array) !== o.hash) === true;
  const dropped = [...invalid, ...entries.filter((e) => e.blobs.some((h) => !present.has(h)) || badInline(e)).map((e) => e.key)].sort();
  await Promise.all(dropped.flatMap((k) => [db.actions.remove(k), db.access.remove(k)]));
  return {
    blobsChecked: blobs.length,
    bytesChecked: bytes,
    badBlobs: bad,
    entriesChecked: entries.length + invalid.length,
    entriesRemoved: dropped,
  };
}
