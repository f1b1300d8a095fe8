// recipes/cartesian-product (issue 19, job 2): a step that runs once per
// combination of its parents' outputs. Three knights x two qualities give six
// melt tasks; one Gaussian kernel x four pictures give four blurred pictures.
// The inputs come from the command line. The scenario: build, build again
// (nothing runs), add a knight (only its combinations run), edit the melt
// script (every melt and what follows reruns, nothing upstream), and the plan
// draws the six melts as one node.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { buildJson, cleanup, copyRecipe, didWork, flow, read } from "./support.js";

const FOUR_KNIGHTS = "KNIGHTS=arthur lancelot galahad percival";

const KNIGHT_TASKS = ["arthur", "galahad", "lancelot"].map((k) => `out/knights/${k}.txt`);
const QUALITY_TASKS = ["fine", "standard"].map((q) => `out/qualities/${q}.txt`);
const PICTURES = ["checker", "gradient", "rings", "stripes"];
const melts = (knights: string[]): string[] => knights.flatMap((k) => ["fine", "standard"].map((q) => `out/melt/${k}-${q}.tsv`)).sort();

/** A plain PGM file as the recipe writes it: width, height and the pixels. */
function readPgm(dir: string, path: string): { width: number; height: number; pixels: number[] } {
  const words = read(dir, path)
    .split("\n")
    .filter((l) => !l.startsWith("#"))
    .join(" ")
    .trim()
    .split(/\s+/);
  assert.equal(words[0], "P2", `${path} is a plain PGM file`);
  const [width, height, maxval] = words.slice(1, 4).map(Number) as [number, number, number];
  assert.equal(maxval, 255);
  const pixels = words.slice(4).map(Number);
  assert.equal(pixels.length, width * height, `${path} holds ${width}x${height} pixels`);
  assert.ok(pixels.every((p) => Number.isInteger(p) && p >= 0 && p <= 255), `${path}: every pixel within 0-255`);
  return { width, height, pixels };
}

/** The line of the plan drawing that shows the node named `label`. */
const planLine = (out: string, label: string): string => out.split("\n").find((l) => l.includes(`${label} `)) ?? `(no line for ${label} in:\n${out})`;

describe("recipes/cartesian-product", () => {
  let dir: string;
  before(() => {
    dir = copyRecipe("cartesian-product");
  });
  after(() => cleanup(join(dir, "..")));

  test("the first build runs every combination once and writes pictures a viewer opens; a second build runs nothing", () => {
    const first = buildJson([], { cwd: dir });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.deepEqual(
      didWork(first.summary),
      [
        ...PICTURES.map((p) => `out/blurred/${p}.pgm`),
        "out/contact-sheet.pgm",
        "out/ingots.tsv",
        "out/kernel.txt",
        ...KNIGHT_TASKS,
        ...melts(["arthur", "galahad", "lancelot"]),
        ...PICTURES.map((p) => `out/pictures/${p}.pgm`),
        ...QUALITY_TASKS,
      ].sort(),
    );

    // The ledger: a line per (knight, quality), and the total.
    const ledger = read(dir, "out/ingots.tsv").trimEnd().split("\n");
    assert.equal(ledger.length, 1 + 6 + 1, ledger.join("\n"));
    assert.deepEqual(
      ledger.slice(1, 7).map((l) => l.split("\t").slice(0, 2).join(" ")),
      ["arthur fine", "arthur standard", "lancelot fine", "lancelot standard", "galahad fine", "galahad standard"],
    );
    assert.match(ledger[7] as string, /^total: \d+ ingots from 6 melts$/);

    // Each blurred picture has its original's size, and is smoother: the largest step between neighbouring pixels is smaller.
    const roughness = (px: number[], w: number): number => px.reduce((s, p, i) => (i % w === 0 ? s : Math.max(s, Math.abs(p - (px[i - 1] as number)))), 0);
    for (const p of ["checker", "rings", "stripes"]) {
      const before = readPgm(dir, `out/pictures/${p}.pgm`);
      const after = readPgm(dir, `out/blurred/${p}.pgm`);
      assert.deepEqual([after.width, after.height], [before.width, before.height]);
      assert.ok(roughness(after.pixels, after.width) < roughness(before.pixels, before.width) / 2, `${p} is blurred`);
    }
    const sheet = readPgm(dir, "out/contact-sheet.pgm");
    assert.deepEqual([sheet.width, sheet.height], [4 * 64 + 5 * 4, 2 * 64 + 3 * 4], "4 columns, originals above their blurred copies");

    const second = buildJson([], { cwd: dir });
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(didWork(second.summary), []);
  });

  test("flow status --plan ascii draws the six melts as one node, and the four blurs as another", () => {
    const r = flow(["status", "--plan", "ascii", "--width", "120"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(planLine(r.stdout, "out/melt/%.tsv"), /\| (.* {3})?out\/melt\/%\.tsv x6 \(6 fresh\) \[F\] <- out\/knights\/%\.txt, out\/qualities\/%\.txt$/);
    assert.match(planLine(r.stdout, "out/blurred/%.pgm"), /^1 \| out\/blurred\/%\.pgm x4 \(4 fresh\) \[F\] <- out\/kernel\.txt, out\/pictures\/%\.pgm$/);
    assert.match(r.stdout, /out\/knights\/%\.txt x3 \(3 fresh\) \[F\]/);
    assert.match(r.stdout, /out\/qualities\/%\.txt x2 \(2 fresh\) \[F\]/);
    assert.doesNotMatch(r.stdout, /out\/melt\/arthur/, "no melt is drawn on its own");
  });

  test("a knight added on the command line: only the new knight and its two melts run, then the ledger", () => {
    const plan = flow(["status", "--plan", "ascii", "--width", "120", FOUR_KNIGHTS], { cwd: dir });
    assert.equal(plan.code, 1, plan.stdout + plan.stderr);
    assert.match(planLine(plan.stdout, "out/knights/%.txt"), /out\/knights\/%\.txt x4 \(1 stale, 3 fresh\) \[S\]/);
    assert.match(planLine(plan.stdout, "out/melt/%.tsv"), /out\/melt\/%\.tsv x8 \(2 waiting, 6 fresh\) \[W\]/);

    const r = buildJson([FOUR_KNIGHTS], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(didWork(r.summary), ["out/ingots.tsv", "out/knights/percival.txt", ...melts(["percival"])]);
    assert.match(read(dir, "out/ingots.tsv"), /^percival\tfine\t/m);
    assert.deepEqual(didWork(buildJson([FOUR_KNIGHTS], { cwd: dir }).summary), []);
  });

  test("the melt script edited: every melt and the ledger rerun; knights, qualities and pictures do not", () => {
    const script = join(dir, "scripts/melt.awk");
    const original = readFileSync(script, "utf8");
    // Half-kilo ingots: every melt's line changes, so the ledger must follow.
    const edited = original.replace(", int(metal)", ", int(metal * 2)");
    assert.notEqual(edited, original);
    writeFileSync(script, edited);

    const plan = flow(["status", "--plan", "ascii", "--width", "120", FOUR_KNIGHTS], { cwd: dir });
    assert.equal(plan.code, 1);
    assert.match(planLine(plan.stdout, "out/melt/%.tsv"), /out\/melt\/%\.tsv x8 \(8 stale\) \[S\]/);
    assert.match(planLine(plan.stdout, "out/knights/%.txt"), /out\/knights\/%\.txt x4 \(4 fresh\) \[F\]/);

    const r = buildJson([FOUR_KNIGHTS], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(didWork(r.summary), ["out/ingots.tsv", ...melts(["arthur", "galahad", "lancelot", "percival"])]);
    assert.match(read(dir, "out/ingots.tsv"), /^total: \d+ ingots from 8 melts$/m);

    // An edit that changes no melt's output (a comment): the melts rerun, and
    // early cutoff spares the ledger.
    writeFileSync(script, `${edited}# a comment\n`);
    const cut = buildJson([FOUR_KNIGHTS], { cwd: dir });
    assert.equal(cut.code, 0, cut.stderr);
    assert.deepEqual(didWork(cut.summary), melts(["arthur", "galahad", "lancelot", "percival"]));
  });

  test("a new SIGMA on the command line: the kernel, the four blurs and the contact sheet rerun, nothing else", () => {
    const r = buildJson([FOUR_KNIGHTS, "SIGMA=0.8"], { cwd: dir });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(didWork(r.summary), [...PICTURES.map((p) => `out/blurred/${p}.pgm`), "out/contact-sheet.pgm", "out/kernel.txt"]);
    assert.equal(read(dir, "out/kernel.txt").split("\n")[0], "3", "radius 3 for sigma 0.8");
  });
});
