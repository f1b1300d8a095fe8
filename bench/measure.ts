import { spawnSync } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";

/** One timed run of one command. */
export interface Sample {
  /** Wall time in milliseconds, as the harness saw it (fork of /usr/bin/time included). */
  ms: number;
  /** Peak resident set size in KiB of the command or its largest descendant (GNU time's %M). */
  rssKb: number;
  /** User plus system CPU time in ms of the command and its descendants (GNU time's %U + %S, 10 ms ticks). */
  cpuMs: number;
  exitCode: number;
}

const TIME = "/usr/bin/time";

/**
 * Runs `argv` in `cwd` under GNU time, its stdout and stderr into `logPath`,
 * and times it. CPU time is kept beside wall time: on a shared machine it is
 * the steadier of the two. The harness process is idle meanwhile (spawnSync), so the
 * clock measures the command plus a fixed ~1-2 ms of fork and exec, the same
 * for every tool (see `floor` in run.ts, which measures it).
 */
export function measure(argv: readonly string[], cwd: string, logPath: string): Sample {
  const rssPath = `${logPath}.rss`;
  const log = openSync(logPath, "w");
  let status: number | null;
  let ms: number;
  try {
    const start = process.hrtime.bigint();
    const r = spawnSync(TIME, ["-f", "%M %U %S", "-o", rssPath, ...argv], {
      cwd,
      stdio: ["ignore", log, log],
    });
    ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.error) throw r.error;
    status = r.status;
  } finally {
    closeSync(log);
  }
  // On failure GNU time writes "Command exited with non-zero status N" first.
  const lines = readFileSync(rssPath, "utf8").trim().split("\n");
  const [rss, user, sys] = (lines[lines.length - 1] ?? "").split(" ").map(Number);
  return {
    ms,
    rssKb: rss ?? NaN,
    cpuMs: user === undefined || sys === undefined ? NaN : Math.round((user + sys) * 1000),
    exitCode: status ?? 128,
  };
}
