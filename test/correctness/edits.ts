// Edits between builds: random generation (from the current state) and
// application (to the workspace, the state and the cache dir). An edit that
// refers to something that no longer exists (after shrinking) is skipped.
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";
import { Rng } from "./prng.js";
import {
  CMDLINE_VARS,
  OP_NAMES,
  randomContent,
  randomEnvValue,
  randomLine,
  randomValue,
  type Case,
  type Edit,
  type EditHow,
  type Project,
  type State,
  type Step,
} from "./project.js";
import { listFiles, sha256 } from "./fsutil.js";
import type { Graph } from "./model.js";
import type { CacheModel } from "./oracle.js";

export interface EditCtx {
  work: string;
  cache: string;
  project: Project;
  state: State;
  model: CacheModel;
  /** path -> sha of every output file of the last reference build (dir entries included). */
  lastOutputs: ReadonlyMap<string, string>;
}

/** Applies one edit; returns a one-line description, or null if skipped. */
export function applyEdit(e: Edit, ctx: EditCtx): string | null {
  const abs = (p: string): string => join(ctx.work, p);
  switch (e.k) {
    case "edit": {
      if (!existsSync(abs(e.file))) return null;
      const before = readFileSync(abs(e.file), "utf8");
      const st = statSync(abs(e.file), { bigint: true });
      const after = editContent(before, e.how, new Rng(e.r));
      writeFileSync(abs(e.file), after);
      if (e.how === "racy") {
        // Same size, and the old mtime put back: only ctime tells.
        const ns = st.mtimeNs;
        const sec = ns / 1_000_000_000n;
        const frac = (ns % 1_000_000_000n).toString().padStart(9, "0");
        execFileSync("touch", ["-m", "-d", `@${sec}.${frac}`, abs(e.file)]);
      }
      return `edit ${e.file} (${e.how}${after === before ? ", same bytes" : ""})`;
    }
    case "touch": {
      if (!existsSync(abs(e.file))) return null;
      const t = new Date(Date.now() + 1500);
      utimesSync(abs(e.file), t, t);
      return `touch ${e.file}`;
    }
    case "add": {
      if (existsSync(abs(e.file))) return null;
      mkdirSync(dirname(abs(e.file)), { recursive: true });
      writeFileSync(abs(e.file), randomContent(new Rng(e.r)));
      return `add ${e.file}`;
    }
    case "remove": {
      if (!existsSync(abs(e.file)) || ctx.project.fixed.includes(e.file)) return null;
      rmSync(abs(e.file));
      return `remove ${e.file}`;
    }
    case "recipe": {
      const r = ctx.state.recipes[e.task];
      if (r === undefined) return null;
      const rng = new Rng(e.r);
      switch (e.change) {
        case "pfx":
          r.pfx += 1;
          return `recipe of ${e.task}: no-op prefix v${r.pfx}`;
        case "op": {
          const before = r.op;
          r.op = rng.pick(OP_NAMES.filter((o) => o !== before));
          return `recipe of ${e.task}: filter ${before} -> ${r.op}`;
        }
        case "guard":
          r.guard = r.guard !== true;
          return `recipe of ${e.task}: ${r.guard ? "fails on FAIL in an input" : "no FAIL check"}`;
        case "header": {
          const h = r.header;
          if (h.k === "env") r.header = { ...h, cut: !h.cut };
          else if (h.k === "none") r.header = { k: "var", name: rng.pick(["FV_A", "FV_C", "FV_D"] as const), cut: rng.chance(0.4) };
          else r.header = { k: "none" };
          return `recipe of ${e.task}: header ${JSON.stringify(h)} -> ${JSON.stringify(r.header)}`;
        }
      }
      return null;
    }
    case "var":
      if (e.value === null) delete ctx.state.vars[e.name];
      else ctx.state.vars[e.name] = e.value;
      return `command line ${e.name}${e.value === null ? " unset" : `=${e.value}`}`;
    case "filevar":
      ctx.state.fileVars[e.name] = e.value;
      return `Flowfile: ${e.name} := ${e.value}`;
    case "env":
      ctx.state.env[e.name] = e.value;
      return `env ${e.name}=${e.value}`;
    case "tags":
      if (ctx.state.recipes[e.task] === undefined) return null;
      ctx.state.tags[e.task] = e.tags;
      return `Flowfile: ${e.task} .TAGS := ${e.tags.join(" ")}`;
    case "comment":
      ctx.state.comments += 1;
      return "Flowfile: one more comment line";
    case "delout": {
      if (!existsSync(abs(e.path))) return null;
      rmSync(abs(e.path), { recursive: true, force: true });
      return `delete output ${e.path}`;
    }
    case "corruptout": {
      const p = abs(e.path);
      if (!existsSync(p)) return null;
      if (lstatSync(p).isDirectory()) return null;
      const rng = new Rng(e.r);
      const how = rng.weighted<"bytes" | "symlink" | "dir">([
        [6, "bytes"],
        [2, "symlink"],
        [1, "dir"],
      ]);
      if (how === "bytes") {
        chmodSync(p, 0o644);
        writeFileSync(p, randomLine(rng) + "\n");
        return `overwrite output ${e.path}`;
      }
      // A symlink to a copy with the same bytes, or a directory, in its place.
      const copy = readFileSync(p);
      rmSync(p);
      if (how === "dir") {
        mkdirSync(p);
        writeFileSync(join(p, "x"), copy);
        return `replace output ${e.path} by a directory`;
      }
      const side = join(ctx.work, "in-copies", e.path.replace(/\//g, "_"));
      mkdirSync(dirname(side), { recursive: true });
      writeFileSync(side, copy);
      symlinkSync(side, p);
      return `replace output ${e.path} by a symlink to a copy`;
    }
    case "strayout": {
      const p = abs(e.path);
      if (!existsSync(p) || !lstatSync(p).isDirectory()) return null;
      writeFileSync(join(p, "stray.txt"), "stray\n");
      return `stray file in output dir ${e.path}`;
    }
    case "chmodout": {
      const p = abs(e.path);
      if (!existsSync(p) || lstatSync(p).isSymbolicLink()) return null;
      chmodSync(p, lstatSync(p).isDirectory() ? e.mode | 0o700 : e.mode);
      return `chmod ${e.mode.toString(8)} output ${e.path}`;
    }
    case "rmcache": {
      const part = e.part ?? "all";
      if (part === "all") {
        rmSync(ctx.cache, { recursive: true, force: true });
        ctx.model.keys.clear();
        ctx.model.blobs.clear();
        ctx.model.corrupt.clear();
        return "delete the cache dir";
      }
      // Part of the cache: the action records (db/) or the blob store (blobs/).
      if (!existsSync(join(ctx.cache, part))) return null;
      // The blobs that go are the files there: a small output's bytes live in its record instead
      // (OutputEntry.data, up to 4 KiB), so deleting blobs/ leaves them restorable.
      const goneBlobs = part === "blobs" ? listFiles(ctx.cache, "blobs").map((rel) => sha256(readFileSync(join(ctx.cache, rel)))) : [];
      rmSync(join(ctx.cache, part), { recursive: true, force: true });
      if (part === "db") ctx.model.keys.clear();
      else {
        for (const sha of goneBlobs) {
          ctx.model.blobs.delete(sha);
          ctx.model.corrupt.delete(sha);
        }
        // A corrupted blob file went too: what it stood for is gone, not corrupt.
        for (const sha of [...ctx.model.corrupt.keys()]) if (!ctx.model.blobs.has(sha)) ctx.model.corrupt.delete(sha);
      }
      return `delete <cache>/${part}`;
    }
    case "rmblob": {
      const want = ctx.lastOutputs.get(e.path);
      if (want === undefined) return null;
      let n = 0;
      for (const rel of listFiles(ctx.cache, "blobs")) {
        const p = join(ctx.cache, rel);
        if (sha256(readFileSync(p)) !== want) continue;
        if (e.corrupt) {
          chmodSync(p, 0o644);
          writeFileSync(p, "corrupt\n");
        } else rmSync(p);
        n++;
      }
      if (n === 0) return null;
      ctx.model.blobs.delete(want);
      if (e.corrupt) ctx.model.corrupt.set(want, "corrupt");
      else ctx.model.corrupt.delete(want);
      return `${e.corrupt ? "corrupt" : "delete"} the blob of ${e.path}`;
    }
    case "rmdotflow":
      if (!existsSync(abs(".flow"))) return null;
      rmSync(abs(".flow"), { recursive: true, force: true });
      return "delete the workspace's .flow/";
    case "noop":
      return "nothing";
  }
}

function editContent(before: string, how: EditHow, rng: Rng): string {
  const lines = before.split("\n");
  if (lines.at(-1) === "") lines.pop();
  switch (how) {
    case "empty":
      return "";
    case "fail": {
      // Toggles a FAIL line: recipes with a guard fail on it.
      const idx = lines.findIndex((l) => l.includes("FAIL"));
      if (idx >= 0) lines.splice(idx, 1);
      else lines.splice(rng.int(0, lines.length), 0, "FAIL here");
      break;
    }
    case "line":
      if (lines.length === 0) lines.push(randomLine(rng));
      else lines[rng.int(0, lines.length - 1)] = randomLine(rng);
      break;
    case "comment": {
      const idx = lines.findIndex((l) => l.startsWith("#"));
      const c = `# ${randomValue(rng)}`;
      if (idx >= 0 && rng.chance(0.6)) lines[idx] = c;
      else lines.splice(rng.int(1, Math.max(1, lines.length)), 0, c);
      break;
    }
    case "first":
      lines[0] = randomLine(rng);
      break;
    case "append":
      lines.push(randomLine(rng));
      break;
    case "swap":
      if (lines.length >= 2) {
        const i = rng.int(0, lines.length - 1);
        let j = rng.int(0, lines.length - 2);
        if (j >= i) j++;
        const t = lines[i] as string;
        lines[i] = lines[j] as string;
        lines[j] = t;
      }
      break;
    case "samesize":
    case "racy": {
      const text = lines.join("\n") + "\n";
      const letters = [...text].map((c, i) => (/[a-z]/.test(c) ? i : -1)).filter((i) => i >= 0);
      if (letters.length === 0) return text + "x\n";
      const i = rng.pick(letters);
      const old = text[i] as string;
      const alphabet = "abcdefghijklmnopqrstuvwxyz".replace(old, "");
      return text.slice(0, i) + alphabet[rng.int(0, alphabet.length - 1)] + text.slice(i + 1);
    }
  }
  return lines.join("\n") + "\n";
}

export interface GenCtx {
  c: Case;
  state: State;
  sources: readonly string[];
  graph: Graph;
  lastOutputs: ReadonlyMap<string, string>;
  /** Edit kinds not to generate (e.g. one that hits a known bug). */
  exclude: ReadonlySet<string>;
}

const STEMS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet"];

export function randomStep(rng: Rng, g: GenCtx): Step {
  const n = rng.weighted<number>([
    [6, 1],
    [3, 2],
    [1, 3],
  ]);
  const edits: Edit[] = [];
  for (let i = 0; i < n; i++) {
    const e = randomEdit(rng, g);
    if (e !== null) edits.push(e);
  }
  if (edits.length === 0) edits.push({ k: "noop" });
  const step: Step = { edits };
  if (!g.exclude.has("goals") && rng.chance(0.12)) {
    // Build one or two named targets instead of the default goal.
    const names = [...g.graph.tasks.values()].filter((t) => t.name !== "all").map((t) => t.name);
    if (names.length > 0) step.goals = rng.sample(names, rng.int(1, 2)).sort();
  }
  if (rng.chance(0.4)) step.keepGoing = true;
  if (rng.chance(0.25)) step.jobs = rng.pick([1, 3]);
  return step;
}

function randomEdit(rng: Rng, g: GenCtx): Edit | null {
  const p = g.c.project;
  const removable = g.sources.filter((s) => !p.fixed.includes(s));
  const outputs = [...g.graph.tasks.values()].flatMap((t) => t.outputs.map((o) => o.path));
  const outFiles = [...g.lastOutputs.keys()];
  const dirOutputs = [...g.graph.tasks.values()].flatMap((t) => t.outputs.filter((o) => o.dir).map((o) => o.path));
  const envNames = [...new Set([...g.graph.tasks.values()].flatMap((t) => t.env))].sort();
  const taskIds = Object.keys(g.state.recipes).sort();
  const weights: Array<[number, Edit["k"]]> = [
    [24, "edit"],
    [5, "touch"],
    [7, "add"],
    [removable.length > 0 ? 6 : 0, "remove"],
    [10, "recipe"],
    [6, "var"],
    [3, "filevar"],
    [envNames.length > 0 ? 6 : 2, "env"],
    [2, "tags"],
    [2, "comment"],
    [outputs.length > 0 ? 8 : 0, "delout"],
    [outputs.length > 0 ? 4 : 0, "corruptout"],
    [dirOutputs.length > 0 ? 2 : 0, "strayout"],
    [outFiles.length > 0 ? 2 : 0, "chmodout"],
    [3, "rmcache"],
    [outFiles.length > 0 ? 5 : 0, "rmblob"],
    [2, "noop"],
    [1, "rmdotflow"],
  ];
  const kind = rng.weighted<Edit["k"]>(weights.map(([w, k]) => [g.exclude.has(k) ? 0 : w, k] as const));
  switch (kind) {
    case "edit":
      return {
        k: "edit",
        file: rng.pick(g.sources),
        how: rng.weighted<EditHow>([
          [4, "line"],
          [3, "comment"],
          [2, "first"],
          [2, "append"],
          [2, "swap"],
          [2, "samesize"],
          [2, "racy"],
          [1, "empty"],
          [4, "fail"],
        ]),
        r: rng.u32(),
      };
    case "touch":
      return { k: "touch", file: outFiles.length > 0 && rng.chance(0.3) ? rng.pick(outFiles) : rng.pick(g.sources) };
    case "add": {
      const grp = rng.pick(p.groups);
      const stem = rng.chance(0.5) ? rng.pick(STEMS) : `n${rng.int(1, 99)}`;
      const file = grp.deep && rng.chance(0.6) ? `in/${grp.name}/sub/${stem}.txt` : `in/${grp.name}/${stem}.txt`;
      return { k: "add", file, r: rng.u32() };
    }
    case "remove":
      return { k: "remove", file: rng.pick(removable) };
    case "recipe":
      return {
        k: "recipe",
        task: rng.pick(taskIds),
        change: rng.weighted<"pfx" | "op" | "header" | "guard">([
          [3, "pfx"],
          [4, "op"],
          [2, "header"],
          [1, "guard"],
        ]),
        r: rng.u32(),
      };
    case "var": {
      const name = rng.pick(CMDLINE_VARS);
      return { k: "var", name, value: rng.chance(0.25) ? null : randomValue(rng) };
    }
    case "filevar":
      return { k: "filevar", name: rng.pick(["FV_A", "FV_D"] as const), value: randomValue(rng) };
    case "env": {
      if (envNames.length === 0 || rng.chance(0.25)) {
        // An environment variable that is also a Flowfile variable: it
        // overrides `FV_A ?= ...` but not `FV_D := ...`, as in make.
        return { k: "env", name: rng.pick(["FV_A", "FV_D"]), value: randomValue(rng) };
      }
      const name = rng.pick(envNames);
      const old = g.state.env[name] ?? "x.0";
      // Half the time only the part after the dot changes: `${X%%.*}` readers ignore it.
      const value = rng.chance(0.5) ? `${old.split(".")[0] ?? "x"}.${rng.int(0, 99)}` : randomEnvValue(rng);
      return { k: "env", name, value };
    }
    case "tags":
      return { k: "tags", task: rng.pick(taskIds), tags: rng.pick([[], ["x"], ["check", "nightly"]]) };
    case "comment":
      return { k: "comment" };
    case "delout": {
      const r = rng.float();
      if (r < 0.1) return { k: "delout", path: "out" };
      if (r < 0.35 && outFiles.length > 0) return { k: "delout", path: rng.pick(outFiles) };
      return { k: "delout", path: rng.pick(outputs) };
    }
    case "corruptout":
      return { k: "corruptout", path: rng.pick(outFiles.length > 0 ? outFiles : outputs), r: rng.u32() };
    case "strayout":
      return { k: "strayout", path: rng.pick(dirOutputs) };
    case "chmodout":
      return {
        k: "chmodout",
        path: dirOutputs.length > 0 && rng.chance(0.25) ? rng.pick(dirOutputs) : rng.pick(outFiles),
        mode: rng.pick([0o600, 0o755, 0o444, 0o700]),
      };
    case "rmdotflow":
      return { k: "rmdotflow" };
    case "rmcache":
      return { k: "rmcache", part: rng.weighted<"all" | "db" | "blobs">([[3, "all"], [1, "db"], [2, "blobs"]]) };
    case "rmblob":
      return { k: "rmblob", path: rng.pick(outFiles), corrupt: rng.chance(0.3) };
    case "noop":
      return { k: "noop" };
  }
}
