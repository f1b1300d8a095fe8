/**
 * `npm run bench -- --critical-path`: flow's makespan on a graph where the
 * order ready tasks start in matters, scheduled by the critical path (the
 * default) against first-in-first-out (`FLOW_SCHEDULE=fifo`). See
 * docs/benchmarks.md, "Critical-path scheduling".
 *
 * The graph: `all` depends first on SHORTS independent short tasks, then on
 * the end of a CHAIN of long tasks. At -j2, first-in-first-out starts the
 * short tasks first (they are listed first) and the chain only after them;
 * the critical path starts the chain at once and fills the other slot with
 * the short ones. The tasks only sleep, so the machine's load barely moves
 * the figures; the ideal is (SHORTS*S/2 + CHAIN*C) against
 * max(CHAIN*C, SHORTS*S) for the second, plus flow's own cost per task.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { measure } from "./measure.js";
import { summarize, type Summary } from "./stats.js";
import { flowArgv } from "./tools.js";

export interface CriticalPathShape {
  /** Independent short tasks, listed first. */
  readonly shorts: number;
  /** Their recipe: `sleep` this many seconds. */
  readonly shortS: number;
  /** Tasks in the chain, each depending on the one before. */
  readonly chain: number;
  readonly chainS: number;
  readonly jobs: number;
}

export const DEFAULT_SHAPE: CriticalPathShape = { shorts: 12, shortS: 0.1, chain: 6, chainS: 0.2, jobs: 2 };

export interface OrderFigures {
  /** The whole `flow build` process, start-up included (ms). */
  readonly wall: Summary;
  /** The build proper, from its first event to its last, as its --profile reports it (ms). */
  readonly makespan: Summary;
  readonly wallSamples: number[];
  readonly makespanSamples: number[];
}

export interface CriticalPathResults {
  readonly shape: CriticalPathShape;
  readonly runs: number;
  /** The ideal makespans of the two orders (sleeps only, nothing of flow's). */
  readonly ideal: { readonly fifoMs: number; readonly criticalPathMs: number };
  readonly fifo: OrderFigures;
  readonly criticalPath: OrderFigures;
  /** Median makespan, critical path / FIFO: below 1 is the gain. */
  readonly ratio: number;
  readonly wallRatio: number;
}

export function criticalPathFlowfile(s: CriticalPathShape): string {
  const shorts = Array.from({ length: s.shorts }, (_, i) => `s${i + 1}`);
  const lines = [`all: ${shorts.join(" ")} c${s.chain}`, `${shorts.join(" ")}:`, `\tsleep ${s.shortS}; echo $@ > $@`, "c1:", `\tsleep ${s.chainS}; echo $@ > $@`];
  for (let i = 2; i <= s.chain; i++) lines.push(`c${i}: c${i - 1}`, `\tsleep ${s.chainS}; cat $< > $@`);
  return `${lines.join("\n")}\n`;
}

/**
 * Builds the project once (untimed) to record each task's duration where
 * flow reads it (`.flow/runs/durations.json`), then alternates the two orders,
 * `runs` builds each, every one with `-B` so that every task runs.
 */
export function criticalPathFigures(workDir: string, runs: number, log: (line: string) => void, shape: CriticalPathShape = DEFAULT_SHAPE): CriticalPathResults {
  const dir = join(workDir, "critical-path");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "Flowfile"), criticalPathFlowfile(shape));
  const logPath = join(workDir, "critical-path.log");
  const profile = join(dir, "profile.json");
  const [node, ...args] = flowArgv("build", "-j", String(shape.jobs), "--json");
  const first = spawnSync(node as string, args, { cwd: dir, encoding: "utf8" });
  if (first.status !== 0) throw new Error(`the first build failed (exit ${first.status}): ${first.stderr}`);
  // Each task's duration from the first build, in the file flow weighs tasks by (packages/cli/src/history/durations.ts).
  const report = JSON.parse(first.stdout) as { tasks: { name: string; durationMs: number }[] };
  const tasks: Record<string, number> = {};
  for (const t of report.tasks) tasks[t.name] = Math.round(t.durationMs);
  mkdirSync(join(dir, ".flow", "runs"), { recursive: true });
  writeFileSync(join(dir, ".flow", "runs", "durations.json"), `${JSON.stringify({ version: 1, tasks })}\n`);
  log(`  critical path: ${shape.shorts} tasks of ${shape.shortS} s listed before a chain of ${shape.chain} of ${shape.chainS} s, -j${shape.jobs}; ${runs} builds of each order, alternating`);

  const samples = { fifo: { wall: [] as number[], makespan: [] as number[] }, criticalPath: { wall: [] as number[], makespan: [] as number[] } };
  for (let round = 0; round < runs; round++) {
    const order = round % 2 === 0 ? (["fifo", "criticalPath"] as const) : (["criticalPath", "fifo"] as const);
    for (const which of order) {
      const env = which === "fifo" ? "FLOW_SCHEDULE=fifo" : "FLOW_SCHEDULE=critical-path";
      const s = measure(["env", env, ...flowArgv("build", "-B", "-j", String(shape.jobs), "--profile", profile)], dir, logPath);
      if (s.exitCode !== 0) throw new Error(`a ${which} build failed (exit ${s.exitCode}); see ${logPath}`);
      const trace = JSON.parse(readFileSync(profile, "utf8")) as { otherData: { buildMs: number } };
      samples[which].wall.push(s.ms);
      samples[which].makespan.push(trace.otherData.buildMs);
      log(`    ${which === "fifo" ? "FIFO         " : "critical path"}: makespan ${trace.otherData.buildMs.toFixed(0)} ms, wall ${s.ms.toFixed(0)} ms`);
    }
  }
  const figures = (x: { wall: number[]; makespan: number[] }): OrderFigures => ({ wall: summarize(x.wall), makespan: summarize(x.makespan), wallSamples: x.wall, makespanSamples: x.makespan });
  const fifo = figures(samples.fifo);
  const criticalPath = figures(samples.criticalPath);
  const work = { shorts: shape.shorts * shape.shortS * 1000, chain: shape.chain * shape.chainS * 1000 };
  return {
    shape,
    runs,
    ideal: { fifoMs: work.shorts / shape.jobs + work.chain, criticalPathMs: Math.max(work.chain, work.shorts / (shape.jobs - 1)) },
    fifo,
    criticalPath,
    ratio: criticalPath.makespan.median / fifo.makespan.median,
    wallRatio: criticalPath.wall.median / fifo.wall.median,
  };
}

export function criticalPathMarkdown(r: CriticalPathResults): string {
  const ms = (x: number) => `${(x / 1000).toFixed(2)} s`;
  const s = r.shape;
  return [
    `Critical-path scheduling: ${s.shorts} independent tasks of ${s.shortS} s listed before a chain of ${s.chain} tasks of ${s.chainS} s, -j${s.jobs}, medians of ${r.runs} (min-max)`,
    "",
    "| order | makespan (the build proper) | wall (the whole process) | ideal (sleeps only) |",
    "|---|---:|---:|---:|",
    `| first in, first out (\`FLOW_SCHEDULE=fifo\`) | ${ms(r.fifo.makespan.median)} (${ms(r.fifo.makespan.min)}-${ms(r.fifo.makespan.max)}) | ${ms(r.fifo.wall.median)} | ${ms(r.ideal.fifoMs)} |`,
    `| critical path (default) | ${ms(r.criticalPath.makespan.median)} (${ms(r.criticalPath.makespan.min)}-${ms(r.criticalPath.makespan.max)}) | ${ms(r.criticalPath.wall.median)} | ${ms(r.ideal.criticalPathMs)} |`,
    `| critical path / FIFO | **${r.ratio.toFixed(2)}×** | ${r.wallRatio.toFixed(2)}× | ${(r.ideal.criticalPathMs / r.ideal.fifoMs).toFixed(2)}× |`,
    "",
  ].join("\n");
}
