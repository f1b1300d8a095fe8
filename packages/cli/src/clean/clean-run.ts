// One clean, from the selected tasks to what was removed: take the workspace
// lock, ask git what it tracks, read each task's last-run record, plan
// (clean-plan.ts), then remove and forget. `flow clean` reports what this
// returns; `flow ui`'s delete calls it too, so the page can remove nothing
// `flow clean --tag` would not.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { createHasher, LocalCache, type CacheWarning, type OutputEntry } from "@flow/cache";
import type { Task } from "@flow/graph";
import { NodeCleanDisk, executeClean, type CleanFailure } from "./clean-disk.js";
import { gitTrackedFiles } from "./clean-git.js";
import { planClean, type CleanPlan, type Removal, type TaskRecord } from "./clean-plan.js";
import { lockWorkspace } from "../run/workspace-lock.js";
import { checkoutScope } from "../run/local-build-host.js";

export interface CleanRequest {
  readonly root: string;
  readonly cacheDir: string;
  readonly tasks: readonly Task[];
  /** Paths the Flowfile names (targets, declared outputs): directories that stay even when emptied. */
  readonly named: ReadonlySet<string>;
  /** --cache: forget the tasks' cache entries too. */
  readonly withCache: boolean;
  readonly dryRun: boolean;
  /** --no-wait: fail at once when the workspace lock is held. */
  readonly noWait: boolean;
  /** Says it is waiting for the lock, and the cache's warnings. */
  readonly err: { write(text: string): void };
}

export type CleanRun =
  | { readonly ok: true; readonly plan: CleanPlan; readonly removed: readonly Removal[]; readonly failed: readonly CleanFailure[]; readonly forgotten: readonly string[] }
  /** The lock was busy (--no-wait; already said on `err`), or git could not say what it tracks (`message`). */
  | { readonly ok: false; readonly message?: string };

export async function runClean(req: CleanRequest): Promise<CleanRun> {
  const lock = await lockWorkspace(req.root, "flow clean", { noWait: req.noWait, err: req.err });
  if (lock === undefined) return { ok: false };
  try {
    const tracked = gitTrackedFiles(req.root);
    if (!tracked.ok) return { ok: false, message: `flow: ${tracked.message}; nothing removed (clean never removes a tracked file it cannot recognise)` };
    return await underLock(req, tracked.tracked);
  } finally {
    lock.release();
  }
}

/** Under the lock: read the records, plan, then (unless dry-run) remove and forget. */
async function underLock(req: CleanRequest, tracked: ReadonlySet<string> | undefined): Promise<CleanRun> {
  const hasher = await createHasher();
  // The checkout's identity in the last-run index, as the build's host computes it.
  const scope = checkoutScope(hasher, req.root);
  const onWarning = (w: CacheWarning) => req.err.write(`flow: warning ${w.code}: ${w.message}\n`);
  // No cache yet means no record of anything: do not create one just to find that out.
  const cache = existsSync(join(req.cacheDir, "db")) ? await LocalCache.open(req.cacheDir, { hasher, onWarning }) : undefined;
  try {
    const disk = new NodeCleanDisk(req.root);
    const plan = planClean(await readRecords(req.tasks, cache, scope), disk, tracked, req.withCache && cache !== undefined, req.named);
    if (req.dryRun) return { ok: true, plan, removed: plan.remove, failed: [], forgotten: [] };
    const done = executeClean(plan, disk);
    const forgotten: string[] = [];
    for (const { task, key } of cache !== undefined ? plan.cacheEntries : []) {
      await cache?.deleteAction(key);
      await cache?.forgetLastRun(scope, task);
      forgotten.push(task);
    }
    return { ok: true, plan, removed: done.removed, failed: done.failed, forgotten };
  } finally {
    await cache?.close();
  }
}

/** Each selected task's last-run key in this checkout and the outputs its record lists (peeked: clean is not a use). */
async function readRecords(tasks: readonly Task[], cache: LocalCache | undefined, scope: string): Promise<TaskRecord[]> {
  const out: TaskRecord[] = [];
  for (const task of tasks) {
    const key = cache?.getLastRun(scope, task.name);
    let entries: OutputEntry[] | undefined;
    if (cache !== undefined && key !== undefined) entries = (await cache.peekAction(key))?.outputs;
    out.push({ task, key, entries });
  }
  return out;
}

/** Directories the Flowfile names (targets, declared outputs) stay even when clean empties them. */
export function namedPaths(tasks: readonly Task[]): ReadonlySet<string> {
  return new Set(tasks.flatMap((t) => [t.name, ...t.outputs.map((o) => o.path)]));
}
