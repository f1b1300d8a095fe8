// The server process of one project root: takes the pid file, starts the
// watcher, listens on the socket, answers, and exits after an idle timeout,
// on `stop`, on SIGTERM/SIGINT, or when the watcher cannot go on. Logs to
// `<root>/.flow/server.log`.
import { appendFileSync, chmodSync, mkdirSync, rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { ensureStateDir } from "../run/state-dir.js";
import { acquireServerLock, type ServerHolder } from "./server-lock.js";
import { serverPaths, type ServerPaths } from "./server-paths.js";
import { lineReader, serverVersion, DEFAULT_IDLE_TIMEOUT_MS, type Answer, type Request, type ServerStatus } from "./server-protocol.js";
import { SettledNoops } from "./settled-noops.js";
import { WatchServer } from "./watch-server.js";

export { DEFAULT_IDLE_TIMEOUT_MS };

export interface ServerOptions {
  readonly root: string;
  readonly idleTimeoutMs: number;
}

/** Runs the server until it stops; resolves with the process's exit code. */
export async function runServer(opts: ServerOptions): Promise<number> {
  const paths = serverPaths(opts.root);
  ensureStateDir(opts.root);
  const log = (line: string) => {
    try {
      appendFileSync(paths.log, `${new Date().toISOString()} [${process.pid}] ${line}\n`);
    } catch {
      // A log that cannot be written must not stop the server.
    }
  };
  const instance = randomBytes(8).toString("hex");
  const me: ServerHolder = { pid: process.pid, root: opts.root, socket: paths.socket, version: serverVersion(), startedAt: new Date().toISOString(), token: instance };
  const lock = acquireServerLock(paths.pidFile, me);
  if (!lock.ok) {
    log(`not started: ${lock.holder ? `pid ${lock.holder.pid} serves this root` : "another server is starting"}`);
    return 0;
  }
  let done!: (code: number) => void;
  const finished = new Promise<number>((resolve) => (done = resolve));
  let server: Server | undefined;
  let stopping = false;
  const sockets = new Set<Socket>();
  const stop = async (why: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log(`stopping: ${why}`);
    clearTimeout(idle);
    server?.close();
    for (const s of sockets) s.destroy();
    await watch.stop();
    rmSync(paths.socket, { force: true });
    lock.release();
    done(code);
  };
  const watch = new WatchServer({ paths, instance, log, onFatal: (err) => void stop(`the watcher cannot go on: ${err.message}`, 1) });
  const noops = new SettledNoops(opts.root, me.version, watch, log);
  let idle: NodeJS.Timeout | undefined;
  const touch = () => {
    clearTimeout(idle);
    idle = setTimeout(() => void stop(`idle for ${Math.round(opts.idleTimeoutMs / 1000)} s`), opts.idleTimeoutMs);
    idle.unref();
  };
  const started = Date.now();
  const status = (): ServerStatus => ({
    pid: process.pid,
    root: opts.root,
    version: me.version,
    instance,
    socket: paths.socket,
    startedAt: me.startedAt,
    uptimeMs: Date.now() - started,
    idleTimeoutMs: opts.idleTimeoutMs,
    sequence: watch.changes.sequence,
    events: watch.changes.events,
    losses: watch.changes.losses,
    errors: watch.errors,
    subscriptions: watch.subscriptions,
    pathsTracked: watch.changes.pathsTracked,
    noops: { answered: noops.answered, declined: noops.declined, settled: noops.size },
  });
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, () => void stop(sig));
  // A stopped process reads no events: the kernel's queue may have overflowed meanwhile.
  process.on("SIGCONT", () => watch.lose("stopped"));
  try {
    log(`starting for ${opts.root} (version ${me.version}, socket ${paths.socket}, idle timeout ${Math.round(opts.idleTimeoutMs / 1000)} s)`);
    await watch.start();
    server = await listen(paths, (sock) => {
      sockets.add(sock);
      sock.on("close", () => sockets.delete(sock));
      sock.on("error", () => sock.destroy());
      sock.on(
        "data",
        lineReader((line) => {
          touch();
          void answer(line).then((a) => {
            if (!sock.destroyed) sock.write(`${JSON.stringify(a)}\n`);
            if (a.ok && (JSON.parse(line) as Request).op === "stop") void stop("flow server stop");
          });
        }),
      );
    });
    touch();
    log(`ready: ${watch.subscriptions} subscription(s), listening`);
  } catch (err) {
    log(`cannot start: ${(err as Error).stack ?? String(err)}`);
    await stop("start failed", 1);
  }

  async function answer(line: string): Promise<Answer> {
    let req: Request;
    try {
      req = JSON.parse(line) as Request;
    } catch {
      return { id: -1, ok: false, error: "not JSON" };
    }
    try {
      switch (req.op) {
        case "hello":
          return { id: req.id, ok: true, value: { version: me.version, pid: process.pid, root: opts.root, instance } };
        case "changes":
          return { id: req.id, ok: true, value: await watch.changesSince(req.token) };
        case "noop":
          return { id: req.id, ok: true, value: await noops.answer(req) };
        case "settle":
          return { id: req.id, ok: true, value: await noops.settle(req) };
        case "status":
          return { id: req.id, ok: true, value: status() };
        case "stop":
          return { id: req.id, ok: true, value: null };
        default:
          return { id: (req as { id: number }).id, ok: false, error: `unknown op ${(req as { op: string }).op}` };
      }
    } catch (err) {
      log(`request failed: ${(err as Error).stack ?? String(err)}`);
      return { id: req.id, ok: false, error: (err as Error).message };
    }
  }

  return finished;
}

/** Listens on the socket; a stale one (its server is dead: we hold the pid file) is replaced. */
async function listen(paths: ServerPaths, onConnection: (s: Socket) => void): Promise<Server> {
  if (!paths.socket.startsWith(paths.stateDir)) mkdirSync(dirname(paths.socket), { recursive: true, mode: 0o700 });
  rmSync(paths.socket, { force: true });
  const server = createServer(onConnection);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(paths.socket, () => {
      server.off("error", reject);
      resolve();
    });
  });
  // Only the user who runs flow may ask: the answers name the project's files.
  chmodSync(paths.socket, 0o600);
  return server;
}
