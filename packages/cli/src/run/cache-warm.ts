// `flow cache warm`: after the build, make sure the remote cache holds every
// built task's artifact. What CI runs on `main`, so later jobs and laptops
// restore instead of rebuilding.
//
// Each task with a recipe and a key is asked about with a HEAD (a few at a
// time); what the server lacks is uploaded from the local cache's record
// and blobs, now, not in the background: warm's whole point is the upload,
// so it waits for each one (bounded by the request timeout). The build
// itself ran with the remote read-only, so nothing is uploaded twice and
// the counts are exact.
import type { LocalCache, Hasher } from "@flow/cache";
import type { RemoteTier } from "@flow/cache/remote";
import type { BuildOutcome, Task, TaskGraph } from "@flow/graph";
import { openRemoteTier, type RemoteSettings } from "./remote-settings.js";

export interface WarmReport {
  readonly tasks: number;
  readonly found: number;
  readonly uploaded: number;
  /** Could not be uploaded: the server failed, or read-only, or no local record. */
  readonly failed: number;
  readonly readOnly: boolean;
}

/** Uploads at once (each is a HEAD, then maybe a PUT). */
const WARM_CONCURRENCY = 8;

export async function warmRemote(
  o: { cache: LocalCache; hasher: Hasher; cacheDir: string; settings: RemoteSettings; onWarning: (w: { code: string; message: string }) => void },
  graph: TaskGraph,
  outcome: BuildOutcome,
): Promise<WarmReport> {
  const keys: string[] = [];
  for (const id of outcome.order) {
    const r = outcome.results.get(id);
    const task = graph.tasks[id] as Task;
    if (task.recipe === "" || r?.key === undefined) continue;
    if (r.status === "ran" || r.status === "restored" || r.status === "up-to-date") keys.push(r.key);
  }
  const tier = await openRemoteTier(o.settings, { hasher: o.hasher, cacheDir: o.cacheDir, onWarning: o.onWarning });
  const counts = { found: 0, uploaded: 0, failed: 0 };
  try {
    await forEachLimited(keys, WARM_CONCURRENCY, async (key) => {
      counts[await ensureOne(tier, o.cache, key)]++;
    });
  } finally {
    tier.close();
  }
  return { tasks: keys.length, ...counts, readOnly: tier.readOnly };
}

async function ensureOne(tier: RemoteTier, cache: LocalCache, key: string): Promise<"found" | "uploaded" | "failed"> {
  const record = await cache.peekAction(key);
  if (record === undefined) return "failed";
  return tier.ensure(record, (h) => cache.blobPath(h));
}

/** The line warm ends with. */
export function warmSummary(r: WarmReport): string {
  const head = `flow cache warm: ${r.tasks} task${r.tasks === 1 ? "" : "s"}: ${r.found} found in the remote cache, ${r.uploaded} uploaded, ${r.failed} could not be uploaded`;
  if (r.readOnly && r.failed > 0) return `${head} (read-only: nothing is uploaded)\n`;
  if (r.uploaded === 0 && r.failed === 0) return `${head}; the remote cache already had everything, nothing uploaded\n`;
  return `${head}\n`;
}

async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) await fn(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
