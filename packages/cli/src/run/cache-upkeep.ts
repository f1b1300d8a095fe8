// The housekeeping a build does on its way out: the cache's statistics and,
// past FLOW_CACHE_MAX_SIZE, an automatic gc. Also the gc summary that
// `flow cache gc` prints.
import { formatSize, parseSize, type GcReport, type LocalCache } from "@flow/cache";
import type { BuildOutcome, TaskGraph } from "@flow/graph";
import type { Output } from "../render/render.js";
import { dropStates } from "./build-state.js";

/** FLOW_CACHE_MAX_SIZE's default. */
export const DEFAULT_MAX_CACHE_BYTES = 10 * 1024 ** 3;
/** Automatic gc goes down to this fraction of the cap, so it does not run again on the next build. */
export const AUTO_GC_LOW_WATER = 0.8;

/** FLOW_CACHE_MAX_SIZE: bytes, `off`, or undefined with a complaint when unreadable. */
export function maxCacheBytes(env: NodeJS.ProcessEnv, complain: (message: string) => void): number | "off" {
  const text = env["FLOW_CACHE_MAX_SIZE"];
  if (text === undefined || text === "") return DEFAULT_MAX_CACHE_BYTES;
  if (text.trim().toLowerCase() === "off") return "off";
  const n = parseSize(text);
  if (n !== undefined) return n;
  complain(`FLOW_CACHE_MAX_SIZE=${JSON.stringify(text)} is not a size (e.g. 500M, 10G, or bytes); using ${formatSize(DEFAULT_MAX_CACHE_BYTES)}`);
  return DEFAULT_MAX_CACHE_BYTES;
}

/**
 * After a build: add it to the cache's statistics and, when the running size
 * estimate passes FLOW_CACHE_MAX_SIZE, gc down to AUTO_GC_LOW_WATER of it.
 * Never fails the build: an I/O error here is a warning.
 */
export async function afterBuild(cache: LocalCache, graph: TaskGraph, outcome: BuildOutcome, out: Output, env: NodeJS.ProcessEnv): Promise<void> {
  let hits = 0;
  let misses = 0;
  const newKeys: string[] = [];
  for (const id of outcome.order) {
    if (graph.tasks[id]?.recipe === "") continue; // an aggregate: never looked up
    const r = outcome.results.get(id);
    if (r?.status === "up-to-date" || r?.status === "restored") hits++;
    else if (r?.status === "ran" || (r?.status === "failed" && r.logPath !== undefined)) {
      misses++;
      if (r.status === "ran" && r.key !== undefined) newKeys.push(r.key);
    }
  }
  try {
    const stats = cache.recordBuild({ hits, misses, newKeys });
    const max = maxCacheBytes(env, (m) => out.write(`flow: warning: ${m}\n`));
    if (max === "off" || stats.blobBytes <= max) return;
    // Build states vouch for results this cache held (build-state.ts): a gc makes them be read again from scratch.
    dropStates(cache.dir);
    const report = await cache.gc({ maxBytes: Math.floor(max * AUTO_GC_LOW_WATER) });
    out.write(`flow: the cache passed ${formatSize(max)} (FLOW_CACHE_MAX_SIZE); ${gcSummary(report)}\n`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === undefined) throw err;
    out.write(`flow: warning: cache housekeeping failed: ${(err as Error).message}\n`);
  }
}

export function gcSummary(r: GcReport): string {
  const parts = [
    `removed ${r.entriesRemoved} of ${r.entriesBefore} entries${r.invalidRemoved > 0 ? ` (${r.invalidRemoved} unreadable)` : ""}`,
    `${r.blobsRemoved} blobs${r.orphansRemoved > 0 ? ` (${r.orphansRemoved} named by no entry)` : ""}`,
  ];
  if (r.setAsideRemoved.length > 0) parts.push(`${r.setAsideRemoved.length} set-aside databases`);
  return `gc ${parts.join(", ")}; blobs ${formatSize(r.bytesBefore)} -> ${formatSize(r.bytesAfter)}`;
}
