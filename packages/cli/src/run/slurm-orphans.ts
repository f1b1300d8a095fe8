// A build killed without cancelling its jobs (SIGKILL) left them in the
// record (slurm-jobs-record.ts). The next build, before it runs anything,
// cancels those still queued or running, waits until they have left the
// queue (so that no task runs twice at once: the killed build's job and
// this build's), and empties the record. Adopting them instead would save
// their work but means trusting outputs no build checked as they were made;
// cancelling is the simple, safe choice (docs/cluster.md).
import { readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { withBackoff } from "./backoff.js";
import { jobsRecordPath, readJobsRecord, removeJobsRecord } from "./slurm-jobs-record.js";
import { removeTree } from "./slurm-runner.js";
import { isTransient, type RunTool } from "./slurm-tool.js";

const ACTIVE_STATES = "PENDING,RUNNING,CONFIGURING,COMPLETING,SUSPENDED,REQUEUED,REQUEUE_HOLD,REQUEUE_FED,RESIZING,SIGNALING,STAGE_OUT,STOPPED";
const WAIT_MS = 30_000;

export type OrphanReport = { cancelled: string[] } | { error: string };

/** Undefined when there is no record (the usual case: one lstat). */
export async function cancelOrphans(root: string, tool: RunTool, pollMs: number): Promise<OrphanReport | undefined> {
  const path = jobsRecordPath(root);
  const record = readJobsRecord(path);
  if (record === undefined) return undefined;
  const active = await activeJobs(tool, record.ids, record.tokens);
  if ("error" in active) return active;
  if (active.ids.length > 0) {
    const r = await withBackoff(() => tool("scancel", active.ids), isTransient, { attempts: 6, baseMs: 500, maxMs: 8000 });
    if (r.code !== 0) return { error: `scancel ${active.ids.join(" ")} failed: ${r.stderr.trim() || `exit ${r.code}`}` };
    const until = Date.now() + WAIT_MS;
    for (;;) {
      const left = await activeJobs(tool, active.ids, []);
      if ("error" in left) return left;
      if (left.ids.length === 0) break;
      if (Date.now() > until) return { error: `jobs ${left.ids.join(" ")} of an earlier flow build were cancelled but are still in the queue after ${WAIT_MS / 1000}s` };
      await new Promise((r) => setTimeout(r, pollMs));
    }
  }
  removeJobsRecord(path);
  // The killed build's scratch files (job scripts and logs): its logs are not the tasks' any more.
  const scratch = join(dirname(path), "slurm");
  let entries: string[] = [];
  try {
    entries = readdirSync(scratch);
  } catch {
    // None.
  }
  for (const e of entries) removeTree(join(scratch, e));
  return { cancelled: active.ids };
}

/** Array ids among `ids`, or carrying a comment `flow:TOKEN`, that are still queued or running. */
async function activeJobs(tool: RunTool, ids: readonly string[], tokens: readonly string[]): Promise<{ ids: string[] } | { error: string }> {
  const found = new Set<string>();
  if (tokens.length > 0) {
    const r = await tool("squeue", ["--noheader", `--states=${ACTIVE_STATES}`, "--Format=ArrayJobID:|,Comment:"]);
    if (r.code !== 0) return { error: `squeue failed: ${r.stderr.trim() || `exit ${r.code}`}` };
    for (const line of r.stdout.split("\n")) {
      const [id, comment] = line.trim().split("|");
      if (id && comment !== undefined && tokens.some((t) => comment.trim() === `flow:${t}`)) found.add(id);
    }
  }
  for (let i = 0; i < ids.length; i += 1000) {
    const r = await tool("squeue", ["--noheader", `--states=${ACTIVE_STATES}`, `--jobs=${ids.slice(i, i + 1000).join(",")}`, "--Format=ArrayJobID:|"]);
    if (r.code !== 0) {
      if (/invalid job id/i.test(r.stderr)) continue;
      return { error: `squeue failed: ${r.stderr.trim() || `exit ${r.code}`}` };
    }
    for (const line of r.stdout.split("\n")) {
      const id = line.trim().split("|")[0];
      if (id) found.add(id);
    }
  }
  return { ids: [...found].sort() };
}
