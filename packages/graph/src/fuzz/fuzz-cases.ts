/**
 * Fuzzing the language (RELIABILITY.md case 20): random and mutated
 * Flowfiles go through the reader, the graph builder and the generated-include
 * planner with in-memory hosts. Each input must give a graph or a diagnostic:
 * never an exception, never a hang (the driver, fuzz-driver.ts, runs cases in
 * a worker with a watchdog). Not exported from index.ts: used by fuzz.test.ts
 * (a short budget in `npm test`) and fuzz-run.ts (`npm run test:fuzz`).
 *
 * Every case is a pure function of (seed, index), so a failure is reproduced
 * by `npm run test:fuzz -- --seed S --case I`.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { buildTaskGraph, type GraphFs } from "../graph/build-task-graph.js";
import { formatDiagnostic, type Diagnostic, type SourceLocation } from "../diagnostic.js";
import { planIncludes } from "../plan/generated-includes.js";
import { readFlowfile, type ReadHost } from "../reader/flowfile-reader.js";
import { findCycle, type TaskGraph } from "../graph/task-graph.js";
import { unsetVariableWarnings } from "../reader/unset-variables.js";

/** mulberry32: small, fast, and the same sequence on every machine. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

/** A project to feed the reader: the Flowfile, other texts (includes), and source files that exist. */
export interface FuzzInput {
  readonly flowfile: string;
  readonly texts: Readonly<Record<string, string>>;
  readonly files: readonly string[];
  readonly goals: readonly string[];
}

/** A seed project: a make-compat case or a recipe, read from the repository when it is there. */
export interface SeedProject {
  readonly name: string;
  readonly flowfile: string;
  readonly texts: Record<string, string>;
  readonly files: string[];
}

const FUNCTIONS = "subst patsubst strip findstring filter filter-out sort word wordlist words firstword lastword dir notdir suffix basename addsuffix addprefix join wildcard shell if or and foreach call value origin flavor eval info warning error".split(" ");
const NAMES = ["A", "B", "CC", "SRCS", "OBJS", "X", "1", "2", "@", "<", "^", "*", "@D", "<F", "EMPTY", ".TAGS", ".ENV", ".OUTPUTS", ".TIMEOUT", ".DEFAULT_GOAL", "HOME"];
const WORDS = ["a", "b.c", "src/%.c", "build/%.o", "%", "%.o", "out/x", "all", "x.mk", "gen.mk", "*.c", "src/**/*.c", "../up", "/abs", ".PHONY", ".ALWAYS", "a b", "", " ", ",", "$$", "dir/"];
const TOKENS = ["$(", "${", ")", "}", ":", "::", "=", ":=", "?=", "+=", "!=", "%", "|", "&:", ";", "#", "\\", "\\\n", "\n", "\t", " ", ",", "$", "$$", "ifeq (", "ifdef ", "else", "endif", "define X", "endef", "include x.mk", "-include gen.mk", "$(call ", "$(eval ", "$(foreach v,", ".PHONY:", "export ", "override ", "undefine ", "\r\n", "\u00e9", "\u0000"];

function word(r: Prng): string {
  return r.chance(0.3) ? `$(${r.pick(NAMES)})` : r.pick(WORDS);
}

function expr(r: Prng, depth: number): string {
  if (depth > 3 || r.chance(0.4)) return word(r);
  const fn = r.pick(FUNCTIONS);
  const n = 1 + r.int(4);
  const args = Array.from({ length: n }, () => expr(r, depth + 1));
  if (fn === "error" && r.chance(0.8)) return word(r);
  return `$(${fn} ${args.join(r.chance(0.9) ? "," : " ")})`;
}

function line(r: Prng): string {
  switch (r.int(16)) {
    case 0:
    case 1:
      return `${r.pick(NAMES)} ${r.pick(["=", ":=", "?=", "+=", "::=", "!="])} ${expr(r, 0)}`;
    case 2:
    case 3:
      return `${word(r)} ${word(r)}: ${word(r)} ${word(r)}${r.chance(0.3) ? ` | ${word(r)}` : ""}\n\t${r.pick(["@", "-", "", "+"])}echo ${expr(r, 0)} > $@`;
    case 4:
      return `${r.pick(["build/%.o", "%.o", "%", "out/%", "%.a %.b"])}: ${r.pick(["src/%.c", "%.c", "%.x", "%", "x"])}\n\tcp $< $@`;
    case 5:
      return `${word(r)} ${word(r)}: ${r.pick(["%.o", "build/%.o", "%"])}: ${r.pick(["%.c", "src/%.c", "%"])}\n\tcp $< $@`;
    case 6:
      return `${r.pick(["ifeq", "ifneq"])} (${expr(r, 1)},${expr(r, 1)})\n${line(r)}\n${r.chance(0.5) ? `else\n${line(r)}\n` : ""}endif`;
    case 7:
      return `${r.pick(["ifdef", "ifndef"])} ${r.pick(NAMES)}\n${line(r)}\nendif`;
    case 8:
      return `define ${r.pick(NAMES)}\n${line(r)}\n${line(r)}\nendef`;
    case 9:
      return `${r.pick(["include", "-include", "sinclude"])} ${r.pick(["x.mk", "gen.mk", "*.mk", "$(X)", "missing.mk"])}`;
    case 10:
      return `${word(r)}: ${r.pick(NAMES)} ${r.pick(["=", ":=", "+="])} ${expr(r, 1)}`;
    case 11:
      return `$(eval ${line(r).replace(/\n/g, " ")})`;
    case 12:
      return `${r.pick([".PHONY", ".ALWAYS", ".SUFFIXES", ".SECONDARY", ".DEFAULT_GOAL :=", ".c.o", ".NOTPARALLEL"])}: ${word(r)}`;
    case 13:
      return `${expr(r, 0)}`;
    case 14:
      return `# ${expr(r, 0)} \\`;
    default:
      return `${word(r)}: ${word(r)} ; ${expr(r, 0)}`;
  }
}

/** A Flowfile from a small grammar of Make constructs, with their arguments drawn at random. */
export function randomFlowfile(r: Prng): string {
  const n = 1 + r.int(14);
  return Array.from({ length: n }, () => line(r)).join("\n") + (r.chance(0.9) ? "\n" : "");
}

/** One random edit of `text`: delete, duplicate, swap, insert a Make token, flip or truncate. */
export function mutate(text: string, r: Prng): string {
  if (text.length === 0) return r.pick(TOKENS);
  const at = r.int(text.length + 1);
  switch (r.int(9)) {
    case 0: {
      const len = 1 + r.int(Math.min(40, text.length));
      return text.slice(0, at) + text.slice(at + len);
    }
    case 1:
    case 2:
      return text.slice(0, at) + r.pick(TOKENS) + text.slice(at);
    case 3: {
      const lines = text.split("\n");
      const i = r.int(lines.length);
      lines.splice(r.int(lines.length), 0, lines[i] as string);
      return lines.join("\n");
    }
    case 4: {
      const lines = text.split("\n");
      const i = r.int(lines.length);
      const j = r.int(lines.length);
      [lines[i], lines[j]] = [lines[j] as string, lines[i] as string];
      return lines.join("\n");
    }
    case 5:
      return text.slice(0, at);
    case 6:
      return text.slice(0, at) + String.fromCharCode(r.int(128)) + text.slice(at + 1);
    case 7: {
      const lines = text.split("\n");
      lines.splice(r.int(lines.length + 1), 0, line(r));
      return lines.join("\n");
    }
    default:
      return text.slice(0, at) + word(r) + text.slice(at);
  }
}

/** The make-compat cases and recipes of the repository (empty when the tree is not there). */
export function loadSeeds(repoRoot: string): SeedProject[] {
  const seeds: SeedProject[] = [];
  const add = (name: string, dir: string, main: string) => {
    const texts: Record<string, string> = {};
    const files: string[] = [];
    const walk = (d: string) => {
      for (const e of readdirSync(d)) {
        const p = join(d, e);
        const rel = relative(dir, p);
        if (statSync(p).isDirectory()) walk(p);
        else {
          files.push(rel);
          if (/\.(mk|txt)$/.test(e) || e === "Makefile" || e === "Flowfile") texts[rel] = readFileSync(p, "utf8");
        }
      }
    };
    walk(dir);
    const flowfile = texts[main];
    if (flowfile !== undefined) seeds.push({ name, flowfile, texts, files });
  };
  for (const [sub, main] of [
    ["test/make-compat/cases", "Makefile"],
    ["recipes", "Flowfile"],
  ] as const) {
    const base = join(repoRoot, sub);
    if (!existsSync(base)) continue;
    for (const d of readdirSync(base).sort()) if (statSync(join(base, d)).isDirectory()) add(`${sub}/${d}`, join(base, d), main);
  }
  return seeds;
}

/** Case `index` of a run with `seed`: a random Flowfile, or a seed project mutated 1-8 times. */
export function makeCase(seed: number, index: number, seeds: readonly SeedProject[]): FuzzInput {
  const r = new Prng((Math.imul(seed, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0);
  const extra: Record<string, string> = { "x.mk": randomFlowfile(r) };
  if (seeds.length === 0 || r.chance(0.35)) {
    return { flowfile: randomFlowfile(r), texts: extra, files: ["a", "b.c", "src/a.c", "src/b.c", "x"], goals: r.chance(0.2) ? [r.pick(WORDS)] : [] };
  }
  const s = r.pick(seeds);
  let text = s.flowfile;
  const n = 1 + r.int(8);
  for (let i = 0; i < n; i++) text = mutate(text, r);
  return { flowfile: text, texts: { ...s.texts, ...extra }, files: s.files, goals: r.chance(0.1) ? [r.pick(WORDS)] : [] };
}

/** What went wrong with one case, or undefined when it gave a graph or a diagnostic. */
export function checkCase(input: FuzzInput): string | undefined {
  const texts: Record<string, string> = { ...input.texts, Flowfile: input.flowfile };
  const names = [...new Set([...Object.keys(texts), ...input.files])].sort();
  const warnings: Diagnostic[] = [];
  const host: ReadHost = {
    readText: (p) => texts[p],
    glob: (pattern: string) => {
      const re = globRegExp(pattern);
      return names.filter((f) => re.test(f));
    },
    shell: (command: string) => (command.startsWith("echo ") ? command.slice(5) : `out-of ${command.length}`),
    warn: (d: Diagnostic) => void warnings.push(d),
  };
  const files = new Set(names);
  const fs: GraphFs = { kind: (p) => (files.has(p) ? "file" : names.some((f) => f.startsWith(`${p}/`)) ? "dir" : "missing") };
  const problems: string[] = [];
  const checkDiag = (d: Diagnostic, where: string) => {
    if (!/^FLOW0[0-9]{2}$/.test(d.code)) problems.push(`${where}: bad code ${d.code}`);
    if (typeof d.message !== "string") problems.push(`${where}: message is not text`);
    if (d.loc) checkLoc(d.loc, where, problems);
    formatDiagnostic(d);
  };
  try {
    const model = readFlowfile(host, { file: "Flowfile", missingIncludes: "defer", env: { HOME: "/home/u", CC: "envcc" }, goals: input.goals, limits: { maxSteps: 200_000, maxLength: 1 << 20 } });
    for (const w of warnings) checkDiag(w, "reader warning");
    if (!model.ok) {
      checkDiag(model.error, "reader");
      return problems.length > 0 ? problems.join("; ") : undefined;
    }
    const plan = planIncludes(model.value, { root: "/proj", fs });
    if (!plan.ok) checkDiag(plan.error, "includes");
    else if (plan.value.graph) checkGraph(plan.value.graph, "include graph", problems);
    for (const opts of [{ goals: input.goals }, { goals: [], allTargets: true }]) {
      const g = buildTaskGraph(model.value, { root: "/proj", fs, ...opts });
      if (!g.ok) checkDiag(g.error, "graph");
      else {
        checkGraph(g.value, "graph", problems);
        for (const w of g.value.warnings) checkDiag(w, "graph warning");
      }
      // A host that remembers its answers (as NodeProjectHost does) lets the builder skip
      // look-ups: the graph must come out the same.
      const again = buildTaskGraph(model.value, { root: "/proj", fs: rememberingFs(fs), ...opts });
      if (graphSummary(again) !== graphSummary(g)) problems.push(`graph: another result with a remembering fs:\n${graphSummary(again)}\nagainst\n${graphSummary(g)}`);
    }
    for (const w of unsetVariableWarnings(model.value)) checkDiag(w, "unset warning");
  } catch (e) {
    return `threw: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
  }
  return problems.length > 0 ? problems.join("; ") : undefined;
}

/** `fs` with a memo, saying so (GraphFs.remembers). */
export function rememberingFs(fs: GraphFs): GraphFs {
  const memo = new Map<string, "file" | "dir" | "missing">();
  return {
    remembers: true,
    kind(p) {
      let k = memo.get(p);
      if (k === undefined) memo.set(p, (k = fs.kind(p)));
      return k;
    },
  };
}

/** What a graph build gave, as comparable text: the diagnostic, or each task's name and edges. */
function graphSummary(r: ReturnType<typeof buildTaskGraph>): string {
  if (!r.ok) return `${r.error.code} ${r.error.message}`;
  return r.value.tasks.map((t) => `${t.name} <- ${t.inputs.join(",")} | ${t.deps.join(",")} | ${t.orderOnly.join(",")} => ${t.outputs.map((o) => o.path).join(",")}`).join("\n");
}

function checkLoc(loc: SourceLocation, where: string, problems: string[]): void {
  if (!(loc.line >= 1) || !(loc.col >= 1) || typeof loc.lineText !== "string" || typeof loc.file !== "string") {
    problems.push(`${where}: bad location ${JSON.stringify(loc)}`);
  }
}

function checkGraph(g: TaskGraph, where: string, problems: string[]): void {
  const n = g.tasks.length;
  g.tasks.forEach((t, i) => {
    if (t.id !== i) problems.push(`${where}: task ${i} has id ${t.id}`);
    for (const d of [...t.deps, ...t.orderOnly]) if (!(d >= 0 && d < n)) problems.push(`${where}: task ${t.name} has a bad edge ${d}`);
    if (typeof t.recipe !== "string") problems.push(`${where}: task ${t.name} has no recipe text`);
    if (t.outputs.some((o) => o.path.startsWith("/") || o.path.startsWith("../"))) problems.push(`${where}: task ${t.name} writes outside the root`);
  });
  for (const goal of g.goals) if (!(goal >= 0 && goal < n)) problems.push(`${where}: bad goal ${goal}`);
  if (findCycle(g)) problems.push(`${where}: a graph with a cycle was accepted`);
}

/** A glob as a regular expression: `**` crosses directories, `*` and `?` do not. */
function globRegExp(pattern: string): RegExp {
  let re = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === "*" && pattern[i + 1] === "*") {
      re += ".*";
      i++;
    } else if (c === "*") re += "[^/]*";
    else if (c === "?") re += "[^/]";
    else re += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}
