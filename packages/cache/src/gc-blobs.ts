// What is in blobs/ and what the records name: the two lists gc, verify and
// stats compare.
//
// Records are read key by key (not with one range scan) so a record that
// fails to decode is one invalid entry, not the end of the scan.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { checkActionRecord, type OutputEntry } from "./action-record.js";
import type { CacheDb } from "./cache-db.js";
import { errnoCode } from "./cache-warning.js";
import { isContentHash, type ContentHash } from "./content-hash.js";

export interface BlobFile {
  readonly hash: ContentHash;
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

/** Every well-named blob under `<cacheDir>/blobs`, sorted by hash. Other names are left alone and not listed. */
export function listBlobs(cacheDir: string): BlobFile[] {
  const dir = join(cacheDir, "blobs");
  const out: BlobFile[] = [];
  for (const shard of readdirOrEmpty(dir).sort()) {
    if (!/^[0-9a-f]{2}$/.test(shard)) continue;
    for (const name of readdirOrEmpty(join(dir, shard)).sort()) {
      if (!isContentHash(name) || !name.startsWith(shard)) continue;
      const path = join(dir, shard, name);
      const st = statSync(path, { throwIfNoEntry: false });
      if (st === undefined || !st.isFile()) continue; // removed meanwhile by another process
      out.push({ hash: name, path, size: st.size, mtimeMs: st.mtimeMs });
    }
  }
  return out;
}

export interface EntrySummary {
  readonly key: string;
  /** ms since epoch: the last hit (`access` db) or, never hit, when it was made. */
  readonly lastUsed: number;
  /** Blobs it names (outputs and log), unique, sorted. */
  readonly blobs: readonly ContentHash[];
  /** Its files kept inline (OutputEntry.data), when it has any: `flow cache verify` rehashes them. */
  readonly inline?: readonly OutputEntry[];
}

/** Every action record, in key order; keys of records that fail to decode or check are listed apart. */
export function readEntries(db: CacheDb): { entries: EntrySummary[]; invalid: string[] } {
  const entries: EntrySummary[] = [];
  const invalid: string[] = [];
  for (const key of db.actions.getKeys()) {
    let raw: unknown;
    try {
      raw = db.actions.get(key);
    } catch {
      invalid.push(key); // undecodable: the same verdict getAction reaches
      continue;
    }
    const checked = checkActionRecord(raw);
    if (!checked.ok || checked.record.key !== key) {
      invalid.push(key);
      continue;
    }
    const rec = checked.record;
    const blobs = new Set<ContentHash>();
    // A file kept inline names no blob.
    for (const o of rec.outputs) if (o.hash !== undefined && o.data === undefined) blobs.add(o.hash);
    if (rec.log !== undefined) blobs.add(rec.log);
    const access = db.access.get(key);
    const lastUsed = Math.max(rec.createdAt, typeof access === "number" ? access : 0);
    const inline = rec.outputs.filter((o) => o.data !== undefined);
    entries.push({ key, lastUsed, blobs: [...blobs].sort(), ...(inline.length > 0 ? { inline } : {}) });
  }
  return { entries, invalid };
}

function readdirOrEmpty(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (err) {
    if (errnoCode(err) === "ENOENT" || errnoCode(err) === "ENOTDIR") return [];
    throw err;
  }
}
