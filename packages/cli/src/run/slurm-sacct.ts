// Reading sacct's answer for the jobs a build ran: one call after the build's
// jobs ended, never one per task (docs/cluster.md "Accounting"). Asked with
// `--noheader --parsable2 --format=JobID,State,Elapsed,TotalCPU,MaxRSS,ExitCode`,
// sacct prints one line for each job element ("123_4") and one for each of its
// steps ("123_4.batch", "123_4.extern"): the element's line has the elapsed
// time and the CPU time of all its steps, only the steps' lines have MaxRSS.
import { parseSlurmDuration } from "./slurm-state.js";

export const SACCT_FORMAT = "JobID,State,Elapsed,TotalCPU,MaxRSS,ExitCode";

export interface SacctJob {
  readonly state: string;
  /** Whole seconds, queue wait excluded. */
  readonly elapsedSec?: number;
  /** User + system CPU seconds of all the job's steps. */
  readonly cpuSec?: number;
  /** The largest resident set of any of its steps, in bytes. */
  readonly maxRssBytes?: number;
}

/** By element id ("123_4", or "123" for a job that is no array). */
export function parseSacct(text: string): Map<string, SacctJob> {
  const jobs = new Map<string, { state: string; elapsedSec?: number; cpuSec?: number; maxRssBytes?: number }>();
  const stepRss = new Map<string, number>();
  const stepCpu = new Map<string, number>();
  for (const line of text.split("\n")) {
    const [id, state, elapsed, cpu, rss] = line.trim().split("|");
    if (id === undefined || id === "" || state === undefined) continue;
    const dot = id.indexOf(".");
    if (dot >= 0) {
      const el = id.slice(0, dot);
      const bytes = parseRss(rss);
      if (bytes !== undefined) stepRss.set(el, Math.max(stepRss.get(el) ?? 0, bytes));
      const c = parseCpuTime(cpu);
      if (c !== undefined) stepCpu.set(el, (stepCpu.get(el) ?? 0) + c);
      continue;
    }
    const elapsedSec = parseSlurmDuration(elapsed);
    const cpuSec = parseCpuTime(cpu);
    const bytes = parseRss(rss);
    jobs.set(id, { state: state.trim(), ...(elapsedSec !== undefined ? { elapsedSec } : {}), ...(cpuSec !== undefined ? { cpuSec } : {}), ...(bytes !== undefined ? { maxRssBytes: bytes } : {}) });
  }
  for (const [el, job] of jobs) {
    const rss = stepRss.get(el);
    if (rss !== undefined) job.maxRssBytes = Math.max(job.maxRssBytes ?? 0, rss);
    // An element's own line has the sum of its steps; a Slurm that leaves it empty: the steps' sum.
    const cpu = stepCpu.get(el);
    if (job.cpuSec === undefined && cpu !== undefined) job.cpuSec = cpu;
  }
  return jobs;
}

/** TotalCPU: "[DD-][HH:]MM:SS[.mmm]" -> seconds (ms kept); undefined when empty or unreadable. */
export function parseCpuTime(text: string | undefined): number | undefined {
  const m = /^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)(?:\.(\d+))?$/.exec((text ?? "").trim());
  if (!m) return undefined;
  const frac = m[5] === undefined ? 0 : Number(`0.${m[5]}`);
  return Number(m[1] ?? 0) * 86400 + Number(m[2] ?? 0) * 3600 + Number(m[3]) * 60 + Number(m[4]) + frac;
}

const UNIT: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4, P: 1024 ** 5 };

/** MaxRSS: "102400K", "1.50G", "0" -> bytes; undefined when empty (the step did not report it). */
export function parseRss(text: string | undefined): number | undefined {
  const m = /^(\d+(?:\.\d+)?)([KMGTP]?)$/i.exec((text ?? "").trim());
  if (!m) return undefined;
  return Math.round(Number(m[1]) * (UNIT[(m[2] as string).toUpperCase()] as number));
}

/** sacct's answer when the cluster keeps no accounting (AccountingStorageType=accounting_storage/none). */
export function accountingDisabled(stderr: string): boolean {
  return /accounting storage is disabled|accounting_storage\/none/i.test(stderr);
}
