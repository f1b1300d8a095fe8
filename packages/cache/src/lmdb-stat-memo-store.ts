// The stat memo's persistent half: LMDB `statmemo`, absolute path -> 56-byte
// record. Reads use getBinaryFast (no copy, no msgpack). Writes are kept in
// memory and written BATCH at a time in one synchronous transaction (and the
// rest at close, by flush): left to lmdb-js's async puts, the records of a
// full build were committed about one transaction per task, as tasks finish
// in different event-loop turns: ~0.75 fdatasync per task at 1,000 tasks.
// A record lost by a crash costs one rehash, never a wrong result.
import type { Database, RootDatabase } from "lmdb";
import { errorMessage, type WarningSink } from "./cache-warning.js";
import type { StatMemoStore } from "./stat-memo.js";
import { decodeStatRecord, encodeStatRecord, type StatRecord } from "./stat-record.js";

/** LMDB's key limit is 1978 bytes; longer paths are memoized for this run only. */
const MAX_KEY_BYTES = 1900;
/** Records written per transaction while a build runs. */
const BATCH = 4096;

/** A key LMDB can hold; the byte length is computed only for paths that could be too long. */
function fits(absPath: string): boolean {
  return absPath.length * 3 <= MAX_KEY_BYTES || Buffer.byteLength(absPath) <= MAX_KEY_BYTES;
}

export function lmdbStatMemoStore(env: RootDatabase, db: Database<Buffer, string>, warn: WarningSink): StatMemoStore & { flush(): void } {
  const warned = new Set<string>();
  const onError = (what: "read" | "save") => (err: unknown): void => {
    if (warned.has(what)) return; // one failing disk would otherwise warn once per file
    warned.add(what);
    warn({ code: "CACHE_WRITE_FAILED", message: `could not ${what} the stat memo: ${errorMessage(err)}` });
  };
  const onSaveError = onError("save");
  const onReadError = onError("read");
  const pending = new Map<string, StatRecord>();
  const flush = (): void => {
    if (pending.size === 0) return;
    const batch = [...pending];
    pending.clear();
    try {
      env.transactionSync(() => {
        for (const [path, record] of batch) db.putSync(path, encodeStatRecord(record));
      });
    } catch (err) {
      onSaveError(err);
    }
  };
  return {
    get(absPath: string): StatRecord | undefined {
      if (!fits(absPath)) return undefined;
      const queued = pending.get(absPath);
      if (queued !== undefined) return queued;
      let bytes: Buffer | undefined;
      try {
        bytes = db.getBinaryFast(absPath);
      } catch (err) {
        // A damaged env (MDB_PAGE_NOTFOUND...): no record means the file is hashed, which is always correct.
        onReadError(err);
        return undefined;
      }
      return bytes === undefined ? undefined : decodeStatRecord(bytes);
    },
    put(absPath: string, record: StatRecord): void {
      if (!fits(absPath)) return;
      pending.set(absPath, record);
      if (pending.size >= BATCH) flush();
    },
    flush,
  };
}
