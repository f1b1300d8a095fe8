// Helpers for end-to-end tests: they run the built `flow` binary, as a user
// would, on projects copied into temp directories.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
export const flowBin = join(repoRoot, "packages", "cli", "bin", "flow.js");

export interface FlowRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface JsonTask {
  name: string;
  status: "ran" | "restored" | "up-to-date" | "failed" | "cannot-run" | "skipped";
  durationMs: number;
  key: string | null;
  reason?: string;
  message?: string;
}

export interface JsonSummary {
  ok: boolean;
  tasks: JsonTask[];
}

/** Runs flow synchronously; the V8 flag matches the bin's shebang (see docs/architecture.md). */
export function flow(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): FlowRun {
  const r = spawnSync(process.execPath, ["--no-concurrent-recompilation", flowBin, ...args], {
    cwd: opts.cwd,
    env: { ...cleanEnv(), ...opts.env },
    encoding: "utf8",
    timeout: opts.timeoutMs ?? 120_000,
  });
  if (r.error) throw r.error;
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `flow build --json ...`, parsed; fails loudly when stdout is not the JSON summary. */
export function buildJson(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }): FlowRun & { summary: JsonSummary } {
  const r = flow(["build", "--json", ...args], opts);
  let summary: JsonSummary;
  try {
    summary = JSON.parse(r.stdout) as JsonSummary;
  } catch {
    throw new Error(`flow build --json printed no JSON (exit ${r.code}):\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`);
  }
  return { ...r, summary };
}

/** Names of tasks with the given status, sorted. */
export function withStatus(s: JsonSummary, status: JsonTask["status"]): string[] {
  return s.tasks
    .filter((t) => t.status === status)
    .map((t) => t.name)
    .sort();
}

/** Names of tasks that did work (ran or restored). */
export function didWork(s: JsonSummary): string[] {
  return s.tasks
    .filter((t) => t.status === "ran" || t.status === "restored")
    .map((t) => t.name)
    .sort();
}

export function tempDir(prefix = "flow-e2e-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** A copy of recipes/NAME (sources only: no outputs, no cache) in a fresh temp dir. */
export function copyRecipe(name: string): string {
  const dir = join(tempDir(), name);
  cpSync(join(repoRoot, "recipes", name), dir, {
    recursive: true,
    filter: (src) => !/[/\\](\.flow|build|out)([/\\]|$)/.test(src.slice(join(repoRoot, "recipes", name).length)),
  });
  return dir;
}

/** Write a project from a map of relative path to content. */
export function writeProject(files: Record<string, string>, dir = tempDir()): string {
  for (const [p, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, p)), { recursive: true });
    writeFileSync(join(dir, p), content);
  }
  return dir;
}

export function read(dir: string, p: string): string {
  return readFileSync(join(dir, p), "utf8");
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Starts flow without waiting, for signal tests. */
export function flowAsync(args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const child = spawn(process.execPath, ["--no-concurrent-recompilation", flowBin, ...args], {
    cwd: opts.cwd,
    env: { ...cleanEnv(), ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<FlowRun>((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
  return { child, done };
}

/** The test process's environment without flow's own settings, so tests are not steered by the developer's shell. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env["FLOW_CACHE_DIR"];
  // The build state and the watching server are each test's own choice.
  delete env["FLOW_STATE"];
  delete env["FLOW_SERVER"];
  delete env["FLOW_SERVER_NOOP"];
  // flow reads make's flags from it (-k, -s, -j...): a test run under make must not inherit them.
  delete env["MAKEFLAGS"];
  // How much of tasks' output a build shows (docs/output-logs.md): each test says so itself.
  delete env["FLOW_OUTPUT_LOGS"];
  // The scheduling order is each test's own choice too.
  delete env["FLOW_SCHEDULE"];
  for (const name of Object.keys(env)) if (name.startsWith("FLOW_REMOTE_")) delete env[name];
  return env;
}
