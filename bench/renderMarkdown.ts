import { SCENARIO_TITLES } from "./compareTools.js";
import type { BenchResults, SizeResult } from "./results.js";
import type { ToolFigures } from "./runPlan.js";
import type { ToolName } from "./tools.js";

/** 241 ms, 1.24 s, 35.4 s. */
export function formatMs(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "—";
  if (ms < 1000) return `${ms.toFixed(0)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  return `${(ms / 1000).toFixed(1)} s`;
}

function formatRatio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return "—";
  return `${(a / b).toFixed(2)}×`;
}

function mib(kb: number | undefined): string {
  return kb === undefined || !Number.isFinite(kb) ? "—" : `${(kb / 1024).toFixed(0)}`;
}

const n = (x: number): string => x.toLocaleString("en-US");

/** A figure's median time, or undefined if it failed or is absent. */
function median(f: ToolFigures | undefined): number | undefined {
  return f && f.error === undefined ? f.time.median : undefined;
}

function cell(f: ToolFigures | undefined): string {
  if (!f) return "—";
  if (f.error !== undefined) return "failed";
  return formatMs(f.time.median);
}

function sideBySide(r: BenchResults): string[] {
  const lines = [
    `| tasks | scenario | runs | ${r.tools.join(" | ")} | flow/ninja | flow/make |${serverHead(r)} recipes run (${r.tools.join(" / ")}) | peak RSS MiB (${r.tools.join(" / ")}) |`,
    `|---|---|---:|${r.tools.map(() => "---:").join("|")}|---:|---:|${r.tools.includes("flow-server") ? "---:|" : ""}---|---|`,
  ];
  for (const s of r.sizes) {
    for (const sc of s.comparison.scenarios) {
      const f = (t: ToolName): ToolFigures | undefined => sc.tools[t];
      lines.push(
        `| ${n(s.size)} | ${SCENARIO_TITLES[sc.scenario]} | ${Math.min(...r.tools.map((t) => f(t)?.time.n ?? 0))} | ` +
          `${r.tools.map((t) => cell(f(t))).join(" | ")} | ` +
          `${formatRatio(median(f("flow")), median(f("ninja")))} | ${formatRatio(median(f("flow")), median(f("make")))} | ` +
          (r.tools.includes("flow-server") ? `${formatRatio(median(f("flow-server")), median(f("ninja")))} | ` : "") +
          `${r.tools.map((t) => f(t)?.tasksRun ?? "?").join(" / ")} | ` +
          `${r.tools.map((t) => mib(f(t)?.error === undefined ? f(t)?.rssKb.median : undefined)).join(" / ")} |`,
      );
    }
  }
  return lines;
}

/** The same rows in CPU time (user + system, the command and its children): steadier than wall time on a busy machine. */
function cpuTable(r: BenchResults): string[] {
  const cpu = (f: ToolFigures | undefined): number | undefined => (f && f.error === undefined ? f.cpuMs.median : undefined);
  const lines = [
    `| tasks | scenario | ${r.tools.map((t) => `${t} CPU`).join(" | ")} | flow/ninja | flow/make |${serverHead(r)}`,
    `|---|---|${r.tools.map(() => "---:").join("|")}|---:|---:|${r.tools.includes("flow-server") ? "---:|" : ""}`,
  ];
  for (const s of r.sizes) {
    for (const sc of s.comparison.scenarios) {
      const f = (t: ToolName): ToolFigures | undefined => sc.tools[t];
      lines.push(
        `| ${n(s.size)} | ${SCENARIO_TITLES[sc.scenario]} | ${r.tools.map((t) => formatMs(cpu(f(t)))).join(" | ")} | ` +
          `${formatRatio(cpu(f("flow")), cpu(f("ninja")))} | ${formatRatio(cpu(f("flow")), cpu(f("make")))} |` +
          (r.tools.includes("flow-server") ? ` ${formatRatio(cpu(f("flow-server")), cpu(f("ninja")))} |` : ""),
      );
    }
  }
  return lines;
}

function flowOnly(s: SizeResult): string[] {
  const fo = s.flowOnly;
  if (!fo) return [];
  const rows: string[] = [];
  if (fo.restore) {
    rows.push(
      `| ${n(s.size)} | restore every output from the cache (out/ deleted) | ${cell(fo.restore.flow)} | \`cp -a\` of out/: ${cell(fo.restore.cp)} | ${formatRatio(median(fo.restore.flow), median(fo.restore.cp))} |`,
    );
  }
  if (fo.status) {
    if ("skipped" in fo.status) rows.push(`| ${n(s.size)} | \`flow status\` | skipped | ${fo.status.skipped} | — |`);
    else
      rows.push(
        `| ${n(s.size)} | \`flow status\` | ${cell(fo.status.status)} | no-op \`flow build\`: ${cell(fo.status.noop)} | ${formatRatio(median(fo.status.status), median(fo.status.noop))} |`,
      );
  }
  if (fo.parse) {
    if ("error" in fo.parse) rows.push(`| ${n(s.size)} | parse and validate the Flowfile | failed | ${fo.parse.error} | — |`);
    else
      rows.push(
        `| ${n(s.size)} | parse and validate the Flowfile (${n(fo.parse.rules)} rules, ${n(fo.parse.tasks)} tasks; in-process, median of ${fo.parse.inProcess.n}) | ${formatMs(fo.parse.inProcess.median)} | ` +
          `the whole process, Node start-up and module loading included: ${formatMs(fo.parse.wall.median)}; target 1 s | ${formatRatio(fo.parse.inProcess.median, 1000)} |`,
      );
  }
  if (fo.overhead) {
    rows.push(
      `| ${n(s.size)} | no-op \`flow build\` minus the no-op floor | ${formatMs(fo.overhead.differenceMs)} | floor (node start-up + stat of every file): ${cell(fo.overhead.floor)}; no-op: ${cell(fo.overhead.noop)} | ${formatRatio(median(fo.overhead.noop), median(fo.overhead.floor))} |`,
    );
  }
  return rows;
}

/** The results as markdown: the tables that docs/benchmarks.md carries. */
export function renderMarkdown(r: BenchResults): string {
  const m = r.machine;
  const out: string[] = [
    `Measured ${r.finishedAt.slice(0, 10)} on ${m.cpus} CPUs (${m.cpuModel}), ${m.memoryGiB} GiB, ${m.kernel}, ${m.fileSystem}; ` +
      `Node ${m.node}; ${m.make}; ninja ${m.ninja}; flow from \`${r.flowBin}\`. Medians of up to ${r.buildRuns} runs (full builds) and ${r.fastRuns} runs (the rest), ` +
      `at least ${r.minRuns}, fewer where a scenario's rounds passed ${r.budgetS} s; tools alternating; each figure includes ~${r.floorMs.toFixed(1)} ms of harness fork/exec. ` +
      `Load average ${m.loadAtStart} at the start, ${m.loadAtEnd ?? "?"} at the end.`,
    "",
    ...sideBySide(r),
    "",
    "CPU time (user + system of the tool and its recipes), medians of the same runs:",
    "",
    ...cpuTable(r),
    "",
  ];
  for (const s of r.sizes) {
    out.push(
      `At ${n(s.size)} tasks: ${n(s.shape.files)} source files, the edited/touched input is \`${s.editFile}\` ` +
        `(${s.dependentsOfEdit} tasks downstream). Outputs of the tools ${s.comparison.outputsAgree ? "identical" : "DIFFER"} after the full build.`,
    );
  }
  if (r.makeImplicit) {
    out.push(
      "",
      `Plain \`make -j2\` (built-in implicit rules on), no-op at ${n(r.makeImplicit.size)} tasks, once: ` +
        `${cell(r.makeImplicit.figures)}, peak RSS ${mib(r.makeImplicit.figures.rssKb.median)} MiB.`,
    );
  }
  const hf = r.sizes.filter((s) => s.hyperfine);
  if (hf.length > 0) {
    out.push("", "No-op cross-check with hyperfine (`-N`, runs back to back, not alternating):", "");
    out.push(`| tasks | ${r.tools.join(" | ")} |`, `|---|${r.tools.map(() => "---:").join("|")}|`);
    for (const s of hf) {
      const h = s.hyperfine!;
      out.push(
        "error" in h
          ? `| ${n(s.size)} | ${h.error} |`
          : `| ${n(s.size)} | ${r.tools.map((t) => formatMs(h.medians[t])).join(" | ")} |`,
      );
    }
  }
  const fo = r.sizes.flatMap(flowOnly);
  if (fo.length > 0 || r.hashing) {
    out.push("", "flow alone:", "", "| tasks | figure | flow | baseline | flow/baseline |", "|---|---|---:|---|---:|", ...fo);
    const h = r.hashing;
    if (h) {
      out.push(
        `| — | hash ${h.files} files, ${(h.bytes / 2 ** 30).toFixed(0)} GiB in all, after touching them (minus a no-op of ${cell(h.noop)}) | ` +
          `${cell(h.rehash)} → ${h.flowGBps.toFixed(2)} GB/s | \`cat > /dev/null\`: ${cell(h.cat)} → ${h.catGBps.toFixed(2)} GB/s | ` +
          `${formatRatio(median(h.rehash), median(h.cat))} |`,
      );
    }
  }
  const remote = r.sizes.filter((s) => s.remote !== undefined && !("skipped" in s.remote));
  if (remote.length > 0) {
    out.push(
      "",
      "Remote cache (turborepo-remote-cache, local storage, on loopback): a fresh checkout at another path with an empty local cache, every task restored from the remote, against the same checkout built with nothing cached and against `cp -a` of the outputs:",
      "",
      "| tasks | pre-warm, once | restored from the remote | full build, nothing cached | `cp -a` of out/ | remote/full build | remote/`cp -a` |",
      "|---|---:|---:|---:|---:|---:|---:|",
    );
    for (const s of remote) {
      const f = s.remote as Exclude<SizeResult["remote"], { skipped: string } | undefined>;
      out.push(
        `| ${n(s.size)} | ${formatMs(f.warmMs)} | ${cell(f.fromRemote)} (${f.fromRemote.tasksRun ?? "?"} restored) | ${cell(f.fullBuild)} (${f.fullBuild.tasksRun ?? "?"} ran) | ${cell(f.cp)} | ` +
          `${formatRatio(median(f.fromRemote), median(f.fullBuild))} | ${formatRatio(median(f.fromRemote), median(f.cp))} |`,
      );
    }
  }
  const profiled = r.sizes.filter((s) => s.profiles);
  for (const s of profiled) {
    for (const [scenario, p] of Object.entries(s.profiles!)) {
      out.push(
        "",
        `CPU profile of flow, ${scenario} at ${n(s.size)} tasks (${formatMs(p.wallMs)} wall under the profiler, ${formatMs(p.sampledMs)} sampled), self time by file:`,
        "",
        ...p.byFile.slice(0, 10).map((f) => `- ${f.where}: ${formatMs(f.ms)}`),
      );
    }
  }
  const notes = [...r.notes, ...r.sizes.flatMap((s) => [...s.comparison.notes, ...(s.flowOnly?.notes ?? [])]), ...(r.hashing?.notes ?? [])];
  if (notes.length > 0) out.push("", "Notes from the run:", "", ...notes.map((x) => `- ${x}`));
  return `${out.join("\n")}\n`;
}

/** The ratio column of flow with its watching server, when it was measured. */
function serverHead(r: BenchResults): string {
  return r.tools.includes("flow-server") ? " flow-server/ninja |" : "";
}
