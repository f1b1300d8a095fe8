// Runs recipes as Slurm batch jobs (docs/cluster.md). Ready tasks arrive one
// run() at a time; those that arrive together (within FLUSH_MS) and share a
// directory, sbatch options and environment go in as ONE job array, whose
// element N runs case N of the array's script (arrayScript). All outstanding jobs are polled
// with one squeue call per interval (slurm-squeue.ts), never one per task.
// Each element's output goes to its own file and is moved to the task's log
// when the job ends, as a local recipe's log slot is (log-slots.ts).
import { randomBytes } from "node:crypto";
import { copyFileSync, existsSync, lstatSync, mkdirSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname, join, resolve as resolvePath } from "node:path";
import type { JobAccounting, RunRequest, RunResult, TaskRunner } from "@flow/graph";
import { backoffDelay, withBackoff } from "./backoff.js";
import { groupIntoArrays } from "./slurm-arrays.js";
import { appendJobsRecord, jobsRecordPath, removeJobsRecord } from "./slurm-jobs-record.js";
import { accountingDisabled, parseSacct, SACCT_FORMAT, type SacctJob } from "./slurm-sacct.js";
import { parseScontrol, parseSqueue, SQUEUE_FORMAT } from "./slurm-squeue.js";
import { isActive, parseSlurmDuration, slurmEnd, type SlurmEnd, type SlurmJobState } from "./slurm-state.js";
import { isTransient, type RunTool, type ToolResult } from "./slurm-tool.js";

export interface SlurmRunnerOptions {
  readonly root: string;
  readonly tool: RunTool;
  /** The cluster-wide sbatch options (--slurm-args, FLOW_SLURM_ARGS); a task's `.SLURM` comes after them and wins. */
  readonly defaultArgs: readonly string[];
  /** How many times a job that ended by NODE_FAIL or PREEMPTED is submitted again. */
  readonly retries: number;
  readonly pollMs: number;
  /** Elements per array: Slurm's MaxArraySize - 1. */
  readonly arraySize: number;
  /** How long a job's outputs may take to show on this host (a shared file system's cache). */
  readonly outputWaitMs: number;
  readonly warn: (w: { code: string; message: string }) => void;
  /** The first wait before a NODE_FAIL/PREEMPTED job goes in again (doubling after); tests shorten it. */
  readonly retryBaseMs?: number;
}

/** Ready tasks arriving within this long of each other share a submission. */
const FLUSH_MS = 100;
/** ...but none waits longer than this for more to arrive. */
const FLUSH_MAX_MS = 1000;
/** Job ids per squeue call. */
const IDS_PER_CALL = 1000;
/** sbatch / scancel tries on a busy controller, and the waits between them. */
const SUBMIT_BACKOFF = { attempts: 6, baseMs: 500, maxMs: 16_000 };
/** Before a job that failed with its node (or was preempted) goes in again. */
const RETRY_BACKOFF = { baseMs: 2000, maxMs: 60_000 };
/** Polls in a row a job may be missing from squeue and scontrol before it counts as lost. */
const MISSING_POLLS = 5;
/** Polls in a row that may fail (controller down) before every outstanding job counts as lost. */
const FAILED_POLLS = 120;
/** sacct calls for one build's accounting, and the wait between them: slurmdbd records a job a moment after it ends. */
const SACCT_TRIES = 10;
const SACCT_WAIT_MS = 500;
/** A busy controller or slurmdbd: a few short tries, not sbatch's long ones (the build has ended and waits for this). */
const SACCT_BACKOFF = { attempts: 3, baseMs: 500, maxMs: 2000 };
/** How long Ctrl-C waits for cancelled jobs to leave the queue. */
const CANCEL_WAIT_MS = 30_000;

interface Job {
  readonly req: RunRequest;
  readonly resolve: (r: RunResult) => void;
  /** Submissions so far. */
  attempts: number;
  /** "BASE_INDEX" once submitted. */
  id?: string;
  log?: string;
  missing: number;
}

export class SlurmRunner implements TaskRunner {
  private readonly token = `${process.pid}-${randomBytes(4).toString("hex")}`;
  private readonly record: string;
  private readonly scratchRoot: string;
  private pending: Job[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private firstPendingAt = 0;
  /** Submitted, not ended, by element id. */
  private readonly outstanding = new Map<string, Job>();
  /** Array ids with outstanding elements, and how many. */
  private readonly arrays = new Map<string, number>();
  private readonly scratchDirs: string[] = [];
  private seq = 0;
  private submitting = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private polling = false;
  private failedPolls = 0;
  private recordStarted = false;
  private cancelling = false;
  private cancelDeadline = 0;
  private readonly watched = new WeakSet<AbortSignal>();
  /** Jobs that ended since the last account(): their accounting is asked of sacct then. */
  private readonly ended = new Map<string, JobAccounting>();
  /** sacct said the cluster keeps no accounting, or failed: not asked again. */
  private noAccounting = false;

  constructor(private readonly o: SlurmRunnerOptions) {
    this.record = jobsRecordPath(o.root);
    this.scratchRoot = join(dirname(this.record), "slurm");
  }

  run(req: RunRequest): Promise<RunResult> {
    return new Promise<RunResult>((resolve) => {
      if (req.signal.aborted || this.cancelling) {
        resolve(interrupted());
        return;
      }
      this.watch(req.signal);
      if (this.pending.length === 0) this.firstPendingAt = Date.now();
      this.pending.push({ req, resolve, attempts: 0, missing: 0 });
      this.scheduleFlush();
    });
  }

  /** Ends polling and removes the scratch files and the record (kept while a job is outstanding). */
  close(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.pollTimer) clearTimeout(this.pollTimer);
    if (this.outstanding.size > 0 || this.submitting > 0) return;
    if (this.recordStarted) removeJobsRecord(this.record);
    for (const d of this.scratchDirs) removeTree(d);
  }

  private watch(signal: AbortSignal): void {
    if (this.watched.has(signal)) return;
    this.watched.add(signal);
    signal.addEventListener("abort", () => void this.cancelAll(), { once: true });
  }

  private scheduleFlush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    const full = this.pending.length >= this.o.arraySize;
    const late = Date.now() - this.firstPendingAt >= FLUSH_MAX_MS;
    this.flushTimer = setTimeout(() => this.flush(), full || late ? 0 : FLUSH_MS);
  }

  private flush(): void {
    this.flushTimer = undefined;
    const jobs = this.pending;
    this.pending = [];
    if (jobs.length === 0) return;
    const members = jobs.map((job) => ({ groupKey: groupKey(job.req), item: job }));
    for (const group of groupIntoArrays(members, this.o.arraySize)) void this.submit(group);
  }

  private sbatchArgs(req: RunRequest): string[] {
    return [...this.o.defaultArgs, ...timeLimitArgs(req), ...(req.slurm === undefined ? [] : req.slurm.split(/\s+/).filter((w) => w !== ""))];
  }

  /** One sbatch call for `group` (same cwd, options and environment). */
  private async submit(group: Job[]): Promise<void> {
    const first = group[0] as Job;
    this.submitting++;
    let dir: string;
    try {
      dir = this.scratchDir();
      writeFileSync(join(dir, "job.sh"), arrayScript(group.map((job) => job.req)));
      if (!this.recordStarted) {
        appendJobsRecord(this.record, `build ${this.token}`);
        this.recordStarted = true;
      }
    } catch (err) {
      this.submitting--;
      const message = err instanceof Error ? err.message : String(err);
      for (const job of group) job.resolve(failure("submit-error", `could not write the job's script under ${this.scratchRoot}: ${message}`));
      return;
    }
    const name = group.length === 1 ? `flow:${first.req.taskName}` : `flow:${first.req.taskName}+${group.length - 1}`;
    const args = [
      "--parsable",
      `--array=0-${group.length - 1}`,
      `--chdir=${first.req.cwd}`,
      `--output=${dir}/%a.log`,
      "--export=ALL",
      `--job-name=${name}`,
      `--comment=flow:${this.token}`,
      ...this.sbatchArgs(first.req),
      join(dir, "job.sh"),
    ];
    const r = await withBackoff(() => this.o.tool("sbatch", args), isTransient, SUBMIT_BACKOFF, () => this.cancelling);
    this.submitting--;
    const id = r.code === 0 ? /^(\d+)/.exec(r.stdout.trim())?.[1] : undefined;
    if (id === undefined) {
      const why = r.stderr.trim() || r.stdout.trim() || `exit ${r.code}`;
      for (const job of group) job.resolve(this.cancelling ? interrupted() : failure("submit-error", `sbatch failed: ${why}${r.code === 127 ? "" : isTransient(r) ? " (the controller stayed busy through every retry)" : "; check --slurm-args and the task's .SLURM"}`));
      return;
    }
    appendJobsRecord(this.record, `job ${id}`);
    this.arrays.set(id, group.length);
    group.forEach((job, i) => {
      job.attempts++;
      job.id = `${id}_${i}`;
      job.log = join(dir, `${i}.log`);
      job.missing = 0;
      this.outstanding.set(job.id, job);
    });
    if (this.cancelling) void this.scancel([id]);
    this.schedulePoll();
  }

  private scratchDir(): string {
    mkdirSync(this.scratchRoot, { recursive: true });
    // Never write through a link planted in flow's state directory.
    if (!lstatSync(this.scratchRoot).isDirectory()) throw new Error(`${this.scratchRoot} is not a directory`);
    const dir = join(this.scratchRoot, `${this.token}-${this.seq++}`);
    mkdirSync(dir);
    this.scratchDirs.push(dir);
    return dir;
  }

  private schedulePoll(): void {
    if (this.pollTimer !== undefined || this.polling) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      void this.poll();
    }, this.o.pollMs);
  }

  private async poll(): Promise<void> {
    if (this.outstanding.size === 0) return;
    this.polling = true;
    try {
      await this.pollOnce();
    } finally {
      this.polling = false;
    }
    if (this.outstanding.size > 0) this.schedulePoll();
  }

  private async pollOnce(): Promise<void> {
    const ids = [...this.arrays.keys()];
    const seen = new Map<string, SlurmJobState>();
    const pending = new Set<string>();
    let failed = false;
    for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
      const r = await this.o.tool("squeue", ["--noheader", "--states=all", `--jobs=${ids.slice(i, i + IDS_PER_CALL).join(",")}`, `--Format=${SQUEUE_FORMAT}`]);
      // "Invalid job id": every job asked for has left the queue; scontrol is asked below.
      if (r.code !== 0 && !/invalid job id/i.test(r.stderr)) {
        failed = true;
        continue;
      }
      const a = parseSqueue(r.stdout);
      for (const [k, v] of a.jobs) seen.set(k, v);
      for (const k of a.pending) pending.add(k);
    }
    if (failed) {
      this.failedPolls++;
      if (this.failedPolls >= FAILED_POLLS) {
        for (const job of [...this.outstanding.values()]) this.end(job, { kind: "failure", reason: "job-lost", message: `squeue failed ${FAILED_POLLS} times in a row; the state of Slurm job ${job.id} is unknown (it may still run: check squeue)`, retryable: false });
      }
      return;
    }
    this.failedPolls = 0;
    const missingArrays = new Set<string>();
    for (const id of this.outstanding.keys()) if (!seen.has(id) && !pending.has(id)) missingArrays.add(id.split("_")[0] as string);
    // Elements that left squeue (MinJobAge passed between two polls): scontrol may still know them.
    for (const base of missingArrays) {
      const r = await this.o.tool("scontrol", ["show", "job", "-o", base]);
      if (r.code === 0) for (const [k, v] of parseScontrol(r.stdout)) if (!seen.has(k)) seen.set(k, v);
    }
    for (const [id, job] of [...this.outstanding]) {
      const s = seen.get(id);
      if (s === undefined) {
        if (pending.has(id)) continue;
        job.missing++;
        if (job.missing >= MISSING_POLLS) this.end(job, { kind: "failure", reason: "job-lost", message: `Slurm job ${id} left the queue and scontrol no longer knows it: its end was not seen (raise MinJobAge above flow's poll interval)`, retryable: false });
        continue;
      }
      job.missing = 0;
      const end = slurmEnd(s);
      if (end.kind !== "active") this.end(job, end, s);
    }
    if (this.cancelling && Date.now() > this.cancelDeadline) {
      for (const job of [...this.outstanding.values()]) {
        this.o.warn({ code: "SLURM_CANCEL_SLOW", message: `Slurm job ${job.id} (task '${job.req.taskName}') was cancelled but had not left the queue after ${CANCEL_WAIT_MS / 1000}s; check squeue` });
        this.forget(job);
        job.resolve(interrupted());
      }
    }
  }

  private forget(job: Job): void {
    if (job.id === undefined) return;
    this.outstanding.delete(job.id);
    const base = job.id.split("_")[0] as string;
    const left = (this.arrays.get(base) ?? 1) - 1;
    if (left <= 0) this.arrays.delete(base);
    else this.arrays.set(base, left);
  }

  /** A job's end: its log moved to the task's, its result given back (or it goes in again). */
  private end(job: Job, end: Exclude<SlurmEnd, { kind: "active" }>, s?: SlurmJobState): void {
    this.forget(job);
    if (this.cancelling) {
      this.takeLog(job, true);
      job.resolve(interrupted());
      return;
    }
    if (end.kind === "failure" && end.retryable && job.attempts <= this.o.retries) {
      const wait = backoffDelay(job.attempts, { ...RETRY_BACKOFF, baseMs: this.o.retryBaseMs ?? RETRY_BACKOFF.baseMs });
      this.o.warn({ code: "SLURM_RETRY", message: `${end.message}; submitting '${job.req.taskName}' again in ${Math.round(wait / 1000)}s (try ${job.attempts + 1} of ${this.o.retries + 1}, --slurm-retries)` });
      this.takeLog(job, true);
      setTimeout(() => {
        if (this.cancelling) {
          job.resolve(interrupted());
          return;
        }
        if (this.pending.length === 0) this.firstPendingAt = Date.now();
        this.pending.push(job);
        this.scheduleFlush();
      }, wait);
      return;
    }
    const elapsedSec = parseSlurmDuration(s?.elapsed);
    const acct = { id: job.id ?? "", ...(elapsedSec !== undefined ? { elapsedSec } : {}) };
    if (job.id !== undefined) this.ended.set(job.id, acct);
    void this.settle(job, end, acct);
  }

  /**
   * sacct's elapsed time, CPU time and peak memory of the jobs that ended
   * since the last call, by element id: ONE sacct call per 1,000 arrays, tried
   * again (SACCT_TRIES, SACCT_WAIT_MS apart) while slurmdbd has not recorded an
   * end yet. Empty when the cluster keeps no accounting; a failing sacct is
   * warned about once and never fails the build.
   */
  async account(): Promise<Map<string, JobAccounting>> {
    const asked = new Map(this.ended);
    this.ended.clear();
    const out = new Map<string, JobAccounting>();
    if (asked.size === 0 || this.noAccounting || this.cancelling) return out;
    const bases = [...new Set([...asked.keys()].map((id) => id.split("_")[0] as string))];
    let found = new Map<string, SacctJob>();
    for (let attempt = 1; attempt <= SACCT_TRIES; attempt++) {
      found = new Map();
      for (let i = 0; i < bases.length; i += IDS_PER_CALL) {
        const r = await withBackoff(() => this.o.tool("sacct", ["--noheader", "--parsable2", `--jobs=${bases.slice(i, i + IDS_PER_CALL).join(",")}`, `--format=${SACCT_FORMAT}`]), isTransient, SACCT_BACKOFF);
        if (r.code !== 0) {
          this.noAccounting = true;
          // No accounting storage (Debian's default): nothing to record, nothing the build did wrong.
          if (!accountingDisabled(r.stderr)) this.o.warn({ code: "SLURM_ACCOUNTING_FAILED", message: `sacct failed (${r.stderr.trim() || `exit ${r.code}`}): the run history has no CPU time or peak memory for this build's jobs; check that slurmdbd runs (sacct -j ${bases[0] ?? ""})` });
          return out;
        }
        for (const [id, job] of parseSacct(r.stdout)) found.set(id, job);
      }
      if (![...asked.keys()].some((id) => notRecordedYet(found.get(id)))) break;
      if (attempt < SACCT_TRIES) await new Promise((r) => setTimeout(r, SACCT_WAIT_MS));
    }
    for (const [id, acct] of asked) {
      const j = found.get(id);
      if (j === undefined) continue;
      const elapsedSec = j.elapsedSec ?? acct.elapsedSec;
      out.set(id, { id, ...(elapsedSec !== undefined ? { elapsedSec } : {}), ...(j.cpuSec !== undefined ? { cpuSec: j.cpuSec } : {}), ...(j.maxRssBytes !== undefined ? { maxRssBytes: j.maxRssBytes } : {}) });
    }
    return out;
  }

  private async settle(job: Job, end: Exclude<SlurmEnd, { kind: "active" }>, acct: JobAccounting): Promise<void> {
    const ok = end.kind === "exited" && end.exitCode === 0;
    // The job ran elsewhere: its outputs may take a moment to show here through the shared file system.
    if (ok && job.req.outputs !== undefined && job.req.outputs.length > 0) await this.waitFor(job.req.outputs.map((p) => resolvePath(job.req.cwd, p)));
    const logged = this.takeLog(job, !ok);
    if (end.kind === "exited") job.resolve({ exitCode: end.exitCode, signal: end.signal, timedOut: false, interrupted: false, logged, job: acct });
    else job.resolve({ exitCode: null, signal: null, timedOut: false, interrupted: false, logged, failure: { reason: end.reason, message: end.message }, job: acct });
  }

  private async waitFor(paths: string[]): Promise<void> {
    const until = Date.now() + this.o.outputWaitMs;
    while (!paths.every((p) => existsSync(p)) && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
  }

  /**
   * Moves the element's output to the task's log path. A successful job that
   * printed nothing leaves no log (as a local run); `keep`: a failure's log is
   * kept even when empty. False when no log was left.
   */
  private takeLog(job: Job, keep: boolean): boolean {
    const from = job.log;
    if (from === undefined) return false;
    job.log = undefined;
    let size: number;
    try {
      const st = lstatSync(from);
      if (!st.isFile()) return false;
      size = st.size;
    } catch {
      return false;
    }
    if (size === 0 && !keep) {
      unlinkSync(from);
      return false;
    }
    const to = job.req.logPath;
    mkdirSync(dirname(to), { recursive: true });
    try {
      renameSync(from, to);
    } catch {
      // Another file system: copy, then remove.
      copyFileSync(from, to);
      unlinkSync(from);
    }
    return true;
  }

  /** Ctrl-C: every job flow submitted is cancelled with one scancel; each task ends interrupted once its job has left the queue. */
  private async cancelAll(): Promise<void> {
    if (this.cancelling) return;
    this.cancelling = true;
    this.cancelDeadline = Date.now() + CANCEL_WAIT_MS;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const job of this.pending) job.resolve(interrupted());
    this.pending = [];
    if (this.arrays.size > 0) await this.scancel([...this.arrays.keys()]);
    this.schedulePoll();
  }

  private async scancel(ids: string[]): Promise<ToolResult> {
    const r = await withBackoff(() => this.o.tool("scancel", ids), isTransient, SUBMIT_BACKOFF);
    if (r.code !== 0) this.o.warn({ code: "SLURM_CANCEL_FAILED", message: `scancel ${ids.join(" ")} failed (${r.stderr.trim() || `exit ${r.code}`}); check squeue for flow's jobs` });
    return r;
  }

}

/** slurmdbd has not got the job's end yet: no record, still active there, or a job that ran without its step's figures. */
function notRecordedYet(j: SacctJob | undefined): boolean {
  if (j === undefined || isActive(j.state)) return true;
  const ran = /^(COMPLETED|FAILED|OUT_OF_MEMORY|TIMEOUT)/.test(j.state);
  return ran && (j.maxRssBytes === undefined || j.cpuSec === undefined);
}

/**
 * A task's `.TIMEOUT` as Slurm's time limit, in whole minutes rounded up
 * (Slurm's unit; it also checks limits only about every 30 s): before the
 * task's own `.SLURM`, so that a `--time` there wins.
 */
export function timeLimitArgs(req: RunRequest): string[] {
  return req.timeoutMs === undefined ? [] : [`--time=${Math.max(1, Math.ceil(req.timeoutMs / 60_000))}`];
}

/** Tasks share an array only when all three are the same (a time limit is an sbatch option). */
function groupKey(req: RunRequest): string {
  const env = Object.keys(req.env)
    .sort()
    .map((k) => `${k}=${req.env[k] ?? ""}`)
    .join("\0");
  return `${req.cwd}\n${timeLimitArgs(req).join(" ")} ${req.slurm ?? ""}\n${env}`;
}

/**
 * The script of one job array: element N runs the recipe of case N. The
 * recipe's environment is exactly a local run's (the tasks of an array share
 * it): everything else the job inherited is dropped with `env -i`, except
 * Slurm's own SLURM_* variables, which a recipe may read (its CPUs, its job
 * id). Then the same `/bin/sh -e -c RECIPE` in the same directory. One file
 * per array, not one per task: at 1,000 tasks, 1,000 small files cost more to
 * write (and on a shared file system, to read) than one.
 */
export function arrayScript(reqs: readonly RunRequest[]): string {
  const first = reqs[0];
  if (first === undefined) throw new Error("an array of no task");
  const vars = Object.keys(first.env)
    .sort()
    .filter((k) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(k))
    .map((k) => `${k}=${shQuote(first.env[k] ?? "")}`);
  const lines = ["#!/bin/sh", "# flow: one job array; element N runs the recipe of case N", 'case "$SLURM_ARRAY_TASK_ID" in'];
  reqs.forEach((r, i) => lines.push(`${i}) # ${r.taskName.replace(/\n/g, " ")}`, `r=${shQuote(r.script)} ;;`));
  lines.push(
    `*) echo "flow: no task for array index $SLURM_ARRAY_TASK_ID" >&2; exit 1 ;;`,
    "esac",
    // Slurm's variables as arguments for env -i (names only from env's "NAME=" lines; no fork per variable).
    "set --",
    `for n in $(env | sed -n 's/^\\(SLURMD\\{0,1\\}_[A-Za-z0-9_]*\\)=.*/\\1/p'); do eval "set -- \\"\\$@\\" \\"$n=\\\${$n}\\""; done`,
    `cd ${shQuote(first.cwd)}`,
    `exec env -i "$@" ${vars.join(" ")} /bin/sh -e -c "$r"`,
    "",
  );
  return lines.join("\n");
}

export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function interrupted(): RunResult {
  return { exitCode: null, signal: null, timedOut: false, interrupted: true };
}

function failure(reason: "submit-error", message: string): RunResult {
  return { exitCode: null, signal: null, timedOut: false, interrupted: false, failure: { reason, message } };
}

/** Removes a scratch directory; a job's files may still be closing on a shared file system (ENOTEMPTY), so it is tried again. */
export function removeTree(dir: string): void {
  try {
    // lstat: a link in its place is never followed.
    if (!lstatSync(dir).isDirectory()) return;
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  } catch {
    // Left for the next build's clean-up of .flow/slurm (a warning here would say nothing the user can act on).
  }
}
