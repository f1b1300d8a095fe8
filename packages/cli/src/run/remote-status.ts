// `flow status` with a remote cache: which stale tasks the remote would
// restore. One HEAD per stale task with a known key, a few at a time
// (RemoteTier.hasMany); .ALWAYS and forced tasks run regardless and are not
// asked. A HEAD cannot say what the outputs would be, so tasks waiting for
// a stale one stay waiting: their keys depend on those outputs. An
// unavailable server is one warning and no marks.
import type { Plan, PlannedTask } from "@flow/graph";
import { createHasher, type CacheWarning } from "@flow/cache";
import { openRemoteTier, type RemoteSettings } from "./remote-settings.js";

/** HEADs at once. */
const STATUS_CONCURRENCY = 8;

export async function remoteHas(plan: Plan, o: { settings: RemoteSettings; cacheDir: string; onWarning: (w: CacheWarning) => void }): Promise<Set<number>> {
  const asked = new Map<string, number[]>();
  for (const id of plan.order) {
    const p = plan.tasks.get(id) as PlannedTask;
    if (p.state !== "stale" || p.key === undefined || p.reason?.kind === "always" || p.reason?.kind === "phony" || p.reason?.kind === "forced") continue;
    asked.set(p.key, [...(asked.get(p.key) ?? []), id]);
  }
  const found = new Set<number>();
  if (asked.size === 0) return found;
  const tier = await openRemoteTier(o.settings, { hasher: await createHasher(), cacheDir: o.cacheDir, onWarning: o.onWarning });
  try {
    const has = await tier.hasMany([...asked.keys()], STATUS_CONCURRENCY);
    for (const [key, ids] of asked) if (has.get(key) === true) for (const id of ids) found.add(id);
  } finally {
    tier.close();
  }
  return found;
}
