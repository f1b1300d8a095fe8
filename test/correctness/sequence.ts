// One sequence: an initial build, then steps of edits, each followed by
//   1. `flow status --plan json` then `flow build` in the workspace
//      (persistent cache): the plan, then what the build did;
//   2. GNU make in a fresh directory (the reference clean build: the bytes
//      and modes every output must have, and the contents the oracle uses;
//      the previous step's, when nothing make reads has changed),
//   3. optionally `flow build` in another fresh directory with a fresh cache
//      (a clean flow build: all tasks ran, same keys as the workspace).
// and, optionally at the last step, `flow build` in a fresh directory
// sharing the workspace's cache (everything restored).
// Then the checks: outputs equal the reference; every task's status is the
// oracle's; the plan is the build; flow's keys and the model's keys are in
// one-to-one correspondence over the whole sequence (two states share a flow
// key iff they share a model key).
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { applyEdit, randomStep } from "./edits.js";
import { copyFiles, describeSnapDiff, listFiles, sha256, type Snap, snapPath } from "./fsutil.js";
import { buildGraph, restrict, type Graph } from "./model.js";
import {
  advanceCache,
  computeKeys,
  emptyCache,
  expectStatuses,
  planFailures,
  type CacheModel,
  type Expectation,
  type Failures,
  type Ingredients,
} from "./oracle.js";
import { buildEnv, run, type ProcResult } from "./proc.js";
import { Rng } from "./prng.js";
import { GEN_FILE, GEN_SOURCE, genValue, type Case, type State, type Step } from "./project.js";
import { renderFlowfile } from "./render.js";

export type FailureKind =
  | "flow-error" // flow printed no JSON, timed out, or its ok/exit code is wrong
  | "tasks" // flow's task list differs from the model's graph
  | "status" // ran/restored/up-to-date differs from the oracle
  | "output" // an output differs from the clean reference build
  | "key" // flow's keys and the model's keys disagree
  | "clean" // the clean flow build in a fresh directory disagrees
  | "checkout" // a build in a fresh directory sharing the workspace's cache disagrees
  | "plan" // `flow status --plan json` before the build disagrees with what the build did
  | "reference" // make failed on the generated project: a bug in this test
  | "model"; // the model rejected the project: a bug in this test

export interface Failure {
  kind: FailureKind;
  step: number;
  message: string;
}

export interface RunOptions {
  /** null: reference-only mode (generate, edit, build with make; no flow). */
  flowBin: string | null;
  tmpRoot: string;
  /** Run a clean flow build in a fresh directory at every step, or only at
   * the last step (step 0 is a clean build already). */
  cleanFlow: "every" | "last" | "never";
  /** After the workspace build, build the same state in a fresh directory
   * sharing the workspace's cache (sequentially): everything restored. */
  checkout: "every" | "last" | "never";
  timeoutMs: number;
  /** Keep the directories of a failed sequence. */
  keepOnFailure: boolean;
  log: (line: string) => void;
  verbose: boolean;
  /** Edit kinds not to generate. */
  exclude: ReadonlySet<string>;
  /** Run `flow status --plan json` before each workspace build and check it
   * against the build: before every build, or every build but the first (a
   * fresh workspace, where every task is stale). Status writes the stat memo,
   * so this is part of what reproduces a sequence. */
  status: "every" | "incremental" | "never";
  /** The workspace's builds and statuses ask a watching server (`--server`, one per sequence, stopped at its end). */
  server?: boolean;
}

export interface SequenceResult {
  c: Case;
  failure: Failure | null;
  steps: number;
  dir: string;
  flowMs: number;
  counts: Record<string, number>;
}

interface FlowTask {
  name: string;
  status: string;
  key?: string;
}

interface FlowRun {
  proc: ProcResult;
  /** null when flow printed no usable JSON or timed out (see error). */
  tasks: FlowTask[] | null;
  /** The tasks that made generated includes, each round (`includes` of the JSON). */
  includes: Array<FlowTask & { round: number }>;
  ok: boolean;
  error: string | null;
  stderrTail: string;
  /** The JSON's `state.server`: "noop" when the watching server answered the build by itself. */
  server?: string;
}

interface BuildArgs {
  goals: readonly string[];
  keepGoing: boolean;
  jobs: number | undefined;
}

function tail(s: string): string {
  return s.trim().split("\n").slice(-15).join("\n");
}

async function runFlow(
  opts: RunOptions,
  dir: string,
  cache: string,
  state: State,
  b: BuildArgs,
  logAs: string,
  server = false,
): Promise<FlowRun | null> {
  if (opts.flowBin === null) return null;
  const args = [
    "--no-concurrent-recompilation",
    opts.flowBin,
    "build",
    ...(server ? ["--server"] : []),
    "-C",
    dir,
    "--cache-dir",
    cache,
    "--json",
    ...(b.keepGoing ? ["-k"] : []),
    ...(b.jobs !== undefined ? ["-j", String(b.jobs)] : []),
    ...Object.entries(state.vars)
      .sort()
      .map(([k, v]) => `${k}=${v}`),
    ...b.goals,
  ];
  const proc = await run(process.execPath, args, { cwd: dir, env: buildEnv(state.env), timeoutMs: opts.timeoutMs });
  keepLog(logAs, args, proc);
  const stderrTail = tail(proc.stderr);
  if (proc.timedOut) {
    return { proc, tasks: null, includes: [], ok: false, error: `flow timed out after ${opts.timeoutMs} ms`, stderrTail };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(proc.stdout);
  } catch {
    return {
      proc,
      tasks: null,
      includes: [],
      ok: false,
      error: `flow exit ${proc.code ?? proc.signal}, stdout is not one JSON document:\n${tail(proc.stdout)}\nstderr:\n${stderrTail}`,
      stderrTail,
    };
  }
  const d = doc as { ok?: unknown; tasks?: unknown; includes?: unknown };
  if (!Array.isArray(d.tasks)) return { proc, tasks: null, includes: [], ok: false, error: "flow JSON has no tasks array", stderrTail };
  const tasks = (d.tasks as Array<Record<string, unknown>>).map((t) => ({
    name: String(t["name"]),
    status: String(t["status"]),
    ...(typeof t["key"] === "string" ? { key: t["key"] } : {}),
  }));
  const includes = (Array.isArray(d.includes) ? (d.includes as Array<Record<string, unknown>>) : []).map((t) => ({
    round: Number(t["round"]),
    name: String(t["name"]),
    status: String(t["status"]),
    ...(typeof t["key"] === "string" ? { key: t["key"] } : {}),
  }));
  const answeredBy = (doc as { state?: { server?: unknown } }).state?.server;
  return { proc, tasks, includes, ok: d.ok === true, error: null, stderrTail, ...(typeof answeredBy === "string" ? { server: answeredBy } : {}) };
}

interface StatusTask {
  name: string;
  state: "fresh" | "cached" | "stale" | "waiting";
}

interface StatusRun {
  code: number | null;
  /** null when status printed no JSON plan (see error). */
  doc: { tasks: StatusTask[]; counts: Record<string, number>; includes?: { tasks: string[]; pending: boolean } } | null;
  error: string | null;
}

/** `flow status --plan json` of the same state and targets, before the build. */
async function runStatus(opts: RunOptions, dir: string, cache: string, state: State, b: BuildArgs, logAs: string, server = false): Promise<StatusRun> {
  const args = [
    "--no-concurrent-recompilation",
    opts.flowBin as string,
    "status",
    ...(server ? ["--server"] : []),
    "-C",
    dir,
    "--cache-dir",
    cache,
    "--plan",
    "json",
    ...Object.entries(state.vars)
      .sort()
      .map(([k, v]) => `${k}=${v}`),
    ...b.goals,
  ];
  const proc = await run(process.execPath, args, { cwd: dir, env: buildEnv(state.env), timeoutMs: opts.timeoutMs });
  keepLog(logAs, args, proc);
  if (proc.timedOut) return { code: null, doc: null, error: `flow status timed out after ${opts.timeoutMs} ms` };
  try {
    return { code: proc.code, doc: JSON.parse(proc.stdout) as StatusRun["doc"], error: null };
  } catch {
    return { code: proc.code, doc: null, error: `flow status exit ${proc.code ?? proc.signal}, no JSON plan:\n${tail(proc.stdout)}\nstderr:\n${tail(proc.stderr)}` };
  }
}

/**
 * The plan is the build: what `flow status` said before the build against
 * what the build then did. A task status calls fresh must not run or be
 * restored; a stale one must run (`failed` is a run); a cached one must be
 * restored, or run when its blob is gone; either may be left `skipped` or
 * `cannot-run` by a failure elsewhere. A waiting task may go any way: early
 * cutoff can spare it, or its key turn out cached. A task without a recipe
 * (`all`) does no work whatever status says of it. While generated includes
 * are pending, the plan is the include round's (the build's first round), and
 * nothing is known of the rest; when they are settled, the build's include
 * round must do no work.
 */
function checkStatus(st: StatusRun, fr: FlowRun, g: Graph, buildFailed: boolean, counts: Record<string, number>): string[] {
  if (st.error !== null || st.doc === null) return [st.error ?? "no plan"];
  const doc = st.doc;
  const bad: string[] = [];
  const noop = doc.tasks.every((t) => t.state === "fresh") && doc.includes?.pending !== true;
  if (st.code !== (noop ? 0 : 1)) bad.push(`status exit ${st.code}, expected ${noop ? 0 : 1}`);
  if (fr.tasks === null) return bad;
  const pending = doc.includes?.pending === true;
  const round1 = fr.includes.filter((t) => t.round === 1);
  const built = new Map((pending ? round1 : fr.tasks).map((t) => [t.name, t.status]));
  if (!pending) {
    const worked = fr.includes.filter((t) => t.status !== "up-to-date");
    if (worked.length > 0) {
      bad.push(`status says the generated includes are fresh, the build's include rounds did: ${worked.map((t) => `${t.name} ${t.status} (round ${t.round})`).join(", ")}`);
    }
  }
  const planned = doc.tasks.map((t) => t.name).sort();
  const done = [...built.keys()].sort();
  if (planned.join(" ") !== done.join(" ")) {
    bad.push(`status plans [${planned.join(" ")}], the build${pending ? "'s include round" : ""} has [${done.join(" ")}]`);
  }
  const spared = buildFailed ? ["skipped", "cannot-run"] : [];
  const allowed: Record<StatusTask["state"], string[] | null> = {
    fresh: ["up-to-date", ...spared],
    stale: ["ran", "failed", ...spared],
    cached: ["restored", "ran", ...spared],
    waiting: null,
  };
  for (const t of doc.tasks) {
    const got = built.get(t.name);
    if (got === undefined) continue;
    counts[`plan:${t.state}->${got}`] = (counts[`plan:${t.state}->${got}`] ?? 0) + 1;
    const recipeless = !pending && g.tasks.get(t.name)?.recipe === "";
    const ok = recipeless ? t.state !== "fresh" || got === "up-to-date" : (allowed[t.state]?.includes(got) ?? true);
    if (!ok) bad.push(`  ${t.name}: status says ${t.state}, the build ${got}`);
  }
  return bad;
}

function snapOutputs(root: string, g: Graph): Map<string, Snap> {
  const m = new Map<string, Snap>();
  for (const t of g.tasks.values()) for (const o of t.outputs) m.set(o.path, snapPath(root, o.path));
  return m;
}

function flattenOutputs(ref: ReadonlyMap<string, Snap>): Map<string, string> {
  const m = new Map<string, string>();
  for (const [p, s] of ref) {
    if (s.kind === "file") m.set(p, s.sha);
    if (s.kind === "dir") {
      for (const [k, v] of Object.entries(s.entries)) if (typeof v !== "string") m.set(`${p}/${k}`, v.sha);
    }
  }
  return m;
}

interface Problem {
  kind: FailureKind;
  text: string;
}

/** Checks one flow build: JSON, ok/exit code, task list, statuses, outputs. */
function checkBuild(
  fr: FlowRun,
  where: string,
  root: string,
  g: Graph,
  ref: ReadonlyMap<string, Snap>,
  expected: ReadonlyMap<string, Expectation>,
  fail: Failures,
  kinds: { error: FailureKind; tasks: FailureKind; status: FailureKind; output: FailureKind },
  problems: Problem[],
): Map<string, FlowTask> | null {
  if (fr.error !== null || fr.tasks === null) {
    problems.push({ kind: kinds.error, text: `${where}: ${fr.error ?? "no tasks"}` });
    return null;
  }
  const shouldFail = fail.failed.size > 0;
  if (fr.ok === shouldFail || (fr.proc.code === 0) === shouldFail) {
    problems.push({
      kind: kinds.error,
      text: `${where}: ok=${String(fr.ok)}, exit ${fr.proc.code ?? fr.proc.signal}, expected ${
        shouldFail ? `a failed build (${[...fail.failed].join(" ")} must fail)` : "success"
      }\nstderr:\n${fr.stderrTail}`,
    });
  }
  const byName = new Map(fr.tasks.map((t) => [t.name, t]));
  const missing = [...g.tasks.keys()].filter((n) => !byName.has(n));
  const extra = fr.tasks.map((t) => t.name).filter((n) => !g.tasks.has(n));
  if (missing.length > 0 || extra.length > 0 || byName.size !== fr.tasks.length) {
    problems.push({
      kind: kinds.tasks,
      text: `${where}: task list differs from the model: missing [${missing.join(" ")}], unexpected [${extra.join(" ")}]`,
    });
  }
  const bad: string[] = [];
  for (const name of g.order) {
    const ft = byName.get(name);
    const e = expected.get(name) as Expectation;
    if (ft === undefined) continue;
    if (!(e.allowed as string[]).includes(ft.status)) {
      bad.push(`  ${name}: flow says ${ft.status}, expected ${e.allowed.join(" or ")} (${e.why})`);
    }
  }
  if (bad.length > 0) problems.push({ kind: kinds.status, text: `${where}: statuses differ from the oracle:\n${bad.join("\n")}` });
  for (const t of g.tasks.values()) {
    const st = byName.get(t.name)?.status;
    for (const o of t.outputs) {
      let d: string | null = null;
      if (st === "ran" || st === "restored" || st === "up-to-date") {
        d = describeSnapDiff(snapPath(root, o.path), ref.get(o.path) as Snap);
        if (d !== null) d += " (compared with a clean make build)";
      } else if (st === "failed") {
        const s = snapPath(root, o.path);
        if (s.kind !== "missing") d = `is left after its recipe failed (a ${s.kind})`;
      }
      if (d !== null) problems.push({ kind: kinds.output, text: `${where}: output ${o.path} of ${t.name} ${d}` });
    }
  }
  return byName;
}

/** Runs a case: `steps` random steps after the initial build (recorded in
 * c.steps), or, with "replay", exactly c.steps. */
export async function runSequence(c: Case, steps: number | "replay", opts: RunOptions): Promise<SequenceResult> {
  mkdirSync(opts.tmpRoot, { recursive: true });
  const dir = mkdtempSync(join(opts.tmpRoot, `seq-${c.seed ?? "case"}-`));
  const work = join(dir, "work");
  const cache = join(dir, "cache");
  mkdirSync(work);
  for (const [p, content] of Object.entries(c.files)) {
    mkdirSync(join(work, p, ".."), { recursive: true });
    writeFileSync(join(work, p), content);
  }
  const replay = steps === "replay";
  const total = replay ? c.steps.length : steps;
  const stepRng = new Rng(((c.seed ?? 0) ^ 0x5eed5eed) >>> 0);
  if (!replay) c.steps = [];
  // The initial state and files are kept as they were: the case must replay.
  const initial: Case = structuredClone(c);
  const state = structuredClone(c.state);
  const model: CacheModel = emptyCache();
  let lastOutputs = new Map<string, string>();
  let prevIngredients = new Map<string, Ingredients>();
  let graph: Graph | null = null;
  /** The last reference build: its inputs (hashed), directory and make's result. */
  let ref0: { key: string; dir: string; make: ProcResult } | null = null;
  const flowKeyOf = new Map<string, string>(); // model key -> flow key
  const modelKeyOf = new Map<string, { model: string; task: string; step: number }>();
  const ingredientsByKey = new Map<string, Ingredients>();
  const counts: Record<string, number> = {};
  let flowMs = 0;
  let failure: Failure | null = null;
  let stepsRun = 0;

  for (let i = 0; i <= total && failure === null; i++) {
    const stepLog: string[] = [];
    let step: Step = { edits: [] };
    if (i > 0) {
      if (replay) step = c.steps[i - 1] as Step;
      else {
        step = randomStep(stepRng, {
          c: initial,
          state,
          sources: listFiles(work, "in"),
          graph: graph as Graph,
          lastOutputs,
          exclude: opts.exclude,
        });
        initial.steps.push(step);
      }
      for (const e of step.edits) {
        const d = applyEdit(e, { work, cache, project: c.project, state, model, lastOutputs });
        stepLog.push(d === null ? `(skipped: ${JSON.stringify(e)})` : d);
      }
    } else stepLog.push("initial build");
    stepsRun = i;

    const flowfile = renderFlowfile(c.project, state, "flow", c.seed);
    const ffPath = join(work, "Flowfile");
    if (!existsSync(ffPath) || readFileSync(ffPath, "utf8") !== flowfile) writeFileSync(ffPath, flowfile);

    const sources = listFiles(work, "in");
    const genSrc = join(work, GEN_SOURCE);
    const gen = c.project.gen !== undefined ? genValue(existsSync(genSrc) ? readFileSync(genSrc, "utf8") : "") : undefined;
    try {
      graph = buildGraph(c.project, state, sources, gen);
    } catch (e) {
      failure = { kind: "model", step: i, message: String(e) };
      break;
    }
    // Named targets that an edit of this step made disappear are dropped.
    const goals = (step.goals ?? []).filter((n) => (graph as Graph).tasks.has(n));
    const b: BuildArgs = { goals, keepGoing: step.keepGoing === true, jobs: step.jobs };
    if (b.goals.length > 0) stepLog.push(`build ${b.goals.join(" ")}`);
    if (b.keepGoing) stepLog.push("-k");
    if (b.jobs !== undefined) stepLog.push(`-j ${b.jobs}`);
    const g: Graph = b.goals.length > 0 ? restrict(graph, b.goals) : graph;
    const srcSha = new Map(sources.map((p) => [p, sha256(readFileSync(join(work, p)))]));
    const disk = snapOutputs(work, g);

    const makefile = renderFlowfile(c.project, state, "make", c.seed);
    const makeArgs = [
      "-r",
      "-R",
      "-s",
      "-k",
      "-f",
      "Flowfile.mk",
      ...Object.entries(state.vars)
        .sort()
        .map(([k, v]) => `${k}=${v}`),
      ...b.goals,
    ];
    // make's clean build is a function of the makefile, its command line, the
    // environment and the sources: a step that changed none of them (an edit
    // of outputs or of the cache, a touch, a same-bytes edit) has the previous
    // step's reference, and its directory serves again instead of a new make.
    const refKey = sha256(JSON.stringify([makefile, makeArgs, Object.entries(state.env).sort(), [...srcSha]]));
    if (ref0 !== null && ref0.key !== refKey) {
      rmSync(ref0.dir, { recursive: true, force: true });
      ref0 = null;
    }
    const refDir: string = ref0?.dir ?? join(dir, `ref-${i}`);
    let makeRun: Promise<ProcResult>;
    if (ref0 !== null) {
      makeRun = Promise.resolve(ref0.make);
      counts["make:reused"] = (counts["make:reused"] ?? 0) + 1;
    } else {
      mkdirSync(refDir);
      copyFiles(work, refDir, sources);
      writeFileSync(join(refDir, "Flowfile.mk"), makefile);
      makeRun = run("make", makeArgs, { cwd: refDir, env: buildEnv(state.env), timeoutMs: opts.timeoutMs });
    }
    const doClean =
      opts.flowBin !== null && (opts.cleanFlow === "every" || (opts.cleanFlow === "last" && i === total));
    const cleanDir = join(dir, `clean-${i}`);
    if (doClean) copyFiles(work, cleanDir, [...sources, "Flowfile"]);
    // make and the clean flow build run in directories of their own, beside
    // status and then the workspace build (in that order: status reads the
    // cache the build writes, and must say what the build will do before it
    // does it).
    const statusDone =
      opts.flowBin !== null && (opts.status === "every" || (opts.status === "incremental" && i > 0))
        ? runStatus(opts, work, cache, state, b, join(dir, "logs", `${i}-status.txt`), opts.server === true)
        : Promise.resolve(null);
    const [statusRun, inc, mk, clean] = await Promise.all([
      statusDone,
      statusDone.then(() => runFlow(opts, work, cache, state, b, join(dir, "logs", `${i}-work.txt`), opts.server === true)),
      makeRun,
      doClean
        ? runFlow(opts, cleanDir, join(dir, `clean-cache-${i}`), state, b, join(dir, "logs", `${i}-clean.txt`))
        : Promise.resolve(null),
    ]);
    ref0 = { key: refKey, dir: refDir, make: mk };
    flowMs += inc?.proc.ms ?? 0;
    const header = `step ${i}: ${stepLog.join("; ")}`;
    if (opts.verbose) opts.log(`  [seed ${c.seed}] ${header}`);

    // Which recipes fail: their guard sees FAIL in an input (sources from the
    // workspace, made files from the reference build).
    const fail = planFailures(
      g,
      (t) => state.recipes[t.def]?.guard === true,
      (p) => {
        const abs = join(srcSha.has(p) ? work : refDir, p);
        return existsSync(abs) ? readFileSync(abs, "utf8") : null;
      },
      b.keepGoing,
    );
    const ref = snapOutputs(refDir, g);
    const refBad = [...g.tasks.values()]
      .filter((t) => !fail.failed.has(t.name) && !fail.blocked.has(t.name))
      .flatMap((t) => t.outputs.filter((o) => ref.get(o.path)?.kind === "missing").map((o) => o.path));
    if (refBad.length > 0 || (mk.code !== 0 && fail.failed.size === 0)) {
      failure = {
        kind: "reference",
        step: i,
        message: `${header}\nmake (the reference) failed or left out ${refBad.join(" ")}: a bug in the generator:\n${tail(mk.stderr)}`,
      };
      break;
    }
    const keyed = computeKeys(g, srcSha, ref, state.env);
    const exp = expectStatuses(g, keyed, model, disk, ref, prevIngredients, fail);

    const problems: Problem[] = [];
    const fails = (): boolean => {
      if (problems.length === 0) return false;
      const order: FailureKind[] = ["flow-error", "tasks", "output", "status", "plan", "key", "clean", "checkout"];
      problems.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
      failure = {
        kind: (problems[0] as Problem).kind,
        step: i,
        message: `${header}\n${problems.map((p) => p.text).join("\n")}`,
      };
      return true;
    };

    for (const p of sources) {
      if (!existsSync(join(work, p)) || sha256(readFileSync(join(work, p))) !== srcSha.get(p)) {
        problems.push({ kind: "output", text: `flow build changed the source file ${p}` });
      }
    }
    const incTasks =
      inc === null
        ? null
        : checkBuild(inc, "flow build", work, g, ref, exp, fail, {
            error: "flow-error",
            tasks: "tasks",
            status: "status",
            output: "output",
          }, problems);
    if (inc !== null && statusRun !== null && inc.tasks !== null) {
      const bad = checkStatus(statusRun, inc, g, fail.failed.size > 0, counts);
      if (bad.length > 0) problems.push({ kind: "plan", text: `flow status before the build disagrees with the build:\n${bad.join("\n")}` });
    }
    if (inc !== null && inc.tasks !== null && c.project.gen !== undefined) {
      const d = describeSnapDiff(snapPath(work, GEN_FILE), snapPath(refDir, GEN_FILE));
      if (d !== null) problems.push({ kind: "output", text: `flow build: the generated include ${GEN_FILE} ${d} (compared with a clean make build)` });
    }
    if (incTasks !== null) {
      for (const t of incTasks.values()) counts[t.status] = (counts[t.status] ?? 0) + 1;
      // Keys: one-to-one with the model's keys across the sequence.
      for (const name of g.order) {
        const fk = incTasks.get(name)?.key;
        const mk = keyed.keys.get(name) as string;
        if (fk === undefined || fail.blocked.has(name)) continue;
        const known = flowKeyOf.get(mk);
        const back = modelKeyOf.get(fk);
        if (known !== undefined && known !== fk) {
          problems.push({
            kind: "key",
            text: `${name}: same ingredients as before (model) but flow's key changed ${known} -> ${fk}`,
          });
        } else if (back !== undefined && back.model !== mk) {
          problems.push({
            kind: "key",
            text: `${name}: flow key ${fk} also given to ${back.task} at step ${back.step}, whose ingredients differ (model): ${explainDiff(
              ingredientsByKey.get(back.model),
              keyed.ingredients.get(name),
            )}`,
          });
        } else {
          flowKeyOf.set(mk, fk);
          modelKeyOf.set(fk, { model: mk, task: name, step: i });
          const ing = keyed.ingredients.get(name);
          if (ing !== undefined) ingredientsByKey.set(mk, ing);
        }
      }
    }
    if (clean !== null) {
      const none = new Map<string, Snap>([...disk.keys()].map((p) => [p, { kind: "missing" }]));
      const expClean = expectStatuses(g, keyed, emptyCache(), none, ref, prevIngredients, fail);
      const cleanTasks = checkBuild(clean, "clean flow build (fresh dir, fresh cache)", cleanDir, g, ref, expClean, fail, {
        error: "clean",
        tasks: "clean",
        status: "clean",
        output: "clean",
      }, problems);
      for (const t of cleanTasks?.values() ?? []) {
        const ik = incTasks?.get(t.name)?.key;
        if (ik !== undefined && t.key !== undefined && ik !== t.key && !fail.blocked.has(t.name)) {
          problems.push({ kind: "clean", text: `clean flow build: ${t.name} has key ${t.key}, the workspace ${ik}` });
        }
      }
    }
    if (fails()) break;

    if (opts.flowBin === null) {
      // Reference-only mode: pretend flow built exactly the reference.
      for (const t of g.tasks.values()) {
        if (fail.failed.has(t.name) || fail.blocked.has(t.name)) continue;
        for (const o of t.outputs) {
          rmSync(join(work, o.path), { recursive: true, force: true });
          if (existsSync(join(refDir, o.path))) {
            cpSync(join(refDir, o.path), join(work, o.path), { recursive: true, preserveTimestamps: true });
          }
        }
      }
    }
    const observed =
      incTasks !== null
        ? new Map([...incTasks].map(([n, t]) => [n, t.status]))
        : new Map([...exp].map(([n, e]) => [n, e.allowed[0] as string])); // reference-only mode
    if (incTasks === null) for (const st of observed.values()) counts[st] = (counts[st] ?? 0) + 1;
    advanceCache(g, keyed, model, observed, ref);

    // Another checkout of the same state sharing the workspace's cache:
    // every task is restored (keys do not depend on the directory).
    const doCheckout = opts.flowBin !== null && (opts.checkout === "every" || (opts.checkout === "last" && i === total));
    if (doCheckout) {
      const coDir = join(dir, `checkout-${i}`);
      copyFiles(work, coDir, [...sources, "Flowfile"]);
      const co = await runFlow(opts, coDir, cache, state, b, join(dir, "logs", `${i}-checkout.txt`));
      const none = new Map<string, Snap>([...disk.keys()].map((p) => [p, { kind: "missing" }]));
      const expCo = expectStatuses(g, keyed, model, none, ref, keyed.ingredients, fail);
      const coTasks =
        co === null
          ? null
          : checkBuild(co, "flow build in a fresh checkout sharing the cache", coDir, g, ref, expCo, fail, {
              error: "checkout",
              tasks: "checkout",
              status: "checkout",
              output: "checkout",
            }, problems);
      if (coTasks !== null) {
        for (const t of coTasks.values()) {
          const ik = incTasks?.get(t.name)?.key;
          if (ik !== undefined && t.key !== undefined && ik !== t.key && !fail.blocked.has(t.name)) {
            problems.push({ kind: "checkout", text: `fresh checkout: ${t.name} has key ${t.key}, the workspace ${ik}` });
          }
        }
        advanceCache(g, keyed, model, new Map([...coTasks].map(([n, t]) => [n, t.status])), ref);
      }
      if (fails()) break;
      rmSync(coDir, { recursive: true, force: true });
    }
    // With the server, the last build is repeated twice with nothing changed: the first repeat can
    // settle as a no-op with the server, and the second be answered by the server alone (docs/server.md,
    // "A no-op answered by the server"). The second must decide as the first did and leave the outputs as they were.
    // (Only after a build that succeeded: after a failure without -k, which tasks started before the
    // build stopped depends on timing, so two repeats may rightly differ in what they skipped.)
    if (opts.server === true && opts.flowBin !== null && i === total && incTasks !== null && inc?.ok === true) {
      const again = await runFlow(opts, work, cache, state, b, join(dir, "logs", `${i}-again-1.txt`), true);
      const before = snapOutputs(work, g);
      const twice = await runFlow(opts, work, cache, state, b, join(dir, "logs", `${i}-again-2.txt`), true);
      if (twice?.server === "noop") counts["server:noop"] = (counts["server:noop"] ?? 0) + 1;
      const seen = (r: FlowRun | null) => JSON.stringify((r?.tasks ?? []).map((t) => [t.name, t.status, t.key ?? null]));
      if (again === null || twice === null || again.tasks === null || twice.tasks === null || seen(again) !== seen(twice) || again.ok !== twice.ok) {
        problems.push({ kind: "tasks", text: `the build repeated with nothing changed decided otherwise${twice?.server === "noop" ? " (answered by the server)" : ""}:\nfirst repeat:  ${seen(again)} ${again?.error ?? ""}\nsecond repeat: ${seen(twice)} ${twice?.error ?? ""}` });
      }
      for (const [p, snap] of snapOutputs(work, g)) {
        const d = describeSnapDiff(snap, before.get(p) as Snap);
        if (d !== null) problems.push({ kind: "output", text: `the second repeated build changed ${p}: ${d}` });
      }
      if (fails()) break;
    }
    lastOutputs = flattenOutputs(ref);
    prevIngredients = keyed.ingredients;
    if (doClean) {
      rmSync(cleanDir, { recursive: true, force: true });
      rmSync(join(dir, `clean-cache-${i}`), { recursive: true, force: true });
    }
  }
  if (opts.server === true && opts.flowBin !== null) {
    // The sequence's server goes with it (it would stop itself after hours idle).
    await run(process.execPath, ["--no-concurrent-recompilation", opts.flowBin, "server", "stop", "-C", work], { cwd: dir, env: buildEnv({}), timeoutMs: opts.timeoutMs });
  }
  if (failure === null || !opts.keepOnFailure) rmSync(dir, { recursive: true, force: true });
  const outCase = replay ? c : initial;
  const f = failure as Failure | null;
  if (f !== null && !replay) outCase.steps = outCase.steps.slice(0, f.step);
  return { c: outCase, failure: f, steps: stepsRun, dir, flowMs, counts };
}

function explainDiff(a: Ingredients | undefined, b: Ingredients | undefined): string {
  if (a === undefined || b === undefined) return "?";
  const parts: string[] = [];
  if (a.recipe !== b.recipe) parts.push(`recipe ${JSON.stringify(a.recipe)} vs ${JSON.stringify(b.recipe)}`);
  if (JSON.stringify(a.outputs) !== JSON.stringify(b.outputs)) parts.push("outputs");
  if (JSON.stringify(a.inputs) !== JSON.stringify(b.inputs)) parts.push("inputs");
  if (JSON.stringify(a.deps) !== JSON.stringify(b.deps)) parts.push("dependency outputs");
  if (JSON.stringify(a.env) !== JSON.stringify(b.env)) parts.push("env");
  return parts.join(", ") || "none";
}

/** Kept with a failed sequence (--keep): the command and what it said. */
function keepLog(logAs: string, args: readonly string[], proc: { code: number | null; signal: string | null; stdout: string; stderr: string }): void {
  mkdirSync(dirname(logAs), { recursive: true });
  writeFileSync(logAs, `${args.join(" ")}\nexit ${proc.code ?? proc.signal}\n--- stdout\n${proc.stdout}\n--- stderr\n${proc.stderr}`);
}
