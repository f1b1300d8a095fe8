// RELIABILITY 22: garbage in the LMDB data file. Whatever page is hit, the
// first build after the damage exits 0 with the outputs of a clean build, and
// the build after it does no work. When the page is one LMDB uses, that first
// build warns that the cache database was set aside; a page nobody uses (freed
// by an older transaction) is harmless and LMDB overwrites it later.
import assert from "node:assert/strict";
import { cpSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, didWork, flow, tempDir } from "../e2e/support.js";
import { fileSize, manyTasks, outputs, overwrite, pseudoRandom } from "./support.js";

const PAGE = 4096;

test("RELIABILITY 22: a page of garbage anywhere in data.mdb: set aside with a warning, the first build after succeeds", () => {
  const base = manyTasks(30);
  const work = tempDir("flow-r22-");
  try {
    assert.equal(buildJson([], { cwd: base }).code, 0);
    const clean = outputs(base);
    const dataFile = (dir: string) => join(dir, ".flow", "db", "data.mdb");
    const pages = fileSize(dataFile(base)) / PAGE;
    // The meta pages and pages 3-4 (the issue's), then four more spread over the file.
    const cases: [number, number][] = [[0, 1], [1, 1], [3, 1], [4, 2]];
    for (const f of [0.3, 0.5, 0.7, 0.95]) cases.push([Math.floor(pages * f), 3]);
    const warned: number[] = [];
    for (const [page, seed] of cases) {
      const dir = join(work, `p${page}-s${seed}`);
      cpSync(base, dir, { recursive: true });
      overwrite(dataFile(dir), page * PAGE, pseudoRandom(page * 1000 + seed, PAGE));
      const what = `page ${page}, seed ${seed}`;
      const first = buildJson([], { cwd: dir });
      assert.equal(first.code, 0, `${what}: ${first.stderr}`);
      assert.deepEqual(outputs(dir), clean, what);
      if (/warning CACHE_CORRUPT_SET_ASIDE: cache database set aside as .*db\.corrupt-\d+/.test(first.stderr + first.stdout)) warned.push(page);
      const second = buildJson([], { cwd: dir });
      assert.equal(second.code, 0, `${what}, second build: ${second.stderr}`);
      assert.deepEqual(didWork(second.summary), [], `${what}: the build after does no work`);
      cleanup(dir);
    }
    assert.ok(warned.includes(0) && warned.includes(1), `the meta pages are always checked (warned for pages ${warned.join(",")})`);
  } finally {
    cleanup(base);
    cleanup(work);
  }
});

test("RELIABILITY 22: flow cache verify reports a damaged cache database, not 'all good'", () => {
  const dir = manyTasks(3);
  try {
    assert.equal(buildJson([], { cwd: dir }).code, 0);
    overwrite(join(dir, ".flow", "db", "data.mdb"), PAGE, pseudoRandom(7, PAGE));
    const r = flow(["cache", "verify"], { cwd: dir });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^flow: verify: the cache database was damaged \(.*\): set aside as .*db\.corrupt-\d+, a fresh one started\n/);
    assert.match(r.stderr, /warning CACHE_CORRUPT_SET_ASIDE/);
    const json = JSON.parse(flow(["cache", "verify", "--json"], { cwd: dir }).stdout) as { databaseSetAside?: unknown };
    assert.equal(json.databaseSetAside, undefined, "the fresh database is sound");
  } finally {
    cleanup(dir);
  }
});
