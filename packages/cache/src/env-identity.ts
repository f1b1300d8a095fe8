// "Untouched since a clean close": the LMDB data file's identity, recorded
// beside it (db/clean-close.json) when a process closes the env cleanly.
//
// Why: a damaged page can crash LMDB inside native code, so the file must be
// checked in full (lmdb-walk.ts) before it is trusted, but a full check on
// every open would cost every no-op build a read of the whole file. If the
// file's identity (device, inode, size, mtime, ctime, nanoseconds) is the
// one recorded at the last clean close, nothing has written it since, flow
// or anything else, and one stat replaces the walk.
//
// The mtime is set to a sentinel before the identity is taken: the current
// time rounded down to a whole second. A write that comes later sets mtime
// (and ctime) to the kernel's coarse clock, which is never that sentinel in
// practice; without it, a write within the same clock tick as flow's last
// one (a few ms) would leave the timestamps unchanged and pass for clean.
// (The ctime changes with the utimes too, so it is taken after it.)
//
// What this does not see: damage made while a flow process has the env
// open that this process then closes over cleanly; a process that meets
// the damage (a read error, a crash) leaves its session marker instead,
// and the next open checks the env in full anyway (see session-marker.ts).
import { readFileSync, renameSync, statSync, utimesSync, writeFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { errnoCode } from "./cache-warning.js";

const FILE = "clean-close.json";

interface Identity {
  dev: string;
  ino: string;
  size: string;
  mtimeNs: string;
  ctimeNs: string;
}

/** Records the data file's identity after a clean close. */
export function recordCleanClose(dbDir: string): void {
  const dataFile = join(dbDir, "data.mdb");
  const sentinel = Math.floor(Date.now() / 1000);
  try {
    utimesSync(dataFile, sentinel, sentinel);
    const id = identityOf(dataFile);
    if (id === undefined) return;
    const tmp = join(dbDir, `${FILE}.${process.pid}.tmp`);
    writeFileSync(tmp, JSON.stringify(id));
    renameSync(tmp, join(dbDir, FILE));
  } catch (err) {
    // No record means a full check at the next open: slower, never wrong.
    if (errnoCode(err) !== "ENOENT") forgetCleanClose(dbDir);
  }
}

/** True when the data file is exactly as the last clean close left it. */
export function untouchedSinceCleanClose(dbDir: string): boolean {
  let recorded: unknown;
  try {
    recorded = JSON.parse(readFileSync(join(dbDir, FILE), "utf8"));
  } catch {
    return false; // none (never closed cleanly, or removed) or unreadable
  }
  const now = identityOf(join(dbDir, "data.mdb"));
  if (now === undefined || typeof recorded !== "object" || recorded === null) return false;
  const r = recorded as Record<string, unknown>;
  return (Object.keys(now) as (keyof Identity)[]).every((k) => r[k] === now[k]);
}

/** Drops the record: the next open checks the file in full. */
export function forgetCleanClose(dbDir: string): void {
  rmSync(join(dbDir, FILE), { force: true });
}

function identityOf(dataFile: string): Identity | undefined {
  const st = statSync(dataFile, { bigint: true, throwIfNoEntry: false });
  if (st === undefined) return undefined;
  return { dev: `${st.dev}`, ino: `${st.ino}`, size: `${st.size}`, mtimeNs: `${st.mtimeNs}`, ctimeNs: `${st.ctimeNs}` };
}
