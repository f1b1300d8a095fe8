// What a Slurm job's end means for its task: Slurm's job state, its exit
// code and its reason, mapped once to the runner's result. The states are
// Slurm 22.05's (squeue(1) JOB STATE CODES); an unknown state is taken as
// still running, so a newer Slurm cannot end a task early.
import { constants } from "node:os";
import type { RunnerFailureReason } from "@flow/graph";

/** A job element's state as squeue or scontrol reported it. */
export interface SlurmJobState {
  /** BASE_INDEX, e.g. "123_4". */
  readonly id: string;
  /** First word of the state: "COMPLETED", "CANCELLED" (scontrol says "CANCELLED by 0"). */
  readonly state: string;
  /** The exit status as printed: squeue's raw wait status ("768") or scontrol's "3:0". */
  readonly exit: string;
  readonly reason: string;
  /** Its run time as Slurm prints it ("1:05", "2:03:04", "1-02:03:04"); undefined when not asked. */
  readonly elapsed?: string;
}

export type SlurmEnd =
  | { readonly kind: "active" }
  | { readonly kind: "exited"; readonly exitCode: number | null; readonly signal: string | null }
  | { readonly kind: "failure"; readonly reason: RunnerFailureReason; readonly message: string; readonly retryable: boolean };

/** States in which the job has not ended yet (COMPLETING: ended, its nodes still cleaning up; its code may still change). */
const ACTIVE = new Set(["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "REQUEUE_FED", "REQUEUE_HOLD", "RESIZING", "SIGNALING", "STAGE_OUT", "STOPPED", "RESV_DEL_HOLD"]);

/**
 * squeue's exit_code is the raw wait status (exit code << 8 | signal);
 * scontrol prints "CODE:SIGNAL". Either becomes the code or the signal.
 */
export function parseExitStatus(text: string): { exitCode: number | null; signal: string | null } {
  const t = text.trim();
  const pair = /^(\d+):(\d+)$/.exec(t);
  if (pair) {
    const sig = Number(pair[2]);
    return sig !== 0 ? { exitCode: null, signal: signalName(sig) } : { exitCode: Number(pair[1]), signal: null };
  }
  if (/^\d+$/.test(t)) {
    const raw = Number(t);
    const sig = raw & 0x7f;
    return sig !== 0 ? { exitCode: null, signal: signalName(sig) } : { exitCode: (raw >> 8) & 0xff, signal: null };
  }
  return { exitCode: null, signal: null };
}

function signalName(n: number): string {
  const found = Object.entries(constants.signals).find(([, v]) => v === n);
  return found ? found[0] : `signal ${n}`;
}

/** Slurm's "[D-][H:]M:S" (squeue TimeUsed, scontrol RunTime) in seconds; undefined when it is not that. */
export function parseSlurmDuration(text: string | undefined): number | undefined {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$/.exec((text ?? "").trim());
  if (!m) return undefined;
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3]) * 60 + Number(m[4]);
}

/** What the job's state says about its task. */
export function slurmEnd(s: SlurmJobState): SlurmEnd {
  const state = s.state.split(/\s+/)[0] ?? "";
  const job = `Slurm job ${s.id}`;
  switch (state) {
    case "COMPLETED":
      return { kind: "exited", exitCode: 0, signal: null };
    case "FAILED":
    case "SPECIAL_EXIT": {
      const e = parseExitStatus(s.exit);
      // A job that failed before its script ran (a bad --chdir, a missing script) has code 0 or none.
      if (e.exitCode === 0 || (e.exitCode === null && e.signal === null)) return { kind: "failure", reason: "node-fail", message: `${job} failed to start (${s.reason || "no reason given"})`, retryable: false };
      return { kind: "exited", ...e };
    }
    case "OUT_OF_MEMORY":
      return { kind: "failure", reason: "out-of-memory", message: `${job} ran out of memory (OUT_OF_MEMORY): Slurm killed it for using more than it asked for; ask for more with --mem in its .SLURM or --slurm-args`, retryable: false };
    case "TIMEOUT":
    case "DEADLINE":
      return { kind: "failure", reason: "timeout", message: `${job} reached its time limit (${state}); raise its .TIMEOUT, or --time in its .SLURM or --slurm-args`, retryable: false };
    case "NODE_FAIL":
    case "BOOT_FAIL":
      return { kind: "failure", reason: "node-fail", message: `${job} ended because its node failed (${state})`, retryable: true };
    case "PREEMPTED":
      return { kind: "failure", reason: "preempted", message: `${job} was preempted by another job (PREEMPTED)`, retryable: true };
    case "CANCELLED":
    case "REVOKED":
      return { kind: "failure", reason: "cancelled", message: `${job} was cancelled outside flow (${s.state.trim()}: scancel, or an administrator)`, retryable: false };
    default:
      return { kind: "active" };
  }
}

/** Whether Slurm may still change the job (not a terminal state). */
export function isActive(state: string): boolean {
  const first = state.split(/\s+/)[0] ?? "";
  return ACTIVE.has(first) || slurmEnd({ id: "", state: first, exit: "", reason: "" }).kind === "active";
}
