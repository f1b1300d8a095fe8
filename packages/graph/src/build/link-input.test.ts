import assert from "node:assert/strict";
import { test } from "node:test";
import type { ContentHash, FileState, OutputEntry } from "@flow/cache";
import { collectIngredients, type DoneTask } from "./decide-task.js";
import { depOutputValues, hasLinkOutput, linkKeyValue, plainOutputValues, resolveLink } from "./link-input.js";
import type { Task } from "../graph/task-graph.js";
import { mkTask } from "../test-support.js";

const H1 = "11111111111111111111111111111111" as ContentHash;
const H2 = "22222222222222222222222222222222" as ContentHash;
const H3 = "33333333333333333333333333333333" as ContentHash;

const file = (path: string, hash: ContentHash): OutputEntry => ({ path, kind: "file", hash, size: 1, mode: 0o644 });
const link = (path: string, target: string): OutputEntry => ({ path, kind: "symlink", target, mode: 0o777 });
const dir = (path: string): OutputEntry => ({ path, kind: "dir", mode: 0o755 });

/** A disk of regular files and directories (links on disk are the stat memo's business: it follows them). */
function disk(files: Record<string, ContentHash | "dir">): { state: (p: string) => FileState; asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    state: (p) => {
      asked.push(p);
      const v = files[p];
      if (v === undefined) return { kind: "missing" };
      return v === "dir" ? { kind: "dir" } : { kind: "file", hash: v, size: 1, mode: 0o644, mtimeMs: 0, ctimeMs: 0, ino: 1 };
    },
  };
}

const byPath = (...entries: OutputEntry[]) => new Map(entries.map((e) => [e.path, e] as const));

test("a link to a file on disk resolves to the file's content hash; dangling -> missing; to a directory -> dir", () => {
  const d = disk({ "real.txt": H1, "src/a.c": H2, src: "dir" });
  assert.equal(resolveLink("l_in", "real.txt", byPath(), d.state), H1);
  assert.equal(resolveLink("out/l", "../src/a.c", byPath(), d.state), H2);
  assert.equal(resolveLink("out/l", "../src", byPath(), d.state), "dir");
  assert.equal(resolveLink("l", "nowhere", byPath(), d.state), "missing");
  assert.equal(resolveLink("a/l", "..", byPath(), d.state), "dir", "a link to the root");
});

test("paths the dependencies recorded are answered from the records, not the disk (status plans unrestored outputs)", () => {
  const d = disk({});
  const rec = byPath(dir("out"), file("out/a", H1), link("out/l", "a"), link("top", "out/l"), link("viadir", "out"), file("gen/b", H3));
  assert.equal(resolveLink("out/l", "a", rec, d.state), H1);
  assert.equal(resolveLink("top", "out/l", rec, d.state), H1, "a link to a recorded link is followed");
  assert.equal(resolveLink("x", "viadir/a", rec, d.state), H1, "a recorded link to a directory, as a path component");
  assert.equal(resolveLink("x", "viadir/l", rec, d.state), H1);
  assert.equal(resolveLink("x", "gen/b", rec, d.state), H3, "another dependency's output");
  assert.equal(resolveLink("x", "out", rec, d.state), "dir");
  assert.deepEqual(d.asked, [], "the disk was not asked");
});

test("a loop of recorded links resolves to missing, as ELOOP would", () => {
  const d = disk({});
  assert.equal(resolveLink("lp", "lp", byPath(link("lp", "lp")), d.state), "missing");
  assert.equal(resolveLink("a", "b", byPath(link("a", "b"), link("b", "a")), d.state), "missing");
});

test("a link whose text leaves the root (never recorded: the cache refuses it) resolves to missing without asking the disk", () => {
  const d = disk({});
  assert.equal(resolveLink("l", "../outside", byPath(), d.state), "missing");
  assert.equal(resolveLink("a/l", "../../x", byPath(), d.state), "missing");
  assert.deepEqual(d.asked, []);
});

test("depOutputValues: files and directories as before; a link as its text and resolution; no map built without links", () => {
  const d = disk({ "real.txt": H2 });
  let built = 0;
  const all = () => {
    built++;
    return byPath();
  };
  assert.deepEqual(depOutputValues([file("a", H1), dir("d")], all, d.state), [
    ["a", H1, 0o644],
    ["d", "dir", 0o755],
  ]);
  assert.equal(built, 0);
  assert.deepEqual(depOutputValues([link("l", "real.txt")], all, d.state), [["l", linkKeyValue("real.txt", H2), 0o777]]);
  assert.equal(linkKeyValue("real.txt", H2), `real.txt -> ${H2}`);
});

test("plainOutputValues is depOutputValues for outputs without links; hasLinkOutput tells which applies", () => {
  const d = disk({ "real.txt": H2 });
  const outs = [file("a", H1), dir("d"), file("b", H2)];
  assert.equal(hasLinkOutput(outs), false);
  assert.deepEqual(plainOutputValues(outs), depOutputValues(outs, byPath, d.state));
  assert.equal(hasLinkOutput([file("a", H1), link("l", "real.txt")]), true);
  assert.equal(hasLinkOutput([]), false);
});

test("collectIngredients: a dependent of a link output has another key when the link's target changes", () => {
  const l: Task = mkTask(0, "l_in", [], { recipe: "ln -s real.txt $@" });
  const d: Task = mkTask(1, "d", [0], { recipe: "cat $< > $@" });
  const done: DoneTask = { result: { status: "ran", key: "k", durationMs: 0 }, outputs: [link("l_in", "real.txt")] };
  const ingOf = (hash: ContentHash) => {
    const r = collectIngredients(d, [[l, done]], { host: { inputState: disk({ "real.txt": hash }).state }, env: {} });
    assert.ok("ingredients" in r);
    return r.ingredients.deps;
  };
  assert.deepEqual(ingOf(H1), [["l_in", [["l_in", `real.txt -> ${H1}`, 0o777]]]]);
  assert.notDeepEqual(ingOf(H1), ingOf(H2));
});

