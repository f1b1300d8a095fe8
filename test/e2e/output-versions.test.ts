// The earlier versions of an output that the cache still holds
// (history/output-versions.ts, for `flow ui`): build, edit the input, build
// again, and both versions are listed newest first, each with its key, the
// run that made it and its bytes (a small output kept inline in its record,
// a large one as a blob); `flow cache gc` dropping the older records drops
// those versions from the list and from reading.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { outputVersions, readOutputVersion, type OutputVersion } from "@flow/cli";
import { buildJson, cleanup, flow, writeProject } from "./support.js";

const FLOWFILE = `
all: small.txt big.txt
small.txt: in.txt
\tcp in.txt $@
big.txt: in.txt
\tfor i in $$(seq 1 400); do cat in.txt; done > $@
`;

const big = (line: string) => line.repeat(400);

describe("earlier versions of an output", () => {
  let dir: string;
  let ctx: { projectDir: string; cacheDir: string; historyRoot: string };
  const keys: Record<string, string[]> = { "small.txt": [], "big.txt": [] };
  before(() => {
    dir = writeProject({ Flowfile: FLOWFILE, "in.txt": "first version\n" });
    ctx = { projectDir: dir, cacheDir: join(dir, ".flow"), historyRoot: dir };
    for (const content of ["first version\n", "second version\n"]) {
      writeFileSync(join(dir, "in.txt"), content);
      const b = buildJson([], { cwd: dir });
      assert.equal(b.code, 0, b.stderr);
      for (const t of b.summary.tasks) if (t.name in keys && t.key !== null) keys[t.name]?.push(t.key);
    }
  });
  after(() => cleanup(dir));

  const check = async (path: string, bytes: (s: string) => string) => {
    const versions = await outputVersions(ctx, path);
    assert.deepEqual(
      versions.map((v) => [v.key, v.run, v.current, v.size]),
      [
        [keys[path]?.[1], 2, true, bytes("second version\n").length],
        [keys[path]?.[0], 1, false, bytes("first version\n").length],
      ],
    );
    assert.ok((versions[0] as OutputVersion).time >= (versions[1] as OutputVersion).time, "newest first");
    const old = await readOutputVersion(ctx, path, (versions[1] as OutputVersion).hash);
    assert.equal(Buffer.from(old ?? []).toString(), bytes("first version\n"));
    return versions;
  };

  test("two builds with different inputs: two versions, newest first, with key, run and the old bytes (inline)", async () => {
    await check("small.txt", (s) => s);
  });

  test("the same for an output kept as a blob; other paths and escapes list nothing", async () => {
    const versions = await check("big.txt", big);
    assert.ok((versions[0] as OutputVersion).size > 4096, "big enough to be a blob, not inline");
    for (const p of ["nothing.txt", "../small.txt", "/etc/passwd", "./small.txt", ""]) assert.deepEqual(await outputVersions(ctx, p), [], p);
    // A hash of another path's version is not read through this path.
    assert.equal(await readOutputVersion(ctx, "small.txt", (versions[0] as OutputVersion).hash), undefined);
  });

  test("after flow cache gc drops the older records, their versions are gone", async () => {
    const old = (await outputVersions(ctx, "big.txt"))[1] as OutputVersion;
    const r = flow(["cache", "gc", "--keep", "2"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    for (const path of ["small.txt", "big.txt"]) {
      const versions = await outputVersions(ctx, path);
      assert.deepEqual(versions.map((v) => [v.key, v.run, v.current]), [[keys[path]?.[1], 2, true]], path);
    }
    assert.equal(await readOutputVersion(ctx, "big.txt", old.hash), undefined);
  });
});
