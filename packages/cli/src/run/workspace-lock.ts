// One build (or clean) at a time per workspace: `.flow/lock` at the project
// root names its holder.
//
// Format: one JSON line {"pid", "host", "startedAt" (ISO), "command", "token"};
// the random token tells our lock from a later one at release.
//
// Acquire: create the file with open(…, "wx") (O_CREAT|O_EXCL: atomic, one
// winner), write the holder, fsync. On EEXIST read the holder:
// - same host and `kill(pid, 0)` fails with ESRCH: the holder died (SIGKILL,
//   a crash). The lock is taken over with a warning.
// - unreadable (a holder between its create and its write, or one killed
//   there): waited on for UNREADABLE_GRACE_MS, then treated as dead.
// - otherwise the holder is alive (or on another host, where we cannot tell):
//   wait, polling, after one message naming it; `--no-wait` fails at once.
//
// A takeover must remove exactly the dead holder's file, not a lock that a
// faster process created after it: two waiters that both saw the dead holder
// would otherwise each delete the other's fresh lock. So takeovers are
// serialised by a second file, `.flow/lock.takeover` (created "wx" the same
// way); its holder re-reads the lock, removes it only if it still names the
// dead token, then competes for the lock like everyone else. A takeover file
// older than TAKEOVER_STALE_MS belonged to a process killed mid-takeover (it
// lives for microseconds) and is removed.
//
// Rejected: flock(2) (not in Node's standard library, and unreliable on NFS);
// a lock in the cache directory (the cache may be shared by several
// checkouts, which may build at once).
import { closeSync, fsyncSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { ensureStateDir } from "./state-dir.js";

export interface LockHolder {
  readonly pid: number;
  readonly host: string;
  readonly startedAt: string;
  readonly command: string;
  readonly token: string;
}

export interface LockOptions {
  /** What the holder is doing, as another waiter will be told (`flow build`). */
  readonly command: string;
  /** false: fail at once when the lock is held (`--no-wait`). */
  readonly wait: boolean;
  /** Called once when we start waiting. */
  readonly onWait?: (holder: LockHolder | undefined) => void;
  /** Called when a dead holder's lock is taken over. */
  readonly onTakeover?: (holder: LockHolder | undefined) => void;
  readonly pollMs?: number;
  /**
   * Tokens of the locks the builds above this one hold (a sub-build started by
   * `$(MAKE)` in a recipe: FLOW_LOCK_TOKENS). A lock held under one of them is
   * shared, not waited for: the parent waits for this build, so waiting for
   * the parent would never end.
   */
  readonly inherited?: readonly string[];
  /**
   * false: the holder is written without an fsync. For a lock held for
   * milliseconds (the watching server's answer to a no-op): a machine that
   * crashes meanwhile leaves an empty lock, which the next build takes over
   * after UNREADABLE_GRACE_MS, and the fsync was ~4 ms of a 100 ms build.
   */
  readonly durable?: boolean;
}

export type LockResult = { ok: true; lock: WorkspaceLock } | { ok: false; holder: LockHolder | undefined };

export const UNREADABLE_GRACE_MS = 5000;
export const TAKEOVER_STALE_MS = 10_000;

export class WorkspaceLock {
  private released = false;
  private readonly onExit = (): void => this.release();

  private constructor(
    readonly path: string,
    readonly holder: LockHolder,
    /** Held by a build above this one (see LockOptions.inherited): never released here. */
    readonly shared = false,
  ) {
    // A CLI that ends with process.exit() still frees the workspace.
    if (!shared) process.on("exit", this.onExit);
    else this.released = true;
  }

  /** The lock file of the workspace whose Flowfile is in `root`. */
  static pathFor(root: string): string {
    return join(root, ".flow", "lock");
  }

  static async acquire(root: string, opts: LockOptions): Promise<LockResult> {
    const path = WorkspaceLock.pathFor(root);
    ensureStateDir(root);
    const me: LockHolder = {
      pid: process.pid,
      host: hostname(),
      startedAt: new Date().toISOString(),
      command: opts.command,
      token: randomBytes(8).toString("hex"),
    };
    let waited = false;
    for (;;) {
      if (tryCreate(path, `${JSON.stringify(me)}\n`, opts.durable ?? true)) return { ok: true, lock: new WorkspaceLock(path, me) };
      const seen = readHolder(path);
      if (seen === "gone") continue;
      if (typeof seen === "object" && opts.inherited?.includes(seen.token)) return { ok: true, lock: new WorkspaceLock(path, seen, true) };
      if (isDead(seen, path)) {
        if (takeOver(path, seen)) {
          opts.onTakeover?.(seen === "unreadable" ? undefined : seen);
          continue;
        }
        await sleep(opts.pollMs ?? 100); // another process is taking over: let it finish
        continue;
      }
      const holder = seen === "unreadable" ? undefined : seen;
      if (!opts.wait) return { ok: false, holder };
      if (!waited) opts.onWait?.(holder);
      waited = true;
      await sleep(opts.pollMs ?? 100);
    }
  }

  /** Removes the lock if it is still ours; idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    process.off("exit", this.onExit);
    const seen = readHolder(this.path);
    if (typeof seen === "object" && seen.token === this.holder.token) rmSync(this.path, { force: true });
  }
}

/** `pid 123 on host, flow build since 2026-…` for messages. */
export function describeHolder(h: LockHolder | undefined): string {
  if (h === undefined) return "a process that has not written its name yet";
  return `${h.command} (pid ${h.pid} on ${h.host}, since ${h.startedAt})`;
}

/**
 * Creates `path` with `content` only if nothing is there (O_EXCL, so never
 * through a link either), durably; false when something is. A lock file
 * (this one, the watching server's) is claimed this way.
 */
export function tryCreate(path: string, content: string, durable = true): boolean {
  let fd: number;
  try {
    fd = openSync(path, "wx", 0o644);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw err;
  }
  try {
    writeSync(fd, content);
    if (durable) fsyncSync(fd);
  } catch (err) {
    // Disk full: a lock without its holder's name would make the next build wait for nobody.
    closeSync(fd);
    rmSync(path, { force: true });
    throw err;
  }
  closeSync(fd);
  return true;
}

function readHolder(path: string): LockHolder | "unreadable" | "gone" {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "gone";
    throw err;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return "unreadable"; // being written, or torn by a kill between create and write
  }
  if (typeof v !== "object" || v === null) return "unreadable";
  const h = v as Record<string, unknown>;
  if (typeof h["pid"] !== "number" || typeof h["host"] !== "string" || typeof h["token"] !== "string") return "unreadable";
  return {
    pid: h["pid"],
    host: h["host"],
    token: h["token"],
    startedAt: typeof h["startedAt"] === "string" ? h["startedAt"] : "?",
    command: typeof h["command"] === "string" ? h["command"] : "flow",
  };
}

function isDead(seen: LockHolder | "unreadable", path: string): boolean {
  if (seen === "unreadable") return ageMs(path) > UNREADABLE_GRACE_MS;
  if (seen.host !== hostname()) return false; // cannot tell: wait
  if (seen.pid === process.pid) return false; // ourselves, through another handle: never steal it
  try {
    process.kill(seen.pid, 0);
    return false;
  } catch (err) {
    // EPERM: alive, owned by another user.
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

/** Removes the lock only if it is still the dead one we saw; true when we removed it. */
function takeOver(path: string, dead: LockHolder | "unreadable"): boolean {
  const guard = `${path}.takeover`;
  if (!tryCreate(guard, `${process.pid}\n`)) {
    if (ageMs(guard) > TAKEOVER_STALE_MS) rmSync(guard, { force: true });
    return false; // someone else is taking over; look again
  }
  try {
    const now = readHolder(path);
    const same =
      dead === "unreadable" ? now === "unreadable" && ageMs(path) > UNREADABLE_GRACE_MS : typeof now === "object" && now.token === dead.token;
    if (!same) return false;
    unlinkSync(path);
    return true;
  } finally {
    rmSync(guard, { force: true });
  }
}

function ageMs(path: string): number {
  const st = statSync(path, { throwIfNoEntry: false });
  return st === undefined ? 0 : Date.now() - st.mtimeMs;
}

/**
 * The lock as the CLI takes it: one message when waiting, a warning on a
 * takeover, and on a busy lock with --no-wait a message and undefined (the
 * caller exits 1).
 */
export async function lockWorkspace(root: string, command: string, opts: { noWait: boolean; err: { write(text: string): void } }): Promise<WorkspaceLock | undefined> {
  const { err } = opts;
  let got: LockResult;
  try {
    got = await WorkspaceLock.acquire(root, {
      command,
      wait: !opts.noWait,
      inherited: (process.env["FLOW_LOCK_TOKENS"] ?? "").split(",").filter((t) => t !== ""),
      onWait: (h) => err.write(`flow: waiting for the workspace lock held by ${describeHolder(h)}\n`),
      onTakeover: (h) => err.write(`flow: warning: took over the workspace lock of ${describeHolder(h)}, which is no longer running\n`),
    });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === undefined) throw e;
    // ENOSPC, EROFS, EACCES...: nothing has started; say so instead of a stack trace.
    err.write(`flow: cannot take the workspace lock ${WorkspaceLock.pathFor(root)}: ${(e as Error).message}; nothing was built (free space or fix the permissions, then try again)\n`);
    return undefined;
  }
  if (got.ok) return got.lock;
  err.write(`flow: the workspace is locked by ${describeHolder(got.holder)}; not waiting (--no-wait)\n`);
  return undefined;
}
