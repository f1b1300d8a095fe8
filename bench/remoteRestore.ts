// The CI pre-warm scenario (issue 15): a fresh checkout, at another path,
// with an empty local cache, restoring every task from a remote cache on
// loopback, against a full build with no cache at all and against `cp -a` of
// the outputs. The remote is the real turborepo-remote-cache server (a dev
// dependency) with local storage, started here and stopped at the end.
import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, openSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runPlan, type Runner, type ToolFigures } from "./runPlan.js";
import { flowArgv, flowCount, type Tool } from "./tools.js";

export interface RemoteRestoreFigures {
  /** `flow build` in a fresh checkout with an empty local cache and the remote: every task restored. */
  fromRemote: ToolFigures;
  /** `flow build` in a fresh checkout with an empty cache and no remote: every task runs. */
  fullBuild: ToolFigures;
  /** `cp -a` of the built outputs. */
  cp: ToolFigures;
  /** How long pre-warming took (`flow cache warm`, or a build with the remote), once. */
  warmMs: number;
  /** What the warm-up said it uploaded, as printed. */
  warmSummary: string;
}

export interface RemoteRestoreOptions {
  runs: number;
  budgetMs: number;
  minRuns: number;
  logDir: string;
  label: string;
  scratchDir: string;
  log: (line: string) => void;
  /** An untimed first run of each (default true); `--remote-only` at 10,000 tasks skips it for time. */
  countFirst?: boolean;
}

const SERVER_BIN = fileURLToPath(new URL("../../node_modules/turborepo-remote-cache/dist/cli.js", import.meta.url));
const TOKEN = "bench-token";
const TEAM = "bench";

/** A free TCP port on 127.0.0.1, asked of the kernel in a child (runPlan is synchronous). */
function freePort(): number {
  const script = `const s=require("node:net").createServer();s.listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})`;
  return Number(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }));
}

/** Blocks until the server answers its status route, or throws after `ms`. */
function waitReady(url: string, ms: number): void {
  const script = `fetch(${JSON.stringify(`${url}/v8/artifacts/status`)},{headers:{authorization:"Bearer ${TOKEN}"}}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (spawnSync(process.execPath, ["-e", script]).status === 0) return;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
  }
  throw new Error(`turborepo-remote-cache did not answer ${url}/v8/artifacts/status within ${ms / 1000} s`);
}

/** A fresh checkout of `from` at `to`: the sources only (no outputs, no flow state). */
function checkout(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  execFileSync("cp", ["-a", from, to]);
  for (const d of ["out", ".flow"]) rmSync(join(to, d), { recursive: true, force: true });
  mkdirSync(join(to, "out"));
}

/** Figures of the remote-restore scenario; `skipped` when the server is not installed. */
export function remoteRestoreFigures(flow: Tool, opt: RemoteRestoreOptions): RemoteRestoreFigures | { skipped: string } {
  if (!existsSync(SERVER_BIN)) return { skipped: `turborepo-remote-cache is not installed (${SERVER_BIN}); run npm ci` };
  const port = freePort();
  const url = `http://127.0.0.1:${port}`;
  const storage = join(opt.scratchDir, "remote-storage");
  rmSync(storage, { recursive: true, force: true });
  mkdirSync(storage, { recursive: true });
  const serverLog = openSync(join(opt.logDir, `${opt.label}-remote-server.log`), "w");
  const server: ChildProcess = spawn(process.execPath, [SERVER_BIN], {
    env: { ...process.env, PORT: String(port), TURBO_TOKEN: TOKEN, STORAGE_PROVIDER: "local", STORAGE_PATH: storage, LOG_LEVEL: "warn" },
    stdio: ["ignore", serverLog, serverLog],
  });
  try {
    waitReady(url, 30_000);
    const remoteEnv = ["env", `FLOW_REMOTE_URL=${url}`, `FLOW_REMOTE_TOKEN=${TOKEN}`, `FLOW_REMOTE_TEAM=${TEAM}`];
    const flowCmd = (cacheDir: string, ...rest: string[]): string[] => flowArgv("build", "-j", "2", "--cache-dir", cacheDir, ...rest);

    // CI on main: a checkout of its own builds everything and fills the remote.
    const ci = join(opt.scratchDir, "remote-ci");
    const ciCache = join(opt.scratchDir, "remote-ci-cache");
    checkout(flow.dir, ci);
    rmSync(ciCache, { recursive: true, force: true });
    opt.log(`  pre-warming the remote (turborepo-remote-cache on ${url}) from a checkout of its own`);
    const t0 = performance.now();
    const warm = spawnSync(remoteEnv[0]!, [...remoteEnv.slice(1), ...flowArgv("cache", "warm", "-j", "2", "--cache-dir", ciCache)], { cwd: ci, encoding: "utf8", maxBuffer: 1 << 28 });
    const warmMs = performance.now() - t0;
    if (warm.status !== 0) throw new Error(`flow cache warm exited ${warm.status}: ${`${warm.stderr}`.trim().split("\n").slice(-5).join("\n")}`);
    const warmSummary = `${warm.stdout}${warm.stderr}`.trim().split("\n").filter((l) => /upload|found/i.test(l)).slice(-2).join("; ");
    opt.log(`    ${(warmMs / 1000).toFixed(1)} s: ${warmSummary}`);
    // The outputs the CI checkout built: what `cp -a` copies (flow.dir may not be built: --remote-only).
    const copy = join(opt.scratchDir, "remote-out-copy");
    rmSync(copy, { recursive: true, force: true });
    execFileSync("cp", ["-a", join(ci, "out"), copy]);
    rmSync(ci, { recursive: true, force: true });
    rmSync(ciCache, { recursive: true, force: true });

    // A laptop: another path, an empty local cache, the remote read-only.
    const laptop = join(opt.scratchDir, "remote-laptop");
    const laptopCache = join(opt.scratchDir, "remote-laptop-cache");
    checkout(flow.dir, laptop);
    const fromRemote: Runner = {
      name: "flow build, restored from the remote",
      dir: laptop,
      argv: [...remoteEnv, "FLOW_REMOTE_READ_ONLY=1", ...flowCmd(laptopCache)],
      countingArgv: [...remoteEnv, "FLOW_REMOTE_READ_ONLY=1", ...flowCmd(laptopCache, "--json")],
      tasksRun: (log) => flowCount(log, "restored"),
    };
    const fresh = join(opt.scratchDir, "remote-fresh");
    const freshCache = join(opt.scratchDir, "remote-fresh-cache");
    checkout(flow.dir, fresh);
    const fullBuild: Runner = {
      name: "flow build, nothing cached",
      dir: fresh,
      argv: flowCmd(freshCache),
      countingArgv: flowCmd(freshCache, "--json"),
      tasksRun: (log) => flowCount(log, "ran"),
    };
    const target = join(opt.scratchDir, "remote-cp-target");
    const cp: Runner = { name: "cp -a", dir: opt.scratchDir, argv: ["cp", "-a", copy, target], countingArgv: ["cp", "-a", copy, target], tasksRun: () => undefined };

    opt.log(`  a fresh checkout restoring from the remote vs a full build vs cp -a: up to ${opt.runs} runs each`);
    const figures = runPlan([fromRemote, fullBuild, cp], {
      label: `${opt.label}-remote`,
      runs: opt.runs,
      budgetMs: opt.budgetMs,
      minRuns: opt.minRuns,
      countFirst: opt.countFirst ?? true,
      prepare: (r) => {
        if (r === cp) rmSync(target, { recursive: true, force: true });
        else {
          const dir = r === fromRemote ? laptop : fresh;
          for (const d of ["out", ".flow"]) rmSync(join(dir, d), { recursive: true, force: true });
          mkdirSync(join(dir, "out"));
          rmSync(r === fromRemote ? laptopCache : freshCache, { recursive: true, force: true });
        }
      },
    }, opt.logDir);
    for (const d of [laptop, laptopCache, fresh, freshCache, copy, target]) rmSync(d, { recursive: true, force: true });
    return { fromRemote: figures.get(fromRemote.name)!, fullBuild: figures.get(fullBuild.name)!, cp: figures.get(cp.name)!, warmMs, warmSummary };
  } finally {
    server.kill("SIGTERM");
    rmSync(storage, { recursive: true, force: true });
  }
}
