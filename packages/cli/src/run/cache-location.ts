// The cache as `flow status` and `flow explain` see it: found where the build
// would find it (resolveCacheDir, the build's rule), and read through a
// PlanHost, which has no method that writes. The action cache peeks, so
// planning does not count as a use for gc's LRU order; the stat memo is the
// only thing written.
//
// A project never built has no cache: rather than create one just to find it
// empty, NO_CACHE answers "no entry" and an UncachedWorkspace hashes inputs
// directly, so keys are still the build's keys.
import { existsSync, statSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { createHasher, fileStateOf, LocalCache, type CacheWarning, type FileState, type Hasher, type StatLike } from "@flow/cache";
import type { PlanHost, Workspace } from "@flow/graph";
import { logDirOf, resolveCacheDir } from "./cache-dir.js";
import { localBuildHost } from "./local-build-host.js";

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
  const dir = resolveCacheDir(req.cwd, req.option, req.env, req.root);
  const hasher = await createHasher();
  if (!existsSync(join(dir, "db"))) {
    const host: PlanHost = { workspace: new UncachedWorkspace(req.root, hasher), cache: NO_CACHE, hashString: (s) => hasher.hashBytes(s) };
    return { host, dir, exists: false, close: async () => undefined };
  }
  const cache = await LocalCache.open(dir, { hasher, onWarning: req.onWarning, ...(req.stat ? { stat: req.stat } : {}) });
  // Its log directory is never made: a PlanHost cannot ask for a log path.
  const host = localBuildHost({ root: req.root, cache, hasher, logDir: logDirOf(req.root), peek: true });
  return { host, dir, exists: true, close: () => cache.close() };
}

/** No cache at all: no entries, no last runs. */
const NO_CACHE: PlanHost["cache"] = {
  lookup: () => Promise.resolve(undefined),
  lastRun: () => Promise.resolve(undefined),
};

/** Inputs hashed as the stat memo would (following links), with no memo to keep; no outputs ever match. */
class UncachedWorkspace implements Pick<Workspace, "inputState" | "outputsMatch"> {
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

  outputsMatch(): boolean {
    return false;
  }
}
