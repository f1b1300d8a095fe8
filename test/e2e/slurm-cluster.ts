// A one-node Slurm cluster for the tests (Debian's slurm-wlm 22.05 and
// munge, as root): slurmctld and slurmd on this host, every state, spool,
// pid and log file in a temporary directory, SLURM_CONF pointing at its
// slurm.conf. The node claims 64 CPUs (SlurmdParameters=config_overrides),
// more than the machine has, so that many tiny array elements run at once.
// Memory is enforced by cgroup v1 (task/cgroup + ConstrainRAMSpace): a job
// over its --mem ends OUT_OF_MEMORY.
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { hostname } from "node:os";
import { join } from "node:path";
import { ensureDebianTool, runs } from "./debian-tool.js";
import { tempDir } from "./support.js";

export interface SlurmCluster {
  readonly dir: string;
  /** SLURM_CONF and PATH for flow and the Slurm tools. */
  readonly env: NodeJS.ProcessEnv;
  /** Array elements and jobs of this cluster still queued or running. */
  active(): string[];
  stop(): void;
}

export type ClusterStart = { ok: true; cluster: SlurmCluster } | { ok: false; why: string };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => resolve(typeof a === "object" && a !== null ? a.port : 0));
    });
  });
}

function sh(cmd: string, args: string[], env?: NodeJS.ProcessEnv): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: env ?? process.env, timeout: 30_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}${r.error?.message ?? ""}` };
}

/** munged running (a running one is reused), with a key. */
function startMunge(): string | undefined {
  if (!existsSync("/etc/munge/munge.key")) {
    const k = sh("mungekey", ["-c"]);
    if (!k.ok) return `mungekey -c failed: ${k.out}`;
    sh("chown", ["munge:munge", "/etc/munge/munge.key"]);
    chmodSync("/etc/munge/munge.key", 0o400);
  }
  mkdirSync("/run/munge", { recursive: true });
  sh("chown", ["munge:munge", "/run/munge"]);
  if (runs("munge", ["-n"])) return undefined;
  const m = sh("runuser", ["-u", "munge", "--", "/usr/sbin/munged"]);
  if (!m.ok) return `munged did not start: ${m.out}`;
  return runs("munge", ["-n"]) ? undefined : "munged started but 'munge -n' fails";
}

export async function startSlurmCluster(): Promise<ClusterStart> {
  if (process.getuid?.() !== 0) return { ok: false, why: "the test cluster's daemons run as root, and this is not root" };
  for (const [pkg, probe] of [
    ["munge", () => existsSync("/usr/sbin/munged")],
    ["slurm-wlm", () => existsSync("/usr/sbin/slurmctld") && existsSync("/usr/sbin/slurmd") && existsSync("/usr/bin/sbatch")],
  ] as const) {
    const t = ensureDebianTool(pkg, probe);
    if (!t.ok) return { ok: false, why: t.why };
  }
  const mungeError = startMunge();
  if (mungeError !== undefined) return { ok: false, why: mungeError };
  const dir = tempDir("flow-slurm-");
  const host = hostname().split(".")[0] as string;
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const memCgroup = existsSync("/sys/fs/cgroup/memory/memory.limit_in_bytes");
  const conf = join(dir, "slurm.conf");
  for (const d of ["state", "spool"]) mkdirSync(join(dir, d));
  writeFileSync(
    conf,
    [
      "ClusterName=flowtest",
      `SlurmctldHost=${host}`,
      "SlurmUser=root",
      "SlurmdUser=root",
      "AuthType=auth/munge",
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/slurmctld.log`,
      `SlurmdLogFile=${dir}/slurmd.log`,
      // cgroup v1's memory controller enforces --mem (OUT_OF_MEMORY); without it, no enforcement.
      memCgroup ? "ProctrackType=proctrack/cgroup" : "ProctrackType=proctrack/linuxproc",
      memCgroup ? "TaskPlugin=task/cgroup" : "TaskPlugin=task/none",
      "SelectType=select/cons_tres",
      "SelectTypeParameters=CR_Core_Memory",
      "DefMemPerCPU=100",
      "ReturnToService=2",
      "JobAcctGatherType=jobacct_gather/linux",
      "MaxArraySize=1001",
      // Longer than flow's poll interval, short enough not to fill the controller's memory.
      "MinJobAge=30",
      "SchedulerParameters=sched_interval=1,defer_batch=0,sched_min_interval=0,default_queue_depth=2000",
      "SlurmdParameters=config_overrides",
      "MpiDefault=none",
      `NodeName=${host} CPUs=64 RealMemory=16000 State=UNKNOWN`,
      `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
      "",
    ].join("\n"),
  );
  writeFileSync(join(dir, "cgroup.conf"), "ConstrainRAMSpace=yes\nConstrainSwapSpace=yes\n");
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf };
  const cluster = clusterOf(dir, env);
  const ctld = sh("/usr/sbin/slurmctld", ["-f", conf], env);
  const d = sh("/usr/sbin/slurmd", ["-f", conf], env);
  if (!ctld.ok || !d.ok) {
    cluster.stop();
    return { ok: false, why: `slurmctld/slurmd did not start: ${ctld.out} ${d.out}` };
  }
  // Ready when the node is idle (about a second).
  const until = Date.now() + 20_000;
  while (Date.now() < until) {
    if (/idle/.test(sh("sinfo", ["--noheader", "-o", "%t"], env).out)) return { ok: true, cluster };
    await new Promise((r) => setTimeout(r, 200));
  }
  const log = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8").split("\n").slice(-5).join("\n") : "");
  cluster.stop();
  return { ok: false, why: `the node did not become idle in 20s: ${sh("sinfo", [], env).out}\n${log("slurmctld.log")}\n${log("slurmd.log")}` };
}

function clusterOf(dir: string, env: NodeJS.ProcessEnv): SlurmCluster {
  return {
    dir,
    env,
    active() {
      const r = sh("squeue", ["--noheader", "--states=PENDING,RUNNING,CONFIGURING,COMPLETING,SUSPENDED", "--Format=JobArrayID:|"], env);
      return r.out
        .split("\n")
        .map((l) => l.trim().replace(/\|$/, ""))
        .filter((l) => l !== "");
    },
    stop() {
      // The daemons by their pid files, then anything left that names this cluster's directory (slurmscriptd, slurmstepd).
      for (const f of ["slurmd.pid", "slurmctld.pid"]) {
        const p = join(dir, f);
        if (!existsSync(p)) continue;
        const pid = Number(readFileSync(p, "utf8").trim());
        if (pid > 1) kill(pid, "SIGTERM");
      }
      const until = Date.now() + 10_000;
      for (;;) {
        const left = ownProcesses(dir);
        if (left.length === 0) break;
        if (Date.now() > until) {
          for (const pid of left) kill(pid, "SIGKILL");
          break;
        }
        execFileSync("sleep", ["0.1"]);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Processes whose command line or whose SLURM_CONF names `dir`: this cluster's, never another's. */
export function ownProcesses(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, "utf8");
      const comm = readFileSync(`/proc/${e}/comm`, "utf8").trim();
      if (!/^slurm/.test(comm)) continue;
      const envText = readFileSync(`/proc/${e}/environ`, "utf8");
      if (cmd.includes(dir) || envText.includes(`SLURM_CONF=${dir}/`)) out.push(Number(e));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

function kill(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}
