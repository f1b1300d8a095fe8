// The cache as `flow status` and `flow explain` see it: found where the build
// would find it (resolveCacheDir, the build's rule), and read through a
// PlanHost, which has no method that writes. Records are read with
// peekAction, so planning does not count as a use for gc's LRU order; the
// stat memo is the only thing written.
//
// A project never built has no cache: rather than create one just to find it
// empty, an EmptyCacheHost answers "no record" and hashes inputs directly, so
// keys are still the build's keys.
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { createHasher, fileStateOf, LocalCache, type ActionRecord, type CacheWarning, type FileState, type Hasher, type StatLike } from "@flow/cache";
import type { PlanHost } from "@flow/graph";
import { resolveCacheDir } from "./cache-command.js";
import { LocalBuildHost } from "./local-build-host.js";

export interface PlanCache {
  readonly host: PlanHost;
  /** The cache directory (it may not exist). */
  readonly dir: string;
  /** False when there was no cache: every task is new. */
  readonly exists: boolean;
  close(): Promise<void>;
}

export interface PlanCacheRequest {
  readonly cwd: string;
  readonly root: string;
  /** `--cache-dir`. */
  readonly option: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly onWarning: (w: CacheWarning) => void;
  /** Stats the graph already took, handed to the stat memo (NodeProjectHost.takeStat): one stat per input, as in a build. */
  readonly stat?: (absPath: string) => StatLike | undefined;
}

export async function openPlanCache(req: PlanCacheRequest): Promise<PlanCache> {
  const dir = resolveCacheDir(req.cwd, req.option, req.env, req.root) as string;
  const hasher = await createHasher();
  if (!existsSync(join(dir, "db"))) {
    return { host: new EmptyCacheHost(req.root, hasher), dir, exists: false, close: async () => undefined };
  }
  const cache = await LocalCache.open(dir, { hasher, onWarning: req.onWarning, ...(req.stat ? { stat: req.stat } : {}) });
  // Its log directory is never made: a PlanHost cannot ask for a log path.
  const local = new LocalBuildHost(req.root, cache, hasher, join(req.root, ".flow", "logs"));
  return { host: readOnlyHost(local, cache), dir, exists: true, close: () => cache.close() };
}

/**
 * A build's host that also keeps the records it writes during the build.
 * `flow build --explain` reads a finished dependency's outputs from its
 * record, and a record is written in the background (commitAction): it may
 * not be in the cache yet when the dependent starts.
 */
export class RecordingBuildHost extends LocalBuildHost {
  readonly written = new Map<string, ActionRecord>();

  override commitAction(record: ActionRecord): void {
    this.written.set(record.key, record);
    super.commitAction(record);
  }

  override putAction(record: ActionRecord): Promise<void> {
    this.written.set(record.key, record);
    return super.putAction(record);
  }
}

/** The read side of a build's host, with records read without marking them used. */
export function readOnlyHost(local: LocalBuildHost, cache: LocalCache): PlanHost {
  const written = local instanceof RecordingBuildHost ? local.written : undefined;
  return {
    inputState: (p) => local.inputState(p),
    getAction: (key) => {
      const r = written?.get(key);
      return r !== undefined ? Promise.resolve(r) : cache.peekAction(key);
    },
    outputsMatch: (entries) => local.outputsMatch(entries),
    lastRunKey: (name) => local.lastRunKey(name),
    hashString: (s) => local.hashString(s),
  };
}

/** No cache at all: no records, no last runs; inputs hashed as the stat memo would (following links). */
class EmptyCacheHost implements PlanHost {
  private readonly seen = new Map<string, FileState>();

  constructor(
    private readonly root: string,
    private readonly hasher: Hasher,
  ) {}

  inputState(path: string): FileState {
    const abs = isAbsolute(path) ? path : resolve(this.root, path);
    let s = this.seen.get(abs);
    if (s === undefined) {
      s = this.probe(abs);
      this.seen.set(abs, s);
    }
    return s;
  }

  private probe(abs: string): FileState {
    let st;
    try {
      st = statSync(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR" || code === "ELOOP") return { kind: "missing" };
      throw e;
    }
    if (st.isDirectory()) return { kind: "dir" };
    if (!st.isFile()) throw new Error(`'${abs}' is neither a file nor a directory; flow cannot hash it`);
    return fileStateOf(st, this.hasher.hashFileSync(abs));
  }

  getAction(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  outputsMatch(): boolean {
    return false;
  }

  lastRunKey(): undefined {
    return undefined;
  }

  hashString(s: string): string {
    return this.hasher.hashBytes(s);
  }
}
