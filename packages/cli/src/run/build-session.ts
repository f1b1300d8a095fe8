// A build session: what one `flow build` (and each round of its include
// builder) holds while tasks run: the workspace lock, the hasher, the opened
// cache, the engine's host, the shell runner and the interrupt wiring. Opened
// and closed in one place so the build proper and the include builder cannot
// drift apart (they did: the include builder had its own copy of each step).
import { createHasher, LocalCache, type Hasher, type StatLike } from "@flow/cache";
import { runBuild, type AssumeFresh, type BuildEvent, type BuildHost, type BuildOutcome, type ExpectedMs, type PriorLookup, type ScheduleOrder, type TaskGraph } from "@flow/graph";
import { logDirOf } from "./cache-dir.js";
import { onInterrupt } from "./interrupt.js";
import { localBuildHost } from "./local-build-host.js";
import { closeRemoteTier, openRemoteTier, type RemoteSettings } from "./remote-settings.js";
import type { RemoteReport } from "../render/remote-summary.js";
import { recipeBaseEnv } from "./recipe-env.js";
import type { Output, TextRenderer } from "../render/render.js";
import { ShellRunner } from "./shell-runner.js";
import type { JobAccounting, TaskRunner, RunRequest, RunResult } from "@flow/graph";
import { JobserverRunner, type Jobserver } from "./jobserver.js";
import { LOCK_TOKENS, PARENT_RESULTS, subResultsPath, takeSubResults, type SubTask } from "./sub-make.js";
import { lockWorkspace } from "./workspace-lock.js";
import { jobsRecordPath, readJobsRecord } from "./slurm-jobs-record.js";
import type { SlurmRunner } from "./slurm-runner.js";
import type { SlurmSettings } from "./slurm-settings.js";

export interface BuildSessionOptions {
  readonly root: string;
  /** Resolved already (cache-dir.ts). */
  readonly cacheDir: string;
  readonly env: NodeJS.ProcessEnv;
  /** Warnings and the interrupt notice are shown through it. */
  readonly renderer: TextRenderer;
  /** Where lock messages go. */
  readonly err: Output;
  readonly noWait: boolean;
  /** A stat the project loader already made, handed to the stat memo instead of a second one. */
  readonly stat?: (absPath: string) => StatLike | undefined;
  /** Show the runner's notes on logs (the build proper; include rounds stay quiet). */
  readonly logNotes?: boolean;
  /** A remote cache behind the local one (the build proper; include rounds stay local). */
  readonly remote?: RemoteSettings;
  /** Recursive make (the build proper; include rounds run none): see sub-make.ts. */
  readonly subMake?: SubMakeSetup;
  /** Where recipes run (`--executor`, `.EXECUTOR`) and how Slurm is used (slurm-settings.ts). */
  readonly slurm?: SlurmSettings;
}

export interface SubMakeSetup {
  /**
   * The job slots recipes share (jobserver.ts), made on first use: none at
   * -j 1 with no jobserver above.
   */
  readonly jobserver: () => Jobserver | undefined;
  /** MAKEFLAGS and MAKELEVEL as recipes see them. */
  readonly env: Readonly<Record<string, string>>;
  /** What the sub-builds a task's recipe ran reported, by task name, once the recipe has ended. */
  readonly onSubTasks: (taskName: string, tasks: SubTask[]) => void;
}

export interface SessionBuild {
  readonly graph: TaskGraph;
  readonly roots: readonly number[];
  readonly emit: (e: BuildEvent) => void;
  readonly concurrency: number;
  readonly keepGoing: boolean;
  readonly force: boolean;
  /** `-l N`: whether a new task may start now (the load average is below N). */
  readonly mayStart?: () => boolean;
  /** The persistent build state's vouchers (build-state.ts). */
  readonly prior?: PriorLookup;
  /** `--output-logs full`: every hit's stored log comes back (run-build.ts BuildRequest.replayLogs). */
  readonly replayLogs?: boolean;
  /** Which ready task starts first, and each task's expected duration (schedule-hints.ts). */
  readonly order?: ScheduleOrder;
  readonly expectedMs?: ExpectedMs;
  /** `--profile`: the clock task phases are timed with (trace-profile.ts). */
  readonly profileClock?: () => number;
  /** `--assume-fresh` (@flow/graph assume-fresh.ts). */
  readonly assume?: AssumeFresh;
}

export interface BuildSession {
  readonly cache: LocalCache;
  readonly hasher: Hasher;
  readonly host: BuildHost;
  /** True once Ctrl-C (or SIGTERM) arrived during the session. */
  readonly interrupted: boolean;
  /** Runs a build on this session's host and runner, stopped by its interrupt. */
  build(b: SessionBuild): Promise<BuildOutcome>;
  /**
   * Stops listening for interrupts, waits (bounded) for remote uploads,
   * closes the cache, releases the lock. Says what the remote did, when there is one.
   */
  close(): Promise<RemoteReport | undefined>;
}

/** The cluster's accounting (sacct: CPU time, peak memory) on the results of the tasks its jobs ran. */
function withAccounting(outcome: BuildOutcome, acct: ReadonlyMap<string, JobAccounting>): BuildOutcome {
  if (acct.size === 0) return outcome;
  const results = new Map(outcome.results);
  for (const [id, r] of results) {
    const a = r.job === undefined ? undefined : acct.get(r.job.id);
    if (a !== undefined) results.set(id, { ...r, job: a });
  }
  return { ...outcome, results };
}

/**
 * Takes the workspace lock and opens everything a build needs; undefined when
 * the lock could not be had (the reason was written to `err`).
 */
export async function openBuildSession(o: BuildSessionOptions): Promise<BuildSession | undefined> {
  // One build (or clean) per workspace at a time.
  const lock = await lockWorkspace(o.root, "flow build", { noWait: o.noWait, err: o.err });
  if (lock === undefined) return undefined;
  let cache: LocalCache;
  let hasher: Hasher;
  try {
    hasher = await createHasher();
    cache = await LocalCache.open(o.cacheDir, { hasher, onWarning: (w) => o.renderer.warning(w), ...(o.stat ? { stat: o.stat } : {}) });
  } catch (err) {
    lock.release();
    throw err;
  }
  const abort = new AbortController();
  const force = new AbortController();
  let interrupted = false;
  const stopListening = onInterrupt((again) => {
    interrupted = true;
    o.renderer.handle({ type: "interrupt", force: again });
    if (again) force.abort();
    else abort.abort();
  });
  const sub = o.subMake;
  const shell = new ShellRunner({
    graceMs: 5000,
    forceSignal: force.signal,
    ...(o.logNotes ? { logNotes: o.renderer.logNotes } : {}),
    ...(sub !== undefined ? { fds: () => sub.jobserver()?.childFds ?? [] } : {}),
  });
  let runner: TaskRunner = shell;
  if (sub !== undefined) runner = new SubBuildRunner(runner, o.root, sub.onSubTasks);
  if (sub !== undefined) runner = new JobserverRunner(runner, sub.jobserver);
  const onWarning = (w: { code: string; message: string }) => o.renderer.warning(w);
  let slurm: LazySlurm | undefined;
  if (o.slurm !== undefined) {
    const settings = o.slurm;
    // Jobs a killed build left: cancelled before anything runs, here or on the cluster (slurm-orphans.ts).
    // Their record is one small read; the Slurm modules load only when there is one or a task goes to Slurm.
    if (readJobsRecord(jobsRecordPath(o.root)) !== undefined) {
      const [{ cancelOrphans }, { toolRunner }] = await Promise.all([import("./slurm-orphans.js"), import("./slurm-tool.js")]);
      const orphans = await cancelOrphans(o.root, toolRunner(o.env), settings.pollMs);
      if (orphans !== undefined && "error" in orphans) onWarning({ code: "SLURM_ORPHANS", message: `an earlier build's Slurm jobs could not be cancelled (${orphans.error}); they may still run: check squeue` });
      else if (orphans !== undefined && orphans.cancelled.length > 0) onWarning({ code: "SLURM_ORPHANS", message: `cancelled Slurm jobs ${orphans.cancelled.join(" ")} left running by an earlier build that was killed; their tasks run again` });
    }
    slurm = new LazySlurm(async () => {
      const [{ SlurmRunner }, { toolRunner }] = await Promise.all([import("./slurm-runner.js"), import("./slurm-tool.js")]);
      return new SlurmRunner({ root: o.root, tool: toolRunner(o.env), ...settings, warn: onWarning });
    });
    runner = new ExecutorRunner(runner, slurm, settings.executor);
  }
  const remote = o.remote === undefined ? undefined : await openRemoteTier(o.remote, { hasher, cacheDir: o.cacheDir, onWarning });
  const host = localBuildHost({ root: o.root, cache, hasher, logDir: logDirOf(o.root), onWarning, ...(remote ? { further: [remote] } : {}) });
  // A sub-build's lock in the same workspace is this one (see workspace-lock.ts).
  const lockTokens = [...(o.env[LOCK_TOKENS] ?? "").split(",").filter((t) => t !== ""), lock.holder.token].join(",");
  const baseEnv = sub === undefined ? recipeBaseEnv(o.env) : { ...recipeBaseEnv(o.env), ...sub.env, [LOCK_TOKENS]: lockTokens };
  let closed = false;
  return {
    cache,
    hasher,
    host,
    get interrupted() {
      return interrupted;
    },
    build: async (b) => {
      const outcome = await runBuild({
        graph: b.graph,
        roots: b.roots,
        root: o.root,
        host,
        runner,
        emit: b.emit,
        concurrency: b.concurrency,
        keepGoing: b.keepGoing,
        force: b.force,
        ...(b.mayStart ? { mayStart: b.mayStart } : {}),
        ...(b.prior ? { prior: b.prior } : {}),
        ...(b.replayLogs === true ? { replayLogs: true } : {}),
        ...(b.order ? { order: b.order } : {}),
        ...(b.expectedMs ? { expectedMs: b.expectedMs } : {}),
        ...(b.profileClock ? { profileClock: b.profileClock } : {}),
        ...(b.assume ? { assume: b.assume } : {}),
        signal: abort.signal,
        baseEnv,
        env: o.env,
      });
      const made = slurm?.made;
      return made === undefined ? outcome : withAccounting(outcome, await made.account());
    },
    async close() {
      if (closed) return undefined;
      closed = true;
      slurm?.made?.close();
      try {
        // Uploads read their blobs from the local cache: they finish (or are abandoned) before it closes.
        if (remote === undefined || o.remote === undefined) return undefined;
        // Still listening for Ctrl-C: an interrupt (before or during the wait) abandons the uploads at once.
        return await closeRemoteTier(remote, { flushTimeoutMs: o.remote.flushTimeoutMs, interrupted: () => interrupted, signal: abort.signal, say: (line) => o.renderer.note(line) }, onWarning);
      } finally {
        stopListening();
        try {
          await cache.close();
        } finally {
          lock.release();
        }
      }
    },
  };
}

/** The Slurm runner, made (its modules loaded) at the first task that goes to Slurm: a local build loads none of it. */
class LazySlurm implements TaskRunner {
  made: SlurmRunner | undefined;
  private making: Promise<SlurmRunner> | undefined;

  constructor(private readonly make: () => Promise<SlurmRunner>) {}

  async run(req: RunRequest): Promise<RunResult> {
    this.making ??= this.make().then((r) => (this.made = r));
    return (await this.making).run(req);
  }
}

/**
 * Sends each recipe where it runs: `--executor` for all when given, else the
 * task's `.EXECUTOR`, else here. Recursive make's jobserver is a local pipe:
 * it is no part of a Slurm job.
 */
class ExecutorRunner implements TaskRunner {
  constructor(
    private readonly local: TaskRunner,
    private readonly slurm: TaskRunner,
    private readonly forced: "slurm" | "local" | undefined,
  ) {}

  run(req: RunRequest): Promise<RunResult> {
    return (this.forced ?? req.executor ?? "local") === "slurm" ? this.slurm.run(req) : this.local.run(req);
  }
}

/**
 * Names, in each recipe's environment, the file its sub-builds report their
 * tasks to (beside the recipe's log), and hands what they reported to
 * `onSubTasks` once the recipe has ended.
 */
class SubBuildRunner implements TaskRunner {
  constructor(
    private readonly inner: TaskRunner,
    private readonly root: string,
    private readonly onSubTasks: (taskName: string, tasks: SubTask[]) => void,
  ) {}

  async run(req: RunRequest): Promise<RunResult> {
    const path = subResultsPath(req.logPath);
    // A file left by a run that was killed must not count for this one.
    takeSubResults(path, this.root);
    const result = await this.inner.run({ ...req, env: { ...req.env, [PARENT_RESULTS]: path } });
    const tasks = takeSubResults(path, this.root);
    if (tasks.length > 0) this.onSubTasks(req.taskName, tasks);
    return result;
  }
}
