// Helpers shared by the tests (compiled with them, never exported by index.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
