// RELIABILITY 24: a hostile remote artifact writes nothing outside the task's declared outputs.
//
// A build uploads the artifact of a task that declares out/ (a directory, .OUTPUTS);
// then a hostile artifact replaces it under the same key, with the task's
// real ingredients (so the key check alone would pass) and outputs that
// name an absolute path, a `..` escape, a link and then a file through it,
// or a path the task does not declare. A fresh checkout builds: each is
// refused before any blob is kept (REMOTE_ARTIFACT_REJECTED, saying why), the
// task runs, and nothing outside out/ and the cache changed (a snapshot of
// the rest of the tree, and the absolute target, are checked).
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { buildJson, cleanup, withStatus, writeProject } from "../e2e/support.js";
import { decodeArtifact, encodeArtifact, putArtifact, readArtifact, remoteEnv, startRemoteServer } from "../e2e/remote-support.js";
import { treeSnapshot } from "./tree-snapshot.js";

const PROJECT = {
  Flowfile: ".PHONY: gen\ngen: src/a.txt\n\t@mkdir -p out\n\tcp src/a.txt out/a.txt\ngen: .OUTPUTS := out/\n",
  "src/a.txt": "hello\n",
  "src/keep.txt": "must not change\n",
};

/** The tree outside the declared output and the cache. */
function outside(dir: string): string[] {
  return treeSnapshot(dir).filter((l) => !/^(out|\.flow)(\/|\s|$)/.test(l));
}

test("RELIABILITY 24: a hostile remote artifact (absolute path, .., link then file, undeclared path) writes nothing outside the task's declared outputs", async () => {
  const server = await startRemoteServer();
  const victim = mkdtempSync(join(tmpdir(), "flow-hostile-target-"));
  rmSync(victim, { recursive: true });
  const a = writeProject(PROJECT);
  try {
    const env = remoteEnv(server.url);
    const first = buildJson([], { cwd: a, env });
    assert.equal(first.code, 0, first.stderr);
    const key = first.summary.tasks.find((t) => t.name === "gen")?.key as string;
    const { record, blobs } = decodeArtifact(readArtifact(server, key));
    const file = record.outputs.find((o) => o["kind"] === "file") as Record<string, unknown>;
    const evil = (path: string) => ({ ...file, path });
    const hostile: Record<string, { outputs: Record<string, unknown>[]; why: RegExp }> = {
      absolute: { outputs: [{ path: "out", kind: "dir", mode: 0o755 }, evil(`${victim}/owned.txt`)], why: /unsafe output path/ },
      dotdot: { outputs: [{ path: "out", kind: "dir", mode: 0o755 }, evil("out/../../escaped.txt")], why: /unsafe output path/ },
      "link then file": { outputs: [{ path: "out", kind: "dir", mode: 0o755 }, { path: "out/l", kind: "symlink", mode: 0o777, target: "../src" }, evil("out/l/keep.txt")], why: /lies below the link out\/l/ },
      undeclared: { outputs: [{ path: "out", kind: "dir", mode: 0o755 }, evil("src/keep.txt")], why: /src\/keep\.txt is not one of the task's declared outputs/ },
    };
    for (const [name, h] of Object.entries(hostile)) {
      await putArtifact(server.url, key, encodeArtifact({ ...record, outputs: h.outputs }, blobs));
      const b = writeProject(PROJECT);
      try {
        const before = outside(b);
        const r = buildJson([], { cwd: b, env: { ...env, FLOW_REMOTE_READ_ONLY: "1" } });
        assert.equal(r.code, 0, `${name}: ${r.stderr}`);
        assert.deepEqual(withStatus(r.summary, "ran"), ["gen"], `${name}: the task runs`);
        assert.match(r.stderr, new RegExp(`REMOTE_ARTIFACT_REJECTED: the remote cache's artifact for key ${key} was refused: .*${h.why.source}`), name);
        assert.deepEqual(outside(b), before, `${name}: nothing outside out/ changed`);
        assert.equal(existsSync(victim), false, `${name}: nothing written at the absolute path`);
        assert.equal(existsSync(join(b, "..", "escaped.txt")), false, `${name}: nothing beside the project`);
      } finally {
        cleanup(b);
      }
    }
  } finally {
    await server.stop();
    cleanup(a);
    rmSync(victim, { recursive: true, force: true });
  }
});
