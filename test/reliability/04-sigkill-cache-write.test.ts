// RELIABILITY 4: flow SIGKILLed while it writes a blob into the cache. Only
// a temp file remains (no partial blob, no record naming one); the next build
// succeeds with correct outputs; temp files older than an hour are swept at
// a later open (tmp-sweep.ts).
import assert from "node:assert/strict";
import { existsSync, readdirSync, utimesSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { buildJson, cleanup, flow, flowAsync, writeProject } from "../e2e/support.js";

const BIG = 100 * 1024 * 1024;

test("RELIABILITY 04: SIGKILL during a cache write leaves only temp files; the next build succeeds; old temps are swept", async () => {
  const dir = writeProject({
    // A big output, so its copy into the cache takes long enough to be caught in the act.
    Flowfile: `out/big.bin: src.txt\n\t@mkdir -p $(@D)\n\thead -c ${BIG} /dev/zero > $@\n\tcat src.txt >> $@\n`,
    "src.txt": "v1\n",
  });
  try {
    const tmp = join(dir, ".flow", "tmp");
    const { child, done } = flowAsync(["build"], { cwd: dir });
    let caught = false;
    for (let i = 0; i < 6000 && child.exitCode === null; i++) {
      if (existsSync(tmp) && readdirSync(tmp).length > 0) {
        child.kill("SIGKILL");
        caught = true;
        break;
      }
      await sleep(5);
    }
    const killed = await done;
    assert.ok(caught, `the build ended before its blob write could be caught: ${killed.stderr}`);
    const temps = readdirSync(tmp);
    assert.ok(temps.length > 0, "the interrupted write left its temp file");

    // Nothing partial is visible: verify finds every blob whole and no entry to drop.
    const verify = flow(["cache", "verify"], { cwd: dir });
    assert.equal(verify.code, 0, verify.stderr);
    assert.match(verify.stdout, /: all good; \d+ entries, 0 dropped/);

    const next = buildJson([], { cwd: dir });
    assert.equal(next.code, 0, next.stderr);
    assert.equal(next.summary.ok, true);
    // A young temp may belong to a live writer: it is kept ...
    for (const t of temps) assert.ok(readdirSync(tmp).includes(t), `${t} kept while young`);
    // ... and swept once it is over an hour old.
    const old = Date.now() / 1000 - 2 * 3600;
    for (const t of temps) utimesSync(join(tmp, t), old, old);
    assert.equal(flow(["build"], { cwd: dir }).code, 0);
    for (const t of temps) assert.ok(!readdirSync(tmp).includes(t), `${t} swept`);
  } finally {
    cleanup(dir);
  }
});
