// Cache statistics: what `flow cache stats` prints, and the small file that
// builds update so the automatic gc knows the cache's size without walking
// the blob directory on every build.
//
// <cacheDir>/stats.json (JSON, written whole: temp file in tmp/, then rename):
//   version           1
//   blobBytes         estimated bytes in blobs/: exact when measured, plus the
//                     bytes of every record written since (an over-estimate:
//                     a blob already present is counted again; an
//                     over-estimate only makes gc look sooner, and gc measures)
//   measuredAt        ms since epoch of the last exact measurement
//   buildsSinceMeasure  re-measured every REMEASURE_EVERY builds, which also
//                     bounds the drift of lost updates (two processes sharing
//                     a cache may both read-modify-write it: last one wins;
//                     these are statistics, not records)
//   totals            { builds, hits, misses } since the file was created
//   recent            the last RECENT_BUILDS builds: { at, hits, misses, bytesStored }
//
// A missing or unreadable file is started afresh (one exact measurement).
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import { checkActionRecord } from "./action-record.js";
import type { CacheDb } from "./cache-db.js";
import { errnoCode } from "./cache-warning.js";
import { setAsideNames } from "./gc.js";
import { listBlobs, readEntries } from "./gc-blobs.js";

export const RECENT_BUILDS = 20;
export const REMEASURE_EVERY = 100;

export interface BuildRecord {
  readonly at: number;
  /** Tasks found in the cache (up to date or restored). */
  readonly hits: number;
  /** Tasks whose recipe ran. */
  readonly misses: number;
  readonly bytesStored: number;
}

export interface StatsFile {
  readonly version: 1;
  readonly blobBytes: number;
  readonly measuredAt: number;
  readonly buildsSinceMeasure: number;
  readonly totals: { readonly builds: number; readonly hits: number; readonly misses: number };
  readonly recent: readonly BuildRecord[];
}

export interface BuildRun {
  readonly at: number;
  readonly hits: number;
  readonly misses: number;
  /** Keys of the records this build wrote: their bytes are added to the estimate. */
  readonly newKeys: readonly string[];
}

export interface CacheStatsReport {
  readonly entries: number;
  readonly invalidEntries: number;
  readonly blobs: number;
  readonly blobBytes: number;
  /** Blobs no record names (removed by gc once older than an hour). */
  readonly orphanBlobs: number;
  /** Size of the LMDB data file (records, stat memo, access times). */
  readonly dbBytes: number;
  readonly setAside: readonly string[];
  readonly tmpFiles: number;
  /** undefined when no build has recorded anything yet. */
  readonly builds: StatsFile | undefined;
}

const FILE = "stats.json";

/** Adds one build to stats.json and returns the updated file. */
export function recordBuild(db: CacheDb, cacheDir: string, run: BuildRun): StatsFile {
  const bytesStored = run.newKeys.reduce((n, k) => n + recordBytes(db, cacheDir, k), 0);
  const old = readStatsFile(cacheDir);
  const base = old === undefined || old.buildsSinceMeasure + 1 >= REMEASURE_EVERY ? measured(cacheDir, run.at, old) : old;
  const next: StatsFile = {
    ...base,
    blobBytes: base === old ? base.blobBytes + bytesStored : base.blobBytes,
    buildsSinceMeasure: base === old ? base.buildsSinceMeasure + 1 : 0,
    totals: { builds: base.totals.builds + 1, hits: base.totals.hits + run.hits, misses: base.totals.misses + run.misses },
    recent: [...base.recent, { at: run.at, hits: run.hits, misses: run.misses, bytesStored }].slice(-RECENT_BUILDS),
  };
  writeStatsFile(cacheDir, next);
  return next;
}

/**
 * Adds one no-op build that nothing opened the cache for: the watching
 * server's answer to a build it knows is a no-op (docs/server.md). Returns
 * false and writes nothing when there is no file yet or the size is due to be
 * measured again: that build must take the full path, which measures, and
 * runs the automatic gc when the cache has grown past its cap.
 */
export function recordRepeatedNoop(cacheDir: string, at: number, hits: number): boolean {
  const old = readStatsFile(cacheDir);
  if (old === undefined || old.buildsSinceMeasure + 1 >= REMEASURE_EVERY) return false;
  writeStatsFile(cacheDir, {
    ...old,
    buildsSinceMeasure: old.buildsSinceMeasure + 1,
    totals: { builds: old.totals.builds + 1, hits: old.totals.hits + hits, misses: old.totals.misses },
    recent: [...old.recent, { at, hits, misses: 0, bytesStored: 0 }].slice(-RECENT_BUILDS),
  });
  return true;
}

/** Records an exact size (after gc), keeping the build history. */
export function noteMeasuredSize(cacheDir: string, blobBytes: number, now: number): void {
  const old = readStatsFile(cacheDir);
  writeStatsFile(cacheDir, { ...(old ?? fresh(blobBytes, now)), blobBytes, measuredAt: now, buildsSinceMeasure: 0 });
}

export function cacheStats(db: CacheDb, cacheDir: string): CacheStatsReport {
  const { entries, invalid } = readEntries(db);
  const blobs = listBlobs(cacheDir);
  const named = new Set(entries.flatMap((e) => e.blobs));
  return {
    entries: entries.length,
    invalidEntries: invalid.length,
    blobs: blobs.length,
    blobBytes: blobs.reduce((n, b) => n + b.size, 0),
    orphanBlobs: blobs.filter((b) => !named.has(b.hash)).length,
    dbBytes: statSync(join(cacheDir, "db", "data.mdb"), { throwIfNoEntry: false })?.size ?? 0,
    setAside: setAsideNames(cacheDir),
    tmpFiles: existsSync(join(cacheDir, "tmp")) ? readdirSync(join(cacheDir, "tmp")).length : 0,
    builds: readStatsFile(cacheDir),
  };
}

export function readStatsFile(cacheDir: string): StatsFile | undefined {
  let text: string;
  try {
    text = readFileSync(join(cacheDir, FILE), "utf8");
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return undefined;
    throw err;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined; // a torn or foreign file: start afresh
  }
  return isStatsFile(value) ? value : undefined;
}

function writeStatsFile(cacheDir: string, stats: StatsFile): void {
  const tmp = join(cacheDir, "tmp", `stats-${process.pid}-${randomBytes(4).toString("hex")}`);
  writeFileSync(tmp, `${JSON.stringify(stats)}\n`);
  renameSync(tmp, join(cacheDir, FILE));
}

function measured(cacheDir: string, now: number, old: StatsFile | undefined): StatsFile {
  const bytes = listBlobs(cacheDir).reduce((n, b) => n + b.size, 0);
  return { ...(old ?? fresh(bytes, now)), blobBytes: bytes, measuredAt: now, buildsSinceMeasure: 0 };
}

function fresh(blobBytes: number, now: number): StatsFile {
  return { version: 1, blobBytes, measuredAt: now, buildsSinceMeasure: 0, totals: { builds: 0, hits: 0, misses: 0 }, recent: [] };
}

/** Bytes of the blobs one record names: file sizes from the record, the log's from the disk. */
function recordBytes(db: CacheDb, cacheDir: string, key: string): number {
  let raw: unknown;
  try {
    raw = db.actions.get(key);
  } catch {
    return 0; // undecodable: getAction drops it on its next read
  }
  const checked = checkActionRecord(raw);
  if (!checked.ok) return 0;
  let n = checked.record.outputs.reduce((sum, o) => sum + (o.size ?? 0), 0);
  const log = checked.record.log;
  if (log !== undefined) n += statSync(join(cacheDir, "blobs", log.slice(0, 2), log), { throwIfNoEntry: false })?.size ?? 0;
  return n;
}

function isStatsFile(v: unknown): v is StatsFile {
  if (typeof v !== "object" || v === null) return false;
  const s = v as Record<string, unknown>;
  const num = (x: unknown) => typeof x === "number" && Number.isFinite(x) && x >= 0;
  const totals = s["totals"] as Record<string, unknown> | undefined;
  return (
    s["version"] === 1 &&
    num(s["blobBytes"]) &&
    num(s["measuredAt"]) &&
    num(s["buildsSinceMeasure"]) &&
    typeof totals === "object" &&
    totals !== null &&
    num(totals["builds"]) &&
    num(totals["hits"]) &&
    num(totals["misses"]) &&
    Array.isArray(s["recent"]) &&
    (s["recent"] as unknown[]).every((r) => typeof r === "object" && r !== null && num((r as Record<string, unknown>)["at"]))
  );
}
