// The record of the jobs a build submitted, `.flow/slurm-jobs`: so that a
// build killed without a chance to cancel them (SIGKILL, a lost terminal)
// does not leave them to run while the next build runs the same tasks again.
// Lines: "build TOKEN" before the build's first submission (each job carries
// `--comment=flow:TOKEN`, which finds a job submitted but not yet written
// down), then "job ID" once sbatch said its id. The next build cancels
// every job of the record still in the queue, waits until they are gone,
// and empties it; a build that ends normally removes it.
import { appendFileSync, lstatSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ensureStateDir } from "./state-dir.js";

export interface JobsRecord {
  readonly tokens: string[];
  readonly ids: string[];
}

export function jobsRecordPath(root: string): string {
  return join(ensureStateDir(root), "slurm-jobs");
}

export function readJobsRecord(path: string): JobsRecord | undefined {
  let text: string;
  try {
    // A link in its place is never followed.
    if (!lstatSync(path).isFile()) return undefined;
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const tokens: string[] = [];
  const ids: string[] = [];
  for (const line of text.split("\n")) {
    const m = /^(build|job) (\S+)$/.exec(line.trim());
    if (m?.[1] === "build") tokens.push(m[2] as string);
    else if (m?.[1] === "job") ids.push(m[2] as string);
  }
  return { tokens, ids };
}

export function appendJobsRecord(path: string, line: string): void {
  // Synchronous: the line is on disk before the next step (sbatch, or what follows its answer).
  appendFileSync(path, `${line}\n`);
}

export function removeJobsRecord(path: string): void {
  try {
    if (lstatSync(path).isFile() || lstatSync(path).isSymbolicLink()) rmSync(path, { force: true });
  } catch {
    // Already gone.
  }
}
