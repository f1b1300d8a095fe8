// Helpers shared by the tests (compiled with them, never exported by index.ts).
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { TestContext } from "node:test";
import type { CacheWarning } from "./cache-warning.js";
import type { Hasher } from "./content-hash.js";
import type { StatMemoStore } from "./stat-memo.js";
import type { StatRecord } from "./stat-record.js";

/** A fresh temp dir removed when the test ends. */
export function tempDir(t: TestContext, prefix = "flow-cache-test-"): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Wraps a real hasher and counts how often file contents are read. */
export function countingHasher(inner: Hasher): Hasher & { fileReads: number } {
  const counted = {
    fileReads: 0,
    hashBytes: (d: Uint8Array | string) => inner.hashBytes(d),
    stream: () => inner.stream(),
    hashFileSync(p: string) {
      counted.fileReads++;
      return inner.hashFileSync(p);
    },
    hashFd(fd: number) {
      counted.fileReads++;
      return inner.hashFd(fd);
    },
    hashFds(fds: readonly number[]) {
      counted.fileReads += fds.length;
      return inner.hashFds(fds);
    },
  };
  return counted;
}

export function memoryStore(): StatMemoStore & { records: Map<string, StatRecord> } {
  const records = new Map<string, StatRecord>();
  return { records, get: (p) => records.get(p), put: (p, r) => void records.set(p, r) };
}

export function warningCollector(): { warnings: CacheWarning[]; onWarning: (w: CacheWarning) => void; codes(): string[] } {
  const warnings: CacheWarning[] = [];
  return { warnings, onWarning: (w) => void warnings.push(w), codes: () => warnings.map((w) => w.code) };
}

export const fakeClock = (now: number): { now(): number; set(n: number): void } => {
  let t = now;
  return { now: () => t, set: (n) => void (t = n) };
};

/** A free TCP port on 127.0.0.1 (closed again; the caller binds it next). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface RemoteServer {
  readonly url: string;
  readonly token: string;
  readonly storage: string;
  stop(): Promise<void>;
}

/**
 * The real turborepo-remote-cache (a dev dependency) on 127.0.0.1, local
 * storage in a temp dir; stopped when the test ends. `signatures`: the server
 * keeps x-artifact-tag only when it has TURBO_REMOTE_CACHE_SIGNATURE_KEY set.
 */
export async function startRemoteServer(t: Pick<TestContext, "after">, o: { signatures?: boolean } = {}): Promise<RemoteServer> {
  const cli = join(dirname(createRequire(import.meta.url).resolve("turborepo-remote-cache/package.json")), "dist", "cli.js");
  const storage = mkdtempSync(join(tmpdir(), "flow-remote-storage-"));
  const port = await freePort();
  const token = "test-token-7f3a9c";
  const child = spawn(process.execPath, [cli], {
    env: {
      PATH: process.env.PATH ?? "",
      HOST: "127.0.0.1",
      PORT: String(port),
      TURBO_TOKEN: token,
      STORAGE_PROVIDER: "local",
      STORAGE_PATH: storage,
      STORAGE_PATH_USE_TMP_FOLDER: "false",
      LOG_LEVEL: "warn",
      ...(o.signatures ? { TURBO_REMOTE_CACHE_SIGNATURE_KEY: "server-keeps-tags" } : {}),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    rmSync(storage, { recursive: true, force: true });
  };
  t.after(stop);
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const res = await fetch(`${url}/v8/artifacts/status`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (child.exitCode !== null || i > 400) throw new Error(`turborepo-remote-cache did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, token, storage, stop };
}
