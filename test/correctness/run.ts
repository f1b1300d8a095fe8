// The differential correctness test, standalone:
//
//   npm run test:correctness -- --runs 1000 [--steps 10] [--seed N] [--jobs 2]
//
// Sequence k uses seed N+k (N random unless given; printed). A failure is
// printed with its seed and step, shrunk, and written as a regression
// fixture under test/correctness/regressions/ (replayed by `npm test`).
//
// Other flags:
//   --clean every|last|never  clean flow build in a fresh dir: at every step (default), the last, never
//   --checkout every|last|never  also build in a fresh dir sharing the cache: all restored (default: last step)
//   --status every|incremental|never  flow status --plan json before every build (default), all but the first, none
//   --server on|off|mix  the workspace's builds ask a watching server: always, never (default), every other sequence
//   --tasks MIN-MAX           project size in tasks (default 5-15)
//   --dry                     no flow: check the generator and the edits against GNU make only
//   --replay DIR              replay one fixture (a dir with case.json) and report
//   --reshrink                with --replay: if it still fails, shrink it again and rewrite the fixture
//   --no-shrink, --no-save    do not shrink / do not write fixtures
//   --max-shrinks N           shrink at most N failures (default 3); later ones are only reported
//   --exclude K1,K2           do not generate these edit kinds (e.g. one that hits a known bug)
//   --keep                    keep the temp dirs of failed sequences
//   --verbose                 print every step
import { readFileSync, rmSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { defaultTmpRoot, flowBin, regressionsDir } from "./paths.js";
import { formatCounts, reproduceCommand, runMany } from "./runner.js";
import { shrink, writeFixture, type Fixture } from "./shrink.js";
import { runSequence, type Failure, type RunOptions } from "./sequence.js";
import type { Case } from "./project.js";

interface Args {
  runs: number;
  steps: number;
  seed: number;
  seedGiven: boolean;
  jobs: number;
  clean: RunOptions["cleanFlow"];
  checkout: RunOptions["checkout"];
  status: RunOptions["status"];
  server: "on" | "off" | "mix";
  minTasks: number;
  maxTasks: number;
  dry: boolean;
  replay: string | null;
  reshrink: boolean;
  shrink: boolean;
  save: boolean;
  maxShrinks: number;
  keep: boolean;
  verbose: boolean;
  exclude: string[];
}

function parseArgs(argv: string[]): Args {
  const a: Args = {
    runs: 100,
    steps: 10,
    seed: Math.floor(Math.random() * 2 ** 31),
    seedGiven: false,
    jobs: 2,
    clean: "every",
    checkout: "last",
    status: "every",
    server: "off",
    minTasks: 5,
    maxTasks: 15,
    dry: false,
    replay: null,
    reshrink: false,
    shrink: true,
    save: true,
    maxShrinks: 3,
    keep: false,
    verbose: false,
    exclude: [],
  };
  const int = (s: string | undefined, flag: string): number => {
    const n = Number(s);
    if (s === undefined || !Number.isInteger(n) || n < 0) throw new Error(`${flag} needs a non-negative integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const f = argv[i];
    const v = (): string | undefined => argv[++i];
    switch (f) {
      case "--runs":
        a.runs = int(v(), f);
        break;
      case "--steps":
        a.steps = int(v(), f);
        break;
      case "--seed":
        a.seed = int(v(), f);
        a.seedGiven = true;
        break;
      case "--jobs":
        a.jobs = Math.max(1, int(v(), f));
        break;
      case "--clean": {
        const c = v();
        if (c !== "every" && c !== "last" && c !== "never") throw new Error("--clean every|last|never");
        a.clean = c;
        break;
      }
      case "--checkout": {
        const c = v();
        if (c !== "every" && c !== "last" && c !== "never") throw new Error("--checkout every|last|never");
        a.checkout = c;
        break;
      }
      case "--server": {
        const c = v();
        if (c !== "on" && c !== "off" && c !== "mix") throw new Error("--server on|off|mix");
        a.server = c;
        break;
      }
      case "--status": {
        const c = v();
        if (c !== "every" && c !== "incremental" && c !== "never") throw new Error("--status every|incremental|never");
        a.status = c;
        break;
      }
      case "--tasks": {
        const m = /^(\d+)-(\d+)$/.exec(v() ?? "");
        if (m === null) throw new Error("--tasks MIN-MAX");
        a.minTasks = Number(m[1]);
        a.maxTasks = Number(m[2]);
        break;
      }
      case "--dry":
        a.dry = true;
        break;
      case "--replay":
        a.replay = v() ?? null;
        break;
      case "--reshrink":
        a.reshrink = true;
        break;
      case "--no-shrink":
        a.shrink = false;
        break;
      case "--no-save":
        a.save = false;
        break;
      case "--max-shrinks":
        a.maxShrinks = int(v(), f);
        break;
      case "--exclude":
        a.exclude = (v() ?? "").split(",").filter((x) => x !== "");
        break;
      case "--keep":
        a.keep = true;
        break;
      case "--verbose":
        a.verbose = true;
        break;
      default:
        throw new Error(`unknown flag ${f}`);
    }
  }
  return a;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const opts: RunOptions = {
    flowBin: args.dry ? null : flowBin,
    tmpRoot: defaultTmpRoot,
    cleanFlow: args.clean,
    checkout: args.checkout,
    status: args.status,
    server: args.server === "on",
    timeoutMs: 120_000,
    keepOnFailure: args.keep,
    log: (line) => console.log(line),
    verbose: args.verbose,
    exclude: new Set(args.exclude),
  };

  if (args.replay !== null) {
    const doc = JSON.parse(readFileSync(join(args.replay, "case.json"), "utf8")) as { case: Case; failure: Failure };
    const r = await runSequence(doc.case, "replay", { ...opts, verbose: true });
    if (r.failure === null) {
      console.log(`replay ${args.replay}: passes (${r.steps + 1} builds)`);
      return 0;
    }
    console.log(`replay ${args.replay}: FAILS (${r.failure.kind}) at step ${r.failure.step}\n${r.failure.message}`);
    if (args.keep) console.log(`  kept: ${r.dir}`);
    if (args.reshrink) {
      const s = await shrink(doc.case, r.failure, opts, { maxRuns: 300, maxMs: 15 * 60_000 });
      const root = dirname(resolve(args.replay));
      const name = basename(resolve(args.replay));
      rmSync(resolve(args.replay), { recursive: true, force: true });
      console.log(`  shrunk again: ${writeFixture(root, name, s.c, s.failure)}`);
    }
    return 1;
  }

  console.log(
    `correctness: ${args.runs} sequences of ${args.steps} steps, seeds ${args.seed}..${args.seed + args.runs - 1}` +
      `${args.dry ? " (dry: GNU make only)" : ""}, ${args.jobs} at a time`,
  );
  const seeds = Array.from({ length: args.runs }, (_, k) => (args.seed + k) >>> 0);
  const failures: Array<{ seed: number; failure: Failure; fixture?: string }> = [];
  const totals: Record<string, number> = {};
  let done = 0;
  let shrinks = 0;
  let builds = 0;
  const start = Date.now();
  const optsFor = (seed: number, k: number): RunOptions => (args.server === "mix" ? { ...opts, server: k % 2 === 1 } : opts);
  await runMany(seeds, args.steps, args.jobs, { minTasks: args.minTasks, maxTasks: args.maxTasks }, optsFor, async (seed, r) => {
    done++;
    builds += r.steps + 1;
    for (const [k, v] of Object.entries(r.counts)) totals[k] = (totals[k] ?? 0) + v;
    if (r.failure === null) {
      if (args.verbose || done % 25 === 0) {
        console.log(`[${done}/${args.runs}] seed ${seed}: ok (${formatCounts(r.counts)})`);
      }
      return;
    }
    const f = r.failure;
    console.log(`\n[${done}/${args.runs}] seed ${seed}: FAILED (${f.kind}) at step ${f.step}\n${f.message}`);
    if (args.keep) console.log(`  kept: ${r.dir}`);
    const entry: { seed: number; failure: Failure; fixture?: string } = { seed, failure: f };
    failures.push(entry);
    if (!args.shrink || args.dry || shrinks >= args.maxShrinks) return;
    shrinks++;
    console.log(`  shrinking seed ${seed}...`);
    const s = await shrink(r.c, f, opts, { maxRuns: 300, maxMs: 15 * 60_000 });
    console.log(
      `  shrunk in ${s.runs} runs: ${s.c.project.rules.length} rules, ${s.c.project.families.length} families, ` +
        `${s.c.steps.length} steps; fails at step ${s.failure.step}:\n${s.failure.message}`,
    );
    if (args.save) {
      const fx: Fixture["name"] = `seed-${seed}-${s.failure.kind}`;
      entry.fixture = writeFixture(regressionsDir, fx, s.c, s.failure);
      console.log(`  regression fixture: ${entry.fixture}`);
    }
  });
  const secs = ((Date.now() - start) / 1000).toFixed(0);
  console.log(
    `\ncorrectness: ${done} sequences, ${builds} incremental builds in ${secs}s; ` +
      `${done - failures.length} clean, ${failures.length} failed. Task statuses: ${formatCounts(totals)}`,
  );
  for (const f of failures) {
    console.log(`  seed ${f.seed}: ${f.failure.kind} at step ${f.failure.step}${f.fixture ? ` -> ${f.fixture}` : ""}`);
  }
  if (failures.length > 0) {
    console.log(`reproduce one: ${reproduceCommand("SEED", args.steps, { minTasks: args.minTasks, maxTasks: args.maxTasks }, opts)}`);
  }
  return failures.length > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 2;
  },
);
