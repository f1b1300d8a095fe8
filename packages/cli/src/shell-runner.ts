import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import type { RunRequest, RunResult, TaskRunner } from "@flow/graph";

export interface ShellRunnerOptions {
  /** How long interrupted tasks get to exit after SIGINT before SIGKILL. */
  readonly graceMs: number;
  /** Aborted on a second Ctrl-C: kill every group at once. */
  readonly forceSignal?: AbortSignal;
}

/**
 * Runs a recipe as `/bin/sh -e -c SCRIPT` in its own process group (detached:
 * a new session), so that a signal sent to the group reaches every process the
 * recipe started. stdout and stderr go straight to the log file's descriptor:
 * the bytes never pass through flow's event loop.
 */
export class ShellRunner implements TaskRunner {
  private readonly groups = new Set<number>();

  constructor(private readonly opts: ShellRunnerOptions) {
    opts.forceSignal?.addEventListener("abort", () => this.killAll("SIGKILL"), { once: true });
  }

  run(req: RunRequest): Promise<RunResult> {
    mkdirSync(dirname(req.logPath), { recursive: true });
    const fd = openSync(req.logPath, "w");
    return new Promise<RunResult>((resolve) => {
      let timedOut = false;
      let interrupted = false;
      let timer: NodeJS.Timeout | undefined;
      let graceTimer: NodeJS.Timeout | undefined;
      const child = spawn("/bin/sh", ["-e", "-c", req.script], {
        cwd: req.cwd,
        env: req.env,
        detached: true,
        stdio: ["ignore", fd, fd],
      });
      closeSync(fd);
      const pid = child.pid;
      const onAbort = () => {
        interrupted = true;
        if (pid === undefined) return;
        this.signalGroup(pid, "SIGINT");
        graceTimer = setTimeout(() => this.signalGroup(pid, "SIGKILL"), this.opts.graceMs);
      };
      if (pid !== undefined) this.groups.add(pid);
      if (req.timeoutMs !== undefined && pid !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          this.signalGroup(pid, "SIGTERM");
          graceTimer = setTimeout(() => this.signalGroup(pid, "SIGKILL"), this.opts.graceMs);
        }, req.timeoutMs);
      }
      if (req.signal.aborted) onAbort();
      else req.signal.addEventListener("abort", onAbort, { once: true });
      const done = (r: RunResult) => {
        if (timer) clearTimeout(timer);
        if (graceTimer) clearTimeout(graceTimer);
        req.signal.removeEventListener("abort", onAbort);
        if (pid !== undefined) this.groups.delete(pid);
        resolve(r);
      };
      child.once("error", (err) => done({ exitCode: null, signal: null, timedOut, interrupted, spawnError: err.message }));
      child.once("exit", (code, signal) => {
        // The shell is gone; make sure nothing it left behind in its group outlives an interrupt or timeout.
        if ((interrupted || timedOut) && pid !== undefined) this.signalGroup(pid, "SIGKILL");
        done({ exitCode: code, signal, timedOut, interrupted });
      });
    });
  }

  private killAll(sig: NodeJS.Signals): void {
    for (const pid of this.groups) this.signalGroup(pid, sig);
  }

  private signalGroup(pid: number, sig: NodeJS.Signals): void {
    try {
      process.kill(-pid, sig);
    } catch (e) {
      // ESRCH: the group is already gone, which is what we wanted.
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
  }
}
