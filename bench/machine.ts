import { spawnSync } from "node:child_process";
import os from "node:os";

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  node: string;
  kernel: string;
  /** File system type of the directory the projects are built in. */
  fileSystem: string;
  make: string;
  ninja: string;
  hyperfine: string;
  /** 1-minute load average when the run started and ended: other work on the machine skews every figure. */
  loadAtStart: number;
  loadAtEnd?: number;
}

function firstLine(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8" });
  return r.status === 0 ? (r.stdout.split("\n")[0] ?? "").trim() : "unavailable";
}

/** What the figures were measured on. */
export function describeMachine(workDir: string): Machine {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? "unknown",
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    fileSystem: firstLine("findmnt", ["-n", "-o", "FSTYPE", "-T", workDir]),
    make: firstLine("make", ["--version"]),
    ninja: firstLine("ninja", ["--version"]),
    hyperfine: firstLine("hyperfine", ["--version"]),
    loadAtStart: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
  };
}
