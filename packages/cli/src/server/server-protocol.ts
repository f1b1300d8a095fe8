// The wire protocol between flow and its watching server: one JSON object per
// line each way over a Unix socket. Every request carries an `id` that its
// answer repeats. The first exchange is `hello`: a client uses a server only
// when the server's `version` is its own, byte for byte (flow's version, the
// protocol number, and the identity of the server's compiled code), so a
// server left running by another flow build is never used.
import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** Bumped on any change to the messages below. */
export const PROTOCOL = 1;
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
  | { readonly id: number; readonly op: "stop" };

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
