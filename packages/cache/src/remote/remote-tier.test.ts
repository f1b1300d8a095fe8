import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test, type TestContext } from "node:test";
import type { ActionRecord, OutputEntry } from "../action-record.js";
import { createHasher, type ContentHash } from "../content-hash.js";
import { freePort, startRemoteServer, tempDir, warningCollector, type RemoteServer } from "../fixtures.js";
import { LocalCache } from "../local-cache.js";
import { localTier } from "../local-tier.js";
import { TieredCache } from "../tiered-cache.js";
import { writeArchive } from "./artifact-archive.js";
import { ArtifactSigner } from "./artifact-signature.js";
import { RemoteTier, type RemoteConfig } from "./remote-tier.js";

const TEAM = "flow-team";

/** A machine: its own project dir, local cache, and a TieredCache with the remote behind it. */
async function machine(t: TestContext, remote: Partial<RemoteConfig> & { url: string; token: string }, extra: { checkRecord?: (r: ActionRecord) => string | undefined } = {}) {
  const hasher = await createHasher();
  const cacheDir = tempDir(t);
  const root = tempDir(t);
  const w = warningCollector();
  const local = await LocalCache.open(cacheDir, { hasher, onWarning: w.onWarning });
  const tier = new RemoteTier({ team: TEAM, backoffMs: 10, ...remote }, { hasher, tmpDir: join(cacheDir, "tmp"), onWarning: w.onWarning, ...extra });
  t.after(async () => {
    tier.close();
    await local.close();
  });
  const cache = new TieredCache({ home: localTier(local), further: [tier], scope: "s", clock: { now: () => 1 }, onWarning: w.onWarning });
  return { hasher, cacheDir, root, local, tier, cache, ...w };
}

/** Builds a task's outputs in `root` and commits them under `key`: a file, a dir with a file and a link, a log. */
async function buildAndCommit(m: Awaited<ReturnType<typeof machine>>, key: string, content = "hello", discovered?: [string, ContentHash][]): Promise<OutputEntry[]> {
  mkdirSync(join(m.root, "out/sub"), { recursive: true });
  writeFileSync(join(m.root, "out/a.txt"), content);
  writeFileSync(join(m.root, "out/sub/b.bin"), Buffer.alloc(3 * 1024 * 1024 + 11, 7));
  symlinkSync("a.txt", join(m.root, "out/link"));
  writeFileSync(join(m.root, "task.log"), `log of ${key}\n`);
  const saved = await m.local.saveOutputs(m.root, [{ path: "out", isDir: true }]);
  assert.ok(saved.ok && saved.stored);
  m.cache.commit({ key, canonical: `canonical of ${key}`, outputs: saved.entries, durationMs: 5, logPath: join(m.root, "task.log"), ...(discovered ? { discovered } : {}) });
  await m.cache.flush();
  assert.deepEqual(await m.tier.drain(30_000), { unfinished: 0 });
  return saved.entries;
}

function storedFiles(server: RemoteServer): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (lstatSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(server.storage);
  return out.sort();
}

describe("RemoteTier against turborepo-remote-cache", () => {
  // One server for the suite (it takes seconds to start here); each test uses its own keys.
  let server: RemoteServer;
  const cleanups: (() => unknown)[] = [];
  before(async () => {
    server = await startRemoteServer({ after: (fn) => void cleanups.push(fn as () => unknown) });
  });
  after(async () => {
    for (const fn of cleanups) await fn();
  });

  test("a build's artifact restores on another machine: record, blobs, log, byte-identical; staging cleaned", async (t) => {
    const a = await machine(t, server);
    const entries = await buildAndCommit(a, "k1");
    assert.equal(a.tier.counts.uploaded, 1);
    assert.ok(storedFiles(server).some((f) => f.endsWith("k1")), "stored under the key");

    const b = await machine(t, server);
    const hit = await b.cache.lookup("k1");
    assert.ok(hit);
    // The artifact names every file by hash (a small one kept inline at home travels as a blob).
    assert.deepEqual(hit.outputs, entries.map(({ data: _bytes, ...described }) => described));
    assert.ok(entries.some((e) => e.data !== undefined), "a.txt was kept inline on machine a");
    assert.equal(hit.canonical, "canonical of k1");
    const record = await b.local.peekAction("k1");
    assert.ok(record?.log);
    assert.equal(Buffer.from((await b.local.readBlob(record.log)) ?? []).toString(), "log of k1\n");
    assert.deepEqual(await b.local.restoreOutputs(b.root, [...hit.outputs]), { ok: true });
    for (const f of ["out/a.txt", "out/sub/b.bin"]) assert.ok(readFileSync(join(b.root, f)).equals(readFileSync(join(a.root, f))), f);
    assert.equal(readlinkSync(join(b.root, "out/link")), "a.txt");
    const staging = readdirSync(join(b.cacheDir, "tmp")).flatMap((d) => readdirSync(join(b.cacheDir, "tmp", d)));
    assert.deepEqual(staging, [], "downloaded blobs are released once home");
    assert.deepEqual([...a.codes(), ...b.codes()], []);
  });

  test("discovered inputs (a depfile's headers) travel with the record; a record whose discovered path leaves the project is refused", async (t) => {
    const hasher = await createHasher();
    const header: [string, ContentHash] = ["include/a.h", hasher.hashBytes("int a;\n")];
    const a = await machine(t, server);
    await buildAndCommit(a, "k-disc", "hello", [header]);
    const b = await machine(t, server);
    const hit = await b.cache.lookup("k-disc");
    assert.deepEqual(hit?.discovered, [header]);
    assert.deepEqual((await b.local.peekAction("k-disc"))?.discovered, [header], "copied home with the record");

    const dir = tempDir(t);
    const record = { key: "k-disc-bad", outputs: [], exitCode: 0, durationMs: 1, ingredients: "x", createdAt: 1, discovered: [["../../etc/passwd", header[1]]] } as ActionRecord;
    const path = join(dir, "bad.art");
    await writeArchive(record, async () => undefined, path, hasher);
    const res = await fetch(`${server.url}/v8/artifacts/k-disc-bad?slug=${TEAM}`, { method: "PUT", headers: { authorization: `Bearer ${server.token}`, "content-type": "application/octet-stream" }, body: readFileSync(path) });
    assert.equal(res.status, 200);
    const m = await machine(t, server);
    assert.equal(await m.cache.lookup("k-disc-bad"), undefined);
    assert.deepEqual(m.codes(), ["REMOTE_ARTIFACT_REJECTED"]);
  });

  test("a miss is a miss, without warnings; read-only uploads nothing", async (t) => {
    const ro = await machine(t, { ...server, readOnly: true });
    assert.equal(await ro.cache.lookup("nope"), undefined);
    await buildAndCommit(ro, "k-ro");
    assert.equal(ro.tier.counts.uploaded, 0);
    assert.deepEqual(storedFiles(server).filter((f) => f.endsWith("k-ro")), []);
    assert.deepEqual(ro.codes(), []);
  });

  test("ensure: uploads what the server lacks, then finds it; hasMany asks with HEAD", async (t) => {
    const a = await machine(t, { ...server, readOnly: true });
    await buildAndCommit(a, "k2");
    const rw = new RemoteTier({ ...server, team: TEAM }, { hasher: a.hasher, tmpDir: join(a.cacheDir, "tmp"), onWarning: a.onWarning });
    t.after(() => rw.close());
    const record = (await a.local.peekAction("k2")) as ActionRecord;
    const read = (h: ContentHash) => a.local.blobPath(h);
    assert.deepEqual(Object.fromEntries(await rw.hasMany(["k2", "zz"])), { k2: false, zz: false });
    assert.equal(await rw.ensure(record, read), "uploaded");
    assert.equal(await rw.ensure(record, read), "found");
    assert.deepEqual(Object.fromEntries(await rw.hasMany(["k2"])), { k2: true });
  });

  test("signed artifacts: the right signing key restores; another key, or no signature at all, is a miss", async (t) => {
    const signed = await startRemoteServer(t, { signatures: true });
    const a = await machine(t, { ...signed, signingKey: "s3cret" });
    await buildAndCommit(a, "ks1");
    const good = await machine(t, { ...signed, signingKey: "s3cret" });
    assert.ok(await good.cache.lookup("ks1"));
    const wrong = await machine(t, { ...signed, signingKey: "other" });
    assert.equal(await wrong.cache.lookup("ks1"), undefined);
    assert.deepEqual(wrong.codes(), ["REMOTE_ARTIFACT_REJECTED"]);
    assert.match(wrong.warnings[0]?.message ?? "", /signature does not match/);
    assert.equal(await wrong.local.peekAction("ks1"), undefined, "nothing reached the home tier");
    // A server that keeps no tags (no TURBO_REMOTE_CACHE_SIGNATURE_KEY): an unsigned body is refused, and the message says why.
    const plain = await machine(t, server);
    await buildAndCommit(plain, "ks-unsigned");
    const signing = await machine(t, { ...server, signingKey: "s3cret" });
    assert.equal(await signing.cache.lookup("ks-unsigned"), undefined);
    assert.deepEqual(signing.codes(), ["REMOTE_ARTIFACT_REJECTED"]);
    assert.match(signing.warnings[0]?.message ?? "", /no signature .*TURBO_REMOTE_CACHE_SIGNATURE_KEY/);
    assert.deepEqual([...good.codes(), ...a.codes(), ...plain.codes()], []);
  });

  test("tampered artifacts: a flipped byte, another key's body: a miss, nothing home", async (t) => {
    const a = await machine(t, server);
    await buildAndCommit(a, "kt1");
    const [stored] = storedFiles(server).filter((f) => f.endsWith("kt1"));
    assert.ok(stored);
    const body = readFileSync(stored);
    // Another key's body, byte for byte.
    writeFileSync(stored.replace(/kt1$/, "kt9"), body);
    // A flipped byte deep inside a blob.
    const flipped = Buffer.from(body);
    flipped[flipped.length - 100] = (flipped[flipped.length - 100] as number) ^ 0x10;
    writeFileSync(stored, flipped);
    const b = await machine(t, server);
    assert.equal(await b.cache.lookup("kt1"), undefined);
    assert.equal(await b.cache.lookup("kt9"), undefined);
    assert.deepEqual(b.codes(), ["REMOTE_ARTIFACT_REJECTED", "REMOTE_ARTIFACT_REJECTED"]);
    assert.match(b.warnings[0]?.message ?? "", /does not match its hash/);
    assert.match(b.warnings[1]?.message ?? "", /record of key "kt1"/);
    assert.equal(await b.local.peekAction("kt1"), undefined);
    assert.deepEqual(readdirSync(join(b.cacheDir, "blobs")).flatMap((d) => readdirSync(join(b.cacheDir, "blobs", d))), []);
  });

  test("hostile records are refused before any blob is kept: absolute, .., link then file, escaping link, setuid, undeclared", async (t) => {
    const hasher = await createHasher();
    const dir = tempDir(t);
    const blob = Buffer.from("payload");
    const hash = hasher.hashBytes(blob);
    writeFileSync(join(dir, hash), blob);
    const file = (path: string, mode = 0o644): OutputEntry => ({ path, kind: "file", hash, size: blob.length, mode });
    const hostile: Record<string, OutputEntry[]> = {
      absolute: [file("/tmp/owned")],
      dotdot: [file("out/../../owned")],
      "link-then-file": [{ path: "out/l", kind: "symlink", mode: 0o777, target: "../.." }, file("out/l/owned")],
      "link-then-file-inside": [{ path: "out/l", kind: "symlink", mode: 0o777, target: "sub" }, file("out/l/owned")],
      "escaping-link": [{ path: "out/l", kind: "symlink", mode: 0o777, target: "../../etc" }],
      setuid: [file("out/x", 0o4755)],
      undeclared: [file("src/main.c")],
    };
    const m = await machine(t, server, { checkRecord: (r) => (r.outputs.every((o) => o.path.startsWith("out/")) ? undefined : "an output is not declared") });
    for (const [key, outputs] of Object.entries(hostile)) {
      const record: ActionRecord = { key, outputs, exitCode: 0, durationMs: 1, ingredients: "x", createdAt: 1 };
      const path = join(dir, `${key}.art`);
      const size = await writeArchive(record, async (h) => join(dir, h), path, hasher);
      const res = await fetch(`${server.url}/v8/artifacts/${key}?slug=${TEAM}`, { method: "PUT", headers: { authorization: `Bearer ${server.token}`, "content-type": "application/octet-stream" }, body: readFileSync(path) });
      assert.equal(res.status, 200, `${key}: uploaded (${size} bytes)`);
      assert.equal(await m.cache.lookup(key), undefined, key);
    }
    assert.equal(m.tier.counts.rejected, Object.keys(hostile).length);
    assert.ok(m.codes().every((c) => c === "REMOTE_ARTIFACT_REJECTED"));
    assert.equal(existsSync(join(m.cacheDir, "blobs", hash.slice(0, 2), hash)), false, "no blob of a refused artifact reached the home store");
    assert.equal(existsSync("/tmp/owned"), false);
  });

  test("a bad token: one REMOTE_UNAVAILABLE naming no token, then nothing is asked", async (t) => {
    const m = await machine(t, { ...server, token: "wrong-token-b1e2" });
    assert.equal(await m.cache.lookup("k1"), undefined);
    assert.equal(await m.cache.lookup("k2"), undefined);
    assert.deepEqual(m.codes(), ["REMOTE_UNAVAILABLE"]);
    assert.match(m.warnings[0]?.message ?? "", /refused the token \(HTTP 401\)/);
    assert.ok(!m.warnings[0]?.message.includes("wrong-token-b1e2"));
    assert.ok(m.tier.unavailable);
  });
});

/** A tiny server for what the real one cannot do: hang, 500, 429, a truncated body. Counts requests. */
async function fakeServer(t: TestContext, handle: (req: IncomingMessage, res: ServerResponse, n: number) => void) {
  const port = await freePort();
  let requests = 0;
  let connections = 0;
  const server = createServer((req, res) => handle(req, res, ++requests));
  server.on("connection", () => connections++);
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  t.after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `http://127.0.0.1:${port}`, token: "t", requests: () => requests, connections: () => connections };
}

describe("RemoteTier when the server misbehaves (RELIABILITY 31-34)", () => {
  test("refused connections: one warning, every lookup a miss, nothing more asked", async (t) => {
    const port = await freePort();
    const m = await machine(t, { url: `http://127.0.0.1:${port}`, token: "t" });
    for (const k of ["a", "b", "c"]) assert.equal(await m.cache.lookup(k), undefined);
    await buildAndCommit(m, "k1");
    assert.deepEqual(m.codes(), ["REMOTE_UNAVAILABLE"]);
    assert.match(m.warnings[0]?.message ?? "", /unreachable \(ECONNREFUSED\)/);
  });

  test("a server that accepts and never answers: one timeout, then the breaker keeps every later request off the network", async (t) => {
    const fake = await fakeServer(t, () => undefined);
    const m = await machine(t, { ...fake, timeoutMs: 300 });
    const lookups = await Promise.all(["a", "b", "c"].map((k) => m.cache.lookup(k)));
    assert.deepEqual(lookups, [undefined, undefined, undefined]);
    const asked = fake.requests();
    for (const k of ["d", "e", "f", "g"]) assert.equal(await m.cache.lookup(k), undefined);
    await buildAndCommit(m, "k1");
    assert.equal(fake.requests(), asked, "no request after the breaker opened");
    assert.ok(asked <= 3, `at most the requests already in flight: ${asked}`);
    assert.deepEqual(m.codes(), ["REMOTE_UNAVAILABLE"]);
    assert.match(m.warnings[0]?.message ?? "", /did not answer within 300 ms/);
  });

  for (const [name, respond] of [
    ["500", (res: ServerResponse) => res.writeHead(500).end("boom")],
    ["429 with Retry-After", (res: ServerResponse) => res.writeHead(429, { "retry-after": "0" }).end()],
    [
      "a truncated body",
      (res: ServerResponse) => {
        res.writeHead(200, { "content-length": "100000" });
        res.write(Buffer.from("FLOWART\x01"));
        setImmediate(() => res.destroy());
      },
    ],
  ] as const) {
    test(`${name}: retried a bounded number of times, then a miss; three such lookups open the breaker`, async (t) => {
      const fake = await fakeServer(t, (_req, res) => respond(res));
      const m = await machine(t, { ...fake, attempts: 3 });
      assert.equal(await m.cache.lookup("a"), undefined);
      assert.equal(fake.requests(), 3, "three tries");
      assert.deepEqual(m.codes(), ["REMOTE_LOOKUP_FAILED"]);
      assert.equal(await m.cache.lookup("b"), undefined);
      assert.equal(await m.cache.lookup("c"), undefined);
      assert.equal(fake.requests(), 9);
      assert.deepEqual(m.codes(), ["REMOTE_LOOKUP_FAILED", "REMOTE_UNAVAILABLE"]);
      assert.equal(await m.cache.lookup("d"), undefined);
      assert.equal(fake.requests(), 9, "the breaker is open");
    });
  }

  test("a 500 that passes: the retry gets the artifact", async (t) => {
    const hasher = await createHasher();
    const dir = tempDir(t);
    const blob = Buffer.from("payload");
    const hash = hasher.hashBytes(blob);
    writeFileSync(join(dir, hash), blob);
    const record: ActionRecord = { key: "k1", outputs: [{ path: "out", kind: "file", hash, size: blob.length, mode: 0o644 }], exitCode: 0, durationMs: 1, ingredients: "c", createdAt: 1 };
    await writeArchive(record, async (h) => join(dir, h), join(dir, "body"), hasher);
    const body = readFileSync(join(dir, "body"));
    const fake = await fakeServer(t, (_req, res, n) => (n === 1 ? res.writeHead(503).end() : res.writeHead(200).end(body)));
    const b = await machine(t, fake);
    assert.ok(await b.cache.lookup("k1"));
    assert.equal(fake.requests(), 2);
    assert.deepEqual(b.codes(), []);
  });

  test("uploads that fail (500, a reset mid-body) are a warning and a count, never an error", async (t) => {
    const fake = await fakeServer(t, (req, res, n) => {
      if (req.method !== "PUT") return void res.writeHead(404).end();
      if (n % 2 === 0) req.socket.destroy();
      else res.writeHead(500).end();
    });
    const m = await machine(t, { ...fake, attempts: 2 });
    await buildAndCommit(m, "k1");
    assert.equal(m.tier.counts.uploadFailed, 1);
    assert.equal(m.tier.counts.uploaded, 0);
    assert.deepEqual(m.codes(), ["REMOTE_UPLOAD_FAILED"]);
    assert.ok(await m.local.peekAction("k1"), "the home tier holds the entry");
  });

  test("a large upload's answer may take longer than the idle timeout: the server is storing it", async (t) => {
    // Like turborepo-remote-cache, which holds the body whole and answers once it is stored.
    const fake = await fakeServer(t, (req, res) => {
      if (req.method !== "PUT") return void res.writeHead(404).end();
      req.resume();
      req.on("end", () => setTimeout(() => res.writeHead(200).end("{}"), 400));
    });
    const m = await machine(t, { ...fake, timeoutMs: 200 });
    writeFileSync(join(m.root, "big"), Buffer.alloc(32 * 1024 * 1024, 1));
    const saved = await m.local.saveOutputs(m.root, [{ path: "big", isDir: false }]);
    assert.ok(saved.ok);
    m.cache.commit({ key: "k1", canonical: "c", outputs: saved.entries, durationMs: 1 });
    await m.cache.flush();
    assert.deepEqual(await m.tier.drain(60_000), { unfinished: 0 });
    assert.deepEqual(m.codes(), []);
    assert.equal(m.tier.counts.uploaded, 1);
  });

  test("drain is bounded: an upload to a server that never answers is counted as unfinished", async (t) => {
    const fake = await fakeServer(t, () => undefined);
    const m = await machine(t, { ...fake, timeoutMs: 60_000 });
    writeFileSync(join(m.root, "o"), "x");
    const saved = await m.local.saveOutputs(m.root, [{ path: "o", isDir: false }]);
    assert.ok(saved.ok);
    m.cache.commit({ key: "k1", canonical: "c", outputs: saved.entries, durationMs: 1 });
    await m.cache.flush();
    assert.deepEqual(await m.tier.drain(200), { unfinished: 1 });
  });

  test("a signature binds the team: the same key and body signed for another team does not match", () => {
    const sign = (team: string) => {
      const s = new ArtifactSigner("k");
      s.update(Buffer.from("body"));
      return s.tag("key", team);
    };
    assert.notEqual(sign("a"), sign("b"));
    assert.equal(sign("a"), sign("a"));
    assert.match(sign("a"), /^v1\./);
  });
});
