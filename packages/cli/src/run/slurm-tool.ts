// Running Slurm's commands (sbatch, squeue, scontrol, scancel): asynchronously,
// so that flow's event loop keeps serving tasks while the controller answers.
import { spawn, type ChildProcess } from "node:child_process";

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
      const started: { child?: ChildProcess } = {};
      // Our own timer, not spawn's `timeout`: that one outlived a child that never started (ENOENT) and held flow's exit for a minute.
      const timer = setTimeout(() => started.child?.kill("SIGKILL"), TOOL_TIMEOUT_MS);
      timer.unref();
      let settled = false;
      const settle = (r: ToolResult) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      let c;
      try {
        c = spawn(cmd, args, { env, stdio: ["ignore", "pipe", "pipe"] });
      } catch (err) {
        settle({ code: 127, stdout: "", stderr: `cannot run ${cmd}: ${err instanceof Error ? err.message : String(err)}` });
        return;
      }
      started.child = c;
      c.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
      c.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      // Not installed, or not on PATH: no retry can help (code 127, as a shell says it).
      c.once("error", (err) => settle({ code: (err as NodeJS.ErrnoException).code === "ENOENT" ? 127 : null, stdout, stderr: `${stderr}cannot run ${cmd} (${err.message}): is Slurm installed and ${cmd} on PATH?` }));
      c.once("close", (code) => settle({ code, stdout, stderr }));
    });
}

/** Slurm's words for a controller that is busy or briefly away: worth trying again. */
const TRANSIENT = /socket timed out|resource temporarily unavailable|unable to contact slurm controller|connection refused|connection timed out|transport endpoint|temporarily unable|try again|slurm_persist_conn|Zero Bytes were transmitted|ETIMEDOUT|EAGAIN/i;

export function isTransient(r: ToolResult): boolean {
  // null: killed at TOOL_TIMEOUT_MS, a controller that did not answer.
  return r.code !== 0 && r.code !== 127 && (r.code === null || TRANSIENT.test(r.stderr));
}
