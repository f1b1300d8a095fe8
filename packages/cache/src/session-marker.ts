// Session markers: run/<pid>-<n> exists while a process has the LMDB env open.
//
// A marker whose process is gone means that process died without closing
// (SIGKILL, a crash, or a segfault inside LMDB on a corrupt page). LMDB
// itself survives a killed writer, but a segfault is exactly the case where
// the env may be corrupt beyond what the header check sees, and opening it
// again would crash again, every run. So a stale marker triggers one full
// check in a child process (db-verify.ts) before the env is trusted. A
// process that met read errors in the env leaves its marker too (keep()).
import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { errnoCode } from "./cache-warning.js";

let sequence = 0;

export class SessionMarker {
  private readonly path: string;
  private readonly onExit = (): void => {
    rmSync(this.path, { force: true });
  };

  private constructor(path: string) {
    this.path = path;
  }

  /** Removes stale markers and reports whether there were any. */
  static sweepStale(cacheDir: string): boolean {
    const dir = join(cacheDir, "run");
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return false;
      throw err;
    }
    let stale = false;
    for (const name of names) {
      const pid = Number(name.split("-")[0]);
      if (pid === process.pid) continue;
      if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) continue;
      stale = true;
      rmSync(join(dir, name), { force: true });
    }
    return stale;
  }

  static create(cacheDir: string): SessionMarker {
    const dir = join(cacheDir, "run");
    mkdirSync(dir, { recursive: true });
    // pid-seq: one process may open several caches (tests do).
    const marker = new SessionMarker(join(dir, `${process.pid}-${++sequence}`));
    writeFileSync(marker.path, "");
    // A CLI that ends with process.exit() without closing is not a crash.
    process.on("exit", marker.onExit);
    return marker;
  }

  remove(): void {
    process.off("exit", this.onExit);
    this.onExit();
  }

  /**
   * Leaves the marker behind, as a crash would: the env gave read errors
   * (a damaged page), so the next open checks it in full before trusting it.
   */
  keep(): void {
    process.off("exit", this.onExit);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: alive, owned by someone else.
    return errnoCode(err) === "EPERM";
  }
}
