import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runPlan, type Runner, type ToolFigures } from "./runPlan.js";
import { flowArgv, flowCount, type Tool } from "./tools.js";

export interface FlowOnlyFigures {
  /** `flow build` restoring every output from the cache after out/ was deleted, against `cp -a` of out/. */
  restore?: { flow: ToolFigures; cp: ToolFigures };
  /** `flow status` against a no-op `flow build`; or why it was skipped. */
  status?: { status: ToolFigures; noop: ToolFigures } | { skipped: string };
  /**
   * A no-op `flow build` against the floor of any no-op (statBaseline.ts):
   * the difference bounds what parsing, graph, keys and cache lookups cost.
   */
  overhead?: { noop: ToolFigures; floor: ToolFigures; differenceMs: number };
  notes: string[];
}

export interface FlowOnlyOptions {
  runs: number;
  budgetMs: number;
  minRuns: number;
  logDir: string;
  label: string;
  /** A file listing every source and output of the project, relative to its root. */
  pathList: string;
  /** Where `cp -a` copies go. */
  scratchDir: string;
  cacheDir: string;
  log: (line: string) => void;
}

const STAT_BASELINE = fileURLToPath(new URL("./statBaseline.js", import.meta.url));

function line(name: string, f: ToolFigures | undefined): string {
  if (!f) return `${name}: missing`;
  if (f.error !== undefined) return `${name} FAILED: ${f.error}`;
  return `${name} ${f.time.n} runs, median ${f.time.median.toFixed(0)} ms, peak RSS ${(f.rssKb.median / 1024).toFixed(0)} MiB, count ${f.tasksRun ?? "?"}`;
}

/**
 * Figures of flow alone on one generated size; `flow` must be fully built
 * when called, and is again on return.
 */
export function flowOnlyFigures(flow: Tool, opt: FlowOnlyOptions): FlowOnlyFigures {
  const notes: string[] = [];
  const result: FlowOnlyFigures = { notes };
  const noop: Runner = { ...flow, name: "flow build (no-op)" };

  // Restore from the cache against cp -a.
  const copy = join(opt.scratchDir, "out-copy");
  const target = join(opt.scratchDir, "cp-target");
  rmSync(copy, { recursive: true, force: true });
  execFileSync("cp", ["-a", join(flow.dir, "out"), copy]);
  const restoring: Runner = {
    ...flow,
    name: "flow restore",
    tasksRun: (log) => flowCount(log, "restored"),
  };
  const cp: Runner = {
    name: "cp -a",
    dir: opt.scratchDir,
    argv: ["cp", "-a", copy, target],
    countingArgv: ["cp", "-a", copy, target],
    tasksRun: () => undefined,
  };
  opt.log(`  restore every output from the cache vs cp -a: up to ${opt.runs} runs each`);
  const restore = runPlan([restoring, cp], {
    label: `${opt.label}-restore`,
    runs: opt.runs,
    budgetMs: opt.budgetMs,
    minRuns: opt.minRuns,
    countFirst: true,
    prepare: (r) => {
      if (r === restoring) {
        rmSync(join(flow.dir, "out"), { recursive: true, force: true });
        mkdirSync(join(flow.dir, "out"));
      } else {
        rmSync(target, { recursive: true, force: true });
      }
    },
  }, opt.logDir);
  result.restore = { flow: restore.get(restoring.name)!, cp: restore.get(cp.name)! };
  opt.log(`    ${line("flow", result.restore.flow)}\n    ${line("cp -a", result.restore.cp)}`);
  rmSync(target, { recursive: true, force: true });
  rmSync(copy, { recursive: true, force: true });

  // flow status against a no-op build, if flow has a status command.
  const statusArgv = flowArgv("status", "--cache-dir", opt.cacheDir);
  const probe = spawnSync(statusArgv[0]!, statusArgv.slice(1), { cwd: flow.dir, encoding: "utf8" });
  // eslint-disable-next-line no-control-regex -- clipanion colours its errors
  const said = `${probe.stdout}${probe.stderr}`.replace(/\x1b\[[0-9;]*m/g, "");
  if (probe.status !== 0 && /unknown syntax|command not found|usage|unknown command|not a command/i.test(said)) {
    const why = `\`flow status\` is not available (exit ${probe.status}: ${said.trim().split("\n")[0] ?? ""})`;
    result.status = { skipped: why };
    notes.push(`${opt.label}: ${why}; status vs no-op skipped`);
    opt.log(`  flow status vs no-op build: skipped, ${why}`);
  } else {
    const status: Runner = { name: "flow status", dir: flow.dir, argv: statusArgv, countingArgv: statusArgv, tasksRun: () => undefined };
    opt.log(`  flow status vs no-op flow build: up to ${opt.runs} runs each`);
    const figures = runPlan([status, noop], { label: `${opt.label}-status`, runs: opt.runs, budgetMs: opt.budgetMs, minRuns: opt.minRuns, countFirst: true, prepare: () => {} }, opt.logDir);
    result.status = { status: figures.get(status.name)!, noop: figures.get(noop.name)! };
    opt.log(`    ${line("status", result.status.status)}\n    ${line("no-op build", result.status.noop)}`);
  }

  // TODO(parse time): flow has no way yet to time its parse alone (no
  // `flow build --dry-run` or parse-only command). Until it has, this
  // measures a no-op build against the floor of any no-op: Node start-up,
  // reading the Flowfile and statSync of every source and output. The
  // difference is an upper bound on parsing (it also holds graph building,
  // key computation, cache look-ups and module loading). Replace with a
  // direct measurement when the CLI offers one.
  const floor: Runner = {
    name: "no-op floor (node + stat)",
    dir: flow.dir,
    argv: [process.execPath, "--no-concurrent-recompilation", STAT_BASELINE, opt.pathList],
    countingArgv: [process.execPath, "--no-concurrent-recompilation", STAT_BASELINE, opt.pathList],
    tasksRun: () => undefined,
  };
  opt.log(`  flow no-op build vs the floor of a no-op (node start-up + stat of every file): up to ${opt.runs} runs each`);
  const overhead = runPlan([noop, floor], { label: `${opt.label}-overhead`, runs: opt.runs, budgetMs: opt.budgetMs, minRuns: opt.minRuns, countFirst: true, prepare: () => {} }, opt.logDir);
  const n = overhead.get(noop.name)!;
  const f = overhead.get(floor.name)!;
  result.overhead = { noop: n, floor: f, differenceMs: n.time.median - f.time.median };
  opt.log(`    ${line("no-op build", n)}\n    ${line("floor", f)}\n    difference ${result.overhead.differenceMs.toFixed(0)} ms`);
  for (const fig of [result.restore.flow, result.restore.cp, n, f]) {
    if (fig.error !== undefined) notes.push(`${opt.label}: ${fig.error.split("\n")[0]}`);
  }
  return result;
}
