// How `flow runs` and `flow runs show` print a run: plain aligned columns.
import type { RunSummary } from "./run-record.js";
import type { RunTaskRow } from "./run-read.js";

/** Local date and time to the second: "2026-12-02 21:07:14". */
export function when(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function took(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const m = Math.floor(ms / 60_000);
  return `${m}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, "0")}s`;
}

/** A word of the command line, quoted when the shell would need it. */
function shellWord(w: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, "'\\''")}'`;
}

export function commandLine(args: readonly string[]): string {
  return ["flow", ...args.map(shellWord)].join(" ");
}

export function runsTable(runs: readonly RunSummary[]): string {
  const head = ["run", "when", "took", "outcome", "ran", "restored", "up-to-date", "failed", "command"];
  const rows = runs.map((r) => [
    String(r.run),
    when(r.start),
    took(r.end - r.start),
    r.outcome,
    String(r.counts.ran),
    String(r.counts.restored),
    String(r.counts.upToDate),
    String(r.counts.failed + r.counts.cannotRun),
    commandLine(r.args),
  ]);
  return table([head, ...rows], [true, false, true, false, true, true, true, true, false]);
}

export function runHeader(r: RunSummary): string {
  const c = r.counts;
  const parts = [`${c.ran} ran`, `${c.restored} restored`, `${c.upToDate} up to date`];
  if (c.failed > 0) parts.push(`${c.failed} failed`);
  if (c.cannotRun > 0) parts.push(`${c.cannotRun} could not run`);
  if (c.skipped > 0) parts.push(`${c.skipped} skipped`);
  return [
    `run ${r.run}: ${r.outcome} (exit ${r.exitCode})`,
    `command  ${commandLine(r.args)}`,
    `in       ${r.cwd}`,
    `started  ${when(r.start)}, took ${took(r.end - r.start)}`,
    `tasks    ${r.tasks}: ${parts.join(", ")}`,
  ].join("\n");
}

export function taskTable(rows: readonly RunTaskRow[]): string {
  // The cluster's accounting (sacct), only when some task has it: columns of dashes would say nothing.
  const acct = rows.some((t) => typeof t.job?.cpuSec === "number" || typeof t.job?.maxRssBytes === "number");
  const head = ["status", "took", "cache", ...(acct ? ["cpu", "peak mem"] : []), "task"];
  const body = rows.map((t) => [
    t.status + (t.exitCode !== undefined && t.exitCode !== 0 ? ` (exit ${t.exitCode})` : t.reason !== undefined && t.reason !== "exit-code" ? ` (${t.reason})` : ""),
    took(t.durationMs),
    t.cache === "none" ? "-" : t.cache,
    ...(acct ? [typeof t.job?.cpuSec === "number" ? `${t.job.cpuSec.toFixed(1)}s` : "-", typeof t.job?.maxRssBytes === "number" ? mebibytes(t.job.maxRssBytes) : "-"] : []),
    t.name,
  ]);
  return table([head, ...body], [false, true, false, ...(acct ? [true, true] : []), false]);
}

function mebibytes(bytes: number): string {
  return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
}

/** Columns padded to their widest cell; `right`: right-aligned columns. The last column is never padded. */
function table(rows: readonly (readonly string[])[], right: readonly boolean[]): string {
  const widths = right.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)));
  return `${rows
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : right[i] ? cell.padStart(widths[i] as number) : cell.padEnd(widths[i] as number)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n")}\n`;
}
