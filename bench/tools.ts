import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Runner } from "./runPlan.js";

/** `flow-server`: flow asking its watching server what changed (`--server`, docs/server.md). */
export type ToolName = "flow" | "flow-server" | "ninja" | "make";

export const TOOL_NAMES: readonly ToolName[] = ["flow", "flow-server", "ninja", "make"];

/** One build tool on its own copy of a generated project (`dir`); `argv` builds everything. */
export interface Tool extends Runner {
  name: ToolName;
  /** Removes every output and every piece of the tool's state: the next build starts from nothing. */
  clean(): void;
}

/** The built flow CLI: by default found relative to this file (bench/dist/ → packages/cli/bin/). */
let FLOW_BIN = fileURLToPath(new URL("../../packages/cli/bin/flow.js", import.meta.url));

export function flowBin(): string {
  return FLOW_BIN;
}

/** Measures another flow (e.g. a copy of the tree, frozen while others rebuild it). */
export function setFlowBin(path: string): void {
  FLOW_BIN = resolve(path);
}

/** `node --no-concurrent-recompilation flow.js ARGS`: the flag avoids a Node exit hang (docs/architecture.md). */
export function flowArgv(...args: string[]): string[] {
  return [process.execPath, "--no-concurrent-recompilation", FLOW_BIN, ...args];
}

function resetOutputs(dir: string): void {
  rmSync(join(dir, "out"), { recursive: true, force: true });
  mkdirSync(join(dir, "out"));
}

/** Counts log lines that match. */
function countLines(log: string, re: RegExp): number {
  let n = 0;
  for (const line of log.split("\n")) if (re.test(line)) n++;
  return n;
}

/** The statuses of flow's `--json` report, counted; undefined if the log holds no report. */
export function flowStatuses(log: string): Map<string, number> | undefined {
  const start = log.indexOf("{");
  const end = log.lastIndexOf("}");
  if (start < 0 || end < start) return undefined;
  let report: unknown;
  try {
    report = JSON.parse(log.slice(start, end + 1));
  } catch {
    return undefined;
  }
  const tasks = (report as { tasks?: unknown }).tasks;
  if (!Array.isArray(tasks)) return undefined;
  const counts = new Map<string, number>();
  for (const t of tasks as { name?: unknown; status?: unknown }[]) {
    // Count file tasks only; `all` is a phony aggregate with no recipe.
    if (typeof t.name !== "string" || !t.name.startsWith("out/")) continue;
    const status = String(t.status);
    counts.set(status, (counts.get(status) ?? 0) + 1);
  }
  return counts;
}

/**
 * How many tasks had `status` in a flow run: from the --json report if the
 * log holds one, else from the summary line (`flow: done: 14 ran, 987 up to date`).
 */
export function flowCount(log: string, status: "ran" | "restored"): number | undefined {
  const statuses = flowStatuses(log);
  if (statuses) return statuses.get(status) ?? 0;
  const summary = /^flow: done: (.*)$/m.exec(log);
  if (!summary) return undefined;
  const n = new RegExp(`(\\d+) ${status}\\b`).exec(summary[1]!);
  return n ? Number(n[1]) : 0;
}

export function makeTool(dir: string): Tool {
  // -r -R: no built-in implicit rules or variables; with them a 10,000-rule
  // no-op is about 100 times slower (measured separately, once).
  const argv = ["make", "-r", "-R", "-j2"];
  return {
    name: "make",
    dir,
    argv,
    countingArgv: argv,
    clean: () => resetOutputs(dir),
    tasksRun: (log) => countLines(log, /^(cat|cp|touch) /),
  };
}

export function ninjaTool(dir: string): Tool {
  const argv = ["ninja", "-j2"];
  return {
    name: "ninja",
    dir,
    argv,
    countingArgv: argv,
    clean: () => {
      resetOutputs(dir);
      rmSync(join(dir, ".ninja_log"), { force: true });
      rmSync(join(dir, ".ninja_deps"), { force: true });
    },
    tasksRun: (log) => countLines(log, /^\[\d+\/\d+\] /),
  };
}

export function flowTool(dir: string, cacheDir: string): Tool {
  const argv = flowArgv("build", "-j", "2", "--cache-dir", cacheDir);
  return {
    name: "flow",
    dir,
    argv,
    countingArgv: [...argv, "--json"],
    clean: () => {
      resetOutputs(dir);
      rmSync(cacheDir, { recursive: true, force: true });
      // Whatever flow keeps in the project (the default state dir), too.
      rmSync(join(dir, ".flow"), { recursive: true, force: true });
    },
    tasksRun: (log) => flowCount(log, "ran"),
  };
}

/**
 * flow with its watching server: the first build starts one (`--server`),
 * and every later one asks it what changed instead of stat'ing every path.
 * A full build's reset stops it first (its state directory goes too).
 */
export function flowServerTool(dir: string, cacheDir: string): Tool & { stop(): void } {
  const argv = flowArgv("build", "--server", "-j", "2", "--cache-dir", cacheDir);
  const stop = () => execFileSync(process.execPath, ["--no-concurrent-recompilation", FLOW_BIN, "server", "stop", "-C", dir], { stdio: "ignore" });
  return {
    name: "flow-server",
    dir,
    argv,
    countingArgv: [...argv, "--json"],
    clean: () => {
      stop();
      resetOutputs(dir);
      rmSync(cacheDir, { recursive: true, force: true });
      rmSync(join(dir, ".flow"), { recursive: true, force: true });
    },
    tasksRun: (log) => flowCount(log, "ran"),
    stop,
  };
}
