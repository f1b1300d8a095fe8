// A real pseudo-terminal for end-to-end tests: tmux, on a private socket,
// one server per test, killed at the end. The screen is read with
// capture-pane; the raw bytes a program wrote with pipe-pane.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { flowBin } from "./support.js";

/** tmux on PATH, installed with apt-get when missing and possible (as make-compat installs make). */
export function findTmux(): { ok: true } | { ok: false; why: string } {
  const probe = () => spawnSync("tmux", ["-V"], { encoding: "utf8" });
  if (probe().status === 0) return { ok: true };
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const apt = asRoot ? ["apt-get"] : ["sudo", "-n", "apt-get"];
  const aptGet = (...args: string[]) =>
    spawnSync(apt[0] as string, [...apt.slice(1), ...args], { encoding: "utf8", timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  let install = aptGet("install", "-y", "-q", "tmux");
  if (install.status !== 0) {
    // Empty package lists (a fresh container): fetch them once, then try again.
    aptGet("update", "-q");
    install = aptGet("install", "-y", "-q", "tmux");
  }
  if (probe().status === 0) return { ok: true };
  return { ok: false, why: `tmux is not installed and 'apt-get install tmux' failed (${install.error?.message ?? install.stderr?.trim() ?? "no output"})` };
}

/** A word for sh, quoted. */
export function sh(word: string): string {
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command line that runs the built flow, as a pane's shell runs it. */
export function flowCommand(args: readonly string[]): string {
  return [process.execPath, "--no-concurrent-recompilation", flowBin, ...args].map(sh).join(" ");
}

let serial = 0;

export class TmuxPane {
  private readonly socket = `flow-test-${process.pid}-${serial++}`;
  /** Written by the pane's command when flow has ended: its exit code. */
  private readonly exitFile: string;

  /**
   * Starts `command` (sh syntax) in `dir` on a 120x30 terminal. The pane's
   * environment is the test's without CI, colour and flow settings, plus `env`.
   * With `waitFor`, the command waits for that file first (so pipe-pane can be
   * attached before anything is written).
   */
  constructor(
    readonly dir: string,
    command: string,
    opts: { env?: Record<string, string>; waitFor?: string } = {},
  ) {
    this.exitFile = join(dir, `.tmux-exit-${this.socket}`);
    const env: NodeJS.ProcessEnv = { ...process.env, SHELL: "/bin/sh", ...opts.env };
    for (const name of ["CI", "NO_COLOR", "FORCE_COLOR", "TMUX", "FLOW_CACHE_DIR", "FLOW_STATE", "FLOW_SERVER", "MAKEFLAGS"]) if (!(name in (opts.env ?? {}))) delete env[name];
    const gate = opts.waitFor === undefined ? "" : `while [ ! -e ${sh(opts.waitFor)} ]; do sleep 0.05; done; `;
    // The pane stays after flow ends, so the last screen can be read; not with remain-on-exit, whose
    // "Pane is dead" line scrolls the screen. kill() ends the sleep with the server.
    const script = `${gate}${command}; echo $? > ${sh(this.exitFile)}; exec sleep 3600`;
    const r = spawnSync("tmux", ["-L", this.socket, "-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", "120", "-y", "30", "-c", dir, script], { env, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`tmux new-session failed: ${r.stderr}`);
  }

  private tmux(...args: string[]): string {
    const r = spawnSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`tmux ${args.join(" ")} failed: ${r.stderr}`);
    return r.stdout;
  }

  /** The screen as text (with `escapes`: with the colours it shows, as SGR escapes). */
  screen(escapes = false): string {
    return this.tmux("capture-pane", "-p", ...(escapes ? ["-e"] : []), "-t", "t");
  }

  /** From now on, every byte the pane's program writes is appended to `file`. */
  pipeTo(file: string): void {
    this.tmux("pipe-pane", "-o", "-t", "t", `cat >> ${sh(file)}`);
  }

  /** Polls the screen until `ok` holds; fails with the last screen after `timeoutMs`. */
  async waitForScreen(ok: (screen: string) => boolean, what: string, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = this.screen();
      if (ok(s)) return s;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${s}`);
      await sleep(100);
    }
  }

  /** flow's exit code, once its command has ended. */
  async exitCode(timeoutMs = 20_000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(this.exitFile)) {
      if (Date.now() > deadline) throw new Error(`flow did not end; the screen:\n${this.screen()}`);
      await sleep(100);
    }
    return Number(readFileSync(this.exitFile, "utf8").trim());
  }

  /** Ends the pane and its private server. */
  kill(): void {
    spawnSync("tmux", ["-L", this.socket, "kill-server"]);
  }
}
