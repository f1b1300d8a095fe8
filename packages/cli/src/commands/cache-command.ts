// `flow cache stats | gc | verify`. The work is in @flow/cache; this file
// finds the cache (cache-dir.ts), takes the workspace lock and prints.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { Command, Option } from "./clipanion.js";
import { t } from "./typanion.js";
import { createHasher, formatSize, LocalCache, parseSize, type CacheStatsReport } from "@flow/cache";
import { findProjectRoot, resolveCacheDir } from "../run/cache-dir.js";
import { gcSummary, maxCacheBytes } from "../run/cache-upkeep.js";
import { dropStates } from "../run/build-state.js";
import { EXIT } from "../exit-codes.js";
import { lockWorkspace, type WorkspaceLock } from "../run/workspace-lock.js";
import { historyLimits, parseCount, pruneRuns } from "../history/run-bounds.js";

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
      Also prunes the build history (.flow/runs, docs/history.md), oldest runs first, to --keep-runs runs and --max-runs-size
      (default $FLOW_HISTORY_MAX_RUNS, 50, and $FLOW_HISTORY_MAX_SIZE, 256M).
    `,
    examples: [
      ["Keep the cache under 500 MiB", "$0 cache gc --max-size 500M"],
      ["Keep only the 1000 most recently used entries", "$0 cache gc --keep 1000"],
      ["Keep only the last 5 builds' history", "$0 cache gc --keep-runs 5"],
    ],
  });

  maxSize = Option.String("--max-size", { description: "Cap on the blobs' total size (500M, 2G, bytes)" });
  keep = Option.String("--keep", { description: "Keep at most N entries", validator: t.isNumber() });
  keepRuns = Option.String("--keep-runs", { description: "Keep at most N runs of build history" });
  maxRunsSize = Option.String("--max-runs-size", { description: "Cap on the build history's size (100M, 1G, bytes)" });
  noWait = Option.Boolean("--no-wait", false, { description: "Fail at once if a build holds the workspace lock" });

  override async execute(): Promise<number> {
    const err = this.context.stderr;
    const limits = historyLimits(process.env);
    for (const c of limits.complaints) err.write(`flow: warning: ${c}\n`);
    const maxRuns = this.keepRuns === undefined ? limits.maxRuns : parseCount(this.keepRuns);
    const maxRunsBytes = this.maxRunsSize === undefined ? limits.maxBytes : parseSize(this.maxRunsSize);
    if (maxRuns === undefined) {
      err.write(`flow: --keep-runs needs a whole number of at least 0, got '${this.keepRuns}'\n`);
      return EXIT.usage;
    }
    if (maxRunsBytes === undefined) {
      err.write(`flow: --max-runs-size needs a size like 100M, 1G or a number of bytes, got '${this.maxRunsSize}'\n`);
      return EXIT.usage;
    }
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
      // Build states vouch for results this cache held (build-state.ts): after a gc they are read again from scratch.
      dropStates(cache.dir);
      const report = await cache.gc({ ...(maxBytes !== undefined ? { maxBytes } : {}), ...(this.keep !== undefined ? { keep: this.keep } : {}) });
      // The build history of the workspace (under the lock, as a build prunes it).
      const root = findProjectRoot(process.cwd(), this.dir, this.file);
      const runs = root === undefined ? undefined : pruneRuns(root, { maxRuns, maxBytes: maxRunsBytes });
      const runsText = runs === undefined ? "" : `; history: removed ${runs.removed.length} runs, kept ${runs.kept} (${formatSize(runs.bytesKept)})`;
      this.context.stdout.write(this.json ? `${JSON.stringify({ ...report, ...(runs !== undefined ? { runs } : {}) }, null, 2)}\n` : `flow: ${gcSummary(report)}${runsText}\n`);
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
      dropStates(cache.dir);
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
