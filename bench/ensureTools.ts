import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

/** The commands the bench needs and the Debian packages that provide them. */
const NEEDED: { command: string; pkg: string }[] = [
  { command: "ninja", pkg: "ninja-build" },
  { command: "hyperfine", pkg: "hyperfine" },
  { command: "/usr/bin/time", pkg: "time" },
  { command: "make", pkg: "make" },
];

function have(command: string): boolean {
  if (command.startsWith("/")) return existsSync(command);
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

/**
 * Installs what is missing with apt-get (update first), as root; with
 * `install` false, or not root, only says what is missing and throws.
 */
export function ensureTools(install: boolean, log: (line: string) => void): void {
  const missing = NEEDED.filter((n) => !have(n.command));
  if (missing.length === 0) return;
  const pkgs = missing.map((m) => m.pkg);
  const isRoot = process.getuid?.() === 0;
  if (!install || !isRoot) {
    throw new Error(
      `missing ${missing.map((m) => m.command).join(", ")}: install with ` +
        `\`apt-get update && apt-get install -y ${pkgs.join(" ")}\`${isRoot ? "" : " (as root)"}`,
    );
  }
  log(`installing ${pkgs.join(" ")} with apt-get`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update"], { stdio: ["ignore", "ignore", "inherit"], env });
  execFileSync("apt-get", ["install", "-y", "--no-install-recommends", ...pkgs], {
    stdio: ["ignore", "ignore", "inherit"],
    env,
  });
  const still = missing.filter((n) => !have(n.command));
  if (still.length > 0) throw new Error(`apt-get did not provide ${still.map((m) => m.command).join(", ")}`);
}
