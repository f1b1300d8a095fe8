// Opening the LMDB env under <cacheDir>/db, and throwing it away when it
// cannot be trusted.
//
// Named databases (msgpack unless said):
//   meta      { schema: CACHE_SCHEMA_VERSION }
//   actions   task key -> ActionRecord (msgpack with shared structures)
//   statmemo  absolute path -> 56-byte StatRecord (binary, see stat-record.ts)
//   access    task key -> last hit, ms since epoch (gc evicts least recently used first)
//   lastrun   "<scope>\0<task name>" -> key (a plain string) of that task's last successful
//             run in that checkout (scope: a hash of the checkout's absolute
//             root, bookkeeping only, never part of a key); what `flow explain`
//             compares against and what `flow clean` removes
//
// The cache is disposable: an env that fails the header check, the full
// check, the after-crash check, to open, or carries another schema is renamed
// to db.corrupt-<ms> / db.old-schema-<ms> (kept for a post-mortem; gc may
// delete them), a warning is emitted and a fresh env is created. Blobs are
// verified on every read, so they survive this.
//
// Checks before LMDB sees the file (a damaged page can crash LMDB in native
// code, which no catch survives):
//   always                        the meta pages (lmdb-header-check.ts), microseconds
//   unless untouched since a      every page the newest snapshot uses, in JS, in-process
//   clean close (env-identity.ts) (lmdb-walk.ts): cannot crash, ~1 ms per MiB
//   after a crash or read errors  also a full read by LMDB in a child process
//   (a stale session marker)      (db-verify.ts), whose death is observed, not shared
//
// Writes are asynchronous and batched by lmdb-js (one transaction per event
// turn, committed off the main thread); nothing here waits for a durable
// commit per write. `compression: false`: records are small and the blob
// store holds the bulk.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRequire } from "node:module";
import type { Database, RootDatabase } from "lmdb";
import { CACHE_SCHEMA_VERSION } from "./action-record.js";
import { errorMessage, type CacheWarningCode, type WarningSink } from "./cache-warning.js";
import { untouchedSinceCleanClose } from "./env-identity.js";
import { lmdbHeaderProblem } from "./lmdb-header-check.js";
import { lmdbMapSize } from "./lmdb-map-size.js";
import { lmdbWalkProblem } from "./lmdb-walk.js";
import type { Clock } from "./stat-memo.js";

export interface CacheDb {
  env: RootDatabase;
  meta: Database<unknown, string>;
  actions: Database<unknown, string>;
  statmemo: Database<Buffer, string>;
  access: Database<number, string>;
  lastrun: Database<string, string>;
}

const VERIFY_TIMEOUT_MS = 60_000;

// lmdb through require(): its CommonJS build loads in ~75 ms where importing it as ESM took
// ~115 ms (Node's CJS export lexer scans it), on every start of every command.
const { open } = createRequire(import.meta.url)("lmdb") as typeof import("lmdb");

export interface OpenCacheDbOptions {
  clock: Clock;
  warn: WarningSink;
  /** A process died with the env open, or met read errors in it: also read it in full with LMDB, in a child. */
  crashed: boolean;
  /** Walk the file even when it is untouched since a clean close (`flow cache verify`). */
  full?: boolean;
  /** Told where the env went when it is set aside as corrupt. */
  onSetAside?: (dest: string, why: string) => void;
}

export async function openCacheDb(cacheDir: string, opts: OpenCacheDbOptions): Promise<CacheDb> {
  const dbDir = join(cacheDir, "db");
  const setAside = (kind: "corrupt" | "old-schema", code: CacheWarningCode, why: string): void => {
    const dest = uniqueName(join(cacheDir, `db.${kind}-${opts.clock.now()}`));
    renameSync(dbDir, dest);
    if (kind === "corrupt") opts.onSetAside?.(dest, why);
    opts.warn({ code, message: `cache database set aside as ${dest}: ${why}; starting a fresh one` });
  };

  const problem = suspectProblem(dbDir, opts);
  if (problem !== undefined) setAside("corrupt", "CACHE_CORRUPT_SET_ASIDE", problem);

  let db: CacheDb;
  let schema: unknown;
  try {
    // Reading the schema is part of the open: a damaged env often opens and
    // then fails on its first read (MDB_PAGE_NOTFOUND, MDB_CORRUPTED).
    ({ db, schema } = openEnvAndSchema(dbDir));
  } catch (err) {
    setAside("corrupt", "CACHE_CORRUPT_SET_ASIDE", `it failed to open: ${errorMessage(err)}`);
    ({ db, schema } = openEnvAndSchema(dbDir));
  }
  if (schema === CACHE_SCHEMA_VERSION) return db;
  let empty = false;
  let readError: string | undefined;
  try {
    empty = schema === undefined && isEmpty(db.actions) && isEmpty(db.statmemo);
  } catch (err) {
    // A damaged env can read its schema record (or lose it) and fail on the next page.
    readError = errorMessage(err);
  }
  if (empty) {
    await db.meta.put("schema", CACHE_SCHEMA_VERSION);
    return db;
  }
  await db.env.close();
  // flow writes the schema record before any other: records without it are damage (a
  // damaged page can lose the record and leave the others readable), not another version.
  if (readError !== undefined) setAside("corrupt", "CACHE_CORRUPT_SET_ASIDE", `it failed to read: ${readError}`);
  else if (schema === undefined) setAside("corrupt", "CACHE_CORRUPT_SET_ASIDE", "it holds records but no schema record, which flow writes first: it is damaged");
  else setAside("old-schema", "CACHE_SCHEMA_MISMATCH", `it has schema ${JSON.stringify(schema)}, this flow uses ${CACHE_SCHEMA_VERSION}`);
  db = openEnv(dbDir);
  await db.meta.put("schema", CACHE_SCHEMA_VERSION);
  return db;
}

function openEnvAndSchema(dbDir: string): { db: CacheDb; schema: unknown } {
  const db = openEnv(dbDir);
  try {
    return { db, schema: db.meta.get("schema") };
  } catch (err) {
    void db.env.close();
    throw err;
  }
}

function openEnv(dbDir: string): CacheDb {
  mkdirSync(dbDir, { recursive: true });
  // One map for the whole session where the address space allows (lmdb-map-size.ts): a map
  // grown by doubling kept every earlier map, and the pages in them, until close.
  const mapSize = lmdbMapSize();
  const env = open(dbDir, { compression: false, maxDbs: 8, ...(mapSize !== undefined ? { mapSize } : {}) });
  try {
    return {
      env,
      meta: env.openDB<unknown, string>("meta", {}),
      // Shared structures: each record's field layout is stored once in the db instead of in
      // every record; a get (one per task of every build) decoded 2.3x faster (10k records, measured).
      actions: env.openDB<unknown, string>("actions", { sharedStructuresKey: Symbol.for("structures") }),
      statmemo: env.openDB<Buffer, string>("statmemo", { encoding: "binary" }),
      access: env.openDB<number, string>("access", {}),
      // Plain strings: read once per task of every build (putLastRun compares before writing).
      lastrun: env.openDB<string, string>("lastrun", { encoding: "string" }),
    };
  } catch (err) {
    void env.close();
    throw err;
  }
}

/** Why the env on disk must not be opened in this process, if it must not. */
function suspectProblem(dbDir: string, opts: OpenCacheDbOptions): string | undefined {
  const dataFile = join(dbDir, "data.mdb");
  if (!existsSync(dataFile)) return undefined;
  const checked = (check: (file: string) => string | undefined): string | undefined => {
    try {
      return check(dataFile);
    } catch (err) {
      return errorMessage(err);
    }
  };
  const header = checked(lmdbHeaderProblem);
  if (header !== undefined) return `its data file failed the header check (${header})`;
  if (!opts.crashed && opts.full !== true && untouchedSinceCleanClose(dbDir)) return undefined;
  const walk = checked(lmdbWalkProblem);
  if (walk !== undefined) return `its data file failed the full check (${walk})`;
  if (!opts.crashed) return undefined;
  const script = fileURLToPath(new URL("./db-verify.js", import.meta.url));
  const run = spawnSync(process.execPath, ["--no-concurrent-recompilation", script, dbDir], {
    stdio: "ignore",
    timeout: VERIFY_TIMEOUT_MS,
  });
  if (run.error !== undefined && run.signal === "SIGTERM") return undefined; // too big to check in time: trust it
  if (run.status === 0) return undefined;
  return `a process died with it open, or met read errors in it, and a full read ${run.signal !== null ? `crashed (${run.signal})` : `failed (exit ${run.status})`}`;
}

function isEmpty<V>(db: Database<V, string>): boolean {
  for (const _ of db.getKeys({ limit: 1 })) return false;
  return true;
}

function uniqueName(base: string): string {
  let name = base;
  for (let i = 1; existsSync(name); i++) name = `${base}-${i}`;
  return name;
}
