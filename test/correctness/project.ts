// The abstract description of a generated project, and its generator.
//
// A project is data (JSON-serialisable, so a shrunk case can be stored as a
// regression fixture): source groups under in/, pattern-rule families,
// explicit rules, and the mutable part (recipes, variables, .ENV values,
// tags) in State. render.ts turns it into a Flowfile (and a GNU Makefile
// for the reference build); model.ts turns it into the task graph the
// oracle reasons about. Neither looks at flow's code.
import { Rng } from "./prng.js";

/** Filters applied to the concatenated inputs. Some ignore part of the input
 * (head1, tail2, nocomment, sort*, wc, cut3) so that early cutoff matters. */
export const OPS = {
  cat: "cat",
  upper: "tr a-z A-Z",
  swap: "tr abc xyz",
  sort: "sort",
  sortu: "sort -u",
  head1: "head -n 1",
  tail2: "tail -n 2",
  nocomment: "sed '/^#/d'",
  sedsub: "sed 's/e/E/g'",
  cksum: "cksum",
  wc: "wc -l",
  cut3: "cut -c1-3",
} as const;
export type OpName = keyof typeof OPS;
export const OP_NAMES = Object.keys(OPS) as OpName[];

/** The first line a recipe writes before the filtered inputs. */
export type Header =
  | { k: "none" }
  | { k: "stem" } // pattern rules only: $*
  | { k: "var"; name: VarName; cut: boolean } // $(VAR), or only its first 2 chars
  | { k: "env"; name: string; cut: boolean }; // "$ENV" (declared in .ENV), or the part before the first '.'

/** Variables of the Flowfile (see render.ts for their definitions). */
export const VAR_NAMES = ["FV_A", "FV_B", "FV_C", "FV_D"] as const;
export type VarName = (typeof VAR_NAMES)[number];
/** Variables that steps set on the command line (FV_Z is used by nothing). */
export const CMDLINE_VARS = ["FV_A", "FV_D", "FV_Z"] as const;
export const ENV_NAMES = ["FLOWT_E1", "FLOWT_E2"] as const;

export interface Recipe {
  /** A no-op prefix `: vN &&`: changes the recipe text, never the output. */
  pfx: number;
  op: OpName;
  header: Header;
  /** chmod applied to file outputs; null = umask default. */
  mode: "755" | "640" | null;
  /** Fail (exit 3, after writing the outputs) when an input contains FAIL. */
  guard?: boolean;
}

export interface Group {
  name: string; // in/<name>/
  /** Files also live in in/<name>/sub/; consumed with `**` globs only. */
  deep: boolean;
}

export interface Family {
  id: string; // f1: out/f1/%.<ext>
  ext: string;
  /** in/<group>/%.txt, or a chained family's out/<fam>/%.<ext>. */
  from: { group: string } | { fam: string };
  /** Fixed extra prerequisites (source files) of every instance. */
  extra: string[];
  env: string[];
}

export type Prereq =
  | { k: "src"; path: string }
  | { k: "glob"; group: string; form: "wild" | "bare" | "deep" }
  | { k: "famAll"; fam: string } // $(patsubst in/G/%.txt,out/F/%.ext,$(wildcard in/G/*.txt))
  | { k: "famOne"; fam: string; stem: string }
  | { k: "out"; path: string } // a file output of another rule
  | { k: "phony"; name: string };

export type RuleKind = "file" | "multi" | "phonyOut" | "phonyCheck";

export interface Rule {
  id: string;
  kind: RuleKind;
  /** File targets (file: 1, multi: 2, phony: none). */
  targets: string[];
  /** .OUTPUTS files and directory (trailing / in the Flowfile). */
  fileOuts: string[];
  dirOut: string | null;
  prereqs: Prereq[];
  env: string[];
  /** multi: the filter of the second target. */
  op2: OpName;
  /** Write the prerequisites and the recipe over continuation lines. */
  split: boolean;
  /** phonyOut with a directory: also a relative symlink `latest` in it. */
  link?: boolean;
}

export interface Project {
  groups: Group[];
  families: Family[];
  rules: Rule[];
  /** Source files that edits never remove (referenced by name somewhere). */
  fixed: string[];
  /**
   * A generated include (issue 13): `include out/gen.mk` (`-include` when
   * optional), made by a rule from the first line of in/conf.txt; it sets
   * GEN_V, which `FV_C += $(GEN_V)` carries into recipes (see GEN_* below).
   */
  gen?: { optional: boolean };
}

/** The generated include: its path, the source it is made from, and the value it gives GEN_V. */
export const GEN_FILE = "out/gen.mk";
export const GEN_SOURCE = "in/conf.txt";
/** What `head -n 1 | tr -cd a-z | cut -c1-6` leaves of the source: GEN_V's value. */
export function genValue(content: string): string {
  return (content.split("\n")[0] ?? "").replace(/[^a-z]/g, "").slice(0, 6);
}

export interface State {
  /** Command-line variables: `flow build FV_A=x`. */
  vars: Record<string, string>;
  /** Environment of the build (the .ENV variables). */
  env: Record<string, string>;
  recipes: Record<string, Recipe>;
  /** Values written in the Flowfile for FV_A (?=) and FV_D (:=). */
  fileVars: { FV_A: string; FV_D: string };
  /** Number of extra comment lines in the Flowfile. */
  comments: number;
  tags: Record<string, string[]>;
}

/** A whole case: what a regression fixture stores. */
export interface Case {
  seed: number | null;
  project: Project;
  /** Initial source files: path -> content. */
  files: Record<string, string>;
  state: State;
  steps: Step[];
}

export interface Step {
  edits: Edit[];
  /** `flow build -k` (and make -k) for this step. */
  keepGoing?: boolean;
  /** `flow build -j N` for this step. */
  jobs?: number;
  /** Targets named on the command line (default: the default goal). */
  goals?: string[];
}

export type Edit =
  | { k: "edit"; file: string; how: EditHow; r: number }
  | { k: "touch"; file: string }
  | { k: "add"; file: string; r: number }
  | { k: "remove"; file: string }
  | { k: "recipe"; task: string; change: "pfx" | "op" | "header" | "guard"; r: number }
  | { k: "var"; name: string; value: string | null }
  | { k: "filevar"; name: "FV_A" | "FV_D"; value: string }
  | { k: "env"; name: string; value: string }
  | { k: "tags"; task: string; tags: string[] }
  | { k: "comment" }
  | { k: "delout"; path: string }
  | { k: "corruptout"; path: string; r: number }
  | { k: "strayout"; path: string }
  | { k: "chmodout"; path: string; mode: number }
  | { k: "rmcache"; part?: "all" | "db" | "blobs" }
  | { k: "rmblob"; path: string; corrupt: boolean }
  | { k: "rmdotflow" }
  | { k: "noop" };

export type EditHow = "line" | "comment" | "first" | "append" | "swap" | "samesize" | "racy" | "empty" | "fail";

const WORDS = [
  "apple", "berry", "cedar", "delta", "ember", "fjord", "grove", "haze", "iris", "jade",
  "kelp", "lumen", "moss", "nova", "opal", "pine", "quartz", "reed", "sage", "tide",
  "umber", "vale", "wren", "yarrow", "zest",
];
const STEMS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"];
const EXTS = ["up", "lo", "ck", "tx", "nc"];

export function randomLine(rng: Rng): string {
  if (rng.chance(0.2)) return `# ${rng.pick(WORDS)} ${rng.int(0, 99)}`;
  const n = rng.int(1, 3);
  const words: string[] = [];
  for (let i = 0; i < n; i++) words.push(rng.pick(WORDS));
  return words.join(" ");
}

export function randomContent(rng: Rng): string {
  const n = rng.int(2, 5);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(randomLine(rng));
  return lines.join("\n") + "\n";
}

export function randomValue(rng: Rng): string {
  return `${rng.pick(WORDS)}${rng.int(0, 9)}`;
}

export function randomEnvValue(rng: Rng): string {
  return `${rng.pick(WORDS)}.${rng.int(0, 9)}`;
}

function randomRecipe(rng: Rng, opts: { stem: boolean; env: string[] }): Recipe {
  let header: Header = { k: "none" };
  const envRead = opts.env[0];
  if (envRead !== undefined && rng.chance(0.8)) {
    header = { k: "env", name: envRead, cut: rng.chance(0.5) };
  } else if (rng.chance(0.35)) {
    header = { k: "var", name: rng.pick(["FV_A", "FV_C", "FV_D"] as const), cut: rng.chance(0.4) };
  } else if (opts.stem && rng.chance(0.4)) {
    header = { k: "stem" };
  }
  return {
    pfx: 0,
    op: rng.pick(OP_NAMES),
    header,
    mode: rng.weighted<Recipe["mode"]>([
      [6, null],
      [1, "755"],
      [1, "640"],
    ]),
    guard: rng.chance(0.2),
  };
}

/** The root source group of a family (following chains). */
export function rootGroup(p: Project, famId: string): string {
  for (let i = 0; i < 100; i++) {
    const f = p.families.find((x) => x.id === famId);
    if (f === undefined) throw new Error(`unknown family ${famId}`);
    if ("group" in f.from) return f.from.group;
    famId = f.from.fam;
  }
  throw new Error("family chain too long");
}

export interface GenOptions {
  /** Rough number of tasks (pattern instances count). */
  minTasks: number;
  maxTasks: number;
}

export function generateCase(seed: number, opts: GenOptions): Case {
  const rng = new Rng(seed);
  const files: Record<string, string> = {};
  const fixed: string[] = [];
  const groups: Group[] = [];
  const groupFiles = new Map<string, string[]>(); // flat files (stems) of each group

  const nFlat = rng.int(1, 3);
  for (let g = 1; g <= nFlat; g++) {
    const name = `g${g}`;
    groups.push({ name, deep: false });
    const stems = rng.sample(STEMS, rng.int(1, 3)).sort();
    groupFiles.set(name, stems);
    stems.forEach((s, i) => {
      const path = `in/${name}/${s}.txt`;
      files[path] = randomContent(rng);
      if (i === 0) fixed.push(path); // never removed: groups never go empty
    });
  }
  if (rng.chance(0.4)) {
    groups.push({ name: "d1", deep: true });
    files["in/d1/top.txt"] = randomContent(rng);
    fixed.push("in/d1/top.txt");
    for (const s of rng.sample(STEMS, rng.int(1, 2))) files[`in/d1/sub/${s}.txt`] = randomContent(rng);
  }
  files["in/conf.txt"] = randomContent(rng);
  files["in/notes.txt"] = randomContent(rng);
  fixed.push("in/conf.txt", "in/notes.txt");

  const p: Project = { groups, families: [], rules: [], fixed };
  const recipes: Record<string, Recipe> = {};
  const tags: Record<string, string[]> = {};
  const flat = groups.filter((g) => !g.deep);
  const budget = rng.int(opts.minTasks, opts.maxTasks);
  let count = 0;
  const familySize = (famId: string) => (groupFiles.get(rootGroup(p, famId)) ?? []).length;

  // Which tasks declare which .ENV variable: at most two tasks.
  const envSlots: string[] = [];
  if (rng.chance(0.6)) envSlots.push("FLOWT_E1");
  if (rng.chance(0.35)) envSlots.push("FLOWT_E2");
  const takeEnv = (): string[] => {
    if (envSlots.length > 0 && rng.chance(0.3)) return [envSlots.shift() as string];
    return [];
  };

  // Pattern-rule families.
  const nFam = rng.int(1, 2);
  for (let i = 1; i <= nFam; i++) {
    const id = `f${p.families.length + 1}`;
    const chainable = p.families.filter((f) => "group" in f.from);
    const from =
      chainable.length > 0 && rng.chance(0.4)
        ? { fam: rng.pick(chainable).id }
        : { group: rng.pick(flat).name };
    const extra = rng.chance(0.25) ? ["in/conf.txt"] : [];
    const env = takeEnv();
    p.families.push({ id, ext: rng.pick(EXTS), from, extra, env });
    recipes[id] = randomRecipe(rng, { stem: true, env });
    if (rng.chance(0.2)) tags[id] = ["gen"];
    count += familySize(id);
  }

  // Explicit rules, each depending on earlier things: a DAG by construction.
  const nextId: Record<string, number> = { r: 1, m: 1, p: 1, c: 1 };
  while (count < budget || p.rules.length === 0) {
    const kind = rng.weighted<RuleKind>([
      [5, "file"],
      [2, "multi"],
      [2, "phonyOut"],
      [p.rules.filter((r) => r.kind === "phonyCheck").length < 2 ? 2 : 0, "phonyCheck"],
    ]);
    const letter = { file: "r", multi: "m", phonyOut: "p", phonyCheck: "c" }[kind];
    const n = nextId[letter] ?? 1;
    nextId[letter] = n + 1;
    const id = `${letter}${n}`;
    const rule: Rule = {
      id,
      kind,
      targets: [],
      fileOuts: [],
      dirOut: null,
      prereqs: randomPrereqs(rng, p, groupFiles),
      env: [],
      op2: rng.pick(OP_NAMES),
      split: rng.chance(0.2),
    };
    switch (kind) {
      case "file":
        rule.targets = [`out/${id}.txt`];
        break;
      case "multi":
        rule.targets = [`out/${id}/a.txt`, `out/${id}/b.txt`];
        if (rng.chance(0.4)) rule.dirOut = `out/${id}.d`;
        break;
      case "phonyOut":
        if (rng.chance(0.6)) {
          rule.dirOut = `out/${id}`;
          rule.link = rng.chance(0.4);
        }
        if (rule.dirOut === null || rng.chance(0.4)) rule.fileOuts = [`out/${id}.txt`];
        break;
      case "phonyCheck":
        break;
    }
    if (kind !== "phonyCheck") rule.env = takeEnv();
    p.rules.push(rule);
    recipes[id] = randomRecipe(rng, { stem: false, env: rule.env });
    if (rng.chance(0.2)) tags[id] = [rng.pick(["check", "data"])];
    count++;
  }
  // Leftover .ENV slots go to some task that does not read the variable:
  // its value still joins the key (a rerun whose output may not change).
  for (const name of envSlots) {
    const candidates = p.rules.filter((r) => r.kind !== "phonyCheck" && r.env.length === 0);
    if (candidates.length > 0) rng.pick(candidates).env = [name];
  }

  const env: Record<string, string> = {};
  for (const name of ENV_NAMES) env[name] = randomEnvValue(rng);
  const state: State = {
    vars: {},
    env,
    recipes,
    fileVars: { FV_A: randomValue(rng), FV_D: randomValue(rng) },
    comments: 0,
    tags,
  };
  if (rng.chance(0.3)) state.vars["FV_A"] = randomValue(rng);
  // Drawn last, so the rest of a seed's project is what it was before generated includes.
  if (rng.chance(0.4)) {
    p.gen = { optional: rng.chance(0.3) };
    // Some recipe shows FV_C, so that GEN_V reaches a key and an output.
    if (rng.chance(0.7)) {
      const id = rng.pick(Object.keys(recipes).sort());
      (recipes[id] as Recipe).header = { k: "var", name: "FV_C", cut: false };
    }
  }
  return { seed, project: p, files, state, steps: [] };
}

function randomPrereqs(rng: Rng, p: Project, groupFiles: Map<string, string[]>): Prereq[] {
  const out: Prereq[] = [];
  const n = rng.int(1, 3);
  const earlierFiles: string[] = [];
  const earlierPhony: string[] = [];
  for (const r of p.rules) {
    earlierFiles.push(...r.targets, ...r.fileOuts);
    if (r.kind === "phonyOut" || r.kind === "phonyCheck") earlierPhony.push(r.id);
  }
  for (let i = 0; i < n; i++) {
    const choice = rng.weighted<Prereq["k"]>([
      [2, "src"],
      [3, "glob"],
      [p.families.length > 0 ? 3 : 0, "famAll"],
      [p.families.length > 0 ? 1 : 0, "famOne"],
      [earlierFiles.length > 0 ? 5 : 0, "out"],
      [earlierPhony.length > 0 ? 2 : 0, "phony"],
    ]);
    switch (choice) {
      case "src":
        out.push({ k: "src", path: rng.pick(p.fixed) });
        break;
      case "glob": {
        const g = rng.pick(p.groups);
        out.push({ k: "glob", group: g.name, form: g.deep ? "deep" : rng.pick(["wild", "bare"] as const) });
        break;
      }
      case "famAll":
        out.push({ k: "famAll", fam: rng.pick(p.families).id });
        break;
      case "famOne": {
        const fam = rng.pick(p.families);
        const stems = groupFiles.get(rootGroup(p, fam.id)) ?? [];
        // Only the first stem of a group is fixed (never removed).
        if (stems[0] !== undefined) out.push({ k: "famOne", fam: fam.id, stem: stems[0] });
        break;
      }
      case "out":
        out.push({ k: "out", path: rng.pick(earlierFiles) });
        break;
      case "phony":
        out.push({ k: "phony", name: rng.pick(earlierPhony) });
        break;
    }
  }
  // No duplicate prerequisite items (a file listed twice is legal but
  // needlessly muddies `$^`).
  const seen = new Set<string>();
  return out.filter((x) => {
    const key = JSON.stringify(x);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
