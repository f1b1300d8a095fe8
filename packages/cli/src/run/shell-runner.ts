import { spawn } from "node:child_process";
import { closeSync, statfsSync } from "node:fs";
import { dirname } from "node:path";
import type { RunRequest, RunResult, TaskRunner } from "@flow/graph";
import { groupAlive, LogSlots, type OpenSlot } from "./log-slots.js";
import { SpawnHelper, type LaunchOutcome, type LaunchSpec } from "./spawn-helper-client.js";

export interface ShellRunnerOptions {
  /** How long interrupted tasks get to exit after SIGINT before SIGKILL. */
  readonly graceMs: number;
  /** Aborted on a second Ctrl-C: kill every group at once. */
  readonly forceSignal?: AbortSignal;
  /**
   * "helper" (the default): recipes are started by a small child process
   * (spawn-helper.ts); "direct": by flow itself. FLOW_SPAWN=direct in the
   * environment selects "direct" when this is not given.
   */
  readonly spawn?: "helper" | "direct";
  /** Tests: another helper script in place of spawn-helper.js. */
  readonly helperScript?: string;
  /**
   * Where to say, by log path, that a failed recipe's log may have lost what
   * it printed (its disk was full when it ended); the renderer shows it with the log.
   */
  readonly logNotes?: Map<string, string>;
  /**
   * Descriptors every recipe gets as its fds 3, 4, ... (the jobserver's pipe,
   * jobserver.ts); the spawn helper is given them at the same numbers.
   */
  readonly fds?: () => readonly number[];
}

/** Free bytes under which a failed recipe's log is suspected of being cut short. */
const LOG_ROOM_BYTES = 64 * 1024;

/** A recipe on its way or running: the one thing the runner does to it. */
interface Launched {
  /** Signals its process group; after this its group is SIGKILLed when the shell exits. */
  kill(sig: NodeJS.Signals): void;
}

type Launch = (spec: LaunchSpec, done: (o: LaunchOutcome) => void) => Launched;

/** The stdio of a recipe's shell: no stdin, the log twice, then the extra descriptors as 3, 4, ... */
export function recipeStdio(logFd: number, fds: readonly number[]): ("ignore" | number)[] {
  return ["ignore", logFd, logFd, ...fds];
}

/**
 * Runs a recipe as `/bin/sh -e -c SCRIPT` in its own process group (detached:
 * a new session), so that a signal sent to the group reaches every process the
 * recipe started. stdout and stderr go straight to a file's descriptor (a
 * log slot, moved to the log path when the recipe printed anything or failed:
 * log-slots.ts): the bytes never pass through flow's event loop.
 *
 * The shell is started by the spawn helper unless told otherwise (see
 * spawn-helper.ts for why): the helper is started with the first recipe, and
 * recipes are spawned directly until it is up. The timers, the interrupt and
 * the force-kill live here either way. If the helper dies, the recipes it ran
 * fail and later ones are spawned directly.
 */
/**
 * Every runner's free log slots are removed when flow exits, through one exit
 * listener for all: a build with generated includes makes a runner per
 * reading (up to 8), and a listener each passed Node's limit of 10 with a
 * warning on stderr.
 */
const slotsAtExit = new Set<LogSlots>();

function removeAtExit(slots: LogSlots): void {
  if (slotsAtExit.size === 0) process.once("exit", () => {
    for (const s of slotsAtExit) s.removeFree();
  });
  slotsAtExit.add(slots);
}

export class ShellRunner implements TaskRunner {
  private readonly running = new Set<Launched>();
  /** Interrupt handlers of running recipes, by signal: one listener per signal, not one per recipe. */
  private readonly onAbort = new WeakMap<AbortSignal, Set<() => void>>();
  private useHelper: boolean;
  private helper: SpawnHelper | undefined;
  /** Log slots of the recipes flow spawns itself (the helper has its own). */
  private readonly slots = new LogSlots();

  constructor(private readonly opts: ShellRunnerOptions) {
    this.useHelper = (opts.spawn ?? (process.env["FLOW_SPAWN"] === "direct" ? "direct" : "helper")) === "helper";
    opts.forceSignal?.addEventListener("abort", () => this.killAll("SIGKILL"), { once: true });
    removeAtExit(this.slots);
  }

  /** The helper in use, if any (tests). */
  get spawnHelper(): SpawnHelper | undefined {
    return this.helper;
  }

  /** Starts the helper if it is not running yet; true once it is up, false if it cannot be (tests). */
  helperReady(): Promise<boolean> {
    this.launcher();
    return this.helper?.whenReady() ?? Promise.resolve(false);
  }

  run(req: RunRequest): Promise<RunResult> {
    return new Promise<RunResult>((resolve) => {
      let timedOut = false;
      let interrupted = false;
      let timer: NodeJS.Timeout | undefined;
      let graceTimer: NodeJS.Timeout | undefined;
      const spec: LaunchSpec = { script: req.script, cwd: req.cwd, env: req.env, logPath: req.logPath };
      const done = (o: LaunchOutcome) => {
        if (timer) clearTimeout(timer);
        if (graceTimer) clearTimeout(graceTimer);
        this.onAbort.get(req.signal)?.delete(onAbort);
        this.running.delete(proc);
        if (!("spawnError" in o) && o.exitCode !== 0 && !interrupted) this.checkLogRoom(req.logPath);
        resolve("spawnError" in o ? { exitCode: null, signal: null, timedOut, interrupted, spawnError: o.spawnError } : { ...o, timedOut, interrupted });
      };
      const proc = this.launcher()(spec, done);
      this.running.add(proc);
      const stop = (sig: NodeJS.Signals) => {
        proc.kill(sig);
        graceTimer ??= setTimeout(() => proc.kill("SIGKILL"), this.opts.graceMs);
      };
      const onAbort = () => {
        interrupted = true;
        stop("SIGINT");
      };
      if (req.timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          stop("SIGTERM");
        }, req.timeoutMs);
      }
      if (req.signal.aborted) onAbort();
      else this.abortHandlers(req.signal).add(onAbort);
    });
  }

  /**
   * A failed recipe on a full disk often fails because the disk is full, and
   * then what it printed about it could not be written to its log either
   * (the recipe writes straight to the log's descriptor; flow never sees the
   * bytes). Checked now, before the failed task's outputs are removed and
   * free the space again; only for failures, so it costs a successful task nothing.
   */
  private checkLogRoom(logPath: string): void {
    if (this.opts.logNotes === undefined) return;
    let free: number;
    try {
      const st = statfsSync(dirname(logPath));
      free = st.bavail * st.bsize;
    } catch {
      return; // the log's directory is gone or unreadable: the renderer says the log is missing
    }
    if (free >= LOG_ROOM_BYTES) return;
    this.opts.logNotes.set(
      logPath,
      `the disk holding this log had ${free} bytes free when the recipe ended, so what the recipe printed may be missing from it (ENOSPC); free space (e.g. 'flow cache gc --max-size SIZE') and build again to see its output`,
    );
  }

  private abortHandlers(signal: AbortSignal): Set<() => void> {
    let handlers = this.onAbort.get(signal);
    if (handlers === undefined) {
      const set = new Set<() => void>();
      handlers = set;
      this.onAbort.set(signal, set);
      signal.addEventListener("abort", () => [...set].forEach((h) => h()), { once: true });
    }
    return handlers;
  }

  private launcher(): Launch {
    const fds = this.opts.fds?.() ?? [];
    const slots = this.slots;
    if (!this.useHelper) return (spec, done) => launchDirect(spec, done, fds, slots);
    if (this.helper === undefined) {
      try {
        this.helper = new SpawnHelper({ ...(this.opts.helperScript !== undefined ? { script: this.opts.helperScript } : {}), fds });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === undefined) throw err;
        // Could not even create its pipes (EMFILE, say): spawn directly, as flow did before the helper.
        this.useHelper = false;
        return (spec, done) => launchDirect(spec, done, fds, slots);
      }
    }
    // Until it is up (~50 ms of Node start-up), recipes are spawned directly: a small
    // build, or an edit that reruns a few tasks, must not wait for the helper. It is told
    // their groups all the same, so that it stops them too if flow dies.
    if (!this.helper.isReady) {
      const helper = this.helper;
      return helper.alive ? (spec, done) => launchDirect(spec, done, fds, slots, helper) : (spec, done) => launchDirect(spec, done, fds, slots);
    }
    return (spec, done) => launchViaHelper(this.helper as SpawnHelper, spec, done);
  }

  private killAll(sig: NodeJS.Signals): void {
    for (const p of this.running) p.kill(sig);
  }
}

/** Through the helper (which is up). */
function launchViaHelper(helper: SpawnHelper, spec: LaunchSpec, done: (o: LaunchOutcome) => void): Launched {
  const id = helper.run(spec, done);
  return { kill: (sig) => helper.kill(id, sig) };
}

/**
 * From flow's own process: what the helper does, in flow (FLOW_SPAWN=direct,
 * the helper not up yet, or gone). `watcher`: a helper on its way up, told of
 * the recipe's group while it runs.
 */
function launchDirect(spec: LaunchSpec, done: (o: LaunchOutcome) => void, fds: readonly number[], slots: LogSlots, watcher?: SpawnHelper): Launched {
  let slot: OpenSlot;
  try {
    slot = slots.open(spec.logPath);
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    queueMicrotask(() => done({ spawnError: `could not open the log ${spec.logPath}: ${message}` }));
    return { kill: () => undefined };
  }
  let settled = false;
  /** Where the slot's output goes (log-slots.ts); the outcome, or a spawn error when the log cannot be kept. */
  const finish = (o: LaunchOutcome, keep: boolean) => {
    if (settled) return;
    settled = true;
    let logged: boolean;
    try {
      logged = slots.settle(slot, spec.logPath, keep);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      done({ spawnError: `could not move the recipe's output to its log ${spec.logPath}: ${message}` });
      return;
    }
    done("spawnError" in o ? o : { ...o, logged });
  };
  let child;
  try {
    child = spawn("/bin/sh", ["-e", "-c", spec.script], { cwd: spec.cwd, env: spec.env, detached: true, stdio: recipeStdio(slot.fd, fds) });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    queueMicrotask(() => finish({ spawnError: message }, true));
    return { kill: () => undefined };
  } finally {
    closeSync(slot.fd);
  }
  const pid = child.pid;
  let signalled = false;
  if (pid !== undefined) watcher?.watch(pid);
  child.once("error", (err) => finish({ spawnError: err.message }, true));
  child.once("exit", (code, signal) => {
    // The shell is gone; make sure nothing it left behind in its group outlives an interrupt or timeout.
    if (signalled && pid !== undefined) signalGroup(pid, "SIGKILL");
    if (pid !== undefined) watcher?.unwatch(pid);
    finish({ exitCode: code, signal, logged: false }, code !== 0 || signalled || pid === undefined || groupAlive(pid));
  });
  return {
    kill: (sig) => {
      if (pid === undefined || settled) return;
      signalled = true;
      signalGroup(pid, sig);
    },
  };
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch (e) {
    // ESRCH: the group is already gone, which is what we wanted.
    if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
  }
}
