// The earlier versions of an output that the cache still holds, for `flow
// ui`'s product pages: every action record that lists the path as a file
// output is one version (its bytes inline in the record, or a blob), with the
// key that made it, when, and which run of the history ran that key.
//
// Only the cache's own records are read (LocalCache.actionRecords: a reader's
// walk, nothing marked used or deleted), so a version is listed exactly as
// long as a build could restore it: `flow cache gc` dropping the record (and
// its blob) removes it here too. Bytes are read back only for a path and hash
// some record pairs, never for a bare hash, and checked against the hash.
import { existsSync, lstatSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { createHasher, isSafeRelativePath, LocalCache, type ActionRecord, type ContentHash, type OutputEntry } from "@flow/cache";
import { keptRuns, statusOfLetter } from "./run-files.js";
import { readTasks } from "./run-read.js";

export interface OutputVersion {
  /** The task key whose record holds it. */
  readonly key: string;
  readonly hash: string;
  readonly size: number;
  /** ms since the epoch the record was made. */
  readonly time: number;
  /** The run of the history whose task ran with this key (the newest such run), when one is kept. */
  readonly run?: number;
  /** The bytes on disk now are these. */
  readonly current: boolean;
}

export interface VersionsContext {
  /** The build's root: output paths are relative to it. */
  readonly projectDir: string;
  readonly cacheDir: string;
}

/** Every version of the project-relative output `path` that the cache still holds, newest first. */
export async function outputVersions(ctx: VersionsContext & { historyRoot: string }, path: string): Promise<OutputVersion[]> {
  if (!isSafeRelativePath(path)) return [];
  const found = await withCache(ctx.cacheDir, async (cache) => {
    const out: { record: ActionRecord; entry: OutputEntry & { hash: ContentHash } }[] = [];
    for (const record of cache.actionRecords()) {
      const entry = fileEntry(record, path);
      // A blob gc or verify removed under a record that is still there: that version cannot be read.
      if (entry !== undefined && (entry.data !== undefined || (await cache.hasBlob(entry.hash)))) out.push({ record, entry });
    }
    return out;
  });
  if (found === undefined || found.length === 0) return [];
  const onDisk = await currentHash(ctx.projectDir, path);
  const runs = runsThatRan(ctx.historyRoot, new Set(found.map((f) => f.record.key)));
  return found
    .map(({ record, entry }) => {
      const run = runs.get(record.key);
      return { key: record.key, hash: entry.hash, size: entry.size ?? 0, time: record.createdAt, ...(run !== undefined ? { run } : {}), current: entry.hash === onDisk };
    })
    .sort((a, b) => b.time - a.time || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The bytes of one version, or undefined when the cache no longer holds it (or holds other bytes under its name). */
export async function readOutputVersion(ctx: VersionsContext, path: string, hash: string): Promise<Uint8Array | undefined> {
  if (!isSafeRelativePath(path)) return undefined;
  const hasher = await createHasher();
  const bytes = await withCache(ctx.cacheDir, async (cache) => {
    for (const record of cache.actionRecords()) {
      const entry = fileEntry(record, path);
      if (entry === undefined || entry.hash !== hash) continue;
      const data = entry.data ?? (await cache.readBlob(entry.hash));
      if (data !== undefined && hasher.hashBytes(data) === hash) return data;
    }
    return undefined;
  });
  return bytes ?? undefined;
}

function fileEntry(record: ActionRecord, path: string): (OutputEntry & { hash: ContentHash }) | undefined {
  const e = record.outputs.find((o) => o.path === path);
  return e !== undefined && e.kind === "file" && e.hash !== undefined ? (e as OutputEntry & { hash: ContentHash }) : undefined;
}

/** Runs `use` on the cache at `dir`; undefined when there is none (never built: nothing is created to find out). */
async function withCache<T>(dir: string, use: (cache: LocalCache) => Promise<T>): Promise<T | undefined> {
  if (!existsSync(join(dir, "db"))) return undefined;
  const cache = await LocalCache.open(dir, { hasher: await createHasher() });
  try {
    return await use(cache);
  } finally {
    await cache.close();
  }
}

/**
 * The hash of the file at `path` now, when it is a regular file reached
 * without a symbolic link on the way (nothing outside the project is read).
 */
async function currentHash(projectDir: string, path: string): Promise<string | undefined> {
  const abs = join(projectDir, path);
  try {
    if (!lstatSync(abs).isFile() || realpathSync(abs) !== join(realpathSync(projectDir), path)) return undefined;
    return (await createHasher()).hashFileSync(abs);
  } catch {
    return undefined;
  }
}

/** For each of `keys`, the newest kept run in which a task ran with it. */
function runsThatRan(historyRoot: string, keys: ReadonlySet<string>): Map<string, number> {
  const found = new Map<string, number>();
  for (const run of keptRuns(historyRoot).reverse()) {
    if (found.size === keys.size) break;
    const tasks = readTasks(historyRoot, run);
    if (tasks === undefined) continue;
    tasks.keys.forEach((key, i) => {
      if (keys.has(key) && !found.has(key) && statusOfLetter(tasks.status[i] as string) === "ran") found.set(key, run);
    });
  }
  return found;
}
