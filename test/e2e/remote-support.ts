// Helpers for tests of the remote cache: the real turborepo-remote-cache (a
// dev dependency) on 127.0.0.1 with local storage in a temp dir, a tiny
// in-test server for what the real one cannot do (hang, 500, 429, cut a body
// short), and the artifact format read and written independently of flow's
// own code (packages/cache/src/remote/artifact-archive.ts describes it).
import { spawn, type ChildProcess } from "node:child_process";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const REMOTE_TOKEN = "e2e-token-5d41402abc4b2a76";

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createNetServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RemoteServer {
  readonly url: string;
  readonly storage: string;
  readonly child: ChildProcess;
  /** Every artifact stored, key -> path of its body. */
  artifacts(): Map<string, string>;
  stop(): Promise<void>;
}

/** Starts turborepo-remote-cache; `signatures`: it keeps x-artifact-tag only with TURBO_REMOTE_CACHE_SIGNATURE_KEY set. */
export async function startRemoteServer(o: { signatures?: boolean; bodyLimit?: number } = {}): Promise<RemoteServer> {
  const cli = join(dirname(createRequire(import.meta.url).resolve("turborepo-remote-cache/package.json")), "dist", "cli.js");
  const storage = mkdtempSync(join(tmpdir(), "flow-remote-storage-"));
  const port = await freePort();
  const child = spawn(process.execPath, [cli], {
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: String(port),
      TURBO_TOKEN: REMOTE_TOKEN,
      STORAGE_PROVIDER: "local",
      STORAGE_PATH: storage,
      STORAGE_PATH_USE_TMP_FOLDER: "false",
      LOG_LEVEL: "warn",
      ...(o.signatures ? { TURBO_REMOTE_CACHE_SIGNATURE_KEY: "server-keeps-tags" } : {}),
      ...(o.bodyLimit !== undefined ? { BODY_LIMIT: String(o.bodyLimit) } : {}),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(`${url}/v8/artifacts/status`)).ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || i > 600) throw new Error(`turborepo-remote-cache did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    storage,
    child,
    artifacts: () => {
      const out = new Map<string, string>();
      const walk = (d: string): void => {
        for (const n of readdirSync(d)) {
          const p = join(d, n);
          if (lstatSync(p).isDirectory()) walk(p);
          else if (/^[0-9a-f]{32}$/.test(n)) out.set(n, p);
        }
      };
      walk(storage);
      return out;
    },
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      rmSync(storage, { recursive: true, force: true });
    },
  };
}

/** The environment that points flow at a server. */
export function remoteEnv(url: string, extra: Record<string, string> = {}): Record<string, string> {
  // A 30 s idle timeout unless a test sets its own: at a load of 16 on two
  // cores the real server once took over the default 5 s to answer a look-up,
  // and RELIABILITY 23 saw the miss (flow was right: a timeout is a miss).
  return { FLOW_REMOTE_URL: url, FLOW_REMOTE_TOKEN: REMOTE_TOKEN, FLOW_REMOTE_TEAM: "e2e", FLOW_REMOTE_TIMEOUT_MS: "30000", ...extra };
}

export interface FakeServer {
  readonly url: string;
  /** Requests received, as "METHOD key". */
  readonly requests: string[];
  close(): Promise<void>;
}

/** A server on 127.0.0.1 answering as `handle` says (which may never answer). Run flow with flowAsync next to it: spawnSync would block it. */
export async function fakeServer(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<FakeServer> {
  const requests: string[] = [];
  const server = createHttpServer((req, res) => {
    requests.push(`${req.method ?? "?"} ${(req.url ?? "").replace(/^\/v8\/artifacts\//, "").replace(/\?.*$/, "")}`);
    handle(req, res);
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const MAGIC = Buffer.from("FLOWART\x01", "latin1");

/** The record and blobs of an artifact body (the format of artifact-archive.ts, read here independently). */
export function decodeArtifact(body: Buffer): { record: Record<string, unknown> & { outputs: Record<string, unknown>[] }; blobs: Map<string, Buffer> } {
  if (!body.subarray(0, 8).equals(MAGIC)) throw new Error("not a flow artifact");
  let at = 8;
  let record: (Record<string, unknown> & { outputs: Record<string, unknown>[] }) | undefined;
  const blobs = new Map<string, Buffer>();
  for (;;) {
    const type = String.fromCharCode(body[at] as number);
    const len = Number(body.readBigUInt64BE(at + 1));
    const payload = body.subarray(at + 9, at + 9 + len);
    at += 9 + len;
    if (type === "E") break;
    if (type === "R") record = JSON.parse(payload.toString("utf8")) as typeof record;
    if (type === "B") blobs.set(payload.subarray(0, 32).toString("latin1"), payload.subarray(32));
  }
  if (record === undefined) throw new Error("no record");
  return { record, blobs };
}

export function encodeArtifact(record: unknown, blobs: ReadonlyMap<string, Buffer>): Buffer {
  const frame = (type: string, payload: Buffer): Buffer => {
    const h = Buffer.alloc(9);
    h.write(type, 0, "latin1");
    h.writeBigUInt64BE(BigInt(payload.length), 1);
    return Buffer.concat([h, payload]);
  };
  const parts = [MAGIC, frame("R", Buffer.from(JSON.stringify(record), "utf8"))];
  for (const [hash, bytes] of blobs) parts.push(frame("B", Buffer.concat([Buffer.from(hash, "latin1"), bytes])));
  parts.push(frame("E", Buffer.alloc(0)));
  return Buffer.concat(parts);
}

/** PUTs a body under `key` as any client could (no signature). */
export async function putArtifact(url: string, key: string, body: Buffer, tag?: string): Promise<void> {
  const headers: Record<string, string> = { authorization: `Bearer ${REMOTE_TOKEN}`, "content-type": "application/octet-stream", ...(tag !== undefined ? { "x-artifact-tag": tag } : {}) };
  const res = await fetch(`${url}/v8/artifacts/${key}?slug=e2e`, { method: "PUT", headers, body });
  if (!res.ok) throw new Error(`PUT ${key}: HTTP ${res.status}`);
}

export function readArtifact(server: RemoteServer, key: string): Buffer {
  const path = server.artifacts().get(key);
  if (path === undefined) throw new Error(`no artifact for ${key}`);
  return readFileSync(path);
}
