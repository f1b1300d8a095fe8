// @flow/cache: content hashing, the stat memo, the action cache and the blob
// store. Knows bytes and opaque keys, never graphs or Flowfiles; never prints.
export { createHasher, isContentHash } from "./content-hash.js";
export type { ContentHash, Hasher } from "./content-hash.js";
export { sameFileState } from "./file-state.js";
export type { FileState } from "./file-state.js";
export { StatMemo, RACY_WINDOW_MS, fileStateOf } from "./stat-memo.js";
export type { Clock, StatLike, StatMemoStore } from "./stat-memo.js";
export type { StatRecord } from "./stat-record.js";
export { CACHE_SCHEMA_VERSION, withoutInlineBytes } from "./action-record.js";
export type { ActionRecord, OutputEntry } from "./action-record.js";
export type { ActionCache, BlobReader, CacheEntry, CacheHit, CacheTier, HomeTier, LastRun } from "./action-cache.js";
export { TieredCache } from "./tiered-cache.js";
export type { TieredCacheOptions } from "./tiered-cache.js";
export { localTier } from "./local-tier.js";
export { LocalCache } from "./local-cache.js";
export type { LocalCacheOptions } from "./local-cache.js";
export { parseSize, formatSize } from "./gc-size.js";
export { ORPHAN_GRACE_MS } from "./gc.js";
export type { GcOptions, GcReport } from "./gc.js";
export type { VerifyReport } from "./cache-verify.js";
export type { BuildRecord, BuildRun, CacheStatsReport, StatsFile } from "./cache-stats.js";
export { recordRepeatedNoop } from "./cache-stats.js";
export type { SaveOutputsResult, StoreFailure } from "./save-outputs.js";
export type { RestoreOutputsResult } from "./restore-outputs.js";
export type { CacheWarning, CacheWarningCode } from "./cache-warning.js";
export { comparePaths, isSafeRelativePath, isSafeSymlinkTarget } from "./output-path.js";
// The remote tier is the entry point @flow/cache/remote (loaded only when a remote cache is set).
export type { RemoteConfig, RemoteCounts, RemoteTierOptions, EnsureResult } from "./remote/remote-tier.js";
export type { DrainReport } from "./remote/upload-queue.js";
export { describeUrl } from "./remote/describe-url.js";
