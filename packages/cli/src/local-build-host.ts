import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { ActionRecord, FileState, Hasher, LocalCache, OutputEntry } from "@flow/cache";
import type { BuildHost, OutputDecl, RestoreResult, SaveResult } from "@flow/graph";
import { absPath } from "./node-project-host.js";

/**
 * The engine's disk and cache for a real build: the local cache (stat memo,
 * LMDB action records, blob store) and the project's files. A remote tier
 * will be consulted behind getAction/restoreOutputs.
 */
export class LocalBuildHost implements BuildHost {
  private logDirMade = false;
  /** Records being written in the background (see commitAction). */
  private readonly pending = new Set<Promise<void>>();
  /** Identifies this checkout in the cache's last-run index (bookkeeping, never part of a key). */
  readonly scope: string;

  constructor(
    private readonly root: string,
    private readonly cache: LocalCache,
    private readonly hasher: Hasher,
    private readonly logDir: string,
    /** Where background commit failures go; read-only users (status, clean) never commit. */
    private readonly onWarning: (w: { code: string; message: string }) => void = () => undefined,
  ) {
    this.scope = hasher.hashBytes(root);
    this.rootPrefix = root.endsWith("/") ? root : `${root}/`;
  }

  recordLastRun(taskName: string, key: string): void {
    this.cache.putLastRun(this.scope, taskName, key);
  }

  lastRunKey(taskName: string): string | undefined {
    return this.cache.getLastRun(this.scope, taskName);
  }

  private readonly rootPrefix: string;

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

  getAction(key: string): Promise<ActionRecord | undefined> {
    return this.cache.getAction(key);
  }

  putAction(record: ActionRecord): Promise<void> {
    return this.cache.putAction(record);
  }

  commitAction(record: ActionRecord): void {
    const p: Promise<void> = this.cache.putAction(record).then(
      () => {
        this.pending.delete(p);
      },
      (err: unknown) => {
        this.pending.delete(p);
        this.onWarning({ code: "CACHE_WRITE_FAILED", message: `could not record the result of key ${record.key}: ${err instanceof Error ? err.message : String(err)}` });
      },
    );
    this.pending.add(p);
  }

  async flush(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  deleteAction(key: string): Promise<void> {
    return this.cache.deleteAction(key);
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

  async storeLog(logPath: string): Promise<string | undefined> {
    let bytes: Buffer;
    try {
      bytes = readFileSync(logPath);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw e;
    }
    if (bytes.length === 0) return undefined;
    return this.cache.putBlobBytes(bytes);
  }

  logPath(taskName: string): string {
    if (!this.logDirMade) {
      mkdirSync(this.logDir, { recursive: true });
      this.logDirMade = true;
    }
    // Task names are paths; flatten them, and add a hash so `a/b` and `a_b` differ.
    const safe = taskName.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 100);
    return join(this.logDir, `${safe}-${this.hasher.hashBytes(taskName).slice(0, 8)}.log`);
  }

  hashString(s: string): string {
    return this.hasher.hashBytes(s);
  }

  now(): number {
    return Date.now();
  }
}
