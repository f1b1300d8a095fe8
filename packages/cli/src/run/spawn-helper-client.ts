// flow's side of the spawn helper (spawn-helper.ts explains why it exists).
//
// One helper per runner, started with the first recipe (a no-op build never
// starts it). Requests go to it only once it has said "ready"; until then the
// runner spawns directly, so a build of a few tasks never waits for Node to
// boot. The helper and its pipes are unref'ed while no recipe runs, so an
// idle helper never keeps flow alive. When flow's event loop runs dry
// ("beforeExit") flow closes the helper's stdin and waits the few
// milliseconds it takes to exit: flow reaps it, so the CPU time of the helper
// and of every recipe is counted in flow's own (time(1), the benchmarks), and
// no helper outlives a build. A helper that was never used is killed instead
// of waited for. If flow ends some other way (process.exit, a crash, SIGKILL),
// the helper sees EOF, stops the recipes still running (its own, and those
// flow started itself and told it to watch) and exits.
//
// If the helper dies, the recipes it had started are SIGKILLed by process
// group (flow knows their pids from "started") and fail with a message that
// names the helper, rather than leaving their tasks waiting forever. It is not
// restarted; the runner spawns directly from then on.
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { decodeReply, LineSplitter, type HelperRequest } from "./spawn-protocol.js";

export interface LaunchSpec {
  readonly script: string;
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  readonly logPath: string;
}

/** How a recipe ended: it exited (or was killed by a signal), or it never ran. */
export type LaunchOutcome =
  /** `logged`: its output is at the log path; false when it printed nothing, succeeded and left no log (log-slots.ts). */
  | { readonly exitCode: number | null; readonly signal: string | null; readonly logged: boolean }
  | { readonly spawnError: string };

interface Pending {
  /** The final word on the request; called exactly once. */
  readonly done: (outcome: LaunchOutcome) => void;
  pid?: number;
}

const HELPER_SCRIPT = fileURLToPath(new URL("./spawn-helper.js", import.meta.url));

export class SpawnHelper {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private ready = false;
  private deadReason: string | undefined;
  private referenced = true;
  private closing = false;
  private used = false;
  private settleReady!: (up: boolean) => void;
  private readonly ready$ = new Promise<boolean>((resolve) => (this.settleReady = resolve));

  /**
   * `script` replaces spawn-helper.js (tests start helpers that misbehave).
   * `fds`: descriptors the helper gets as its 3, 4, ... and passes on to every
   * recipe at the same numbers (the jobserver's pipe).
   */
  constructor(opts: { script?: string; fds?: readonly number[] } = {}) {
    const env = { ...process.env };
    // The user's NODE_OPTIONS (a --require, a big heap) is for flow, not for this small
    // process; nor are extra CA certificates (loading them costs start-up time).
    delete env["NODE_OPTIONS"];
    delete env["NODE_EXTRA_CA_CERTS"];
    const fds = opts.fds ?? [];
    this.child = spawn(process.execPath, ["--no-concurrent-recompilation", "--max-semi-space-size=1", opts.script ?? HELPER_SCRIPT, ...(fds.length > 0 ? [`--fds=${fds.length}`] : [])], {
      stdio: ["pipe", "pipe", "inherit", ...fds],
      // Its own session: a Ctrl-C at the terminal reaches flow, which decides what the recipes get.
      detached: true,
      env,
    });
    const stdin = this.child.stdin;
    const stdout = this.child.stdout;
    if (stdin === null || stdout === null) throw new Error("spawn helper: stdio pipes missing");
    stdin.on("error", () => undefined); // EPIPE once it is dead: its "exit" says what happened
    const lines = new LineSplitter();
    stdout.setEncoding("utf8");
    stdout.on("data", (chunk: string) => lines.push(chunk, (line) => this.onReply(line)));
    this.child.once("error", (err) => this.die(`it could not be started: ${err.message}`));
    // "close", not "exit": replies it wrote just before dying are read first.
    this.child.once("close", (code, signal) => this.die(signal !== null ? `it was killed by ${signal}` : `it exited with code ${code}`));
    process.once("beforeExit", this.closeAtExit);
    this.unrefIfIdle();
  }

  /** False once the helper has died; the caller should spawn another way. */
  get alive(): boolean {
    return this.deadReason === undefined;
  }

  /** It has said "ready": a request now starts without waiting for Node to boot. */
  get isReady(): boolean {
    return this.ready && this.deadReason === undefined;
  }

  /** The helper's pid (tests kill it to check what happens). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Resolves true once the helper is up, false if it died first; keeps flow alive meanwhile. */
  whenReady(): Promise<boolean> {
    if (this.ready || this.deadReason !== undefined) return this.ready$;
    this.ref();
    return this.ready$.then((up) => {
      this.unrefIfIdle();
      return up;
    });
  }

  /** Asks the helper to start a recipe (only once isReady); returns the id to kill it by. */
  run(spec: LaunchSpec, done: (outcome: LaunchOutcome) => void): number {
    if (!this.isReady) throw new Error("spawn helper: run() before it is ready");
    const id = this.nextId++;
    this.used = true;
    this.pending.set(id, { done });
    this.ref();
    this.write({ t: "run", id, script: spec.script, cwd: spec.cwd, env: spec.env, log: spec.logPath });
    return id;
  }

  /** Signals the recipe's process group; ignored once it has exited. */
  kill(id: number, sig: NodeJS.Signals): void {
    if (!this.pending.has(id)) return;
    this.write({ t: "kill", id, sig });
  }

  /**
   * The process group of a recipe flow started itself: if flow dies while it
   * runs, the helper stops it. `unwatch` when it has exited.
   */
  watch(pgid: number): void {
    this.write({ t: "watch", pgid });
  }

  unwatch(pgid: number): void {
    this.write({ t: "unwatch", pgid });
  }

  /** Ends the helper and keeps flow alive until it has exited (then "beforeExit" comes again, and flow exits). */
  private readonly closeAtExit = (): void => {
    if (this.deadReason !== undefined || this.pending.size > 0) return;
    this.closing = true;
    if (!this.used) {
      // Never asked for anything (the build was over before it was up): not worth waiting for.
      this.child.kill("SIGKILL");
      return;
    }
    this.child.stdin?.end();
    this.ref();
  };

  private write(req: HelperRequest): void {
    if (this.deadReason !== undefined) return;
    this.child.stdin?.write(`${JSON.stringify(req)}\n`);
  }

  private onReply(line: string): void {
    const reply = decodeReply(line);
    switch (reply.t) {
      case "ready":
        this.ready = true;
        this.settleReady(true);
        return;
      case "started": {
        const p = this.pending.get(reply.id);
        if (p !== undefined) p.pid = reply.pid;
        return;
      }
      case "exit":
        this.finish(reply.id, { exitCode: reply.code, signal: reply.signal, logged: reply.logged });
        return;
      case "error":
        this.finish(reply.id, { spawnError: reply.message });
        return;
    }
  }

  private finish(id: number, outcome: LaunchOutcome): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    this.unrefIfIdle();
    p.done(outcome);
  }

  private die(reason: string): void {
    if (this.deadReason !== undefined) return;
    this.deadReason = this.closing ? "it was closed" : reason;
    process.off("beforeExit", this.closeAtExit);
    this.settleReady(false);
    const calls = [...this.pending.values()];
    this.pending.clear();
    this.unrefIfIdle();
    for (const p of calls) {
      // Its recipes are orphans now, still writing outputs flow is about to remove: stop them.
      if (p.pid !== undefined) killGroup(p.pid);
      p.done({ spawnError: `the spawn helper (pid ${this.child.pid ?? "?"}) died while the recipe ran (${reason}); its process group was killed` });
    }
  }

  private ref(): void {
    if (this.referenced) return;
    this.referenced = true;
    this.child.ref();
    refStream(this.child.stdout, true);
    refStream(this.child.stdin, true);
  }

  private unrefIfIdle(): void {
    if (!this.referenced || this.pending.size > 0) return;
    this.referenced = false;
    this.child.unref();
    refStream(this.child.stdout, false);
    refStream(this.child.stdin, false);
  }
}

/** Pipes are net.Sockets, which can be (un)ref'ed; the typings only promise a stream. */
function refStream(s: unknown, on: boolean): void {
  const sock = s as { ref?: () => void; unref?: () => void } | null;
  if (on) sock?.ref?.();
  else sock?.unref?.();
}

function killGroup(pid: number): void {
  try {
    process.kill(-pid, "SIGKILL");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}
