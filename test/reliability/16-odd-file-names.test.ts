// RELIABILITY 16: file names with spaces, quotes, `$`, a leading `-`, unicode
// and newlines are hashed and restored byte-exact, and recipes can handle
// them safely.
//
// What the Flowfile language can name, and what stands in where it cannot:
// - as targets: `$` (written `$$`), a leading `-`, unicode, `"` and `'`.
//   Automatic variables are pasted into the script as they are (as in GNU
//   Make), so each recipe quotes its name for the shell itself.
// - a space: GNU Make's `a\ b` is not read by flow (FLOW004 "no rule to make
//   'a\'"), and a newline cannot be written in a target at all. Both are
//   covered through a glob input (`src/*` matches each name whole: one input
//   each, whose content joins the key) and a declared output directory
//   (`.OUTPUTS := copies/`) holding every such name. The recipe reaches them
//   through the shell's own glob and "$$f", never through an unquoted `$^`.
import assert from "node:assert/strict";
import { lstatSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, flow, withStatus, writeProject } from "../e2e/support.js";

// Names (under src/ and copies/), their contents differ byte for byte.
const ODD = ["a b.txt", "tab\there", "new\nline", "quote\"d", "it's", "$HOME", "$(x)", "-n", "--help", "é ü 日本.txt", "back\\slash", " lead", "trail ", "*"];
const content = (name: string) => `bytes of ${JSON.stringify(name)}\n\u0000\u00ff`;

// Explicit targets: $ (written $$), a leading -, unicode, both quotes.
const TARGETS: [string, string, string][] = [
  // [name as in the Flowfile, name on disk, recipe writing it]
  ["$$dollar.txt", "$dollar.txt", "\tprintf '%s' '$@' > '$@'"],
  ["-dash.txt", "-dash.txt", "\tprintf '%s' '$@' > ./'$@'"],
  ["é.txt", "é.txt", "\tprintf '%s' '$@' > '$@'"],
  ['q"uote.txt', 'q"uote.txt', "\tprintf '%s' '$@' > '$@'"],
  ["it's.txt", "it's.txt", '\tprintf "%s" "$@" > "$@"'],
];

const FLOWFILE = [
  ".PHONY: all copy",
  `all: copy ${TARGETS.map(([t]) => t).join(" ")}`,
  "copy: src/*",
  "\tmkdir -p copies",
  '\tfor f in src/*; do cp -- "$$f" "copies/$${f#src/}"; done',
  "copy: .OUTPUTS := copies/",
  ...TARGETS.flatMap(([t, , recipe]) => [`${t}:`, recipe]),
  "",
].join("\n");

/** Every entry of `sub`, as name -> bytes (each must be a file). */
function snapshot(dir: string, sub: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of readdirSync(join(dir, sub))) {
    assert.ok(lstatSync(join(dir, sub, name)).isFile(), name);
    out.set(name, readFileSync(join(dir, sub, name)));
  }
  return out;
}

test("RELIABILITY 16: odd file names are hashed as themselves and restored byte-exact", () => {
  const files: Record<string, string> = { Flowfile: FLOWFILE };
  for (const n of ODD) files[`src/${n}`] = content(n);
  const dir = writeProject(files);
  try {
    const first = buildJson([], { cwd: dir });
    assert.equal(first.code, 0, first.stdout + first.stderr);
    assert.deepEqual(withStatus(first.summary, "ran"), ["copy", ...TARGETS.map(([, disk]) => disk)].sort());
    const expected = new Map(ODD.map((n) => [n, Buffer.from(content(n))] as const));
    assert.deepEqual(snapshot(dir, "copies"), expected);
    for (const [, disk] of TARGETS) assert.equal(readFileSync(join(dir, disk), "utf8"), disk, `${disk} names itself`);

    // Each odd input is an input of its own: changing one byte of the newline-named file reruns the copy.
    writeFileSync(join(dir, "src", "new\nline"), content("new\nline").replace("bytes", "BYTES"));
    const edited = buildJson([], { cwd: dir });
    assert.deepEqual(withStatus(edited.summary, "ran"), ["copy"]);
    assert.equal(readFileSync(join(dir, "copies", "new\nline"), "utf8").slice(0, 5), "BYTES");
    writeFileSync(join(dir, "src", "new\nline"), content("new\nline"));
    const back = buildJson([], { cwd: dir });
    assert.deepEqual(withStatus(back.summary, "restored"), ["copy"], "the first run's record, found again by the same names and bytes");

    // clean removes every odd name (printed quoted), and the next build restores them exactly.
    const clean = flow(["clean"], { cwd: dir });
    assert.equal(clean.code, 0, clean.stderr);
    assert.ok(clean.stdout.includes('removed      "copies/new\\nline"'), clean.stdout);
    for (const [, disk] of TARGETS) assert.throws(() => lstatSync(join(dir, disk)), /ENOENT/, `${disk} cleaned`);
    assert.throws(() => lstatSync(join(dir, "copies")), /ENOENT/);
    const restored = buildJson([], { cwd: dir });
    assert.equal(restored.code, 0, restored.stderr);
    assert.deepEqual(withStatus(restored.summary, "restored"), ["copy", ...TARGETS.map(([, disk]) => disk)].sort());
    assert.deepEqual(snapshot(dir, "copies"), expected);
    for (const [, disk] of TARGETS) assert.equal(readFileSync(join(dir, disk), "utf8"), disk);

    // And once more by hand: remove, restore, compare.
    rmSync(join(dir, "copies"), { recursive: true });
    const again = buildJson([], { cwd: dir });
    assert.deepEqual(withStatus(again.summary, "restored"), ["copy"]);
    assert.deepEqual(snapshot(dir, "copies"), expected);
  } finally {
    cleanup(dir);
  }
});
