// A one-node Slurm cluster for the tests (Debian's slurm-wlm 22.05 and
// munge, as root): slurmctld and slurmd on this host, every state, spool,
// pid and log file in a temporary directory, SLURM_CONF pointing at its
// slurm.conf. The node claims 64 CPUs (SlurmdParameters=config_overrides),
// more than the machine has, so that many tiny array elements run at once.
// Memory is enforced by cgroup v1 (task/cgroup + ConstrainRAMSpace): a job
// over its --mem ends OUT_OF_MEMORY. Opt-in, accounting: slurmdbd on a
// MariaDB of its own in the same directory (startAccounting), so that sacct
// answers with CPU time and peak memory.
import { execFileSync, spawn, spawnSync } from "node:child_process";
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
  /** Why sacct has no accounting here (not asked for, or slurmdbd/MariaDB could not start); undefined when it has. */
  readonly noAccounting?: string;
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

/**
 * MariaDB (its data directory, socket and port in `dir`; no grant tables, so
 * no mariadb-install-db: 0.5 s instead of 2.6 s, and nothing but slurmdbd on
 * 127.0.0.1 talks to it) and slurmdbd on a free port, with the cluster
 * registered (sacctmgr). The slurm.conf lines that use it, or why not.
 */
async function startAccounting(dir: string, writeConf: (acct: readonly string[]) => void, env: NodeJS.ProcessEnv): Promise<{ ok: true } | { ok: false; why: string }> {
  for (const [pkg, probe] of [
    ["mariadb-server", () => existsSync("/usr/sbin/mariadbd") && existsSync("/usr/bin/mariadb")],
    ["slurmdbd", () => existsSync("/usr/sbin/slurmdbd")],
  ] as const) {
    const t = ensureDebianTool(pkg, probe);
    if (!t.ok) return { ok: false, why: t.why };
  }
  const [dbPort, dbdPort] = [await freePort(), await freePort()];
  const db = join(dir, "mariadb");
  const socket = join(dir, "mariadb.sock");
  mkdirSync(db);
  const m = spawn(
    "/usr/sbin/mariadbd",
    ["--no-defaults", `--datadir=${db}`, `--socket=${socket}`, `--port=${dbPort}`, "--bind-address=127.0.0.1", "--user=root", `--pid-file=${dir}/mariadbd.pid`, `--log-error=${dir}/mariadbd.log`, "--skip-grant-tables", "--skip-name-resolve", "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=8M", "--skip-log-bin"],
    { detached: true, stdio: "ignore" },
  );
  m.unref();
  // A mariadbd that exits (a bad option, a port taken) is not waited for.
  let exited = false;
  m.once("exit", () => (exited = true));
  m.once("error", () => (exited = true));
  const log = (f: string) => (existsSync(join(dir, f)) ? readFileSync(join(dir, f), "utf8").split("\n").slice(-5).join("\n") : "");
  if (!(await waitFor(() => existsSync(socket) && sh("/usr/bin/mariadb", [`--socket=${socket}`, "-u", "root", "-e", "CREATE DATABASE IF NOT EXISTS slurm_acct_db"]).ok, () => exited))) return { ok: false, why: `MariaDB did not start${exited ? "" : " in 15s"}: ${log("mariadbd.log")}` };
  const dbdConf = join(dir, "slurmdbd.conf");
  writeFileSync(
    dbdConf,
    [
      "AuthType=auth/munge",
      "DbdHost=localhost",
      "DbdAddr=127.0.0.1",
      `DbdPort=${dbdPort}`,
      "SlurmUser=root",
      `PidFile=${dir}/slurmdbd.pid`,
      `LogFile=${dir}/slurmdbd.log`,
      "StorageType=accounting_storage/mysql",
      "StorageHost=127.0.0.1",
      `StoragePort=${dbPort}`,
      "StorageUser=root",
      "StoragePass=unused",
      "StorageLoc=slurm_acct_db",
      "",
    ].join("\n"),
    { mode: 0o600 },
  );
  // slurmdbd refuses a slurmdbd.conf others can read.
  chmodSync(dbdConf, 0o600);
  writeConf(["AccountingStorageType=accounting_storage/slurmdbd", "AccountingStorageHost=localhost", `AccountingStoragePort=${dbdPort}`, "JobAcctGatherFrequency=task=1"]);
  // slurmdbd finds its slurmdbd.conf beside SLURM_CONF's slurm.conf.
  const dbd = sh("/usr/sbin/slurmdbd", [], env);
  if (!dbd.ok) return { ok: false, why: `slurmdbd did not start: ${dbd.out} ${log("slurmdbd.log")}` };
  if (!(await waitFor(() => sh("sacctmgr", ["-n", "show", "cluster"], env).ok))) return { ok: false, why: `slurmdbd did not answer in 15s: ${log("slurmdbd.log")}` };
  const add = sh("sacctmgr", ["-i", "add", "cluster", "flowtest"], env);
  if (!add.ok && !/already exists/i.test(add.out)) return { ok: false, why: `sacctmgr add cluster failed: ${add.out}` };
  return { ok: true };
}

async function waitFor(ok: () => boolean, gaveUp: () => boolean = () => false): Promise<boolean> {
  const until = Date.now() + 15_000;
  while (Date.now() < until && !gaveUp()) {
    if (ok()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

/** `accounting`: also slurmdbd and MariaDB (startAccounting); without them, the cluster starts all the same and says why in noAccounting. */
export async function startSlurmCluster(o: { accounting?: boolean } = {}): Promise<ClusterStart> {
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
  const writeConf = (acct: readonly string[]) => writeFileSync(
    conf,
    [
      ...acct,
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
  writeConf([]);
  writeFileSync(join(dir, "cgroup.conf"), "ConstrainRAMSpace=yes\nConstrainSwapSpace=yes\n");
  const env: NodeJS.ProcessEnv = { ...process.env, SLURM_CONF: conf };
  let noAccounting: string | undefined = "not asked for";
  if (o.accounting === true) {
    const a = await startAccounting(dir, writeConf, env);
    noAccounting = a.ok ? undefined : a.why;
    if (!a.ok) {
      // Without it: slurm.conf as before, slurmdbd and MariaDB stopped.
      writeConf([]);
      stopOwn(dir);
    }
  }
  const cluster = clusterOf(dir, env, noAccounting);
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

function clusterOf(dir: string, env: NodeJS.ProcessEnv, noAccounting: string | undefined): SlurmCluster {
  return {
    dir,
    env,
    ...(noAccounting !== undefined ? { noAccounting } : {}),
    active() {
      const r = sh("squeue", ["--noheader", "--states=PENDING,RUNNING,CONFIGURING,COMPLETING,SUSPENDED", "--Format=JobArrayID:|"], env);
      return r.out
        .split("\n")
        .map((l) => l.trim().replace(/\|$/, ""))
        .filter((l) => l !== "");
    },
    stop() {
      stopOwn(dir);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The daemons by their pid files (slurmctld first: it reports to slurmdbd), then anything left that names `dir` (slurmscriptd, slurmstepd). */
function stopOwn(dir: string): void {
  for (const f of ["slurmd.pid", "slurmctld.pid", "slurmdbd.pid", "mariadbd.pid"]) {
    const p = join(dir, f);
    if (!existsSync(p)) continue;
    const pid = Number(readFileSync(p, "utf8").trim());
    if (pid > 1 && ownProcesses(dir).includes(pid)) kill(pid, "SIGTERM");
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
}

/** Processes whose command line or whose SLURM_CONF names `dir`: this cluster's, never another's. */
export function ownProcesses(dir: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${e}/cmdline`, "utf8");
      const comm = readFileSync(`/proc/${e}/comm`, "utf8").trim();
      if (!/^slurm/.test(comm) && comm !== "mariadbd") continue;
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
