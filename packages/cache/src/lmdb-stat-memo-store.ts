// The stat memo's persistent half: LMDB `statmemo`, absolute path -> 56-byte
// record. Reads use getBinaryFast (no copy, no msgpack); writes are queued
// and batched by lmdb-js and never awaited, so hashing 100k inputs costs
// 100k puts into one or a few transactions, not 100k durable commits.
import type { Database } from "lmdb";
import { errorMessage, type WarningSink } from "./cache-warning.js";
import type { StatMemoStore } from "./stat-memo.js";
import { decodeStatRecord, encodeStatRecord, type StatRecord } from "./stat-record.js";

/** LMDB's key limit is 1978 bytes; longer paths are memoized for this run only. */
const MAX_KEY_BYTES = 1900;

/** `onDamage`: a read failed in LMDB itself (a damaged env, not a bad record). */
export function lmdbStatMemoStore(db: Database<Buffer, string>, warn: WarningSink, onDamage: () => void = () => undefined): StatMemoStore {
  const warned = new Set<string>();
  const onError = (what: "read" | "save") => (err: unknown): void => {
    if (warned.has(what)) return; // one failing disk would otherwise warn once per file
    warned.add(what);
    warn({ code: "CACHE_WRITE_FAILED", message: `could not ${what} the stat memo: ${errorMessage(err)}` });
  };
  const onSaveError = onError("save");
  const onReadError = onError("read");
  return {
    get(absPath: string): StatRecord | undefined {
      if (Buffer.byteLength(absPath) > MAX_KEY_BYTES) return undefined;
      let bytes: Buffer | undefined;
      try {
        bytes = db.getBinaryFast(absPath);
      } catch (err) {
        // A damaged env (MDB_PAGE_NOTFOUND...): no record means the file is hashed, which is always correct.
        onDamage();
        onReadError(err);
        return undefined;
      }
      return bytes === undefined ? undefined : decodeStatRecord(bytes);
    },
    put(absPath: string, record: StatRecord): void {
      if (Buffer.byteLength(absPath) > MAX_KEY_BYTES) return;
      db.put(absPath, encodeStatRecord(record)).then(undefined, onSaveError);
    },
  };
}
