// RELIABILITY 23: a tampered remote artifact is a miss.
//
// Against the real turborepo-remote-cache: a build uploads its tasks'
// artifacts, then they are tampered with on the server's disk (a flipped
// byte; another key's body under a key; a signature that does not match).
// A fresh checkout with an empty local cache builds: each tampered task is a
// miss (a REMOTE_ARTIFACT_REJECTED warning saying why), runs, the build
// exits 0 with the right outputs, and nothing of the bad artifacts reaches
// the workspace or the local cache (the next build, remote off, has the
// reruns' entries).
import assert from "node:assert/strict";
import { copyFileSync, writeFileSync } from "node:fs";
import { test } from "node:test";
import { buildJson, cleanup, withStatus } from "../e2e/support.js";
import { readArtifact, remoteEnv, startRemoteServer } from "../e2e/remote-support.js";
import { manyTasks, outputs, overwrite } from "./support.js";

/** name -> key of each task in a build summary. */
function keysOf(s: { tasks: { name: string; key: string | null }[] }): Map<string, string> {
  return new Map(s.tasks.filter((t) => t.key !== null && t.name !== "all").map((t) => [t.name, t.key as string]));
}

test("RELIABILITY 23: a tampered remote artifact (a flipped byte, another key's body) is a miss: the task runs, the build succeeds", async () => {
  const server = await startRemoteServer();
  const a = manyTasks(3);
  const b = manyTasks(3);
  try {
    const env = remoteEnv(server.url);
    const first = buildJson([], { cwd: a, env });
    assert.equal(first.code, 0, first.stderr);
    const keys = keysOf(first.summary);
    const [k0, k1, k2] = ["out/f0.txt", "out/f1.txt", "out/f2.txt"].map((n) => keys.get(n) as string);
    const paths = server.artifacts();
    // A flipped byte near the end (inside the last blob).
    const body0 = readArtifact(server, k0 as string);
    overwrite(paths.get(k0 as string) as string, body0.length - 20, Buffer.from([(body0[body0.length - 20] as number) ^ 0x01]));
    // f2's body, byte for byte, under f1's key.
    copyFileSync(paths.get(k2 as string) as string, paths.get(k1 as string) as string);

    const r = buildJson([], { cwd: b, env });
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(withStatus(r.summary, "ran"), ["out/f0.txt", "out/f1.txt"]);
    assert.deepEqual(withStatus(r.summary, "restored"), ["out/f2.txt"]);
    assert.deepEqual(outputs(b), outputs(a));
    assert.match(r.stderr, new RegExp(`REMOTE_ARTIFACT_REJECTED: the remote cache's artifact for key ${k0} was refused: blob [0-9a-f]{32} does not match its hash`));
    assert.match(r.stderr, new RegExp(`REMOTE_ARTIFACT_REJECTED: the remote cache's artifact for key ${k1} was refused: it is the record of key "${k2}"`));
    // The local cache holds the reruns, not the tampered bytes.
    const local = buildJson([], { cwd: b });
    assert.deepEqual(withStatus(local.summary, "ran"), []);
  } finally {
    await server.stop();
    cleanup(a);
    cleanup(b);
  }
});

test("RELIABILITY 23: a signed artifact whose signature does not match (another signing key, a forged tag) is a miss", async () => {
  const server = await startRemoteServer({ signatures: true });
  const a = manyTasks(2);
  const b = manyTasks(2);
  try {
    const first = buildJson([], { cwd: a, env: remoteEnv(server.url, { FLOW_REMOTE_SIGNING_KEY: "the-team-key" }) });
    assert.equal(first.code, 0, first.stderr);
    const keys = keysOf(first.summary);
    const k1 = keys.get("out/f1.txt") as string;
    // A forged tag beside f1's untouched body.
    writeFileSync(`${server.artifacts().get(k1) as string}.tag`, "v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=");

    const right = buildJson([], { cwd: b, env: remoteEnv(server.url, { FLOW_REMOTE_SIGNING_KEY: "the-team-key" }) });
    assert.equal(right.code, 0, right.stderr);
    assert.deepEqual(withStatus(right.summary, "ran"), ["out/f1.txt"]);
    assert.deepEqual(withStatus(right.summary, "restored"), ["out/f0.txt"]);
    assert.match(right.stderr, new RegExp(`artifact for key ${k1} was refused: its signature does not match`));

    const c = manyTasks(2);
    try {
      const wrong = buildJson([], { cwd: c, env: remoteEnv(server.url, { FLOW_REMOTE_SIGNING_KEY: "another-key" }) });
      assert.equal(wrong.code, 0, wrong.stderr);
      assert.deepEqual(withStatus(wrong.summary, "restored"), [], "no artifact passes another key's check");
      assert.deepEqual(outputs(c), outputs(a));
    } finally {
      cleanup(c);
    }
  } finally {
    await server.stop();
    cleanup(a);
    cleanup(b);
  }
});
