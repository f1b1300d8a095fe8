// The spawn helper: a small, long-lived child of flow that starts recipes for
// it (see spawn-helper-client.ts for flow's side, spawn-protocol.ts for the
// wire format).
//
// Why a separate process: libuv starts a child with fork(), and fork copies
// the page tables of the whole parent; afterwards every page the parent
// writes takes a copy-on-write fault. Both grow with the parent's resident
// memory, and flow's is 120-260 MiB with a large graph loaded: a spawn from
// flow's main thread cost 4 ms and made the build spend more time in the
// kernel than in user space. This process loads nothing but Node's builtins,
// so each fork here is cheap, and whatever it costs is paid on another core
// while flow's event loop hashes and saves outputs.
//
// It keeps what a direct spawn did: `/bin/sh -e -c SCRIPT` as the leader of a
// new session (so a signal to the group reaches everything the recipe
// started), stdout and stderr on the log file, the task's env and cwd. It
// decides nothing: flow sends every signal (interrupt, timeout, grace, force)
// and owns every timer. One rule is local, as it was in the direct runner: a
// group that was signalled gets SIGKILL once its shell has exited, so nothing
// the recipe left behind outlives an interrupt or a timeout.
//
// When flow goes away (stdin reaches EOF: it was SIGKILLed, or crashed) with
// recipes still running, the helper stops them before it exits: SIGTERM to
// each group, SIGKILL after STOP_GRACE_MS. That covers its own recipes and the
// groups flow asked it to watch (recipes flow started itself before the
// helper was up). Left running, a recipe would keep writing an output that
// the next build, taking over the stale lock, reruns at the same time. flow
// waits for its recipes before it exits normally, so at a normal exit nothing
// runs and the helper exits at once.
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync } from "node:fs";
import { groupAlive, LogSlots, type OpenSlot } from "./log-slots.js";
import { encodeReply, LineSplitter, type HelperReply, type HelperRequest } from "./spawn-protocol.js";

interface Running {
  readonly pid: number;
  signalled: boolean;
}

const running = new Map<number, Running>();
/**
 * `--fds=N`: flow gave this process N descriptors at 3, 4, ... (the
 * jobserver's pipe); every recipe gets them at the same numbers.
 */
const extraFds = ((): number[] => {
  const arg = process.argv.find((a) => a.startsWith("--fds="));
  const n = arg === undefined ? 0 : Number(arg.slice(6));
  return Array.from({ length: Number.isInteger(n) && n > 0 ? n : 0 }, (_, i) => 3 + i);
})();
/** Process groups of recipes flow started itself, while they run. */
const watched = new Set<number>();

function send(reply: HelperReply): void {
  process.stdout.write(encodeReply(reply));
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The recipes' output files, reused while recipes print nothing (log-slots.ts). */
const slots = new LogSlots();

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch (err) {
    // ESRCH: the group is already gone, which is what we wanted.
    if ((err as NodeJS.ErrnoException).code !== "ESRCH") throw err;
  }
}

/** The slot's output goes to the log path when there is some (or the recipe failed): see log-slots.ts. */
function settleLog(slot: OpenSlot, log: string, keep: boolean): { logged: boolean } | { error: string } {
  try {
    return { logged: slots.settle(slot, log, keep) };
  } catch (err) {
    return { error: `could not move the recipe's output to its log ${log}: ${message(err)}` };
  }
}

function run(req: Extract<HelperRequest, { t: "run" }>): void {
  let slot: OpenSlot;
  try {
    slot = slots.open(req.log);
  } catch (err) {
    send({ t: "error", id: req.id, message: `could not open the log ${req.log}: ${message(err)}` });
    return;
  }
  const failedToStart = (why: string): void => {
    // An empty log at the log path, as when the log was opened directly.
    const settled = settleLog(slot, req.log, true);
    send({ t: "error", id: req.id, message: "error" in settled ? `${why}; ${settled.error}` : why });
  };
  let child: ChildProcess;
  try {
    child = spawn("/bin/sh", ["-e", "-c", req.script], { cwd: req.cwd, env: req.env, detached: true, stdio: ["ignore", slot.fd, slot.fd, ...extraFds] });
  } catch (err) {
    closeSync(slot.fd);
    // Invalid arguments (a NUL byte in the script or env) throw instead of emitting "error".
    failedToStart(message(err));
    return;
  }
  closeSync(slot.fd);
  let finished = false;
  child.once("error", (err) => {
    if (finished) return;
    finished = true;
    running.delete(req.id);
    failedToStart(err.message);
  });
  const pid = child.pid;
  if (pid === undefined) return; // could not start: "error" follows
  const r: Running = { pid, signalled: false };
  running.set(req.id, r);
  send({ t: "started", id: req.id, pid });
  child.once("exit", (code, signal) => {
    if (finished) return;
    finished = true;
    running.delete(req.id);
    if (r.signalled) signalGroup(pid, "SIGKILL");
    // Kept at the log path unless it succeeded, printed nothing, and left nothing running that could still print.
    const settled = settleLog(slot, req.log, code !== 0 || r.signalled || groupAlive(pid));
    if ("error" in settled) send({ t: "error", id: req.id, message: settled.error });
    else send({ t: "exit", id: req.id, code, signal, logged: settled.logged });
  });
}

function kill(req: Extract<HelperRequest, { t: "kill" }>): void {
  const r = running.get(req.id);
  if (r === undefined) return; // exited already, or never started
  r.signalled = true;
  signalGroup(r.pid, req.sig);
}

function handle(line: string): void {
  const req = JSON.parse(line) as HelperRequest;
  switch (req.t) {
    case "run":
      run(req);
      break;
    case "kill":
      kill(req);
      break;
    case "watch":
      watched.add(req.pgid);
      break;
    case "unwatch":
      watched.delete(req.pgid);
      break;
  }
}

/** How long recipes get between SIGTERM and SIGKILL once flow is gone. */
const STOP_GRACE_MS = 1000;
let stopping = false;

/** flow is gone (or hung up): nothing more will be asked, and no reply can be delivered. */
function flowGone(): void {
  if (stopping) return;
  stopping = true;
  const groups = [...[...running.values()].map((r) => r.pid), ...watched];
  slots.removeFree();
  if (groups.length === 0) process.exit(0);
  signalAll(groups, "SIGTERM");
  const deadline = Date.now() + STOP_GRACE_MS;
  const check = setInterval(() => {
    if (Date.now() < deadline && groups.some(groupExists)) return;
    clearInterval(check);
    // Everything left in the groups, the shells' children too, whether or not the shells have exited.
    signalAll(groups, "SIGKILL");
    process.exit(0);
  }, 50);
}

function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Nobody is left to tell of a failure: a group that cannot be signalled is passed over. */
function signalAll(groups: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of groups) {
    try {
      signalGroup(pid, sig);
    } catch {
      // EPERM: not ours to signal.
    }
  }
}

// A reply that cannot be delivered (EPIPE) means flow is gone too, but requests it wrote
// before dying may still be in the pipe (a `watch` sent while this process was booting):
// stdin's end, which comes after them, decides.
process.stdout.on("error", () => undefined);
process.stdin.on("error", flowGone);
process.stdin.on("end", flowGone);
send({ t: "ready", pid: process.pid });
const lines = new LineSplitter();
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => lines.push(chunk, handle));
