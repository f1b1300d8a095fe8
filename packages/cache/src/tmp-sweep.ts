// Temp files are where interrupted writes end: a blob being copied when the
// process was SIGKILLed stays in tmp/ under a random name. Nothing ever
// reuses such a file, so at open anything older than an hour is removed; the
// hour keeps us clear of files another live process is still writing.
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { errnoCode, errorMessage, type WarningSink } from "./cache-warning.js";

export const TMP_MAX_AGE_MS = 60 * 60 * 1000;

export function sweepTmp(tmpDir: string, now: number, warn: WarningSink): number {
  let removed = 0;
  for (const name of readdirSync(tmpDir)) {
    const path = join(tmpDir, name);
    try {
      const st = statSync(path, { throwIfNoEntry: false });
      if (st === undefined || now - st.mtimeMs < TMP_MAX_AGE_MS) continue;
      rmSync(path, { recursive: true, force: true });
      removed++;
    } catch (err) {
      if (errnoCode(err) === undefined) throw err;
      warn({ code: "CACHE_TMP_SWEEP_FAILED", message: `could not remove ${path}: ${errorMessage(err)}` });
    }
  }
  return removed;
}
