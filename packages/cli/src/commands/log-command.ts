import { existsSync, lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createHasher, isContentHash, LocalCache, localTier, TieredCache } from "@flow/cache";
import { Command, Option } from "./clipanion.js";
import { EXIT } from "../exit-codes.js";
import { runsDir } from "../run/durations.js";
import { historyRoot } from "../history/history-root.js";
import { keptRuns, LOGS_DIR } from "../history/run-files.js";
import { readSummary, readTasks } from "../history/run-read.js";
import { when } from "../history/run-text.js";
import { logDirOf, resolveCacheDir } from "../run/cache-dir.js";
import { checkoutScope, logFileName } from "../run/local-build-host.js";

export class LogCommand extends Command {
  static override paths = [["log"]];

  static override usage = Command.Usage({
    category: "History",
    description: "print a task's last log",
    details: `
      Prints what TASK's recipe printed (stdout and stderr, in order) the last time it printed anything: from
      .flow/logs, else from the newest run directory that kept its log (.flow/runs/<N>/logs), else the log
      stored in the cache with its last successful result. Where the log came from goes to stderr, the log
      itself to stdout. TASK is the task's name as the Flowfile has it (flow runs show lists them). A recipe
      that printed nothing leaves no log: then there is none to show.
    `,
    examples: [
      ["Print the last log of the task that makes build/app", "$0 log build/app"],
      ["Page through a test task's output", "$0 log test | less"],
    ],
  });

  dir = Option.String("-C,--directory", { description: "Run as if started in DIR" });
  file = Option.String("-f,--file", { description: "The Flowfile whose directory holds the logs (default: ./Flowfile)" });
  cacheDir = Option.String("--cache-dir", { description: "Cache directory (default: $FLOW_CACHE_DIR or .flow/ at the project root)" });
  task = Option.String({ name: "TASK" });

  override async execute(): Promise<number> {
    const err = this.context.stderr;
    const root = historyRoot(this.dir, this.file, err);
    if (root === undefined) return EXIT.usage;
    const hasher = await createHasher();
    const name = logFileName(hasher, this.task);
    const current = join(logDirOf(root), name);
    if (isFile(current)) return this.print(readFileSync(current), `from ${current} (written ${when(lstatSync(current).mtimeMs)})`);
    const runs = keptRuns(root).reverse();
    for (const n of runs) {
      const kept = join(runsDir(root), String(n), LOGS_DIR, name);
      if (isFile(kept)) return this.print(readFileSync(kept), `from run ${n} (${when(readSummary(root, n)?.start ?? lstatSync(kept).mtimeMs)})`);
    }
    const stored = await this.fromCache(root, hasher);
    if (stored !== undefined) return this.print(stored.bytes, `from the cache (its last successful run, key ${stored.key})`);
    const newest = runs[0];
    const known = newest === undefined ? undefined : readTasks(root, newest)?.names.includes(this.task);
    err.write(
      `flow: error LOG_NOT_FOUND: no log of '${this.task}' in .flow/logs, the run history or the cache. ` +
        (known === false
          ? `The newest build (run ${newest}) has no task of that name: give the name as the Flowfile has it (flow runs show ${newest} lists them)\n`
          : "A recipe that printed nothing leaves no log; build it (flow build) and try again\n"),
    );
    return EXIT.taskFailed;
  }

  private print(bytes: Uint8Array, from: string): number {
    this.context.stderr.write(`flow: log of ${this.task} ${from}\n`);
    this.context.stdout.write(bytes);
    return EXIT.ok;
  }

  /** The log stored with the task's last successful result in this checkout, if the cache still has it. */
  private async fromCache(root: string, hasher: Awaited<ReturnType<typeof createHasher>>): Promise<{ bytes: Uint8Array; key: string } | undefined> {
    const cacheDir = resolveCacheDir(process.cwd(), this.cacheDir, process.env, root);
    if (!existsSync(join(cacheDir, "db"))) return undefined;
    const cache = await LocalCache.open(cacheDir, { hasher, onWarning: (w) => this.context.stderr.write(`flow: warning ${w.code}: ${w.message}\n`) });
    try {
      const home = localTier(cache);
      const actions = new TieredCache({ home, scope: checkoutScope(hasher, root), clock: { now: () => Date.now() }, onWarning: () => undefined, peek: true });
      const last = await actions.lastRun(this.task);
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
}

/** A regular file (a link in the log directory is not followed). */
function isFile(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isFile() === true;
}
