// GNU make's jobserver (POSIX flavour), served and used by flow.
//
// The protocol: a pipe holds one byte ("token") per job slot beyond the
// first. Every make in a tree of recursive makes may run one job without a
// token (its implicit slot) and must read a token from the pipe before
// starting each further job, and write it back when that job ends. The pipe's
// two ends reach the sub-makes as inherited file descriptors named in
// MAKEFLAGS (`--jobserver-auth=R,W`, make 4.2-4.3; `--jobserver-fds=R,W`
// before 4.2) or as a named FIFO (`--jobserver-auth=fifo:PATH`, make 4.4+).
//
// flow as the server (`-j N`, no jobserver in its environment): a FIFO made
// with mkfifo(1) in a private temporary directory (Node cannot make an
// anonymous pipe), opened, then unlinked at once, so nothing is left behind
// if flow is killed. It starts with N-1 tokens. Each recipe gets the pipe as
// its file descriptors 3 and 4 and `--jobserver-auth=3,4` in MAKEFLAGS: the
// anonymous-pipe form, which make 4.3 (installed here), make 4.4, cargo's
// jobserver crate and flow itself all read. A `fifo:` path is not served:
// make 4.3 cannot read it, and MAKEFLAGS carries one auth only.
//
// flow as a client (its environment's MAKEFLAGS names a jobserver whose pipe
// is open): it runs its first recipe in its implicit slot and reads a token
// before each further one, as a sub-make does, whatever its own -j; the same
// pipe is passed on to its recipes. Both forms are read (`R,W` and `fifo:`).
// A jobserver named but not open (the parent closed the descriptors) gets one
// warning and -j 1, as make does.
//
// Tokens are read without blocking: the read end is opened again through
// /proc/self/fd (Linux) with O_NONBLOCK, a new open file description whose
// flags are flow's own, so the descriptors the recipes share keep theirs.
// A read that finds the pipe empty is retried on a short timer (at most
// POLL_MAX_MS late): a blocking read would hold a libuv thread and could not
// be abandoned on Ctrl-C.
import { spawnSync } from "node:child_process";
import { closeSync, constants, fstatSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunRequest, RunResult, TaskRunner } from "@flow/graph";

/** What MAKEFLAGS says about a jobserver: descriptors, a FIFO, or nothing. */
export type JobserverAuth = { readonly kind: "fds"; readonly read: number; readonly write: number } | { readonly kind: "fifo"; readonly path: string };

/**
 * The jobserver named in MAKEFLAGS, if any. The last `--jobserver-auth=` (or
 * `--jobserver-fds=`) wins, as in make. Only this option is read here; the
 * other flags in MAKEFLAGS are the CLI's business.
 */
export function parseJobserverAuth(makeflags: string | undefined): JobserverAuth | undefined {
  if (makeflags === undefined) return undefined;
  let found: JobserverAuth | undefined;
  // Options come before ` -- `; what follows are VAR=value words.
  const head = makeflags.split(/ -- /, 1)[0] as string;
  for (const word of head.split(/\s+/)) {
    const m = /^--jobserver-(?:auth|fds)=(.*)$/.exec(word);
    if (m === null) continue;
    const v = m[1] as string;
    const fds = /^(-?[0-9]+),(-?[0-9]+)$/.exec(v);
    if (fds !== null) found = { kind: "fds", read: Number(fds[1]), write: Number(fds[2]) };
    else if (v.startsWith("fifo:")) found = { kind: "fifo", path: v.slice(5) };
  }
  return found;
}

/** The `-jN` that MAKEFLAGS carries (the top build's limit), if any. */
export function makeflagsJobs(makeflags: string | undefined): number | undefined {
  if (makeflags === undefined) return undefined;
  const head = makeflags.split(/ -- /, 1)[0] as string;
  let jobs: number | undefined;
  for (const word of head.split(/\s+/)) {
    const m = /^-j([0-9]+)$/.exec(word);
    if (m !== null) jobs = Number(m[1]);
  }
  return jobs;
}

/** Longest wait between two looks at an empty pipe. */
const POLL_MAX_MS = 20;

/**
 * A jobserver pipe as flow uses it, served or joined. `childFds` are the
 * descriptors a recipe gets as its fds 3 and 4.
 */
export class Jobserver {
  /** Tokens read and not yet written back (written back on close, whatever happens). */
  private held: number[] = [];
  private implicitFree = true;
  private readonly waiters: { resolve: (t: Slot | undefined) => void; signal: AbortSignal; onAbort: () => void }[] = [];
  private pollTimer: NodeJS.Timeout | undefined;
  private pollMs = 1;
  private closed = false;

  private constructor(
    /** Non-blocking read end, flow's own. */
    private readonly reader: number,
    /** Where tokens go back. */
    private readonly writer: number,
    /** Recipes' fds 3 and 4. */
    readonly childFds: readonly [number, number],
    /** Descriptors flow opened (closed on close). */
    private readonly owned: readonly number[],
    /** Served by this flow: true; joined: false. */
    readonly serving: boolean,
    /** The `-jN` recipes see in MAKEFLAGS. */
    readonly jobs: number,
  ) {}

  /**
   * Serves a new jobserver with `jobs - 1` tokens; undefined when it cannot
   * (no mkfifo, no descriptors left: EMFILE): flow then runs its -j alone,
   * and recipes find no pipe (a sub-make warns and runs -j1).
   */
  static serve(jobs: number): Jobserver | undefined {
    const opened: number[] = [];
    let dir: string | undefined;
    try {
      dir = mkdtempSync(join(tmpdir(), "flow-jobserver-"));
      const path = join(dir, "fifo");
      const r = spawnSync("mkfifo", ["-m", "600", path], { stdio: "ignore" });
      if (r.status !== 0) return undefined;
      // O_RDWR: opening a FIFO for reading alone would block until a writer came (Linux allows O_RDWR on a FIFO).
      opened.push(openSync(path, constants.O_RDWR));
      opened.push(openSync(path, constants.O_WRONLY | constants.O_NONBLOCK));
      opened.push(openSync(path, constants.O_RDONLY | constants.O_NONBLOCK));
      const [childRead, childWrite, reader] = opened as [number, number, number];
      if (jobs > 1) writeSync(childWrite, Buffer.alloc(jobs - 1, "+".charCodeAt(0)));
      return new Jobserver(reader, childWrite, [childRead, childWrite], [reader, childRead, childWrite], true, jobs);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === undefined) throw err;
      for (const fd of opened) closeSync(fd);
      return undefined;
    } finally {
      // The pipe lives on in the open descriptors; its name is not needed, and nothing is left behind.
      if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    }
  }

  /**
   * Joins the jobserver MAKEFLAGS names. "closed": it is named but its
   * descriptors are not an open pipe (the caller warns and runs -j 1).
   */
  static join(auth: JobserverAuth, jobs: number): Jobserver | "closed" {
    try {
      if (auth.kind === "fifo") {
        const childRead = openSync(auth.path, constants.O_RDWR);
        const childWrite = openSync(auth.path, constants.O_WRONLY | constants.O_NONBLOCK);
        const reader = openSync(auth.path, constants.O_RDONLY | constants.O_NONBLOCK);
        return new Jobserver(reader, childWrite, [childRead, childWrite], [reader, childRead, childWrite], false, jobs);
      }
      if (auth.read < 0 || auth.write < 0) return "closed";
      if (!fstatSync(auth.read).isFIFO() || !fstatSync(auth.write).isFIFO()) return "closed";
      const reader = openSync(`/proc/self/fd/${auth.read}`, constants.O_RDONLY | constants.O_NONBLOCK);
      return new Jobserver(reader, auth.write, [auth.read, auth.write], [reader], false, jobs);
    } catch {
      return "closed";
    }
  }

  /** MAKEFLAGS words for recipes: `-jN --jobserver-auth=3,4`. */
  get makeflagsWords(): string {
    return `-j${this.jobs} --jobserver-auth=3,4`;
  }

  /**
   * A job slot: the implicit one when it is free, else a token from the pipe
   * (waiting for one). undefined when `signal` aborted first.
   */
  acquire(signal: AbortSignal): Promise<Slot | undefined> {
    if (this.implicitFree) {
      this.implicitFree = false;
      return Promise.resolve({ token: undefined });
    }
    if (signal.aborted) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const waiter = {
        resolve,
        signal,
        onAbort: () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          resolve(undefined);
        },
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
      this.waiters.push(waiter);
      this.poll();
    });
  }

  /** Gives a slot back: the implicit one to the next waiter or the pool, a token to the pipe. */
  release(slot: Slot): void {
    if (slot.token === undefined) {
      const next = this.waiters.shift();
      if (next !== undefined) {
        next.signal.removeEventListener("abort", next.onAbort);
        next.resolve({ token: undefined });
      } else this.implicitFree = true;
      return;
    }
    const i = this.held.indexOf(slot.token);
    if (i >= 0) this.held.splice(i, 1);
    this.writeBack(slot.token);
  }

  /** Writes back every token still held and closes flow's descriptors. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pollTimer !== undefined) clearTimeout(this.pollTimer);
    for (const w of this.waiters.splice(0)) w.resolve(undefined);
    for (const t of this.held.splice(0)) this.writeBack(t);
    for (const fd of this.owned) {
      try {
        closeSync(fd);
      } catch {
        // already closed: nothing to give back
      }
    }
  }

  private writeBack(token: number): void {
    try {
      writeSync(this.writer, Buffer.from([token]));
    } catch {
      // The pipe is gone (its server exited): nobody is left to give it to.
    }
  }

  /** Hands tokens to waiters while the pipe has some; looks again later when it is empty. */
  private poll(): void {
    if (this.pollTimer !== undefined || this.closed) return;
    const buf = Buffer.alloc(1);
    while (this.waiters.length > 0) {
      let n: number;
      try {
        n = readSync(this.reader, buf, 0, 1, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EAGAIN") throw err;
        n = -1;
      }
      if (n !== 1) break;
      const w = this.waiters.shift() as (typeof this.waiters)[number];
      w.signal.removeEventListener("abort", w.onAbort);
      const token = buf[0] as number;
      this.held.push(token);
      this.pollMs = 1;
      w.resolve({ token });
    }
    if (this.waiters.length === 0) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.poll();
    }, this.pollMs);
    this.pollMs = Math.min(this.pollMs * 2, POLL_MAX_MS);
  }
}

/** A job slot held by a running recipe: the implicit one (no token) or a token byte. */
export interface Slot {
  readonly token: number | undefined;
}

/**
 * A runner that holds a job slot while each recipe runs: the jobserver is
 * what limits how many run at once (the scheduler's own limit is set higher
 * when flow is a client). Up-to-date and restored tasks take no slot, as
 * make's up-to-date checks take none.
 */
export class JobserverRunner implements TaskRunner {
  constructor(
    private readonly inner: TaskRunner,
    /** Made on first use (a no-op build makes none); undefined: no jobserver, the scheduler's limit alone. */
    private readonly jobserver: () => Jobserver | undefined,
  ) {}

  async run(req: RunRequest): Promise<RunResult> {
    const js = this.jobserver();
    if (js === undefined) return this.inner.run(req);
    const slot = await js.acquire(req.signal);
    if (slot === undefined) return { exitCode: null, signal: null, timedOut: false, interrupted: true };
    try {
      return await this.inner.run(req);
    } finally {
      js.release(slot);
    }
  }
}
