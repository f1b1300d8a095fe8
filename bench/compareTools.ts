import { readFileSync, utimesSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import type { Manifest } from "./generateProject.js";
import { outputsDigest } from "./outputsDigest.js";
import { runPlan, type Plan, type ToolFigures } from "./runPlan.js";
import type { Tool, ToolName } from "./tools.js";

export type ScenarioName = "full" | "noop" | "edit" | "touch";

/** What each scenario measures, for the report. */
export const SCENARIO_TITLES: Record<ScenarioName, string> = {
  full: "full build -j2",
  noop: "no-op build",
  edit: "rebuild after editing one input",
  touch: "rebuild after touching one input",
};

export interface ScenarioResult {
  scenario: ScenarioName;
  tools: Partial<Record<ToolName, ToolFigures>>;
}

export interface Comparison {
  scenarios: ScenarioResult[];
  /** Digest of out/ per tool after the full build, and whether all agree. */
  outputs: Partial<Record<ToolName, { digest: string; files: number }>>;
  outputsAgree: boolean;
  notes: string[];
}

export interface CompareOptions {
  buildRuns: number;
  fastRuns: number;
  /** Per scenario: no new round after this many ms, once `minRuns` rounds are done. */
  budgetMs: number;
  minRuns: number;
  logDir: string;
  /** Prefix of log names, e.g. "10000". */
  label: string;
  log: (line: string) => void;
}

function toRecord(m: Map<string, ToolFigures>): Partial<Record<ToolName, ToolFigures>> {
  return Object.fromEntries(m) as Partial<Record<ToolName, ToolFigures>>;
}

/**
 * The four side-by-side scenarios on one size, each tool on its own copy of
 * the project: full build, no-op, edit one input, touch one input. Leaves
 * every copy fully built with the original sources.
 */
export function compareTools(tools: readonly Tool[], graph: Pick<Manifest, "editFile">, opt: CompareOptions): Comparison {
  const notes: string[] = [];
  const scenarios: ScenarioResult[] = [];
  const editPath = (t: Tool): string => join(t.dir, graph.editFile);
  const original = new Map(tools.map((t) => [t.name, readFileSync(editPath(t))]));
  let nonce = 0;
  const plans: Record<ScenarioName, Plan<Tool>> = {
    full: {
      label: `${opt.label}-full`,
      runs: opt.buildRuns,
      budgetMs: opt.budgetMs,
      minRuns: opt.minRuns,
      countFirst: false,
      prepare: (t) => t.clean(),
    },
    noop: {
      label: `${opt.label}-noop`,
      runs: opt.fastRuns,
      budgetMs: opt.budgetMs,
      minRuns: opt.minRuns,
      countFirst: true,
      prepare: () => {},
    },
    edit: {
      label: `${opt.label}-edit`,
      runs: opt.fastRuns,
      budgetMs: opt.budgetMs,
      minRuns: opt.minRuns,
      countFirst: true,
      // A new content every run, never seen before: no tool may find it in a cache.
      prepare: (t) =>
        writeFileSync(editPath(t), `${original.get(t.name)!.toString()}edit ${process.pid}.${++nonce}.${Date.now()}\n`),
    },
    touch: {
      label: `${opt.label}-touch`,
      runs: opt.fastRuns,
      budgetMs: opt.budgetMs,
      minRuns: opt.minRuns,
      countFirst: true,
      prepare: (t) => {
        const now = new Date();
        utimesSync(editPath(t), now, now);
      },
    },
  };
  const run = (name: ScenarioName): void => {
    opt.log(
      `  ${SCENARIO_TITLES[name]}: up to ${plans[name].runs} runs per tool (${opt.budgetMs / 1000} s budget), alternating (load average ${os.loadavg()[0]?.toFixed(2)})`,
    );
    const figures = runPlan(tools, plans[name], opt.logDir);
    for (const [tool, f] of figures) {
      if (f.error !== undefined) {
        opt.log(`    ${tool} FAILED: ${f.error}`);
        notes.push(`${opt.label} ${SCENARIO_TITLES[name]}: ${f.error.split("\n")[0]}`);
      } else {
        opt.log(
          `    ${tool.padEnd(5)} ${f.time.n} runs, median ${f.time.median.toFixed(0)} ms (min ${f.time.min.toFixed(0)}, max ${f.time.max.toFixed(0)}), ` +
            `CPU ${f.cpuMs.median.toFixed(0)} ms, peak RSS ${(f.rssKb.median / 1024).toFixed(0)} MiB, recipes run ${f.tasksRun ?? "?"}`,
        );
      }
    }
    scenarios.push({ scenario: name, tools: toRecord(figures) });
  };

  run("full");
  const outputs: Comparison["outputs"] = {};
  for (const t of tools) outputs[t.name] = outputsDigest(join(t.dir, "out"));
  const digests = new Set(Object.values(outputs).map((o) => o.digest));
  const outputsAgree = digests.size === 1;
  opt.log(
    outputsAgree
      ? `    outputs identical across tools (${Object.values(outputs)[0]?.files ?? 0} files)`
      : `    OUTPUTS DIFFER: ${JSON.stringify(outputs)}`,
  );
  if (!outputsAgree) notes.push(`${opt.label}: the tools' outputs differ after the full build: ${JSON.stringify(outputs)}`);

  run("noop");
  run("edit");
  // Back to the original source, built, so the next scenario starts where the others did.
  const restore: Plan<Tool> = {
    label: `${opt.label}-unedit`,
    runs: 0,
    countFirst: true,
    prepare: (t) => writeFileSync(editPath(t), original.get(t.name)!),
  };
  const restored = runPlan(tools, restore, opt.logDir);
  for (const t of tools) {
    const error = restored.get(t.name)?.error;
    if (error !== undefined) {
      notes.push(`${opt.label} restoring after edits: ${error.split("\n")[0]}`);
    } else if (outputsDigest(join(t.dir, "out")).digest !== outputs[t.name]?.digest) {
      notes.push(`${opt.label}: ${t.name}'s outputs after restoring the edited source differ from its full build`);
    }
  }
  run("touch");
  return { scenarios, outputs, outputsAgree, notes };
}
