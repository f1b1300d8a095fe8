// `--output-logs`: how much of each task's output a build shows
// (docs/output-logs.md). The renderer (render.ts) acts on the mode; the
// build asks the core to replay hits' logs only for `full`.

/**
 * - `full`: what `new` shows, and a hit's stored log too (restored tasks, and
 *   up-to-date ones whose record was read).
 * - `new`: the output of each task that ran and printed, capped per task.
 * - `errors`: only failed tasks' logs (and phony tasks' output, run for it).
 * - `none`: the task lines only.
 */
export type OutputLogs = "full" | "new" | "errors" | "none";

export const OUTPUT_LOGS: readonly OutputLogs[] = ["full", "new", "errors", "none"];

/**
 * The default: a compiler warning from a task that succeeds is seen, and a
 * build that prints nothing new (a no-op, a build of cache hits) stays as
 * short as before. Why in docs/output-logs.md.
 */
export const DEFAULT_OUTPUT_LOGS: OutputLogs = "new";

/** The mode from `--output-logs`, else `FLOW_OUTPUT_LOGS`, else the default; an error message for an unknown word. */
export function outputLogsMode(flag: string | undefined, env: NodeJS.ProcessEnv): { ok: true; mode: OutputLogs } | { ok: false; message: string } {
  const given = flag ?? env["FLOW_OUTPUT_LOGS"];
  if (given === undefined || given === "") return { ok: true, mode: DEFAULT_OUTPUT_LOGS };
  if ((OUTPUT_LOGS as readonly string[]).includes(given)) return { ok: true, mode: given as OutputLogs };
  const from = flag !== undefined ? "--output-logs" : "FLOW_OUTPUT_LOGS";
  return { ok: false, message: `${from} takes one of ${OUTPUT_LOGS.join(", ")} (default ${DEFAULT_OUTPUT_LOGS}), got '${given}'` };
}
