// The client side: what the build asks the watching server, and how it
// starts, finds and stops one. Any doubt (no server, a dead one, another
// version of flow, a broken connection) gives `undefined` or "unknown": the
// caller then takes the cold path, never a wrong one.
import { spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { fileURLToPath } from "node:url";
import { ensureStateDir } from "../run/state-dir.js";
import { readServerHolder, serverAlive } from "./server-lock.js";
import { serverPaths } from "./server-paths.js";
import { DEFAULT_IDLE_TIMEOUT_MS, lineReader, serverVersion, type Answer, type HelloAnswer, type Request, type ServerStatus, type SettleRequest } from "./server-protocol.js";

export interface ServerClient {
  /**
   * Every path changed since `token` (a token this same server instance
   * returned), after a sync: a change made on disk before this call started
   * is in the answer. "unknown" when token is undefined, from another server
   * instance, or when events may have been lost since (overflow, watcher
   * error, watcher restarted), or when the server died or stopped answering.
   * A path may be a directory: anything under it may have changed (a
   * directory moved in or out is reported by its own path only).
   */
  changesSince(token: string | undefined): Promise<{ token: string; changed: readonly string[] | "unknown" }>;
  /** Tells the server this build was a no-op it may answer again by itself (settled-noops.ts); false when it declined or failed. */
  settle(body: Omit<SettleRequest, "id" | "op">): Promise<boolean>;
  close(): void;
}

/** How long a client waits for a connection or an answer before it gives the server up. */
const CONNECT_TIMEOUT_MS = 2_000;
/** A changes request includes a sync (up to SYNC_TIMEOUT_MS, 10 s, in the server) and then the answer. */
const ANSWER_TIMEOUT_MS = 30_000;
/** How long `start` waits for a new server to listen. */
const START_TIMEOUT_MS = 30_000;

/**
 * The server of the project at `root` (absolute), or undefined: none, dead,
 * or another flow version/protocol. `start`: start one (detached) first if
 * none runs, for --server / FLOW_SERVER=1.
 */
export async function connectServer(root: string, opts: { start?: boolean } = {}): Promise<ServerClient | undefined> {
  const conn = await Connection.open(root);
  if (conn !== undefined || opts.start !== true) return conn;
  return startServer(root);
}

/** Starts a server for `root` unless one answers, and connects to it; undefined when none could be reached. */
export async function startServer(root: string, idleTimeoutMs = idleTimeoutFromEnv(process.env)): Promise<ServerClient | undefined> {
  const paths = serverPaths(root);
  ensureStateDir(root);
  // The server writes its own log; its stderr goes there too (a crash before it can).
  const logFd = openSync(paths.log, "a");
  let exited = false;
  try {
    const child = spawn(process.execPath, ["--no-concurrent-recompilation", serverMainPath(), root, String(idleTimeoutMs)], {
      detached: true,
      stdio: ["ignore", "ignore", logFd],
      cwd: root,
    });
    child.on("exit", () => (exited = true));
    child.on("error", () => (exited = true));
    child.unref();
  } finally {
    closeSync(logFd);
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const conn = await Connection.open(root);
    if (conn !== undefined) return conn;
    if (exited) {
      // Ours gave up: another server holds the root (wait for it to listen), or it could not start (see the log).
      const holder = readServerHolder(paths.pidFile);
      if (typeof holder !== "object" || !serverAlive(holder.pid)) return Connection.open(root);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

/** `{ status }` of the running server, "none" when none answers, "other-version" when one of another flow answers. */
export async function serverStatus(root: string): Promise<{ status: ServerStatus } | "none" | { otherVersion: HelloAnswer }> {
  const conn = await Connection.open(root, { anyVersion: true });
  if (conn === undefined) return "none";
  try {
    if (conn.hello.version !== serverVersion()) return { otherVersion: conn.hello };
    return { status: (await conn.request({ op: "status" })) as ServerStatus };
  } finally {
    conn.close();
  }
}

/**
 * Stops the server of `root`, whatever its version: asks it, and if it does
 * not answer, signals the pid its pid file names (when that is a flow
 * server). Returns the pid stopped, or undefined when none ran.
 */
export async function stopServer(root: string): Promise<number | undefined> {
  const paths = serverPaths(root);
  const conn = await Connection.open(root, { anyVersion: true });
  let pid: number | undefined;
  if (conn !== undefined) {
    pid = conn.hello.pid;
    try {
      await conn.request({ op: "stop" });
    } catch {
      // It went away while answering: what we wanted.
    } finally {
      conn.close();
    }
  } else {
    const holder = readServerHolder(paths.pidFile);
    if (typeof holder === "object" && serverAlive(holder.pid)) {
      pid = holder.pid;
      process.kill(holder.pid, "SIGTERM");
    }
  }
  if (pid === undefined) return undefined;
  // Gone once its pid is (it removes its pid file and socket first).
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && serverAlive(pid)) await new Promise((r) => setTimeout(r, 25));
  if (serverAlive(pid)) process.kill(pid, "SIGKILL");
  return pid;
}

export function idleTimeoutFromEnv(env: NodeJS.ProcessEnv): number {
  const text = env["FLOW_SERVER_IDLE_TIMEOUT"];
  return text !== undefined && /^[0-9]+$/.test(text) && Number(text) > 0 ? Number(text) * 1000 : DEFAULT_IDLE_TIMEOUT_MS;
}

function serverMainPath(): string {
  return fileURLToPath(new URL("./server-main.js", import.meta.url));
}

/** One socket connection, after a hello whose version is ours (unless anyVersion). */
class Connection implements ServerClient {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private broken: Error | undefined;
  hello!: HelloAnswer;

  private constructor(private readonly socket: Socket) {
    socket.on(
      "data",
      lineReader((line) => {
        let a: Answer;
        try {
          a = JSON.parse(line) as Answer;
        } catch {
          this.fail(new Error("the server sent something that is not JSON"));
          return;
        }
        const w = this.waiting.get(a.id);
        if (w === undefined) return;
        this.waiting.delete(a.id);
        if (a.ok) w.resolve(a.value);
        else w.reject(new Error(a.error));
      }),
    );
    socket.on("error", (e) => this.fail(e));
    socket.on("close", () => this.fail(new Error("the server closed the connection")));
  }

  static async open(root: string, opts: { anyVersion?: boolean } = {}): Promise<Connection | undefined> {
    const socket = await new Promise<Socket | undefined>((resolve) => {
      const s = connect(serverPaths(root).socket);
      const timer = setTimeout(() => {
        s.destroy();
        resolve(undefined);
      }, CONNECT_TIMEOUT_MS);
      s.once("connect", () => {
        clearTimeout(timer);
        resolve(s);
      });
      // ENOENT (no server), ECONNREFUSED (a dead one's socket): none.
      s.once("error", () => {
        clearTimeout(timer);
        resolve(undefined);
      });
    });
    if (socket === undefined) return undefined;
    const conn = new Connection(socket);
    try {
      conn.hello = (await conn.request({ op: "hello" }, CONNECT_TIMEOUT_MS)) as HelloAnswer;
    } catch {
      conn.close();
      return undefined;
    }
    // Another flow's server (or one serving another root through a hash clash): never used.
    if (!opts.anyVersion && (conn.hello.version !== serverVersion() || conn.hello.root !== root)) {
      conn.close();
      return undefined;
    }
    // An idle client must not keep the build's process alive.
    socket.unref();
    return conn;
  }

  async changesSince(token: string | undefined): Promise<{ token: string; changed: readonly string[] | "unknown" }> {
    try {
      const v = (await this.request({ op: "changes", token: token ?? null })) as { token: string; changed: readonly string[] | "unknown" };
      return v;
    } catch {
      // A dead or stuck server knows nothing: the cold path.
      return { token: "", changed: "unknown" };
    }
  }

  async settle(body: Omit<SettleRequest, "id" | "op">): Promise<boolean> {
    try {
      return (await this.request({ op: "settle", ...body })) === true;
    } catch {
      return false;
    }
  }

  request(body: { op: "hello" } | { op: "status" } | { op: "stop" } | { op: "changes"; token: string | null } | Omit<SettleRequest, "id">, timeoutMs = ANSWER_TIMEOUT_MS): Promise<unknown> {
    if (this.broken !== undefined) return Promise.reject(this.broken);
    const id = this.nextId++;
    const req = { id, ...body } as Request;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error("the server did not answer in time"));
      }, timeoutMs);
      this.socket.ref(); // while waiting for an answer, the process must not exit under us
      this.waiting.set(id, {
        resolve: (v) => {
          clearTimeout(timer);
          this.unrefIfIdle();
          resolve(v);
        },
        reject: (e) => {
          clearTimeout(timer);
          this.unrefIfIdle();
          reject(e);
        },
      });
      this.socket.write(`${JSON.stringify(req)}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private unrefIfIdle(): void {
    if (this.waiting.size === 0) this.socket.unref();
  }

  private fail(e: Error): void {
    this.broken ??= e;
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }
}
