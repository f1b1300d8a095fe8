// Reading squeue's and scontrol's answers. squeue is asked for
// `--Format=JobArrayID:|,State:|,exit_code:|,TimeUsed:|,Reason:` (a "|" after
// each field and no padding: a reason may hold spaces), one line per job
// element; pending elements of an array are folded into one line,
// "123_[4-9,12%5]".
import { isActive, type SlurmJobState } from "./slurm-state.js";

export const SQUEUE_FORMAT = "JobArrayID:|,State:|,exit_code:|,TimeUsed:|,Reason:";

export interface SqueueAnswer {
  /** By element id ("123_4"). */
  readonly jobs: Map<string, SlurmJobState>;
  /** Elements folded into a line of an active state: still queued. */
  readonly pending: Set<string>;
}

export function parseSqueue(text: string): SqueueAnswer {
  const jobs = new Map<string, SlurmJobState>();
  const pending = new Set<string>();
  for (const line of text.split("\n")) {
    const fields = line.trim().split("|");
    const [id, state, exit, elapsed, ...reason] = fields;
    if (id === undefined || id === "" || state === undefined) continue;
    const record = { state: state.trim(), exit: (exit ?? "").trim(), reason: reason.join("|").trim(), elapsed: (elapsed ?? "").trim() };
    const folded = /^(\d+)_\[([^\]]*)\]$/.exec(id);
    if (folded) {
      // Elements that never started share one line: pending, or all ended alike (cancelled while queued).
      for (const i of expandIndices(folded[2] as string)) {
        const el = `${folded[1]}_${i}`;
        if (isActive(record.state)) pending.add(el);
        else jobs.set(el, { id: el, ...record });
      }
      continue;
    }
    jobs.set(id, { id, ...record });
  }
  return { jobs, pending };
}

/** "0-3,7,9-10%5" (an array's index list; "%5" its throttle) -> 0,1,2,3,7,9,10. */
export function expandIndices(list: string): number[] {
  const out: number[] = [];
  for (const part of (list.split("%")[0] ?? "").split(",")) {
    const m = /^(\d+)(?:-(\d+))?(?::(\d+))?$/.exec(part.trim());
    if (!m) continue;
    const from = Number(m[1]);
    const to = m[2] === undefined ? from : Number(m[2]);
    const step = m[3] === undefined ? 1 : Number(m[3]);
    for (let i = from; i <= to; i += step) out.push(i);
  }
  return out;
}

/**
 * `scontrol show job -o ID` (one line per element, KEY=VALUE words): the
 * fallback for elements that left squeue (older than MinJobAge).
 */
export function parseScontrol(text: string): Map<string, SlurmJobState> {
  const out = new Map<string, SlurmJobState>();
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const field = (k: string) => new RegExp(`(?:^|\\s)${k}=(\\S*)`).exec(line)?.[1];
    const base = field("ArrayJobId");
    const index = field("ArrayTaskId");
    const id = base !== undefined && index !== undefined && /^\d+$/.test(index) ? `${base}_${index}` : field("JobId");
    const state = field("JobState");
    if (id === undefined || state === undefined) continue;
    out.set(id, { id, state, exit: field("ExitCode") ?? "", reason: field("Reason") ?? "", elapsed: field("RunTime") ?? "" });
  }
  return out;
}
