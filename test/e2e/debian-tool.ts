// Tools a test needs from Debian (make, curl, tmux): installed with apt-get
// when missing, so a clean machine needs nothing installed by hand. The
// project's own files install what its tests use; this is the one place
// that does it.
import { spawnSync } from "node:child_process";

export type ToolCheck = { ok: true } | { ok: false; why: string };

/**
 * Whether `probe` passes, after `apt-get install -y PKG` when it did not
 * (as root, or through passwordless sudo). Empty package lists (a fresh
 * container) are fetched once, then the install is tried again.
 */
export function ensureDebianTool(pkg: string, probe: () => boolean): ToolCheck {
  if (probe()) return { ok: true };
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const apt = asRoot ? ["apt-get"] : ["sudo", "-n", "apt-get"];
  const aptGet = (...args: string[]) =>
    spawnSync(apt[0] as string, [...apt.slice(1), ...args], { encoding: "utf8", timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  let install = aptGet("install", "-y", "-q", pkg);
  if (install.status !== 0) {
    aptGet("update", "-q");
    install = aptGet("install", "-y", "-q", pkg);
  }
  if (probe()) return { ok: true };
  return { ok: false, why: `${pkg} is not installed and 'apt-get install ${pkg}' failed (${install.error?.message ?? install.stderr?.trim() ?? "no output"})` };
}

/** Whether `cmd ARGS` runs and exits 0 (and its stdout matches `like`, when given). */
export function runs(cmd: string, args: readonly string[], like?: RegExp): boolean {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.status === 0 && (like === undefined || like.test(r.stdout));
}
