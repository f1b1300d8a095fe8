import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { DirListings } from "./dir-listings.js";
import { NodeProjectHost } from "./node-project-host.js";

function project(t: { after(fn: () => void): void }): string {
  const root = mkdtempSync(join(tmpdir(), "flow-dir-listings-"));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  mkdirSync(join(root, "src", "sub"), { recursive: true });
  for (let i = 0; i < 20; i++) writeFileSync(join(root, "src", `f${i}`), "x");
  writeFileSync(join(root, "top.txt"), "x");
  symlinkSync("f0", join(root, "src", "link"));
  symlinkSync("nowhere", join(root, "src", "dangling"));
  return root;
}

test("a directory is listed once it has been asked about LIST_AFTER times; before that, and for names it lacks, stat answers", (t) => {
  const root = project(t);
  const listings = new DirListings(`${root}/`, 3);
  assert.equal(listings.lookup("src/f0"), undefined, "first lookup: stat's turn");
  assert.equal(listings.lookup("src/f1"), undefined, "second lookup: stat's turn");
  assert.equal(listings.lookup("src/f2"), "file", "third lookup lists the directory");
  assert.equal(listings.lookup("src/f0"), "file");
  assert.equal(listings.lookup("src/sub"), "dir");
  assert.equal(listings.lookup("src/nope"), undefined, "absent from the listing: only stat may say it is missing");
  assert.equal(listings.lookup("src/link"), undefined, "a symlink: stat says what it leads to");
  assert.equal(listings.lookup("src/dangling"), undefined);
  writeFileSync(join(root, "src", "late"), "x");
  assert.equal(listings.lookup("src/late"), undefined, "made after the listing: stat finds it");
});

test("names looked up in any order, and names that are prefixes of others, get the listing's answers", (t) => {
  const root = project(t);
  writeFileSync(join(root, "src", "f1x"), "x");
  const names = ["f0", "f1", "f10", "f1x", "f11", "f19", "f2", "sub", "link", "nope", "f9", "f"];
  const expect = (n: string) => (n === "sub" ? "dir" : n === "link" || n === "nope" || n === "f" ? undefined : "file");
  const orders = [[...names].sort(), [...names].sort().reverse(), names, [...names, ...names]];
  for (const order of orders) {
    const listings = new DirListings(`${root}/`, 1);
    for (const n of order) assert.equal(listings.lookup(`src/${n}`), expect(n), `src/${n} in the order ${order.join(" ")}`);
  }
});

test("names past U+FFFF, which readdir and JavaScript sort differently, are found too", (t) => {
  const root = project(t);
  mkdirSync(join(root, "u"));
  // UTF-8 byte order (readdir's): x\uFFFD before x\u{1F600}; UTF-16 order (JavaScript's): the other way.
  const names = ["x\uFFFD", "x\u{1F600}", "x", "y"];
  for (const n of names) writeFileSync(join(root, "u", n), "x");
  for (const order of [names, [...names].reverse()]) {
    const listings = new DirListings(`${root}/`, 1);
    for (const n of order) assert.equal(listings.lookup(`u/${n}`), "file", n);
    assert.equal(listings.lookup("u/x\u{1F601}"), undefined);
  }
});

test("files in the root, absolute paths and directories that cannot be listed", (t) => {
  const root = project(t);
  const listings = new DirListings(`${root}/`, 1);
  assert.equal(listings.lookup("top.txt"), "file");
  assert.equal(listings.lookup(`${root}/src/f3`), "file");
  assert.equal(listings.lookup("missing-dir/x"), undefined);
  assert.equal(listings.lookup("top.txt/x"), undefined, "a path through a file");
  assert.equal(listings.lookup("src/"), undefined);
});

test("the host gives stat's answers, from listings or stat, and asks the disk about a path once", (t) => {
  const root = project(t);
  const host = new NodeProjectHost(root, {});
  assert.equal(host.remembers, true);
  // Enough lookups in src/ to list it.
  for (let i = 0; i < 20; i++) assert.equal(host.kind(`src/f${i}`), "file");
  assert.equal(host.kind("src/sub"), "dir");
  assert.equal(host.kind("src/link"), "file");
  assert.equal(host.kind("src/dangling"), "missing");
  assert.equal(host.kind("src/none"), "missing");
  assert.equal(host.kind("top.txt/x"), "missing");
  assert.equal(host.kind("top.txt"), "file");
  // Remembered: a file made now is still missing for this reading (one answer per path per reading).
  writeFileSync(join(root, "src", "none"), "x");
  assert.equal(host.kind("src/none"), "missing");
  // A path found in a listing was not stat'ed by the graph: the stat memo stats it itself.
  const st = host.takeStat(join(root, "src", "f5"));
  assert.equal(st?.isFile(), true);
  assert.equal(st?.size, 1);
});
