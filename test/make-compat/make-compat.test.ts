// Make agreement: each project under test/make-compat/cases is built by GNU
// make and by `flow build`, on separate copies; both must produce the same
// files, byte for byte, with the same modes.
//
// A case is a directory with a Makefile and its sources, plus optionally:
//   ARGS  one line of words given to both (goals, VAR=value)
//   ENV   KEY=VALUE lines added to both environments
// Recipes must be deterministic, and give the same result whether each line
// runs in its own shell (make) or the whole recipe runs as one `sh -e`
// script (flow): see "Differences from GNU Make" in docs/flowfile.md.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const casesDir = join(repoRoot, "test", "make-compat", "cases");
const flowBin = join(repoRoot, "packages", "cli", "bin", "flow.js");

/** GNU make on PATH, installing it when missing and possible; undefined (with the reason) otherwise. */
function findMake(): { ok: true } | { ok: false; why: string } {
  const probe = () => spawnSync("make", ["--version"], { encoding: "utf8" });
  let r = probe();
  if (r.status === 0 && /GNU Make/.test(r.stdout)) return { ok: true };
  const asRoot = typeof process.getuid === "function" && process.getuid() === 0;
  const apt = asRoot ? ["apt-get"] : ["sudo", "-n", "apt-get"];
  const aptGet = (...args: string[]) =>
    spawnSync(apt[0] as string, [...apt.slice(1), ...args], { encoding: "utf8", timeout: 300_000, env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  let install = aptGet("install", "-y", "-q", "make");
  if (install.status !== 0) {
    // Empty package lists (a fresh container): fetch them once, then try again.
    aptGet("update", "-q");
    install = aptGet("install", "-y", "-q", "make");
  }
  r = probe();
  if (r.status === 0 && /GNU Make/.test(r.stdout)) return { ok: true };
  return { ok: false, why: `GNU make is not installed and 'apt-get install make' failed (${install.error?.message ?? install.stderr?.trim() ?? "no output"})` };
}

interface CaseSpec {
  readonly name: string;
  readonly dir: string;
  readonly args: string[];
  readonly env: Record<string, string>;
}

function loadCases(): CaseSpec[] {
  return readdirSync(casesDir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort()
    .map((name) => {
      const dir = join(casesDir, name);
      const argsFile = join(dir, "ARGS");
      const envFile = join(dir, "ENV");
      const args = existsSync(argsFile) ? readFileSync(argsFile, "utf8").trim().split(/\s+/).filter((w) => w !== "") : [];
      const env: Record<string, string> = {};
      if (existsSync(envFile)) {
        for (const line of readFileSync(envFile, "utf8").split("\n")) {
          const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
          if (m) env[m[1] as string] = m[2] as string;
        }
      }
      return { name, dir, args, env };
    });
}

/** A deterministic environment: no MAKEFLAGS from an outer make, C locale, no flow settings. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/tmp", LC_ALL: "C", LANG: "C" };
  return { ...env, ...extra };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, out });
    });
  });
}

/** Every file, directory and link under `dir` (but flow's .flow/ directories), with mode and content. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      const rel = relative(dir, p);
      // flow's .flow/ sits beside the Makefile built, a sub-directory's with -C DIR in ARGS.
      if (e === ".flow") continue;
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (st.isSymbolicLink()) out.set(rel, `link ${mode} -> ${readlinkSync(p)}`);
      else if (st.isDirectory()) {
        out.set(rel, `dir ${mode}`);
        walk(p);
      } else out.set(rel, `file ${mode} ${JSON.stringify(readFileSync(p, "latin1"))}`);
    }
  };
  walk(dir);
  return out;
}

const make = findMake();
const cases = existsSync(casesDir) ? loadCases() : [];

test("there are at least 30 make-compat cases", () => {
  assert.ok(cases.length >= 30, `found ${cases.length} cases in ${casesDir}`);
});

describe("make-compat: GNU make and flow build make the same files", { concurrency: 4 }, () => {
  if (!make.ok) {
    // Loudly: a skipped suite must not look like a passing one.
    process.stderr.write(`\nmake-compat: SKIPPED, ${make.why}\n\n`);
  }
  for (const c of cases) {
    test(c.name, { skip: make.ok ? false : make.why }, async () => {
      const tmp = mkdtempSync(join(tmpdir(), `flow-compat-${c.name}-`));
      try {
        const byMake = join(tmp, "make");
        const byFlow = join(tmp, "flow");
        for (const d of [byMake, byFlow]) cpSync(c.dir, d, { recursive: true, filter: (src) => !/[/\\](ARGS|ENV)$/.test(src) });
        const env = baseEnv(c.env);
        const [m, f] = await Promise.all([
          run("make", ["-s", ...c.args], byMake, env),
          run(process.execPath, ["--no-concurrent-recompilation", flowBin, "build", "-j", "2", ...c.args], byFlow, env),
        ]);
        assert.equal(m.code, 0, `make failed:\n${m.out}`);
        assert.equal(f.code, 0, `flow build failed:\n${f.out}`);
        const want = snapshot(byMake);
        const got = snapshot(byFlow);
        const diffs: string[] = [];
        for (const [p, v] of want) if (got.get(p) !== v) diffs.push(`${p}:\n    make: ${v}\n    flow: ${got.get(p) ?? "(missing)"}`);
        for (const [p, v] of got) if (!want.has(p)) diffs.push(`${p}:\n    make: (missing)\n    flow: ${v}`);
        assert.equal(diffs.length, 0, `files differ:\n  ${diffs.join("\n  ")}\nflow's output:\n${f.out}`);
        assert.ok(want.size > 0);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});
