// A large output through the remote cache in bounded memory: a 256 MiB file
// is uploaded by one checkout and restored by a fresh one, byte-identical,
// while flow's peak RSS (VmHWM, polled from /proc) stays well below the
// file's size: the artifact is streamed both ways (built into a temp file,
// read into staging files), never held whole. The server is the real
// turborepo-remote-cache with its BODY_LIMIT raised (it holds an upload
// whole itself; that is its memory, not flow's).
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { createReadStream, readFileSync, statfsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { test } from "node:test";
import { cleanup, flowAsync, writeProject } from "./support.js";
import { remoteEnv, startRemoteServer } from "./remote-support.js";

const MiB = 1024 * 1024;
const SIZE = 256 * MiB;
const RSS_LIMIT_KIB = 200 * 1024;

/** flow build --json with the highest VmHWM seen while it ran (KiB). */
async function buildMeasured(dir: string, env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string; peakKiB: number }> {
  const run = flowAsync(["build", "--json"], { cwd: dir, env });
  let peakKiB = 0;
  let exited = false;
  run.child.on("exit", () => (exited = true));
  while (!exited) {
    try {
      const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${run.child.pid}/status`, "utf8"));
      if (m) peakKiB = Math.max(peakKiB, Number(m[1]));
    } catch {
      // gone between the check and the read: the last reading stands
    }
    await sleep(20);
  }
  const r = await run.done;
  return { ...r, peakKiB };
}

async function sha256(path: string): Promise<string> {
  const h = createHash("sha256");
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest("hex");
}

const free = (() => {
  try {
    const s = statfsSync(tmpdir());
    return s.bavail * s.bsize;
  } catch {
    return 0;
  }
})();
const skip = process.platform !== "linux" ? "reads /proc" : free < 8 * SIZE ? `needs ${(8 * SIZE) / MiB} MiB free in the temp dir` : false;

test("a 256 MiB output goes up to the remote and comes back in a fresh checkout byte-identical, flow's peak RSS bounded", { skip, timeout: 600_000 }, async (t) => {
  const server = await startRemoteServer({ bodyLimit: 4 * SIZE });
  const files = { Flowfile: `big.bin: seed.txt\n\thead -c ${SIZE} /dev/urandom > $@\n`, "seed.txt": "1\n" };
  const a = writeProject(files);
  const b = writeProject(files);
  try {
    const env = remoteEnv(server.url);
    const up = await buildMeasured(a, env);
    assert.equal(up.code, 0, up.stderr);
    assert.match(JSON.stringify(JSON.parse(up.stdout).remote), /"uploaded":1/);
    const down = await buildMeasured(b, env);
    assert.equal(down.code, 0, down.stderr);
    assert.deepEqual((JSON.parse(down.stdout) as { tasks: { status: string }[] }).tasks.map((x) => x.status), ["restored"]);
    assert.equal(await sha256(join(b, "big.bin")), await sha256(join(a, "big.bin")));
    t.diagnostic(`peak RSS of flow for a ${SIZE / MiB} MiB output: ${up.peakKiB} KiB building and uploading, ${down.peakKiB} KiB restoring from the remote`);
    assert.ok(up.peakKiB < RSS_LIMIT_KIB, `upload: peak RSS ${up.peakKiB} KiB`);
    assert.ok(down.peakKiB < RSS_LIMIT_KIB, `restore: peak RSS ${down.peakKiB} KiB`);
  } finally {
    await server.stop();
    cleanup(a);
    cleanup(b);
  }
});
