// The watching server of one project root: @parcel/watcher's events, kept as
// a change log (change-log.ts), answered over a Unix socket after a sync.
//
// Sync (as watchman does it): to answer, the server writes a uniquely named
// cookie file in `.flow/server-cookies/` and waits for that file's own event.
// Events of one inotify queue arrive in order, so once the cookie's event is
// in, every change made before the request was sent is in too.
//
// What makes an answer "unknown" (ChangeLog.lose), never a short list:
// - a watcher error (@parcel/watcher's callback error): the watcher is
//   subscribed afresh;
// - the process was stopped (SIGSTOP/SIGCONT: the inotify queue may have
//   overflowed meanwhile; @parcel/watcher 2.6.0 drops the kernel's
//   IN_Q_OVERFLOW without a word, so a stop is the overflow flow can see);
// - a cookie that does not arrive within SYNC_TIMEOUT_MS (events are not
//   flowing), or a cookie directory that went away: subscribed afresh;
// - a new directory whose subdirectories the watcher may not see (see
//   watched-dirs.ts): subscribed afresh.
// Files found inside a new directory are recorded as changed: they may have
// been made before its watch was added.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import parcel from "@parcel/watcher";
import { ChangeLog } from "./change-log.js";
import { dirKey, watchedDirKeys } from "./watched-dirs.js";
import { COOKIE_DIR_NAME, type ServerPaths } from "./server-paths.js";

/** A sync whose cookie takes longer than this means events are not flowing. */
export const SYNC_TIMEOUT_MS = 10_000;

/**
 * `.flow/` is flow's state (a build writes thousands of files there), so it
 * is not watched, except `.flow/server-cookies/`. A RegExp is matched by
 * @parcel/watcher against the path relative to the root; `.flow` itself stays
 * watched (its cookie directory must be), but not its other entries.
 */
export const IGNORE = new RegExp(`^\\.flow/(?!${COOKIE_DIR_NAME}(?:/|$))`);

export interface WatchServerOptions {
  readonly paths: ServerPaths;
  readonly instance: string;
  readonly log: (line: string) => void;
  /** The watcher cannot be subscribed again: the server must stop (clients then take the cold path). */
  readonly onFatal: (err: Error) => void;
}

export class WatchServer {
  readonly changes: ChangeLog;
  private sub: parcel.AsyncSubscription | undefined;
  private readonly cookieWaiters = new Map<string, () => void>();
  /** Paths created since the last check (checkNewDirs): the ones that are directories are checked. */
  private created = new Set<string>();
  private restarting: Promise<void> | undefined;
  private cookies = 0;
  private cookieKey: string | undefined;
  errors = 0;
  subscriptions = 0;

  constructor(private readonly opts: WatchServerOptions) {
    this.changes = new ChangeLog(opts.instance);
  }

  /** Subscribes and checks that every directory is watched; throws when it cannot be. */
  async start(): Promise<void> {
    await this.subscribe();
  }

  async stop(): Promise<void> {
    const sub = this.sub;
    this.sub = undefined;
    await sub?.unsubscribe().catch(() => undefined);
  }

  /** Changes may have been missed (the process was stopped, say): earlier tokens become unknown. */
  lose(cause: string): void {
    this.opts.log(`changes may have been lost (${cause}): the next answer is "unknown"`);
    this.changes.lose(cause);
  }

  /** The answer to a client's changesSince, after a sync. */
  async changesSince(token: string | null): Promise<{ token: string; changed: readonly string[] | "unknown" }> {
    await this.sync();
    return this.changes.since(token);
  }

  /** Returns once every change made on disk before the call is in the log (or a loss is). */
  async sync(): Promise<void> {
    if (this.restarting !== undefined) await this.restarting;
    if (this.cookieKey === undefined || dirKey(this.opts.paths.cookieDir) !== this.cookieKey) await this.restart("cookie-directory-gone");
    const name = join(this.opts.paths.cookieDir, `${this.opts.instance}-${process.pid}-${++this.cookies}`);
    let timer: NodeJS.Timeout | undefined;
    const arrived = new Promise<boolean>((resolve) => {
      this.cookieWaiters.set(name, () => resolve(true));
      timer = setTimeout(() => resolve(false), SYNC_TIMEOUT_MS);
    });
    try {
      writeFileSync(name, "", { flag: "wx" });
    } catch (err) {
      this.cookieWaiters.delete(name);
      clearTimeout(timer);
      this.opts.log(`cannot write a sync cookie: ${(err as Error).message}`);
      await this.restart("cookie-write-failed");
      return;
    }
    const ok = await arrived;
    clearTimeout(timer);
    this.cookieWaiters.delete(name);
    rmSync(name, { force: true });
    if (!ok) {
      await this.restart("sync-timeout");
      return;
    }
    await this.checkNewDirs();
  }

  private readonly onEvents = (err: Error | null, events: parcel.Event[]): void => {
    if (err !== null) {
      this.errors++;
      this.opts.log(`watcher error: ${err.message}`);
      // @parcel/watcher drops the subscription's callbacks after an error: subscribe afresh.
      void this.restart("watcher-error");
      return;
    }
    const cookiePrefix = `${this.opts.paths.cookieDir}/`;
    const arrived: (() => void)[] = [];
    for (const e of events) {
      if (e.path.startsWith(cookiePrefix)) {
        const w = e.type === "delete" ? undefined : this.cookieWaiters.get(e.path);
        if (w !== undefined) arrived.push(w);
        continue;
      }
      this.changes.record(e.path);
      if (e.type === "create") this.created.add(e.path);
    }
    // After the batch is recorded: everything the kernel queued before a cookie is in.
    for (const w of arrived) w();
  };

  /**
   * Each new directory must be watched, and so must each directory in it:
   * @parcel/watcher adds a watch only for a directory whose create event it
   * read, so one made before its parent was watched (mkdir -p), or moved in
   * with its subdirectories (whose old watches keep their old paths), is not
   * seen right. Its files are recorded as changed (they may predate the
   * watch); a subdirectory that is not itself a checked new directory makes
   * the watcher subscribe afresh.
   */
  private async checkNewDirs(): Promise<void> {
    if (this.created.size === 0) return;
    const created = this.created;
    this.created = new Set();
    const dirs: [string, string][] = [];
    for (const p of created) {
      const key = dirKey(p);
      if (key !== undefined) dirs.push([p, key]);
    }
    if (dirs.length === 0) return;
    const watched = watchedDirKeys();
    let blind: string | undefined = watched === undefined ? "/proc/self/fdinfo unreadable" : undefined;
    for (const [dir, key] of dirs) {
      if (blind !== undefined) break;
      if (!(watched as Set<string>).has(key)) {
        blind = `${dir} is not watched`;
        break;
      }
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue; // gone again: its delete event is in the log
      }
      for (const ent of entries) {
        const p = join(dir, ent.name);
        if (this.ignored(p)) continue;
        if (ent.isDirectory() && !created.has(p)) {
          blind = `${p} appeared inside new directory ${dir} before it was watched`;
          break;
        }
        this.changes.record(p);
      }
    }
    if (blind !== undefined) {
      this.opts.log(`unwatched directory: ${blind}`);
      await this.restart("unwatched-directory");
    }
  }

  private ignored(path: string): boolean {
    const rel = path.slice(this.opts.paths.root.length + 1);
    return IGNORE.test(rel);
  }

  /** Subscribes afresh; tokens from before become unknown (the gap between the two subscriptions is not watched). */
  private restart(cause: string): Promise<void> {
    if (this.restarting !== undefined) return this.restarting;
    this.opts.log(`subscribing afresh (${cause})`);
    this.restarting = (async () => {
      try {
        await this.stop();
        this.created = new Set();
        await this.subscribe();
      } catch (err) {
        this.opts.onFatal(err as Error);
      } finally {
        this.changes.lose(cause);
        this.restarting = undefined;
        // Syncs waiting for a cookie of the old subscription: their answer is "unknown" now anyway.
        for (const w of [...this.cookieWaiters.values()]) w();
      }
    })();
    return this.restarting;
  }

  private async subscribe(): Promise<void> {
    const { root, cookieDir } = this.opts.paths;
    for (let attempt = 1; ; attempt++) {
      mkdirSync(cookieDir, { recursive: true });
      // Cookies of a server killed mid-sync: no one waits for them.
      for (const name of readdirSync(cookieDir)) rmSync(join(cookieDir, name), { force: true, recursive: true });
      this.sub = await parcel.subscribe(root, this.onEvents, { ignore: [IGNORE] });
      this.subscriptions++;
      // A directory made during the initial crawl may have been missed: check them all.
      const missing = this.unwatchedDir();
      this.cookieKey = dirKey(cookieDir);
      if (missing === undefined) return;
      this.opts.log(`after subscribing, ${missing} is not watched (attempt ${attempt})`);
      await this.stop();
      if (attempt >= 5) throw new Error(`cannot watch every directory under ${root}: ${missing} is not watched`);
    }
  }

  /** A directory under the root (not ignored) that no inotify watch covers, if any. */
  private unwatchedDir(): string | undefined {
    const watched = watchedDirKeys();
    if (watched === undefined) return "/proc/self/fdinfo (unreadable)";
    const stack = [this.opts.paths.root];
    while (stack.length > 0) {
      const dir = stack.pop() as string;
      const key = dirKey(dir);
      if (key === undefined) continue; // gone meanwhile
      if (!watched.has(key)) return dir;
      let entries;
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const ent of entries) {
        if (!ent.isDirectory()) continue;
        const p = join(dir, ent.name);
        if (!this.ignored(p)) stack.push(p);
      }
    }
    return undefined;
  }
}
