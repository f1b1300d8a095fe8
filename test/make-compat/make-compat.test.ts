// Make agreement: each project under test/make-compat/cases is built by GNU
// make and by `flow build`, on separate copies; both must produce the same
// files, byte for byte, with the same modes.
//
// A case is a directory with a Makefile and its sources, plus optionally:
//   ARGS   one line of words given to both (goals, VAR=value, flags)
//   ENV    KEY=VALUE lines added to both environments
//   AGAIN  task names (one a line) that flow's second build runs although
//          they are not phony (a case built with -B); default none
//   EDIT   lines `append PATH TEXT`, `write PATH TEXT`, `rm PATH`, applied to
//          both copies after the second build; then both build a third time
//   RERUN  the non-phony tasks flow's third build must run (after EDIT),
//          one a line, exactly
// Every case is built twice by each: the second build must leave the same
// files as make's, and flow (with --json) may run or restore only phony
// tasks (and those in AGAIN) then: make's "nothing to be done".
// These files are not copied into the build directories.
// Recipes must be deterministic, and give the same result whether each line
// runs in its own shell (make) or the whole recipe runs as one `sh -e`
// script (flow): see "Differences from GNU Make" in docs/flowfile.md.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { appendFileSync, cpSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { ensureDebianTool, runs, type ToolCheck } from "../e2e/debian-tool.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const casesDir = join(repoRoot, "test", "make-compat", "cases");
const flowBin = join(repoRoot, "packages", "cli", "bin", "flow.js");

/** GNU make on PATH, installing it when missing and possible; undefined (with the reason) otherwise. */
function findMake(): ToolCheck {
  return ensureDebianTool("make", () => runs("make", ["--version"], /GNU Make/));
}

interface CaseSpec {
  readonly name: string;
  readonly dir: string;
  readonly args: string[];
  readonly env: Record<string, string>;
  readonly again: string[];
  readonly edits: Edit[];
  readonly rerun: string[];
}

type Edit = { readonly op: "append" | "write"; readonly path: string; readonly text: string } | { readonly op: "rm"; readonly path: string };

/** The case's control files: never copied into a build directory. */
const CONTROL_FILES = /[/\\](ARGS|ENV|AGAIN|EDIT|RERUN)$/;

/** Non-empty lines of a control file; [] when it does not exist. */
function lines(file: string): string[] {
  return existsSync(file) ? readFileSync(file, "utf8").split("\n").map((l) => l.trim()).filter((l) => l !== "") : [];
}

function parseEdits(file: string): Edit[] {
  return lines(file).map((line) => {
    const m = /^(append|write|rm)\s+(\S+)(?:\s(.*))?$/.exec(line);
    if (!m) throw new Error(`${file}: cannot read edit line: ${line}`);
    const [, op, path, text] = m as unknown as [string, "append" | "write" | "rm", string, string | undefined];
    if (op === "rm") return { op, path };
    return { op, path, text: text ?? "" };
  });
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
      return { name, dir, args, env, again: lines(join(dir, "AGAIN")), edits: parseEdits(join(dir, "EDIT")), rerun: lines(join(dir, "RERUN")) };
    });
}

/** A deterministic environment: no MAKEFLAGS from an outer make, C locale, no flow settings. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/tmp", LC_ALL: "C", LANG: "C" };
  return { ...env, ...extra };
}

interface Ran {
  readonly code: number | null;
  /** stdout and stderr as they came. */
  readonly out: string;
  /** stdout alone (flow's --json document). */
  readonly stdout: string;
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      stdout += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolvePromise({ code, out, stdout });
    });
  });
}

/** Applies a case's EDIT lines to one copy; never through a link (lstat first). */
function applyEdits(dir: string, edits: readonly Edit[]): void {
  for (const e of edits) {
    const p = join(dir, e.path);
    if (relative(dir, p).startsWith("..")) throw new Error(`EDIT path ${e.path} is outside the case`);
    const st = existsSync(p) ? lstatSync(p) : undefined;
    if (st?.isSymbolicLink()) throw new Error(`EDIT path ${e.path} is a link: not followed`);
    if (e.op === "rm") rmSync(p, { force: true });
    else if (e.op === "append") appendFileSync(p, `${e.text}\n`);
    else writeFileSync(p, `${e.text}\n`);
  }
}

/** The files of both copies, compared; the differences, one entry per path. */
function compareCopies(byMake: string, byFlow: string): { diffs: string[]; size: number } {
  const want = snapshot(byMake);
  const got = snapshot(byFlow);
  const diffs: string[] = [];
  for (const [p, v] of want) if (got.get(p) !== v) diffs.push(`${p}:\n    make: ${v}\n    flow: ${got.get(p) ?? "(missing)"}`);
  for (const [p, v] of got) if (!want.has(p)) diffs.push(`${p}:\n    make: (missing)\n    flow: ${v}`);
  return { diffs, size: want.size };
}

interface JsonTask {
  readonly name: string;
  readonly status: string;
  readonly phony?: boolean;
  /** The tasks of the sub-builds its recipe ran ($(MAKE)), named from the top directory. */
  readonly sub?: JsonTask[];
}

/** The non-phony tasks a `flow build --json` ran or restored (work done), sorted. */
function workDone(f: Ran): string[] {
  let doc: { tasks?: JsonTask[] };
  try {
    doc = JSON.parse(f.stdout) as { tasks?: JsonTask[] };
  } catch {
    throw new Error(`flow build --json printed no JSON document:\n${f.out}`);
  }
  // A recipe running $(MAKE) does its work in a sub-build: its tasks count as the build's own.
  const all = (doc.tasks ?? []).flatMap((t) => [t, ...(t.sub ?? [])]);
  return all
    .filter((t) => (t.status === "ran" || t.status === "restored") && t.phony !== true)
    .map((t) => t.name)
    .sort();
}

/** Every file, directory and link under `dir` (but flow's .flow/ directories), with mode and content. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      const rel = relative(dir, p);
      if (e === ".flow") continue; // flow's state, at the top and in sub-builds' directories ($(MAKE) -C)
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
        for (const d of [byMake, byFlow]) cpSync(c.dir, d, { recursive: true, filter: (src) => !CONTROL_FILES.test(src) });
        const env = baseEnv(c.env);
        const build = async (step: string, json: boolean): Promise<Ran> => {
          const [m, f] = await Promise.all([
            run("make", ["-s", ...c.args], byMake, env),
            run(process.execPath, ["--no-concurrent-recompilation", flowBin, "build", "-j", "2", ...(json ? ["--json"] : []), ...c.args], byFlow, env),
          ]);
          assert.equal(m.code, 0, `${step}: make failed:\n${m.out}`);
          assert.equal(f.code, 0, `${step}: flow build failed:\n${f.out}`);
          const { diffs, size } = compareCopies(byMake, byFlow);
          assert.equal(diffs.length, 0, `${step}: files differ:\n  ${diffs.join("\n  ")}\nflow's output:\n${f.out}`);
          assert.ok(size > 0);
          return f;
        };
        await build("first build", false);
        // make's "Nothing to be done": only phony tasks (which run every time) may run again.
        const second = workDone(await build("second build", true));
        assert.deepEqual(second, [...c.again].sort(), `second build ran ${second.join(", ") || "nothing"}; expected ${c.again.join(", ") || "nothing"} (non-phony tasks)`);
        if (c.edits.length > 0) {
          for (const d of [byMake, byFlow]) applyEdits(d, c.edits);
          const third = workDone(await build("build after EDIT", true));
          assert.deepEqual(third, [...c.rerun].sort(), `build after EDIT ran ${third.join(", ") || "nothing"}; RERUN lists ${c.rerun.join(", ") || "nothing"} (non-phony tasks)`);
        }
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    });
  }
});
