/**
 * `npm run bench`: flow against make and ninja on generated projects, side by
 * side in one run, plus figures of flow alone. See docs/benchmarks.md.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { compareTools } from "./compareTools.js";
import { criticalPathFigures, criticalPathMarkdown } from "./criticalPath.js";
import { ensureTools } from "./ensureTools.js";
import { flowOnlyFigures } from "./flowOnlyFigures.js";
import { cloneProject, generate } from "./generate.js";
import type { Manifest } from "./generateProject.js";
import { benchGraph } from "./graph.js";
import { hashThroughput } from "./hashThroughput.js";
import { hyperfineNoop } from "./hyperfineNoop.js";
import { describeMachine } from "./machine.js";
import { measure } from "./measure.js";
import { profileFlow } from "./profileFlow.js";
import { remoteRestoreFigures } from "./remoteRestore.js";
import { renderMarkdown } from "./renderMarkdown.js";
import type { BenchResults, SizeResult } from "./results.js";
import { runPlan, type Runner } from "./runPlan.js";
import { shapeForSize } from "./shape.js";
import { summarize } from "./stats.js";
import { flowBin, flowServerTool, flowTool, setFlowBin, makeTool, ninjaTool, TOOL_NAMES, type Tool, type ToolName } from "./tools.js";

const USAGE = `usage: npm run bench -- [options]

  --size N[,N...]       task counts to measure (default 1000,10000; 100000 is the slow profile)
  --runs N              runs of each full build per tool (default 5; 2 at 100,000 tasks)
  --fast-runs N         runs of the other scenarios per tool (default 10; 5 at 100,000 tasks)
  --budget S            per scenario, start no new round after S seconds (default 120) once
                        --min-runs rounds are done (default 3): slow tools get fewer runs
  --min-runs N          rounds every scenario gets whatever the budget (default 3)
  --quiet-load L        before each size, wait until the 1-minute load average is below L...
  --quiet-wait S        ...for at most S seconds (default 0: only report the load)
  --flow-bin PATH       the flow bin to measure (default packages/cli/bin/flow.js of this checkout);
                        point it at a copy to measure a fixed build while others rebuild the tree
  --tools a,b           among flow,ninja,make (default all three)
  --work-dir DIR        where projects are generated (default $TMPDIR/flow-bench; emptied first)
  --out-dir DIR         where results go (default bench/out)
  --generate DIR        only write the project of the first size into DIR (for a look or a profile)
  --profile             also CPU-profile flow's no-op and edit builds at each size
  --keep                keep the generated projects afterwards
  --no-install          never apt-get install missing tools; fail instead
  --skip-flow-only      skip restore, status, overhead and hashing figures
  --skip-hashing        skip the 1 GiB hashing figure
  --remote-only         measure only the remote-cache restore (one round, no untimed first run)
  --skip-remote         skip the remote-cache restore (a fresh checkout restoring every task from
                        turborepo-remote-cache on loopback, against a full build and cp -a)
  --skip-make-implicit  skip the once-only no-op of plain make (about 35 s at 10,000 tasks)
  --skip-hyperfine      skip the hyperfine cross-check of the no-op
  --critical-path       measure only flow's makespan on a graph where the start order matters,
                        critical path against FIFO (--runs builds of each, default 5; ~40 s)
`;

const BENCH_ROOT = fileURLToPath(new URL("..", import.meta.url));
const GENERATE_PROJECT = fileURLToPath(new URL("./generateProject.js", import.meta.url));
const started = Date.now();

function log(line: string): void {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
}

/** Blocks (sleeping) until the 1-minute load average is below `load`, for at most `waitMs`. */
function waitForQuiet(load: number, waitMs: number): void {
  const until = Date.now() + waitMs;
  let now = os.loadavg()[0] ?? 0;
  if (now >= load && waitMs > 0) log(`load average ${now.toFixed(2)}; waiting up to ${waitMs / 1000} s for it to fall below ${load}`);
  while (now >= load && Date.now() < until) {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5000);
    now = os.loadavg()[0] ?? 0;
  }
  log(`load average ${now.toFixed(2)}${now >= load ? " (busy machine: expect noisy figures)" : ""}`);
}

function positiveInt(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const v = Number(value);
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} wants a positive integer, not '${value}'`);
  return v;
}

function main(argv: string[]): void {
  const { values } = parseArgs({
    args: argv,
    options: {
      size: { type: "string", multiple: true },
      runs: { type: "string" },
      "fast-runs": { type: "string" },
      tools: { type: "string" },
      "flow-bin": { type: "string" },
      budget: { type: "string" },
      "min-runs": { type: "string" },
      "quiet-load": { type: "string" },
      "quiet-wait": { type: "string" },
      "work-dir": { type: "string" },
      "out-dir": { type: "string" },
      generate: { type: "string" },
      profile: { type: "boolean" },
      keep: { type: "boolean" },
      "no-install": { type: "boolean" },
      "skip-flow-only": { type: "boolean" },
      "skip-hashing": { type: "boolean" },
      "skip-remote": { type: "boolean" },
      "remote-only": { type: "boolean" },
      "skip-make-implicit": { type: "boolean" },
      "skip-hyperfine": { type: "boolean" },
      "critical-path": { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const sizes = (values.size ?? ["1000,10000"]).flatMap((s) => s.split(",")).map((s) => positiveInt(s, "size")!);
  const large = Math.max(...sizes) >= 100_000;
  const buildRuns = positiveInt(values.runs, "runs") ?? (large ? 2 : 5);
  const fastRuns = positiveInt(values["fast-runs"], "fast-runs") ?? (large ? 5 : 10);
  const budgetMs = (positiveInt(values.budget, "budget") ?? 120) * 1000;
  const minRuns = positiveInt(values["min-runs"], "min-runs") ?? 3;
  const quietLoad = values["quiet-load"] === undefined ? 1.0 : Number(values["quiet-load"]);
  const quietWaitMs = (values["quiet-wait"] === undefined ? 0 : Number(values["quiet-wait"])) * 1000;
  if (!Number.isFinite(quietLoad) || !Number.isFinite(quietWaitMs)) throw new Error("--quiet-load and --quiet-wait want numbers");
  const tools = (values.tools?.split(",") ?? [...TOOL_NAMES]) as ToolName[];
  for (const t of tools) if (!TOOL_NAMES.includes(t)) throw new Error(`unknown tool '${t}': choose among ${TOOL_NAMES.join(", ")}`);
  const workDir = values["work-dir"] ?? join(os.tmpdir(), "flow-bench");
  const outDir = values["out-dir"] ?? join(BENCH_ROOT, "out");
  const withFlow = tools.includes("flow");

  if (values.generate !== undefined) {
    const graph = benchGraph(shapeForSize(sizes[0]!));
    if (existsSync(values.generate)) throw new Error(`${values.generate} exists; --generate writes a new directory`);
    generate(values.generate, graph);
    log(`wrote ${graph.tasks.length} rules over ${graph.sources.length} sources into ${values.generate} (edit scenario: ${graph.editFile})`);
    return;
  }
  ensureTools(!values["no-install"], log);
  if (values["critical-path"]) {
    // Its own scenario: no generated project, no other tool (docs/benchmarks.md, "Critical-path scheduling").
    if (values["flow-bin"] !== undefined) setFlowBin(values["flow-bin"]);
    rmSync(workDir, { recursive: true, force: true });
    mkdirSync(workDir, { recursive: true });
    mkdirSync(outDir, { recursive: true });
    waitForQuiet(quietLoad, quietWaitMs);
    const r = criticalPathFigures(workDir, positiveInt(values.runs, "runs") ?? 5, log);
    const md = criticalPathMarkdown(r);
    writeFileSync(join(outDir, "bench-critical-path.json"), `${JSON.stringify({ startedAt: new Date(started).toISOString(), machine: describeMachine(workDir), flowBin: flowBin(), ...r }, null, 2)}\n`);
    writeFileSync(join(outDir, "bench-critical-path.md"), md);
    process.stdout.write(`\n${md}`);
    if (!values.keep) rmSync(workDir, { recursive: true, force: true });
    return;
  }
  if (values["flow-bin"] !== undefined) setFlowBin(values["flow-bin"]);
  if (withFlow && !existsSync(join(flowBin(), "..", "..", "dist", "main.js"))) {
    throw new Error(`flow is not built (${flowBin()} needs packages/cli/dist): run \`npm run build\` at the root, or pass --tools ninja,make`);
  }
  rmSync(workDir, { recursive: true, force: true });
  const logDir = join(workDir, "logs");
  mkdirSync(logDir, { recursive: true });
  mkdirSync(outDir, { recursive: true });

  const floorMs = summarize(Array.from({ length: 20 }, () => measure(["true"], workDir, join(logDir, "floor.log")).ms)).median;
  const results: BenchResults = {
    startedAt: new Date(started).toISOString(),
    finishedAt: "",
    args: argv,
    machine: describeMachine(workDir),
    tools,
    flowBin: flowBin(),
    buildRuns,
    fastRuns,
    budgetS: budgetMs / 1000,
    minRuns,
    floorMs,
    sizes: [],
    notes: [],
  };
  if (results.machine.loadAtStart > 0.5) {
    log(`warning: load average ${results.machine.loadAtStart} at start; other work on this machine will skew the figures`);
  }
  log(`sizes ${sizes.join(", ")}; tools ${tools.join(", ")}; ${buildRuns} full builds and ${fastRuns} of the rest per tool; work in ${workDir}`);

  for (const size of sizes) {
    const sizeDir = join(workDir, `size-${size}`);
    const t0 = Date.now();
    log(`${size} tasks: generating the project (in a child process)`);
    mkdirSync(sizeDir, { recursive: true });
    execFileSync(process.execPath, [GENERATE_PROJECT, sizeDir, String(size)], { stdio: ["ignore", "inherit", "inherit"] });
    const graph = JSON.parse(readFileSync(join(sizeDir, "manifest.json"), "utf8")) as Manifest;
    const template = join(sizeDir, "template");
    const made: Tool[] = [];
    for (const name of tools) {
      const dir = join(sizeDir, name);
      cloneProject(template, dir, graph.editFile);
      made.push(
        name === "flow"
          ? flowTool(dir, join(sizeDir, "flow-cache"))
          : name === "flow-server"
            ? flowServerTool(dir, join(sizeDir, "flow-server-cache"))
            : name === "ninja"
              ? ninjaTool(dir)
              : makeTool(dir),
      );
    }
    rmSync(template, { recursive: true, force: true });
    const pathList = join(sizeDir, "paths.txt");
    const generateMs = Date.now() - t0;
    log(`${size} tasks: ${graph.tasks} rules over ${graph.sources} sources, generated in ${(generateMs / 1000).toFixed(1)} s`);

    waitForQuiet(quietLoad, quietWaitMs);
    const flowTool0 = made.find((t) => t.name === "flow");
    if (values["remote-only"] && flowTool0) {
      // The remote scenario alone (its own pre-warm builds the project): at 10,000 tasks the
      // whole harness takes hours on a loaded machine; this takes one pre-warm, one restore,
      // one full build and one cp -a.
      const remote = remoteRestoreFigures(flowTool0, { runs: 1, budgetMs, minRuns: 1, logDir, label: String(size), scratchDir: sizeDir, log, countFirst: false });
      const empty = { scenarios: [], outputs: {}, outputsAgree: true, notes: [`${size}: --remote-only: the tools were not compared`] };
      results.sizes.push({ size, shape: graph.shape, editFile: graph.editFile, dependentsOfEdit: graph.dependentsOfEdit, generateMs, comparison: empty, remote });
      if ("skipped" in remote) log(`    skipped: ${remote.skipped}`);
      else for (const f of [remote.fromRemote, remote.fullBuild, remote.cp]) log(`    ${f.error ?? `median ${f.time.median.toFixed(0)} ms over ${f.time.n} runs, count ${f.tasksRun ?? "?"}`}`);
      stopServers(made);
      stopServers(made);
    if (!values.keep) rmSync(sizeDir, { recursive: true, force: true });
      continue;
    }
    const comparison = compareTools(made, graph, { buildRuns, fastRuns, budgetMs, minRuns, logDir, label: String(size), log });
    const sr: SizeResult = {
      size,
      shape: graph.shape,
      editFile: graph.editFile,
      dependentsOfEdit: graph.dependentsOfEdit,
      generateMs,
      comparison,
    };
    results.sizes.push(sr);

    if (!values["skip-hyperfine"]) {
      // hyperfine runs each command back to back: size its runs to the budget.
      const noop = comparison.scenarios.find((s) => s.scenario === "noop");
      const perRound = made.reduce((sum, t) => sum + (noop?.tools[t.name]?.time.median || 0), 0);
      const hfRuns = Math.max(minRuns, Math.min(fastRuns, Math.floor(budgetMs / Math.max(perRound, 1)) - 1));
      log(`  no-op cross-check with hyperfine: ${hfRuns} runs per tool`);
      sr.hyperfine = hyperfineNoop(made, hfRuns, logDir, String(size));
      log(`    ${JSON.stringify(sr.hyperfine)}`);
    }
    const flow = made.find((t) => t.name === "flow");
    if (flow && !values["skip-flow-only"]) {
      sr.flowOnly = flowOnlyFigures(flow, {
        runs: fastRuns,
        budgetMs,
        minRuns,
        logDir,
        label: String(size),
        pathList,
        scratchDir: sizeDir,
        cacheDir: join(sizeDir, "flow-cache"),
        log,
      });
    }
    if (flow && !values["skip-flow-only"] && !values["skip-remote"]) {
      log(`  remote cache: pre-warm, then a fresh checkout restoring from it`);
      try {
        sr.remote = remoteRestoreFigures(flow, { runs: fastRuns, budgetMs, minRuns, logDir, label: String(size), scratchDir: sizeDir, log });
      } catch (err) {
        sr.remote = { skipped: `failed: ${err instanceof Error ? err.message : String(err)}` };
      }
      if ("skipped" in sr.remote) {
        log(`    skipped: ${sr.remote.skipped}`);
        results.notes.push(`${size}: remote restore skipped: ${sr.remote.skipped}`);
      } else {
        for (const f of [sr.remote.fromRemote, sr.remote.fullBuild, sr.remote.cp]) log(`    ${f.error ?? `median ${f.time.median.toFixed(0)} ms over ${f.time.n} runs, count ${f.tasksRun ?? "?"}`}`);
      }
    }
    if (flow && values.profile) {
      sr.profiles = {};
      log(`  CPU profile of flow's no-op build`);
      sr.profiles.noop = profileFlow(flow.dir, flow.argv.slice(3), join(logDir, `${size}-prof-noop`));
      writeFileSync(join(flow.dir, graph.editFile), `profiled edit ${Date.now()}\n`, { flag: "a" });
      log(`  CPU profile of flow's rebuild after an edit`);
      sr.profiles.edit = profileFlow(flow.dir, flow.argv.slice(3), join(logDir, `${size}-prof-edit`));
      for (const [k, p] of Object.entries(sr.profiles)) {
        log(`    ${k}: ${p.byFile.slice(0, 8).map((f) => `${f.where} ${f.ms.toFixed(0)} ms`).join(", ")}`);
      }
    }
    const make = made.find((t) => t.name === "make");
    if (make && size === 10_000 && !values["skip-make-implicit"]) {
      log(`  plain make -j2 (built-in implicit rules), no-op, once`);
      const plain: Runner = { ...make, name: "make (implicit rules)", argv: ["make", "-j2"], countingArgv: ["make", "-j2"] };
      const figures = runPlan([plain], { label: `${size}-make-implicit`, runs: 1, countFirst: false, prepare: () => {} }, logDir).get(plain.name)!;
      results.makeImplicit = { size, figures };
      log(`    ${figures.error ?? `${figures.time.median.toFixed(0)} ms, peak RSS ${(figures.rssKb.median / 1024).toFixed(0)} MiB`}`);
    }
    stopServers(made);
    if (!values.keep) rmSync(sizeDir, { recursive: true, force: true });
  }

  if (withFlow && !values["skip-flow-only"] && !values["skip-hashing"]) {
    log("hashing throughput on 1 GiB");
    waitForQuiet(quietLoad, quietWaitMs);
    results.hashing = hashThroughput(workDir, fastRuns, logDir, log, { budgetMs, minRuns });
  }
  if (!withFlow) results.notes.push("flow was not measured (--tools without flow)");

  results.finishedAt = new Date().toISOString();
  results.machine.loadAtEnd = Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
  const base = join(outDir, `bench-${sizes.join("-")}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(results, null, 2)}\n`);
  const md = renderMarkdown(results);
  writeFileSync(`${base}.md`, md);
  process.stdout.write(`\n${md}`);
  log(`wrote ${base}.json and ${base}.md; logs in ${logDir}${values.keep ? "" : " (projects removed; --keep keeps them)"}`);
}

try {
  main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}

/** The watching servers the flow-server tool started: not left behind by the benchmark. */
function stopServers(made: readonly Tool[]): void {
  for (const t of made) if ("stop" in t && typeof t.stop === "function") (t.stop as () => void)();
}
