import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Tool, ToolName } from "./tools.js";

/** Medians in ms from hyperfine, per tool, or why there are none. */
export type HyperfineMedians = { medians: Partial<Record<ToolName, number>> } | { error: string };

/** Quotes a word for hyperfine's shell-like splitting of a command (`-N`). */
function quote(word: string): string {
  return /^[\w./=:,+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * A cross-check of the harness's own timer: the no-op builds again, timed by
 * hyperfine (no shell, `-N`), which runs each command's runs back to back
 * rather than alternating. Each tool is pointed at its directory with -C.
 */
export function hyperfineNoop(tools: readonly Tool[], runs: number, logDir: string, label: string): HyperfineMedians {
  const json = join(logDir, `${label}-hyperfine.json`);
  const args = ["-N", "--style", "basic", "--warmup", "2", "--runs", String(runs), "--export-json", json];
  for (const t of tools) {
    const [cmd, ...rest] = t.argv;
    args.push("-n", t.name, [cmd!, ...rest, "-C", t.dir].map(quote).join(" "));
  }
  const r = spawnSync("hyperfine", args, { encoding: "utf8" });
  if (r.status !== 0) return { error: `hyperfine exited ${r.status}: ${(r.stderr || r.stdout).trim().split("\n").slice(-3).join(" ")}` };
  const report = JSON.parse(readFileSync(json, "utf8")) as { results: { command: string; median: number }[] };
  const medians: Partial<Record<ToolName, number>> = {};
  for (const res of report.results) medians[res.command as ToolName] = res.median * 1000;
  return { medians };
}
