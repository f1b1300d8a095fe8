// The no-op answered by the server (docs/server.md, "A no-op answered by the
// server"). A build that ran nothing, printed nothing but its summary, and
// whose state the server can vouch for alone (build-state.ts, serverSeesAll)
// leaves the server a *settled* record: its command line, directory,
// environment and terminal, the server's change token it checked the disk
// under, and what it printed. A later `flow build` with the very same command
// line, directory, environment and terminal goes to the server first
// (thin-client.ts, before any of flow is loaded), and the server answers
// "nothing to do" only when, under the workspace lock:
// - no file event came in since the token (after a sync: every change made
//   before the request is in);
// - the state file is the one the settled build left (no other build, gc or
//   clean of another flow replaced or dropped it), and the action database
//   is the same one;
// - the cache's statistics are not due to be measured (that build measures,
//   and may gc: the full path's work).
// It then records the run (history, cache statistics) as the full path would,
// and the client prints the settled output with this answer's time. Anything
// else, or any doubt, is "no": the client loads flow and builds as always.
import { statSync } from "node:fs";
import { join } from "node:path";
import { recordRepeatedNoop } from "@flow/cache";
import { readRunTemplate, writeRepeatedRun, type RunTemplate } from "../history/run-record.js";
import { WorkspaceLock } from "../run/workspace-lock.js";
import type { NoopAnswer, NoopRequest, SettleRequest } from "./server-protocol.js";

/** At most this many settled builds are kept (the newest). */
const MAX_SETTLED = 8;

interface Settled {
  readonly req: SettleRequest;
  readonly stateStamp: string;
  readonly cacheStamp: string;
  readonly history: RunTemplate | undefined;
}

/** What the server needs of its watcher: the changes since a token, after a sync. */
export interface ChangeSource {
  changesSince(token: string | null): Promise<{ token: string; changed: readonly string[] | "unknown" }>;
}

export class SettledNoops {
  private readonly settled = new Map<string, Settled>();
  /** Answers and settles one at a time: each reads and writes the statistics and the history. */
  private chain: Promise<unknown> = Promise.resolve();
  answered = 0;
  declined = 0;

  get size(): number {
    return this.settled.size;
  }

  constructor(
    private readonly root: string,
    private readonly version: string,
    private readonly watch: ChangeSource,
    private readonly log: (line: string) => void,
  ) {}

  settle(req: SettleRequest): Promise<boolean> {
    return this.serial(async () => {
      const key = keyOf(req);
      this.settled.delete(key);
      if (req.version !== this.version) return false;
      const stateStamp = stamp(req.statePath);
      const cacheStamp = identity(join(req.cacheDir, "db", "data.mdb"));
      if (stateStamp === undefined || cacheStamp === undefined) return false;
      let history: RunTemplate | undefined;
      if (req.run !== null) {
        history = readRunTemplate(this.root, req.run);
        if (history === undefined) return false;
      }
      if (this.settled.size >= MAX_SETTLED) this.settled.delete(this.settled.keys().next().value as string);
      this.settled.set(key, { req, stateStamp, cacheStamp, history });
      return true;
    });
  }

  answer(req: NoopRequest): Promise<NoopAnswer> {
    return this.serial(async () => {
      const t0 = performance.now();
      const why = await this.check(req, t0);
      if (process.env["FLOW_SERVER_DEBUG"] === "1") this.log(`noop: ${why ?? "answered"} in ${(performance.now() - t0).toFixed(1)} ms`);
      if (why !== undefined) {
        this.declined++;
        return { noop: false, why };
      }
      this.answered++;
      const s = this.settled.get(keyOf(req)) as Settled;
      const secs = ((performance.now() - t0) / 1000).toFixed(2);
      const summary = s.req.summary === null ? "" : `${s.req.summary.before}${secs}${s.req.summary.after}`;
      return {
        noop: true,
        stdout: `${s.req.summary?.fd === 1 ? summary : ""}${s.req.stdout}`,
        stderr: s.req.summary?.fd === 2 ? summary : "",
      };
    });
  }

  private async check(req: NoopRequest, t0: number): Promise<string | undefined> {
    const key = keyOf(req);
    const s = this.settled.get(key);
    if (s === undefined) return "no settled build for this command line, directory, environment and terminal";
    if (req.version !== this.version) return "another version of flow";
    const got = await WorkspaceLock.acquire(this.root, { command: "flow build (a no-op the watching server answered)", wait: false, durable: false });
    if (!got.ok) return "the workspace is locked";
    try {
      const t1 = performance.now();
      const { changed } = await this.watch.changesSince(s.req.token);
      if (process.env["FLOW_SERVER_DEBUG"] === "1") this.log(`noop: lock ${(t1 - t0).toFixed(1)} ms, sync ${(performance.now() - t1).toFixed(1)} ms`);
      if (changed === "unknown" || changed.length > 0) {
        this.settled.delete(key);
        return changed === "unknown" ? "changes may have been missed" : `${changed.length} path(s) changed`;
      }
      if (stamp(s.req.statePath) !== s.stateStamp || identity(join(s.req.cacheDir, "db", "data.mdb")) !== s.cacheStamp) {
        this.settled.delete(key);
        return "the build state or the cache is not the settled build's";
      }
      const now = Date.now();
      if (!recordRepeatedNoop(s.req.cacheDir, now, s.req.hits)) return "the cache's size is due to be measured";
      if (s.history !== undefined) writeRepeatedRun(this.root, s.history, now, Date.now(), s.req.env);
      return undefined;
    } catch (err) {
      this.settled.delete(key);
      this.log(`no-op answer failed: ${(err as Error).stack ?? String(err)}`);
      return `failed: ${(err as Error).message}`;
    } finally {
      got.lock.release();
    }
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.chain.then(f, f);
    this.chain = next.catch(() => undefined);
    return next;
  }
}

/** One settled build per command line, directory, environment and terminal: each is answered only for exactly its own. */
function keyOf(r: Pick<NoopRequest, "argv" | "cwd" | "env" | "tty">): string {
  return JSON.stringify([r.cwd, r.argv, Object.entries(r.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), r.tty]);
}

/** A file's identity and content stamp: replaced, rewritten or gone reads as another. */
function stamp(path: string): string | undefined {
  const st = statSync(path, { throwIfNoEntry: false, bigint: true });
  return st === undefined ? undefined : `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
}

/** The action database's identity, as build-state.ts's cacheIdentity takes it (its writes change its mtime, not this). */
function identity(path: string): string | undefined {
  const st = statSync(path, { throwIfNoEntry: false });
  return st === undefined ? undefined : `${st.dev}:${st.ino}:${st.birthtimeMs}`;
}
