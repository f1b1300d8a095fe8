import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { measure, type Sample } from "./measure.js";
import { summarize, type Summary } from "./stats.js";
/** Something `runPlan` can time: a build tool, or a baseline command. */
export interface Runner {
  name: string;
  /** Working directory of the command. */
  dir: string;
  argv: string[];
  /** The command for the untimed counting run (flow: with --json). */
  countingArgv: string[];
  /** How many recipes (or restores) the run whose output is `log` did; undefined if unknown. */
  tasksRun(log: string): number | undefined;
}

/** What one tool did in one scenario. */
export interface ToolFigures {
  samples: Sample[];
  time: Summary;
  rssKb: Summary;
  cpuMs: Summary;
  /** Recipes run by the counting run (or the first timed run), if the log says. */
  tasksRun?: number;
  /** Set when a run failed; the tool's remaining runs of the scenario are skipped. */
  error?: string;
}

/** How to measure one scenario on several tools, alternating them. */
export interface Plan<R extends Runner = Runner> {
  /** Names the logs: `${label}-${tool}.log` in the log directory. */
  label: string;
  /** Rounds at most. */
  runs: number;
  /**
   * Stop adding rounds once this many ms have gone by (prepare included),
   * after at least `minRuns` rounds; only whole rounds count, so every
   * runner keeps the same number of samples.
   */
  budgetMs?: number;
  minRuns?: number;
  /** Puts the tool's project into the scenario's starting state; `run` is -1 for the counting run. */
  prepare(runner: R, run: number): void;
  /** Run `countingArgv` once first, untimed: a warm-up that also says how many recipes ran. */
  countFirst: boolean;
}

/** The last `n` lines of a file, for error messages. */
export function tail(path: string, n = 15): string {
  return readFileSync(path, "utf8").trimEnd().split("\n").slice(-n).join("\n");
}

/** Flushes dirty pages so one tool's write-back does not land in another's timing. */
export function syncDisks(): void {
  execFileSync("sync");
}

/**
 * Runs `plan` on `tools`: an optional counting run each, then `plan.runs`
 * rounds in which every tool runs once, in an order rotated each round so no
 * tool always goes first (or always follows the same one). Each timed run is
 * preceded by its `prepare` and a `sync`, neither timed.
 */
export function runPlan<R extends Runner>(tools: readonly R[], plan: Plan<R>, logDir: string): Map<string, ToolFigures> {
  const state = new Map<string, { samples: Sample[]; tasksRun?: number; error?: string }>();
  for (const t of tools) state.set(t.name, { samples: [] });
  if (new Set(tools.map((t) => t.name)).size !== tools.length) throw new Error(`runPlan ${plan.label}: two runners share a name`);
  const logOf = (t: Runner): string => join(logDir, `${plan.label}-${t.name}.log`.replace(/[^\w.+-]+/g, "_"));
  const fail = (t: Runner, s: Sample, what: string): string =>
    `${t.name} exited ${s.exitCode} (${what}; cd ${t.dir} && ${t.argv.join(" ")}); log ${logOf(t)}:\n${tail(logOf(t))}`;

  if (plan.countFirst) {
    for (const t of tools) {
      const st = state.get(t.name)!;
      plan.prepare(t, -1);
      syncDisks();
      const s = measure(t.countingArgv, t.dir, logOf(t));
      if (s.exitCode !== 0) st.error = fail(t, s, "counting run");
      else st.tasksRun = t.tasksRun(readFileSync(logOf(t), "utf8"));
    }
  }
  const started = Date.now();
  for (let run = 0; run < plan.runs; run++) {
    if (plan.budgetMs !== undefined && run >= (plan.minRuns ?? 1) && Date.now() - started > plan.budgetMs) break;
    const shift = run % tools.length;
    const order = [...tools.slice(shift), ...tools.slice(0, shift)];
    for (const t of order) {
      const st = state.get(t.name)!;
      if (st.error !== undefined) continue;
      plan.prepare(t, run);
      syncDisks();
      const s = measure(t.argv, t.dir, logOf(t));
      if (s.exitCode !== 0) {
        st.error = fail(t, s, `run ${run + 1}`);
        continue;
      }
      st.samples.push(s);
      if (run === 0 && !plan.countFirst) st.tasksRun = t.tasksRun(readFileSync(logOf(t), "utf8"));
    }
  }
  const figures = new Map<string, ToolFigures>();
  for (const [name, st] of state) {
    const f: ToolFigures = {
      samples: st.samples,
      time: summarize(st.samples.map((s) => s.ms)),
      rssKb: summarize(st.samples.map((s) => s.rssKb)),
      cpuMs: summarize(st.samples.map((s) => s.cpuMs)),
    };
    if (st.tasksRun !== undefined) f.tasksRun = st.tasksRun;
    if (st.error !== undefined) f.error = st.error;
    figures.set(name, f);
  }
  return figures;
}
