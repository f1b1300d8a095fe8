// Shrinking a failing case (fewer steps, edits, rules, families, files,
// prerequisites; plainer recipes) while it still fails the same way, and
// keeping it as a regression fixture under test/correctness/regressions/.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { GEN_SOURCE, rootGroup, type Case, type Step } from "./project.js";
import { renderFlowfile } from "./render.js";
import { runSequence, type Failure, type RunOptions } from "./sequence.js";

export interface ShrinkBudget {
  maxRuns: number;
  maxMs: number;
}

type Candidate = { what: string; c: Case };

function clone(c: Case): Case {
  return structuredClone(c);
}

export function removeRule(c0: Case, id: string): Case | null {
  const c = clone(c0);
  const rule = c.project.rules.find((r) => r.id === id);
  if (rule === undefined) return null;
  const outs = new Set([...rule.targets, ...rule.fileOuts]);
  c.project.rules = c.project.rules.filter((r) => r.id !== id);
  for (const r of c.project.rules) {
    r.prereqs = r.prereqs.filter((q) => !(q.k === "out" && outs.has(q.path)) && !(q.k === "phony" && q.name === id));
  }
  delete c.state.recipes[id];
  delete c.state.tags[id];
  return c;
}

export function removeFamily(c0: Case, id: string): Case | null {
  const c = clone(c0);
  if (!c.project.families.some((f) => f.id === id)) return null;
  const gone = new Set([id]);
  for (let changed = true; changed; ) {
    changed = false;
    for (const f of c.project.families) {
      if ("fam" in f.from && gone.has(f.from.fam) && !gone.has(f.id)) {
        gone.add(f.id);
        changed = true;
      }
    }
  }
  c.project.families = c.project.families.filter((f) => !gone.has(f.id));
  for (const r of c.project.rules) {
    r.prereqs = r.prereqs.filter((q) => !((q.k === "famAll" || q.k === "famOne") && gone.has(q.fam)));
  }
  for (const f of gone) {
    delete c.state.recipes[f];
    delete c.state.tags[f];
  }
  return c;
}

function referencedFiles(c: Case): Set<string> {
  const s = new Set<string>();
  for (const r of c.project.rules) {
    for (const q of r.prereqs) {
      if (q.k === "src") s.add(q.path);
      if (q.k === "famOne") s.add(`in/${rootGroup(c.project, q.fam)}/${q.stem}.txt`);
    }
  }
  for (const f of c.project.families) for (const x of f.extra) s.add(x);
  if (c.project.gen !== undefined) s.add(GEN_SOURCE);
  return s;
}

export function removeFile(c0: Case, path: string): Case | null {
  if (referencedFiles(c0).has(path)) return null;
  const c = clone(c0);
  if (c.files[path] === undefined) return null;
  delete c.files[path];
  const group = c.project.groups.find((g) => path.startsWith(`in/${g.name}/`));
  if (group !== undefined) {
    const left = Object.keys(c.files)
      .filter((p) => p.startsWith(`in/${group.name}/`) && (group.deep || !p.slice(`in/${group.name}/`.length).includes("/")))
      .sort();
    if (left.length === 0) return null; // globs never go empty
    if (c.project.fixed.includes(path)) {
      c.project.fixed = c.project.fixed.filter((p) => p !== path);
      const promote = left[0] as string;
      if (!c.project.fixed.includes(promote)) c.project.fixed.push(promote);
    }
  } else c.project.fixed = c.project.fixed.filter((p) => p !== path);
  return c;
}

function* candidates(c: Case): Generator<Candidate> {
  // Whole steps, latest first (the failing step is last; try it too: an
  // earlier step may fail the same way).
  for (let j = c.steps.length - 1; j >= 0; j--) {
    const n = clone(c);
    n.steps.splice(j, 1);
    yield { what: `drop step ${j + 1}`, c: n };
  }
  for (let j = 0; j < c.steps.length; j++) {
    const edits = c.steps[j]?.edits ?? [];
    if (edits.length < 2) continue;
    for (let k = 0; k < edits.length; k++) {
      const n = clone(c);
      n.steps[j]?.edits.splice(k, 1);
      yield { what: `drop edit ${k + 1} of step ${j + 1}`, c: n };
    }
  }
  for (let j = 0; j < c.steps.length; j++) {
    const st = c.steps[j] as Step;
    for (const field of ["goals", "keepGoing", "jobs"] as const) {
      if (st[field] === undefined) continue;
      const n = clone(c);
      delete (n.steps[j] as Step)[field];
      yield { what: `no ${field} in step ${j + 1}`, c: n };
    }
  }
  for (const r of [...c.project.rules].reverse()) {
    const n = removeRule(c, r.id);
    if (n !== null) yield { what: `drop rule ${r.id}`, c: n };
  }
  for (const f of [...c.project.families].reverse()) {
    const n = removeFamily(c, f.id);
    if (n !== null) yield { what: `drop family ${f.id}`, c: n };
  }
  for (const p of Object.keys(c.files).sort()) {
    const n = removeFile(c, p);
    if (n !== null) yield { what: `drop file ${p}`, c: n };
  }
  for (const r of c.project.rules) {
    if (r.prereqs.length < 2) continue;
    for (let k = 0; k < r.prereqs.length; k++) {
      const n = clone(c);
      n.project.rules.find((x) => x.id === r.id)?.prereqs.splice(k, 1);
      yield { what: `drop prerequisite ${k + 1} of ${r.id}`, c: n };
    }
  }
  for (const [id, rec] of Object.entries(c.state.recipes)) {
    if (rec.mode !== null) {
      const n = clone(c);
      (n.state.recipes[id] as typeof rec).mode = null;
      yield { what: `no chmod in ${id}`, c: n };
    }
    if (rec.header.k !== "none" && rec.header.k !== "env") {
      const n = clone(c);
      (n.state.recipes[id] as typeof rec).header = { k: "none" };
      yield { what: `no header in ${id}`, c: n };
    }
    if (rec.guard === true) {
      const n = clone(c);
      (n.state.recipes[id] as typeof rec).guard = false;
      yield { what: `no FAIL check in ${id}`, c: n };
    }
    if (rec.op !== "cat") {
      const n = clone(c);
      (n.state.recipes[id] as typeof rec).op = "cat";
      yield { what: `plain cat in ${id}`, c: n };
    }
  }
  for (const r of c.project.rules) {
    if (r.split) {
      const n = clone(c);
      const x = n.project.rules.find((y) => y.id === r.id);
      if (x !== undefined) x.split = false;
      yield { what: `no continuation in ${r.id}`, c: n };
    }
  }
  for (const f of c.project.families) {
    const rec = c.state.recipes[f.id];
    if (f.env.length > 0 && rec?.header.k !== "env") {
      const n = clone(c);
      const x = n.project.families.find((y) => y.id === f.id);
      if (x !== undefined) x.env = [];
      yield { what: `no .ENV on ${f.id}`, c: n };
    }
  }
  for (const r of c.project.rules) {
    const rec = c.state.recipes[r.id];
    if (r.env.length > 0 && rec?.header.k !== "env") {
      const n = clone(c);
      const x = n.project.rules.find((y) => y.id === r.id);
      if (x !== undefined) x.env = [];
      yield { what: `no .ENV on ${r.id}`, c: n };
    }
  }
  for (const [id, tags] of Object.entries(c.state.tags)) {
    if (tags.length > 0) {
      const n = clone(c);
      delete n.state.tags[id];
      yield { what: `no .TAGS on ${id}`, c: n };
    }
  }
  const usedGroups = new Set<string>();
  for (const f of c.project.families) usedGroups.add(rootGroup(c.project, f.id));
  for (const r of c.project.rules) for (const q of r.prereqs) if (q.k === "glob") usedGroups.add(q.group);
  for (const p of referencedFiles(c)) usedGroups.add(p.split("/")[1] ?? "");
  for (const g of c.project.groups) {
    if (usedGroups.has(g.name)) continue;
    const n = clone(c);
    n.project.groups = n.project.groups.filter((x) => x.name !== g.name);
    for (const p of Object.keys(n.files)) if (p.startsWith(`in/${g.name}/`)) delete n.files[p];
    n.project.fixed = n.project.fixed.filter((p) => !p.startsWith(`in/${g.name}/`));
    yield { what: `drop unused group ${g.name}`, c: n };
  }
  if (Object.keys(c.state.vars).length > 0) {
    const n = clone(c);
    n.state.vars = {};
    yield { what: "no command-line variables", c: n };
  }
  if (c.project.gen !== undefined) {
    const n = clone(c);
    delete n.project.gen;
    yield { what: "no generated include", c: n };
  }
}

function size(c: Case): number {
  return (
    c.steps.reduce(
      (s, st) => s + st.edits.length * 3 + (st.goals !== undefined ? 1 : 0) + (st.keepGoing !== undefined ? 1 : 0) + (st.jobs !== undefined ? 1 : 0),
      0,
    ) +
    c.project.rules.length * 4 +
    c.project.families.length * 4 +
    Object.keys(c.files).length +
    c.project.rules.reduce((s, r) => s + r.prereqs.length + (r.split ? 1 : 0), 0) +
    Object.values(c.state.recipes).reduce(
      (s, r) =>
        s + (r.mode !== null ? 1 : 0) + (r.header.k !== "none" ? 1 : 0) + (r.op !== "cat" ? 1 : 0) + (r.guard === true ? 1 : 0),
      0,
    ) +
    Object.keys(c.state.vars).length +
    (c.project.gen !== undefined ? 2 : 0) +
    c.project.groups.length +
    c.project.families.reduce((s, f) => s + f.env.length, 0) +
    c.project.rules.reduce((s, r) => s + r.env.length, 0) +
    Object.values(c.state.tags).reduce((s, t) => s + (t.length > 0 ? 1 : 0), 0)
  );
}

export async function shrink(
  c0: Case,
  f0: Failure,
  opts: RunOptions,
  budget: ShrinkBudget,
): Promise<{ c: Case; failure: Failure; runs: number }> {
  let best = clone(c0);
  best.steps = best.steps.slice(0, f0.step);
  let bestFailure = f0;
  let runs = 0;
  const start = Date.now();
  const quietOpts: RunOptions = {
    ...opts,
    keepOnFailure: false,
    verbose: false,
    cleanFlow: f0.kind === "clean" ? opts.cleanFlow : "never",
    checkout: f0.kind === "checkout" ? "last" : "never",
  };
  for (let progress = true; progress; ) {
    progress = false;
    for (const cand of candidates(best)) {
      if (runs >= budget.maxRuns || Date.now() - start > budget.maxMs) {
        opts.log(`  shrink: budget spent after ${runs} runs`);
        return { c: best, failure: bestFailure, runs };
      }
      if (size(cand.c) >= size(best)) continue;
      runs++;
      const r = await runSequence(clone(cand.c), "replay", quietOpts);
      if (r.failure !== null && r.failure.kind === bestFailure.kind) {
        best = clone(cand.c);
        best.steps = best.steps.slice(0, r.failure.step);
        bestFailure = r.failure;
        opts.log(`  shrink: ${cand.what} (size ${size(best)}, fails at step ${r.failure.step})`);
        progress = true;
        break; // restart from the smaller case
      }
    }
  }
  return { c: best, failure: bestFailure, runs };
}

export interface Fixture {
  name: string;
  dir: string;
  c: Case;
  failure: Failure;
}

/** Writes test/correctness/regressions/<name>/ : case.json (replayed by the
 * test), and for readers the Flowfile, files/ and steps.md. */
export function writeFixture(root: string, name: string, c: Case, failure: Failure): string {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "case.json"), JSON.stringify({ failure, case: c }, null, 1) + "\n");
  writeFileSync(join(dir, "Flowfile"), renderFlowfile(c.project, c.state, "flow", c.seed));
  for (const [p, content] of Object.entries(c.files)) {
    const to = join(dir, "files", p);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, content);
  }
  const lines = [
    `# ${name}`,
    "",
    `Found by the correctness test${c.seed === null ? "" : ` (seed ${c.seed})`}; replayed by correctness.test.ts.`,
    "Start: `files/` and `Flowfile`, command line " +
      (Object.keys(c.state.vars).length > 0
        ? Object.entries(c.state.vars)
            .map(([k, v]) => `${k}=${v}`)
            .join(" ")
        : "(no variables)") +
      `, env ${Object.entries(c.state.env)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ")}.`,
    "Step 0 is `flow build`; every later step applies its edits, then `flow build`.",
    "",
    ...c.steps.map((s, i) => {
      const flags = [
        ...(s.goals !== undefined && s.goals.length > 0 ? [`build ${s.goals.join(" ")}`] : []),
        ...(s.keepGoing === true ? ["-k"] : []),
        ...(s.jobs !== undefined ? [`-j ${s.jobs}`] : []),
      ];
      return `${i + 1}. ${s.edits.map((e) => JSON.stringify(e)).join(" ; ")}${flags.length > 0 ? ` (${flags.join(", ")})` : ""}`;
    }),
    "",
    `Failure (${failure.kind}) at step ${failure.step}:`,
    "",
    "```",
    failure.message,
    "```",
    "",
  ];
  writeFileSync(join(dir, "steps.md"), lines.join("\n"));
  return dir;
}

export function loadFixtures(root: string): Fixture[] {
  if (!existsSync(root)) return [];
  const out: Fixture[] = [];
  for (const name of readdirSync(root).sort()) {
    const file = join(root, name, "case.json");
    if (!existsSync(file)) continue;
    const doc = JSON.parse(readFileSync(file, "utf8")) as { failure: Failure; case: Case };
    out.push({ name, dir: join(root, name), c: doc.case, failure: doc.failure });
  }
  return out;
}
