import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isContentHash, localTier, TieredCache, type CacheTier, type CacheWarning, type FileState, type Hasher, type LocalCache, type OutputEntry } from "@flow/cache";
import type { BuildHost, OutputDecl, RestoreResult, SaveResult, Workspace } from "@flow/graph";
import { absPath } from "../project/node-project-host.js";

export interface LocalHostOptions {
  readonly root: string;
  readonly cache: LocalCache;
  readonly hasher: Hasher;
  readonly logDir: string;
  /** Where background commit failures go. */
  readonly onWarning?: (w: CacheWarning) => void;
  /** Reads only, not counted as uses (flow status, flow explain). */
  readonly peek?: boolean;
  /** Tiers behind the local cache, in look-up order (the remote cache). */
  readonly further?: readonly CacheTier[];
}

/**
 * The engine's host for a real build: the project's files (LocalWorkspace)
 * and the action cache, tiered inside @flow/cache: the local tier, then the
 * remote one when there is one (`further`), without the graph package
 * knowing.
 */
export function localBuildHost(o: LocalHostOptions): BuildHost {
  return {
    workspace: new LocalWorkspace(o.root, o.cache, o.hasher, o.logDir),
    cache: new TieredCache({
      home: localTier(o.cache),
      ...(o.further ? { further: o.further } : {}),
      scope: checkoutScope(o.hasher, o.root),
      clock: { now: () => Date.now() },
      onWarning: o.onWarning ?? (() => undefined),
      ...(o.peek ? { peek: true } : {}),
    }),
    hashString: (s) => o.hasher.hashBytes(s),
    now: () => Date.now(),
  };
}

/** Identifies a checkout in the cache's last-run index (bookkeeping, never part of a key). */
export function checkoutScope(hasher: Hasher, root: string): string {
  return hasher.hashBytes(root);
}

/** The project's files, seen through the local cache's stat memo and blob store. */
export class LocalWorkspace implements Workspace {
  private logDirMade = false;
  private readonly rootPrefix: string;

  constructor(
    private readonly root: string,
    private readonly cache: LocalCache,
    private readonly hasher: Hasher,
    private readonly logDir: string,
  ) {
    this.rootPrefix = root.endsWith("/") ? root : `${root}/`;
  }

  private abs(p: string): string {
    return absPath(this.rootPrefix, p);
  }

  inputState(path: string): FileState {
    return this.cache.statMemo.fileState(this.abs(path));
  }

  recheckInput(path: string): FileState {
    const a = this.abs(path);
    this.cache.statMemo.forget(a);
    return this.cache.statMemo.fileState(a);
  }

  removeOutputs(outputs: readonly OutputDecl[]): void {
    for (const o of outputs) {
      const a = this.abs(o.path);
      // rmSync removes a symlink itself, never what it points at.
      rmSync(a, { recursive: true, force: true });
      this.cache.statMemo.forget(a);
    }
  }

  saveOutputs(declared: readonly OutputDecl[]): Promise<SaveResult> {
    return this.cache.saveOutputs(this.root, declared.map((d) => ({ path: d.path, isDir: d.isDir })));
  }

  outputsMatch(entries: readonly OutputEntry[]): boolean {
    return this.cache.outputsMatch(this.root, [...entries]);
  }

  restoreOutputs(entries: readonly OutputEntry[]): Promise<RestoreResult> {
    return this.cache.restoreOutputs(this.root, [...entries]);
  }

  async restoreLog(hash: string, logPath: string): Promise<boolean> {
    // The hash came from a checked record; one that is not a hash names no blob.
    const bytes = isContentHash(hash) ? await this.cache.readBlob(hash) : undefined;
    if (bytes === undefined) return false;
    // The log directory is flow's own (.flow/logs): a link there was not put by a recipe's output.
    rmSync(logPath, { force: true });
    writeFileSync(logPath, bytes);
    return true;
  }

  readText(path: string): string | undefined {
    try {
      return readFileSync(this.abs(path), "utf8");
    } catch (err) {
      // Not there: the recipe wrote no depfile, which records no discovered inputs.
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") return undefined;
      throw err;
    }
  }

  logPath(taskName: string): string {
    if (!this.logDirMade) {
      mkdirSync(this.logDir, { recursive: true });
      this.logDirMade = true;
    }
    return join(this.logDir, logFileName(this.hasher, taskName));
  }
}

/** A task's log file's name in the log directory (and in a run directory's logs/: history/run-record.ts). */
export function logFileName(hasher: Hasher, taskName: string): string {
  // Task names are paths; flatten them, and add a hash so `a/b` and `a_b` differ.
  const safe = taskName.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 100);
  return `${safe}-${hasher.hashBytes(taskName).slice(0, 8)}.log`;
}
