// The action cache as the build engine sees it, and the tiers behind it.
//
// The engine hands over a key (opaque here), the canonical text it hashes and
// the outputs it saved; the record's format (ActionRecord: exit code,
// duration, log blob, time) belongs to this package. A lookup gives back the
// outputs and the text the entry was stored with, which the engine compares
// with its own (a collision or a forged entry is never trusted).
//
// Tiers: a TieredCache (tiered-cache.ts) composes a home tier (the local
// cache) and further tiers (a remote one next) behind this one interface, so
// the engine never knows where a hit came from. Rejected: a lookup that
// restores files itself (Turborepo's fetch does), because the engine decides
// whether the outputs on disk already match before anything is written.
import type { ActionRecord, OutputEntry } from "./action-record.js";
import type { ContentHash } from "./content-hash.js";

export interface CacheHit {
  /** What the task produced, sorted by comparePaths; its blobs are in the home tier. */
  readonly outputs: readonly OutputEntry[];
  /** The canonical text the entry was stored with; untrusted (it comes from disk or the network). */
  readonly canonical: unknown;
  /** The blob holding the run's log, when it printed anything. */
  readonly log?: ContentHash;
  /** The run's discovered inputs (ActionRecord.discovered), [path, content hash]; absent when it recorded none. */
  readonly discovered?: readonly (readonly [string, string])[];
}

export interface CacheEntry {
  readonly key: string;
  /** The text the key hashes; kept for collision checks and `flow explain`. */
  readonly canonical: string;
  /** As saved by saveOutputs: their blobs are already in the home tier. */
  readonly outputs: readonly OutputEntry[];
  readonly durationMs: number;
  /** The recipe's captured output, stored with the entry when present and not empty. */
  readonly logPath?: string;
  /** Discovered inputs (ActionRecord.discovered), sorted by path; only for a task with a depfile. */
  readonly discovered?: readonly (readonly [string, ContentHash])[];
}

/** A task's last successful run in this checkout. */
export interface LastRun {
  readonly key: string;
  /** The canonical text stored with it; undefined when no tier holds the entry any more. */
  readonly canonical: unknown;
}

export interface ActionCache {
  /** The successful entry under `key`, from the first tier that has one. */
  lookup(key: string): Promise<CacheHit | undefined>;
  /**
   * Starts storing a successful result without waiting for it: making its
   * blobs durable and writing the record happen off the task's critical path.
   * A failure is reported as a warning, never as a task failure.
   */
  commit(entry: CacheEntry): void;
  /** Resolves when every commit so far has been written (or has failed). */
  flush(): Promise<void>;
  /** Drops an entry that proved unusable (its outputs could not be restored). */
  delete(key: string): Promise<void>;
  /** Remember `key` as the last successful run of `task` in this checkout (for explain and clean). */
  recordLastRun(task: string, key: string): void;
  /** The last run `recordLastRun` stored for `task`, read without counting as a use. */
  lastRun(task: string): Promise<LastRun | undefined>;
}

/**
 * Where a blob another tier holds can be streamed from: a file holding its
 * bytes, or undefined when the tier lacks it. A path, not the bytes, so a
 * multi-GiB output crosses tiers in bounded memory. Untrusted: whoever copies
 * it checks the bytes against the hash. Never written again once handed
 * over: the home tier may hard-link it rather than copy it.
 */
export type BlobReader = (hash: ContentHash) => Promise<string | undefined>;

/** One layer of the action cache (Lage's CacheProvider, Turborepo's CacheStore): records and their blobs. */
export interface CacheTier {
  /** `peek`: a read that is not a use (planning, explaining): it does not move the entry in gc's order. */
  get(key: string, peek: boolean): Promise<ActionRecord | undefined>;
  /** Stores a record; blobs it names that this tier lacks are read with `read`. */
  put(record: ActionRecord, read: BlobReader): Promise<void>;
  delete(key: string): Promise<void>;
  /** A file holding the blob's bytes (see BlobReader); valid until `release` of the key that named it. */
  blobPath(hash: ContentHash): Promise<string | undefined>;
  /** Lets go of anything `get(key)` set aside to serve `blobPath` (a remote tier's downloaded blobs), once the hit has been copied inward. */
  release?(key: string): Promise<void>;
}

/**
 * The first tier, on this machine: it also holds the checkout's bookkeeping
 * (last runs) and takes the log bytes, and its blobs are the ones outputs are
 * saved into and restored from.
 */
export interface HomeTier extends CacheTier {
  getLastRun(scope: string, task: string): string | undefined;
  putLastRun(scope: string, task: string, key: string): void;
  putBlobBytes(data: Uint8Array): Promise<ContentHash>;
  /** Resolves when the blobs written so far are durable. */
  flush(): Promise<void>;
}
