// Running Slurm's commands (sbatch, squeue, scontrol, scancel): asynchronously,
// so that flow's event loop keeps serving tasks while the controller answers.
import { spawn } from "node:child_process";

export interface ToolResult {
  /** null when it could not be started or was killed. */
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `cmd args` with the environment given; never rejects (a spawn error is in stderr, code null). */
export type RunTool = (cmd: string, args: readonly string[]) => Promise<ToolResult>;

/** A call hangs no longer than this: a stuck controller is retried like a busy one. */
const TOOL_TIMEOUT_MS = 60_000;

export function toolRunner(env: NodeJS.ProcessEnv): RunTool {
  return (cmd, args) =>
    new Promise<ToolResult>((resolve) => {
      let stdout = "";
      let stderr = "";
      let child;
      try {
        child = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"], timeout: TOOL_TIMEOUT_MS });
      } catch (err) {
        resolve({ code: null, stdout: "", stderr: err instanceof Error ? err.message : String(err) });
        return;
      }
      child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      child.once("error", (err) => resolve({ code: null, stdout, stderr: `${stderr}${err.message}` }));
      child.once("close", (code) => resolve({ code, stdout, stderr }));
    });
}

/** Slurm's words for a controller that is busy or briefly away: worth trying again. */
const TRANSIENT = /socket timed out|resource temporarily unavailable|unable to contact slurm controller|connection refused|connection timed out|transport endpoint|temporarily unable|try again|slurm_persist_conn|Zero Bytes were transmitted|ETIMEDOUT|EAGAIN/i;

export function isTransient(r: ToolResult): boolean {
  return r.code !== 0 && (r.code === null || TRANSIENT.test(r.stderr));
}
