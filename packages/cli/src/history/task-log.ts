// Where a task's last log is, in the order `flow log TASK` looks: the
// project's log directory, then the newest run directory that kept it, then
// the log stored in the cache with the task's last successful result.
// `flow log` prints what this finds; `flow ui` serves it.
import { existsSync, lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHasher, isContentHash, LocalCache, localTier, TieredCache, type CacheWarning } from "@flow/cache";
import { runsDir } from "../run/durations.js";
import { keptRuns, LOGS_DIR } from "./run-files.js";
import { readSummary, readTasks } from "./run-read.js";
import { when } from "./run-text.js";
import { logDirOf } from "../run/cache-dir.js";
import { checkoutScope, logFileName } from "../run/local-build-host.js";

export type TaskLog =
  | { readonly found: true; readonly bytes: Uint8Array; /** "from .flow/logs/... (written ...)", "from run 3 (...)", "from the cache (...)" */ readonly from: string }
  /** `message`: LOG_NOT_FOUND's text, saying what to do. */
  | { readonly found: false; readonly message: string };

export async function findTaskLog(root: string, task: string, cacheDir: string, onWarning: (w: CacheWarning) => void): Promise<TaskLog> {
  const hasher = await createHasher();
  const name = logFileName(hasher, task);
  const current = join(logDirOf(root), name);
  if (isFile(current)) return { found: true, bytes: readFileSync(current), from: `from ${current} (written ${when(lstatSync(current).mtimeMs)})` };
  const runs = keptRuns(root).reverse();
  for (const n of runs) {
    const kept = join(runsDir(root), String(n), LOGS_DIR, name);
    if (isFile(kept)) return { found: true, bytes: readFileSync(kept), from: `from run ${n} (${when(readSummary(root, n)?.start ?? lstatSync(kept).mtimeMs)})` };
  }
  const stored = await fromCache(root, task, cacheDir, hasher, onWarning);
  if (stored !== undefined) return { found: true, bytes: stored.bytes, from: `from the cache (its last successful run, key ${stored.key})` };
  const newest = runs[0];
  const known = newest === undefined ? undefined : readTasks(root, newest)?.names.includes(task);
  return {
    found: false,
    message:
      `flow: error LOG_NOT_FOUND: no log of '${task}' in .flow/logs, the run history or the cache. ` +
      (known === false
        ? `The newest build (run ${newest}) has no task of that name: give the name as the Flowfile has it (flow runs show ${newest} lists them)`
        : "A recipe that printed nothing leaves no log; build it (flow build) and try again"),
  };
}

/** The log stored with the task's last successful result in this checkout, if the cache still has it. */
async function fromCache(
  root: string,
  task: string,
  cacheDir: string,
  hasher: Awaited<ReturnType<typeof createHasher>>,
  onWarning: (w: CacheWarning) => void,
): Promise<{ bytes: Uint8Array; key: string } | undefined> {
  if (!existsSync(join(cacheDir, "db"))) return undefined;
  const cache = await LocalCache.open(cacheDir, { hasher, onWarning });
  try {
    const home = localTier(cache);
    const actions = new TieredCache({ home, scope: checkoutScope(hasher, root), clock: { now: () => Date.now() }, onWarning: () => undefined, peek: true });
    const last = await actions.lastRun(task);
    if (last === undefined) return undefined;
    const record = await home.get(last.key, true);
    const log = record?.log;
    if (log === undefined || !isContentHash(log)) return undefined;
    const bytes = await cache.readBlob(log);
    return bytes === undefined ? undefined : { bytes, key: last.key };
  } finally {
    await cache.close();
  }
}

/** A regular file (a link in the log directory is not followed). */
function isFile(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isFile() === true;
}
