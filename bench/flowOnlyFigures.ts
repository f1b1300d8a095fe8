import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { runPlan, type Runner, type ToolFigures } from "./runPlan.js";
import { summarize, type Summary } from "./stats.js";
import { flowArgv, flowBin, flowCount, type Tool } from "./tools.js";

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
  /** Reading and validating the Flowfile (parseTime.ts), in fresh processes; or why it failed. */
  parse?: ParseFigures | { error: string };
  notes: string[];
}

export interface ParseFigures {
  /** loadProject alone, timed inside the process. */
  inProcess: Summary;
  /** The whole process: Node start-up, loading flow's modules, then loadProject. */
  wall: Summary;
  rules: number;
  tasks: number;
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
const PARSE_TIME = fileURLToPath(new URL("./parseTime.js", import.meta.url));

/** `runs` fresh processes of parseTime.js in the project directory (each a cold start, as a real run is). */
function parseFigures(dir: string, runs: number): ParseFigures | { error: string } {
  const entry = join(dirname(flowBin()), "..", "dist", "index.js");
  const inProcess: number[] = [];
  const wall: number[] = [];
  let rules = 0;
  let tasks = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ["--no-concurrent-recompilation", PARSE_TIME, entry], { cwd: dir, encoding: "utf8" });
    const elapsed = performance.now() - t0;
    if (r.status !== 0) return { error: `parseTime.js exited with ${r.status ?? r.signal}: ${(r.stderr ?? "").trim().split("\n")[0] ?? ""}` };
    const out = JSON.parse(r.stdout) as { ms: number; rules: number; tasks: number };
    inProcess.push(out.ms);
    wall.push(elapsed);
    rules = out.rules;
    tasks = out.tasks;
  }
  return { inProcess: summarize(inProcess), wall: summarize(wall), rules, tasks };
}

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

  // Parse and validate: what every build and status does before anything runs.
  opt.log(`  parse and validate the Flowfile: ${opt.runs} fresh processes`);
  result.parse = parseFigures(flow.dir, opt.runs);
  if ("error" in result.parse) notes.push(`${opt.label}: ${result.parse.error}`);
  else opt.log(`    in-process median ${result.parse.inProcess.median.toFixed(0)} ms, whole process ${result.parse.wall.median.toFixed(0)} ms (${result.parse.rules} rules, ${result.parse.tasks} tasks)`);

  // A no-op build against the floor of any no-op: Node start-up, reading the
  // Flowfile and statSync of every source and output. The difference is what
  // flow spends on everything else (parsing, graph, keys, cache look-ups,
  // module loading).
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
