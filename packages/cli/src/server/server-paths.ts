// Where a project's watching server keeps its files. Everything lives in the
// workspace's state directory, `<root>/.flow/`, except the socket when its
// path would not fit a sockaddr_un (108 bytes on Linux, NUL included): then
// it goes to `/tmp/flow-<uid>/<hash of the root>.sock`, a name computed from
// the root alone, so any client finds it without asking anyone (and the pid
// file names it too).
import { createHash } from "node:crypto";
import { join } from "node:path";

/** Longest socket path bind(2) takes on Linux: sun_path is 108 bytes with the NUL. */
export const MAX_SOCKET_PATH = 107;

export interface ServerPaths {
  readonly root: string;
  readonly stateDir: string;
  readonly socket: string;
  /** The server's pid/lock file: who serves this root (see server-lock.ts). */
  readonly pidFile: string;
  readonly log: string;
  /** Where the sync cookies are written: the one part of `.flow/` the server watches. */
  readonly cookieDir: string;
}

/** The paths of the server of the project whose Flowfile is in `root` (absolute). */
export function serverPaths(root: string): ServerPaths {
  const stateDir = join(root, ".flow");
  const inState = join(stateDir, "server.sock");
  const socket = Buffer.byteLength(inState) <= MAX_SOCKET_PATH ? inState : shortSocketPath(root);
  return {
    root,
    stateDir,
    socket,
    pidFile: join(stateDir, "server.pid"),
    log: join(stateDir, "server.log"),
    cookieDir: join(stateDir, COOKIE_DIR_NAME),
  };
}

export const COOKIE_DIR_NAME = "server-cookies";

/** `/tmp/flow-<uid>/<16 hex of sha256(root)>.sock`: short whatever the root. */
export function shortSocketPath(root: string): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : 0;
  return join("/tmp", `flow-${uid}`, `${createHash("sha256").update(root).digest("hex").slice(0, 16)}.sock`);
}
