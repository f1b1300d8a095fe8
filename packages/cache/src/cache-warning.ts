// The cache never prints and never fails a build for its own sake: anything
// odd it meets is reported through `onWarning` and handled as a miss.
//
// Codes are stable (tests and the CLI's renderer match on them):
// - CACHE_CORRUPT_SET_ASIDE  the LMDB env failed its header check, its full check (after a crash or a session's
//                            read errors), to open, or holds records without a schema; moved to db.corrupt-<ms>
// - CACHE_SCHEMA_MISMATCH    the env was written by another schema; moved to db.old-schema-<ms>
// - ACTION_RECORD_INVALID    a stored action record failed to decode; deleted, treated as a miss
// - ACTION_KEY_MISMATCH      a record's key field differs from the key it is stored under; deleted, a miss
// - BLOB_CORRUPT             a blob's bytes do not hash to its name; deleted
// - CACHE_WRITE_FAILED       a background read or write of the env failed (stat memo, access time,
//                            deleting a bad record); the cache carries on without it
// - CACHE_TMP_SWEEP_FAILED   an old temp file could not be removed
// - REMOTE_UNAVAILABLE       the remote cache is refused, unreachable, hung, refuses the token, or failed
//                            several requests in a row; not used again in this run (once per run)
// - REMOTE_LOOKUP_FAILED     a remote lookup failed after its retries (5xx, 429, truncated body); a miss
//                            (the first such failure only)
// - REMOTE_ARTIFACT_REJECTED a remote artifact failed a check (signature, hash, record, path); a miss
// - REMOTE_UPLOAD_FAILED     an upload failed (the first only; the rest are counted)
export type CacheWarningCode =
  | "CACHE_CORRUPT_SET_ASIDE"
  | "CACHE_SCHEMA_MISMATCH"
  | "ACTION_RECORD_INVALID"
  | "ACTION_KEY_MISMATCH"
  | "BLOB_CORRUPT"
  | "CACHE_WRITE_FAILED"
  | "CACHE_TMP_SWEEP_FAILED"
  | "REMOTE_UNAVAILABLE"
  | "REMOTE_LOOKUP_FAILED"
  | "REMOTE_ARTIFACT_REJECTED"
  | "REMOTE_UPLOAD_FAILED";

export interface CacheWarning {
  code: CacheWarningCode;
  message: string;
}

export type WarningSink = (w: CacheWarning) => void;

export function errorMessage(err: unknown): string {
  if (absorbCommitError(err)) return "a write to the cache database failed (most often: the disk is full)";
  return err instanceof Error ? err.message : String(err);
}

/**
 * lmdb-js rejects a failed commit's writes with "Commit failed (see
 * commitError for details)" and also rejects `err.commitError`, a promise
 * nobody else holds: unhandled, it would end the process (the ENOSPC it
 * carries is already printed by lmdb). Whoever handles the write's error
 * calls this; true when `err` was such an error.
 */
export function absorbCommitError(err: unknown): boolean {
  const p = typeof err === "object" && err !== null ? (err as { commitError?: unknown }).commitError : undefined;
  if (!(p instanceof Promise)) return false;
  p.catch(() => undefined);
  return true;
}

export function errnoCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}
