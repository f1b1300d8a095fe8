// The wire protocol between flow and its watching server: one JSON object per
// line each way over a Unix socket. Every request carries an `id` that its
// answer repeats. The first exchange is `hello`: a client uses a server only
// when the server's `version` is its own, byte for byte (flow's version, the
// protocol number, and the identity of the server's compiled code), so a
// server left running by another flow build is never used.
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Bumped on any change to the messages below. */
export const PROTOCOL = 2;
const FLOW_VERSION = "0.1.0";

/** Default idle timeout: 3 hours without a request (FLOW_SERVER_IDLE_TIMEOUT, in seconds, or --idle-timeout). */
export const DEFAULT_IDLE_TIMEOUT_MS = 3 * 60 * 60 * 1000;

let cached: string | undefined;

/**
 * `0.1.0/p1/<size>-<mtime>` of this compiled file: the server and its client
 * agree only when they run the same build of flow (a rebuild rewrites it).
 */
export function serverVersion(): string {
  if (cached !== undefined) return cached;
  const me = statSync(fileURLToPath(import.meta.url));
  cached = `${FLOW_VERSION}/p${PROTOCOL}/${me.size}-${Math.trunc(me.mtimeMs)}`;
  return cached;
}

export type Request =
  | { readonly id: number; readonly op: "hello" }
  | { readonly id: number; readonly op: "changes"; readonly token: string | null }
  | { readonly id: number; readonly op: "status" }
  | { readonly id: number; readonly op: "stop" }
  | NoopRequest
  | SettleRequest;

/** The build a thin client asks the server to answer (settled-noops.ts): exactly what it was started with. */
export interface NoopRequest {
  readonly id: number;
  readonly op: "noop";
  readonly version: string;
  /** process.argv.slice(2) */
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** Whether stdout and stderr are terminals. */
  readonly tty: readonly [boolean, boolean];
}

/** A build that was a no-op, told to the server by the full client at its end (build-command.ts). */
export interface SettleRequest extends Omit<NoopRequest, "op"> {
  readonly op: "settle";
  /** The server's token the build checked the disk under. */
  readonly token: string;
  /** The build state the build left, and the cache it vouches in. */
  readonly statePath: string;
  readonly cacheDir: string;
  /** The run the history recorded for it (null: history off). */
  readonly run: number | null;
  /** Cache hits, as the cache's statistics count a build's (cache-upkeep.ts). */
  readonly hits: number;
  /** The summary line around its time (`flow: done: … (` and `s)\n`) and the descriptor it went to; null: none (-s). */
  readonly summary: { readonly fd: 1 | 2; readonly before: string; readonly after: string } | null;
  /** What else went to stdout (the --json document, durations 0), after the summary. */
  readonly stdout: string;
}

export type NoopAnswer = { readonly noop: false; readonly why: string } | { readonly noop: true; readonly stdout: string; readonly stderr: string };

export interface HelloAnswer {
  readonly version: string;
  readonly pid: number;
  readonly root: string;
  readonly instance: string;
}

export interface ChangesAnswer {
  readonly token: string;
  readonly changed: readonly string[] | "unknown";
}

export interface ServerStatus {
  readonly pid: number;
  readonly root: string;
  readonly version: string;
  readonly instance: string;
  readonly socket: string;
  readonly startedAt: string;
  readonly uptimeMs: number;
  readonly idleTimeoutMs: number;
  /** The sequence number of the last change recorded. */
  readonly sequence: number;
  /** File events recorded (cookies not counted). */
  readonly events: number;
  /** Times events may have been lost, by cause. */
  readonly losses: Readonly<Record<string, number>>;
  /** Watcher errors reported by @parcel/watcher. */
  readonly errors: number;
  /** Times the watcher was subscribed afresh (the first start included). */
  readonly subscriptions: number;
  readonly pathsTracked: number;
  /** Builds answered as no-ops without flow loaded (settled-noops.ts), and requests declined. */
  readonly noops?: { readonly answered: number; readonly declined: number; readonly settled: number };
}

export type Answer = { readonly id: number; readonly ok: true; readonly value: unknown } | { readonly id: number; readonly ok: false; readonly error: string };

/** Splits a byte stream into lines, calling `onLine` for each complete one. */
export function lineReader(onLine: (line: string) => void): (chunk: Buffer) => void {
  let rest = "";
  return (chunk) => {
    rest += chunk.toString("utf8");
    let nl;
    while ((nl = rest.indexOf("\n")) >= 0) {
      const line = rest.slice(0, nl);
      rest = rest.slice(nl + 1);
      if (line.length > 0) onLine(line);
    }
  };
}
