// One server per root: `.flow/server.pid` names it, created with O_EXCL
// (one winner). A pid file whose process is gone (SIGKILL, a crash), or is
// no flow server any more (its pid reused), is stale: it is taken over under
// a second O_EXCL file, `server.pid.takeover`, so that two starters that both
// saw the dead server cannot each remove the other's fresh file (the same
// scheme as the workspace lock, run/workspace-lock.ts). Only the holder
// touches the socket, so a stale socket is replaced without a race.
import { readFileSync, rmSync, statSync } from "node:fs";
import { tryCreate } from "../run/workspace-lock.js";

export interface ServerHolder {
  readonly pid: number;
  readonly root: string;
  readonly socket: string;
  readonly version: string;
  readonly startedAt: string;
  readonly token: string;
}

/** A word in every server's command line (server-main.js), checked before a live pid is believed. */
export const SERVER_MARK = "server-main";
const TAKEOVER_STALE_MS = 10_000;

export type Acquired = { readonly ok: true; release(): void } | { readonly ok: false; readonly holder: ServerHolder | undefined };

export function acquireServerLock(path: string, me: ServerHolder): Acquired {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (tryCreate(path, `${JSON.stringify(me)}\n`)) return { ok: true, release: () => releaseIfMine(path, me.token) };
    const seen = readServerHolder(path);
    if (seen === "gone") continue;
    if (seen !== "unreadable" && serverAlive(seen.pid)) return { ok: false, holder: seen };
    if (seen === "unreadable" && ageMs(path) < 5000) return { ok: false, holder: undefined }; // being written
    takeOver(path, seen);
  }
  return { ok: false, holder: undefined };
}

/** The holder the pid file names, "gone" when there is none, "unreadable" when torn. */
export function readServerHolder(path: string): ServerHolder | "unreadable" | "gone" {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "gone";
    throw err;
  }
  try {
    const v = JSON.parse(text) as Partial<ServerHolder>;
    if (typeof v.pid !== "number" || typeof v.token !== "string" || typeof v.socket !== "string") return "unreadable";
    return v as ServerHolder;
  } catch {
    return "unreadable";
  }
}

/** True when `pid` runs and is a flow server (not a process that got its pid later). */
export function serverAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(SERVER_MARK);
  } catch {
    return true; // no /proc: believe the pid
  }
}

function releaseIfMine(path: string, token: string): void {
  const seen = readServerHolder(path);
  if (typeof seen === "object" && seen.token === token) rmSync(path, { force: true });
}

function takeOver(path: string, dead: ServerHolder | "unreadable"): void {
  const guard = `${path}.takeover`;
  if (!tryCreate(guard, `${process.pid}\n`)) {
    if (ageMs(guard) > TAKEOVER_STALE_MS) rmSync(guard, { force: true });
    return;
  }
  try {
    const now = readServerHolder(path);
    const same = now === "unreadable" ? dead === "unreadable" : typeof now === "object" && typeof dead === "object" && now.token === dead.token;
    if (same) rmSync(path, { force: true });
  } finally {
    rmSync(guard, { force: true });
  }
}

function ageMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
