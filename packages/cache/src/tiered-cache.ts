// TieredCache: one ActionCache over a home tier (this machine's cache) and
// further tiers (a remote one next), the way Turborepo's multiplexer and
// Lage's backfill compose theirs:
//
//   lookup   home first, then each further tier in order; a hit found further
//            out is copied into every tier before it (record and blobs), so
//            the outputs are restored from the home tier and the next lookup
//            is local. A copy that fails is a warning and a miss.
//   commit   builds the record (this package's format), stores the log blob,
//            then writes home and every further tier, in the background; a
//            failure anywhere is a warning (CACHE_WRITE_FAILED), never a task
//            failure.
//   delete   every tier: the engine found the entry unusable.
//   lastRun  home only: it is this checkout's bookkeeping, and its record
//            was written home; one gc'd there reads as gone.
//
// `peek` (flow status, flow explain): lookups do not count as uses for gc
// and copy nothing, so planning writes nothing but the stat memo.
import { readFileSync } from "node:fs";
import type { ActionCache, CacheEntry, CacheHit, CacheTier, HomeTier, LastRun } from "./action-cache.js";
import type { ActionRecord } from "./action-record.js";
import type { ContentHash } from "./content-hash.js";
import { errnoCode, errorMessage, type WarningSink } from "./cache-warning.js";
import type { Clock } from "./stat-memo.js";

export interface TieredCacheOptions {
  readonly home: HomeTier;
  /** Consulted after the home tier, in this order. */
  readonly further?: readonly CacheTier[];
  /** Identifies the checkout in the last-run index (bookkeeping, never part of a key). */
  readonly scope: string;
  /** Lookups are peeks and copy nothing between tiers. */
  readonly peek?: boolean;
  readonly clock: Clock;
  readonly onWarning: WarningSink;
  /** A log's bytes; undefined when it does not exist. Default: read from disk. */
  readonly readLog?: (path: string) => Uint8Array | undefined;
}

export class TieredCache implements ActionCache {
  private readonly pending = new Set<Promise<void>>();
  private readonly tiers: readonly CacheTier[];

  constructor(private readonly opts: TieredCacheOptions) {
    this.tiers = [opts.home, ...(opts.further ?? [])];
  }

  async lookup(key: string): Promise<CacheHit | undefined> {
    const peek = this.opts.peek === true;
    for (let i = 0; i < this.tiers.length; i++) {
      const tier = this.tiers[i] as CacheTier;
      const record = await tier.get(key, peek);
      // Only successful runs are stored; anything else is not a result to reuse.
      if (record === undefined || record.exitCode !== 0) continue;
      if (i > 0) {
        try {
          if (!peek && !(await this.copyInward(record, i))) return undefined;
        } finally {
          await this.release(tier, key);
        }
      }
      // One shape for every hit (absent fields undefined): a no-op build makes one per task.
      return { outputs: record.outputs, canonical: record.ingredients, log: record.log, discovered: record.discovered };
    }
    return undefined;
  }

  commit(entry: CacheEntry): void {
    const p: Promise<void> = this.store(entry).then(
      () => void this.pending.delete(p),
      (err: unknown) => {
        this.pending.delete(p);
        this.opts.onWarning({ code: "CACHE_WRITE_FAILED", message: `could not record the result of key ${entry.key}: ${errorMessage(err)}` });
      },
    );
    this.pending.add(p);
  }

  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async delete(key: string): Promise<void> {
    await Promise.all(this.tiers.map((t) => t.delete(key)));
  }

  recordLastRun(task: string, key: string): void {
    this.opts.home.putLastRun(this.opts.scope, task, key);
  }

  async lastRun(task: string): Promise<LastRun | undefined> {
    const key = this.opts.home.getLastRun(this.opts.scope, task);
    if (key === undefined) return undefined;
    return { key, canonical: (await this.opts.home.get(key, true))?.ingredients };
  }

  /** The record, in this package's format, then home, then the further tiers (each failure its own warning). */
  private async store(entry: CacheEntry): Promise<void> {
    const { home } = this.opts;
    const logBytes = entry.logPath === undefined ? undefined : (this.opts.readLog ?? readLog)(entry.logPath);
    const log = logBytes !== undefined && logBytes.length > 0 ? await home.putBlobBytes(logBytes) : undefined;
    const record: ActionRecord = {
      key: entry.key,
      outputs: [...entry.outputs],
      exitCode: 0,
      durationMs: entry.durationMs,
      ...(log !== undefined ? { log } : {}),
      ...(entry.discovered !== undefined ? { discovered: entry.discovered.map(([p, h]) => [p, h] as [string, ContentHash]) } : {}),
      // The canonical text, not a parsed copy: a hit is checked with one string comparison.
      ingredients: entry.canonical,
      createdAt: this.opts.clock.now(),
    };
    await home.put(record, (h) => home.blobPath(h));
    await Promise.all(
      this.tiers.slice(1).map((t, i) =>
        t.put(record, (h) => home.blobPath(h)).catch((err: unknown) => {
          this.opts.onWarning({ code: "CACHE_WRITE_FAILED", message: `could not store the result of key ${entry.key} in cache tier ${i + 2}: ${errorMessage(err)}` });
        }),
      ),
    );
  }

  /** What a further tier set aside for a hit (downloaded blobs) goes once the hit is home; failing to let go is only a warning. */
  private async release(tier: CacheTier, key: string): Promise<void> {
    try {
      await tier.release?.(key);
    } catch (err) {
      this.opts.onWarning({ code: "CACHE_WRITE_FAILED", message: `could not remove the temporary copy of key ${key}: ${errorMessage(err)}` });
    }
  }

  /** Copies a hit from tier `from` into every tier before it; false (and a warning) when that fails. */
  private async copyInward(record: ActionRecord, from: number): Promise<boolean> {
    const source = this.tiers[from] as CacheTier;
    try {
      for (let i = 0; i < from; i++) await (this.tiers[i] as CacheTier).put(record, (h) => source.blobPath(h));
      return true;
    } catch (err) {
      this.opts.onWarning({ code: "CACHE_WRITE_FAILED", message: `could not copy the result of key ${record.key} from cache tier ${from + 1}: ${errorMessage(err)}; running the task` });
      return false;
    }
  }
}

function readLog(path: string): Uint8Array | undefined {
  try {
    return readFileSync(path);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return undefined;
    throw err;
  }
}
