import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { LinkDirs } from "./link-dirs.js";
import { NodeProjectHost } from "./node-project-host.js";

/** base/{outside/, p/} with p/real/, p/in -> real, p/out -> ../outside, p/deep/out2 -> ../../outside, p/dangling -> nowhere, p/loop -> loop. */
function setUp(t: { after(fn: () => void): void }): { base: string; root: string } {
  const base = mkdtempSync(join(tmpdir(), "flow-link-dirs-"));
  t.after(() => rmSync(base, { recursive: true, force: true }));
  const root = join(base, "p");
  mkdirSync(join(base, "outside"));
  mkdirSync(join(root, "real", "sub"), { recursive: true });
  mkdirSync(join(root, "deep"));
  writeFileSync(join(root, "real", "f"), "x");
  symlinkSync("real", join(root, "in"));
  symlinkSync("../outside", join(root, "out"));
  symlinkSync("../../outside", join(root, "deep", "out2"));
  symlinkSync(".", join(root, "self"));
  symlinkSync("nowhere", join(root, "dangling"));
  symlinkSync("loop", join(root, "loop"));
  return { base, root };
}

test("LinkDirs: the first symlinked directory on a path, and whether it leads inside the root", (t) => {
  const { base, root } = setUp(t);
  const dirs = new LinkDirs(`${root}/`);
  const outside = realpathSync(join(base, "outside"));
  assert.equal(dirs.on("top.txt"), undefined, "a file in the root: no directory to look at");
  assert.equal(dirs.on("real/sub/x"), undefined, "real directories");
  assert.equal(dirs.on("new/dir/x"), undefined, "directories that do not exist yet");
  assert.equal(dirs.on("in"), undefined, "the path itself is never looked at");
  assert.deepEqual(dirs.on("in/x"), { link: "in", to: "real", inside: true });
  assert.deepEqual(dirs.on("in/sub/x"), { link: "in", to: "real", inside: true });
  assert.deepEqual(dirs.on("self/x"), { link: "self", to: ".", inside: true });
  assert.deepEqual(dirs.on("out/x"), { link: "out", to: outside, inside: false });
  assert.deepEqual(dirs.on("out/a/b/x"), { link: "out", to: outside, inside: false });
  assert.deepEqual(dirs.on("deep/out2/x"), { link: "deep/out2", to: outside, inside: false });
  assert.equal(dirs.on("dangling/x"), undefined, "nothing lies below a dangling link");
  assert.equal(dirs.on("loop/x"), undefined);
  assert.equal(dirs.on("real/f/x"), undefined, "a path through a file");
});

test("NodeProjectHost.brokenLink says what is wrong with a missing path that is a link", (t) => {
  const { root } = setUp(t);
  const host = new NodeProjectHost(root, {});
  assert.equal(host.brokenLink("dangling"), "dangling symlink to 'nowhere'");
  assert.equal(host.brokenLink("loop"), "looping symlink");
  assert.equal(host.brokenLink("in"), undefined, "a link that leads somewhere");
  assert.equal(host.brokenLink("nothing"), undefined);
  assert.equal(host.brokenLink("real/f"), undefined);
});
