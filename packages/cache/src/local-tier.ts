// The local cache as the home tier of a TieredCache.
import type { BlobReader, HomeTier } from "./action-cache.js";
import type { ActionRecord } from "./action-record.js";
import type { ContentHash } from "./content-hash.js";
import type { LocalCache } from "./local-cache.js";

export function localTier(cache: LocalCache): HomeTier {
  return {
    get: (key, peek) => (peek ? cache.peekAction(key) : cache.getAction(key)),
    put: async (record: ActionRecord, read: BlobReader) => {
      // An entry from another tier names blobs this machine may lack: copy them first
      // (putAction refuses a record whose blobs are not in the store).
      // A record from another tier names its small files by hash too (its format has no
      // inline bytes): they are copied as blobs, so that the hit the engine restores from
      // (that tier's record) finds them home.
      for (const hash of blobsOf(record)) {
        if (await cache.hasBlob(hash)) continue;
        const path = await read(hash);
        if (path === undefined) throw new Error(`blob ${hash} of key ${record.key} could not be read from the tier that holds it`);
        // Streamed and re-hashed on the way in: a blob that is not what its name says never enters the store.
        await cache.putBlobFile(path, hash);
      }
      await cache.putAction(record);
    },
    delete: (key) => cache.deleteAction(key),
    blobPath: (hash) => cache.blobPath(hash),
    getLastRun: (scope, task) => cache.getLastRun(scope, task),
    putLastRun: (scope, task, key) => cache.putLastRun(scope, task, key),
    putBlobBytes: (data) => cache.putBlobBytes(data),
    flush: () => cache.flush(),
  };
}

/** Every blob file a record names: its files' contents (but those kept inline) and its log. */
export function blobsOf(record: ActionRecord): ContentHash[] {
  const out: ContentHash[] = [];
  for (const o of record.outputs) if (o.hash !== undefined && o.data === undefined) out.push(o.hash);
  if (record.log !== undefined) out.push(record.log);
  return out;
}
