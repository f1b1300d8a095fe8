// The thin client: what `flow build` does before loading any of flow. When
// the project has a watching server, it asks the server whether this very
// build (the same command line, directory, environment and terminal as a
// build the server saw settle as a no-op) is still a no-op; if it is, it
// prints what the server sends and exits 0, in the time of a Node start-up
// and one round trip (settled-noops.ts says when the server may say so).
// Otherwise, or on any doubt (no server, a slow one, a broken socket), it
// returns undefined and the full flow runs as always.
//
// Its imports are Node's and two small modules of ours: loading the full
// flow (~150 modules) is what this saves.
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join, resolve } from "node:path";
import { isatty } from "node:tty";
import { lineReader, serverVersion, type NoopAnswer } from "./server-protocol.js";

/** server-paths.ts's limit, repeated: that module loads node:crypto. */
const MAX_SOCKET_PATH = 107;

/** Past this the server is given up on (it may still record the run: a run recorded twice, never a wrong build). */
const ANSWER_TIMEOUT_MS = 5_000;

/** The exit code when the server answered the build, undefined when the full flow must run it. */
export async function thinBuild(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number | undefined> {
  if (argv[0] !== "build" || env["FLOW_SERVER_NOOP"] === "off") return undefined;
  const start = startDir(argv);
  if (start === undefined) return undefined;
  const socket = findSocket(start);
  if (socket === undefined) return undefined;
  const answer = await ask(socket, {
    id: 1,
    op: "noop",
    version: serverVersion(),
    argv,
    cwd: process.cwd(),
    env: env as Record<string, string>,
    tty: [isatty(1), isatty(2)],
  });
  if (answer === undefined || !answer.noop) return undefined;
  await Promise.all([put(process.stdout, answer.stdout), put(process.stderr, answer.stderr)]);
  return 0;
}

/** Where the project search starts: the directory, or `-C DIR` (one; several are left to the full flow). */
function startDir(argv: readonly string[]): string | undefined {
  let dir: string | undefined;
  let seen = 0;
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === "--") break;
    let value: string | undefined;
    if (a === "-C" || a === "--directory") value = argv[++i];
    else if (a.startsWith("--directory=")) value = a.slice("--directory=".length);
    else if (a.startsWith("-C")) value = a.slice(2);
    else continue;
    if (value === undefined || ++seen > 1) return undefined;
    dir = value;
  }
  return resolve(dir ?? ".");
}

/**
 * The socket of the nearest directory (this one or above) with a server:
 * which build it is, the server checks. Only a socket in the state directory
 * (server-paths.ts): a root too long for one is left to the full flow, so
 * that node:crypto (a few ms of start-up) is not loaded here.
 */
function findSocket(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const socket = join(d, ".flow", "server.sock");
    if (Buffer.byteLength(socket) <= MAX_SOCKET_PATH && existsSync(socket)) return socket;
    if (dirname(d) === d) return undefined;
  }
}

function ask(path: string, request: object): Promise<NoopAnswer | undefined> {
  return new Promise((done) => {
    let settled = false;
    const finish = (a: NoopAnswer | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      s.destroy();
      done(a);
    };
    const timer = setTimeout(() => finish(undefined), ANSWER_TIMEOUT_MS);
    const s = connect(path);
    s.on("error", () => finish(undefined));
    s.on("close", () => finish(undefined));
    s.on(
      "data",
      lineReader((line) => {
        try {
          const a = JSON.parse(line) as { id: number; ok: boolean; value?: NoopAnswer };
          finish(a.ok && a.id === 1 ? a.value : undefined);
        } catch {
          finish(undefined);
        }
      }),
    );
    s.write(`${JSON.stringify(request)}\n`);
  });
}

function put(stream: NodeJS.WriteStream, text: string): Promise<void> {
  if (text === "") return Promise.resolve();
  // A closed pipe (EPIPE) loses the text, as the full flow's would: never an uncaught error.
  stream.on("error", () => undefined);
  return new Promise((done) => stream.write(text, () => done()));
}
