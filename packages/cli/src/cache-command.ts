// `flow cache stats | gc | verify`, and the housekeeping a build does on its
// way out (statistics, automatic gc). The work is in @flow/cache; this file
// finds the cache, takes the workspace lock and prints.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { Command, Option } from "./clipanion.js";
import { t } from "./typanion.js";
import { createHasher, formatSize, LocalCache, parseSize, type CacheStatsReport, type GcReport } from "@flow/cache";
import type { BuildOutcome, TaskGraph } from "@flow/graph";
import { EXIT } from "./exit-codes.js";
import type { Output } from "./render.js";
import { lockWorkspace, type WorkspaceLock } from "./workspace-lock.js";

/** FLOW_CACHE_MAX_SIZE's default. */
export const DEFAULT_MAX_CACHE_BYTES = 10 * 1024 ** 3;
/** Automatic gc goes down to this fraction of the cap, so it does not run again on the next build. */
export const AUTO_GC_LOW_WATER = 0.8;

/** Names tried when no -f is given (as load-project.ts does); here only to find the root, never parsed. */
const FLOWFILE_NAMES = ["Flowfile", "Makefile", "makefile"];

/** `--cache-dir`, else $FLOW_CACHE_DIR, else `.flow/` at the project root: the build's rule. */
export function resolveCacheDir(cwd: string, option: string | undefined, env: NodeJS.ProcessEnv, root: string | undefined): string | undefined {
  const chosen = option ?? (env["FLOW_CACHE_DIR"] || (root !== undefined ? join(root, ".flow") : undefined));
  return chosen === undefined ? undefined : resolve(cwd, chosen);
}

/** The directory of the Flowfile that -C/-f designate, without reading it (a broken Flowfile must not block cache upkeep). */
export function findProjectRoot(cwd: string, dir: string | undefined, file: string | undefined): string | undefined {
  const base = resolve(cwd, dir ?? ".");
  if (file !== undefined) return existsSync(resolve(base, file)) ? dirname(resolve(base, file)) : undefined;
  return FLOWFILE_NAMES.some((n) => existsSync(join(base, n))) ? base : undefined;
}

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

/** Options and plumbing shared by the three commands. */
abstract class CacheCommand extends Command {
  dir = Option.String("-C,--directory", { description: "Run as if started in DIR" });
  file = Option.String("-f,--file", { description: "The Flowfile whose directory holds the cache (default: ./Flowfile)" });
  cacheDir = Option.String("--cache-dir", { description: "Cache directory (default: $FLOW_CACHE_DIR or .flow/ at the project root)" });
  json = Option.Boolean("--json", false, { description: "Print the result as one JSON document" });

  /** Opens the cache (and, for writers, takes the workspace lock), runs `body`, cleans up. */
  protected async withCache(
    lockAs: string | undefined,
    noWait: boolean,
    body: (cache: LocalCache) => Promise<void>,
    opts: { fullCheck?: boolean } = {},
  ): Promise<number> {
    const err = this.context.stderr;
    const root = findProjectRoot(process.cwd(), this.dir, this.file);
    const cacheDir = resolveCacheDir(process.cwd(), this.cacheDir, process.env, root);
    if (cacheDir === undefined) {
      err.write(`flow: no Flowfile here to find the cache by; pass -C DIR, -f FILE or --cache-dir DIR\n`);
      return EXIT.usage;
    }
    if (!existsSync(join(cacheDir, "db"))) {
      this.context.stdout.write(this.json ? `${JSON.stringify({ cacheDir, exists: false })}\n` : `flow: no cache at ${cacheDir}\n`);
      return EXIT.ok;
    }
    let lock: WorkspaceLock | undefined;
    if (lockAs !== undefined && root !== undefined) {
      lock = await lockWorkspace(root, lockAs, { noWait, err });
      if (lock === undefined) return EXIT.taskFailed;
    }
    try {
      const cache = await LocalCache.open(cacheDir, {
        hasher: await createHasher(),
        onWarning: (w) => err.write(`flow: warning ${w.code}: ${w.message}\n`),
        fullCheck: opts.fullCheck === true,
      });
      try {
        await body(cache);
      } finally {
        await cache.close();
      }
    } finally {
      lock?.release();
    }
    return EXIT.ok;
  }
}

export class CacheStatsCommand extends CacheCommand {
  static override paths = [["cache", "stats"]];
  static override usage = Command.Usage({
    category: "Cache",
    description: "show what the cache holds and how recent builds used it",
    details: "Entries, blobs and their size, the LMDB file, set-aside databases, and the hits and misses of the last builds. Reads only.",
    examples: [["Show the project's cache", "$0 cache stats"], ["As JSON", "$0 cache stats --json"]],
  });

  override async execute(): Promise<number> {
    return this.withCache(undefined, false, async (cache) => {
      const s = cache.stats();
      this.context.stdout.write(this.json ? `${JSON.stringify({ cacheDir: cache.dir, ...s }, null, 2)}\n` : renderStats(cache.dir, s));
    });
  }
}

export class CacheGcCommand extends CacheCommand {
  static override paths = [["cache", "gc"]];
  static override usage = Command.Usage({
    category: "Cache",
    description: "shrink the cache: least recently used entries first",
    details: `
      Drops entries, least recently used first, until the blobs the kept entries name fit in --max-size and at most --keep entries are left.
      A blob is deleted only when no kept entry names it. Also removes blobs named by no entry (older than an hour) and set-aside databases.
      Without options the cap is $FLOW_CACHE_MAX_SIZE (default 10G). SIZE: bytes, or a number with K, M, G or T (binary units).
    `,
    examples: [
      ["Keep the cache under 500 MiB", "$0 cache gc --max-size 500M"],
      ["Keep only the 1000 most recently used entries", "$0 cache gc --keep 1000"],
    ],
  });

  maxSize = Option.String("--max-size", { description: "Cap on the blobs' total size (500M, 2G, bytes)" });
  keep = Option.String("--keep", { description: "Keep at most N entries", validator: t.isNumber() });
  noWait = Option.Boolean("--no-wait", false, { description: "Fail at once if a build holds the workspace lock" });

  override async execute(): Promise<number> {
    const err = this.context.stderr;
    let maxBytes: number | undefined;
    if (this.maxSize !== undefined) {
      maxBytes = parseSize(this.maxSize);
      if (maxBytes === undefined) {
        err.write(`flow: --max-size needs a size like 500M, 2G or a number of bytes, got '${this.maxSize}'\n`);
        return EXIT.usage;
      }
    }
    if (this.keep !== undefined && (!Number.isInteger(this.keep) || this.keep < 0)) {
      err.write(`flow: --keep needs a whole number of at least 0, got ${this.keep}\n`);
      return EXIT.usage;
    }
    if (maxBytes === undefined && this.keep === undefined) {
      const max = maxCacheBytes(process.env, (m) => err.write(`flow: warning: ${m}\n`));
      if (max !== "off") maxBytes = max;
    }
    return this.withCache("flow cache gc", this.noWait, async (cache) => {
      const report = await cache.gc({ ...(maxBytes !== undefined ? { maxBytes } : {}), ...(this.keep !== undefined ? { keep: this.keep } : {}) });
      this.context.stdout.write(this.json ? `${JSON.stringify(report, null, 2)}\n` : `flow: ${gcSummary(report)}\n`);
    });
  }
}

export class CacheVerifyCommand extends CacheCommand {
  static override paths = [["cache", "verify"]];
  static override usage = Command.Usage({
    category: "Cache",
    description: "rehash every blob; drop bad blobs and the entries that name them",
    details: "Walks the whole LMDB file first: a damaged one is set aside (reported) and a fresh one started. Then reads the whole blob store. A blob whose bytes do not match its name is deleted, and so is every entry naming a deleted or missing blob; those tasks rerun at their next build. Exit 0 either way: the cache is consistent afterwards.",
    examples: [["Check the project's cache", "$0 cache verify"]],
  });

  noWait = Option.Boolean("--no-wait", false, { description: "Fail at once if a build holds the workspace lock" });

  override async execute(): Promise<number> {
    return this.withCache("flow cache verify", this.noWait, async (cache) => {
      const r = await cache.verify();
      if (this.json) {
        this.context.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      const verdict = r.badBlobs.length === 0 ? "all good" : `${r.badBlobs.length} bad, removed`;
      const db = r.databaseSetAside;
      this.context.stdout.write(
        (db === undefined ? "" : `flow: verify: the cache database was damaged (${db.reason}): set aside as ${db.path}, a fresh one started\n`) +
          `flow: verify: ${r.blobsChecked} blobs (${formatSize(r.bytesChecked)}): ${verdict}; ${r.entriesChecked} entries, ${r.entriesRemoved.length} dropped\n`,
      );
    }, { fullCheck: true });
  }
}

function renderStats(cacheDir: string, s: CacheStatsReport): string {
  const lines = [
    `cache       ${cacheDir}`,
    `entries     ${s.entries}${s.invalidEntries > 0 ? ` (+${s.invalidEntries} unreadable)` : ""}`,
    `blobs       ${s.blobs}, ${formatSize(s.blobBytes)}${s.orphanBlobs > 0 ? ` (${s.orphanBlobs} named by no entry)` : ""}`,
    `database    ${formatSize(s.dbBytes)}`,
  ];
  if (s.setAside.length > 0) lines.push(`set aside   ${s.setAside.join(", ")} (flow cache gc deletes them)`);
  if (s.tmpFiles > 0) lines.push(`temp files  ${s.tmpFiles}`);
  const b = s.builds;
  if (b === undefined) {
    lines.push("builds      none recorded yet");
  } else {
    const looked = b.totals.hits + b.totals.misses;
    const rate = looked > 0 ? ` (${Math.round((100 * b.totals.hits) / looked)}% hits)` : "";
    lines.push(`builds      ${b.totals.builds}: ${b.totals.hits} hits, ${b.totals.misses} misses${rate}`);
    for (const r of b.recent.slice(-5).reverse()) {
      lines.push(`  ${new Date(r.at).toISOString()}  ${r.hits} hits, ${r.misses} misses, ${formatSize(r.bytesStored)} stored`);
    }
  }
  return `${lines.join("\n")}\n`;
}
