// The watching server against real processes and a real inotify: every
// server a test starts is stopped in `finally`.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { accessSync, constants, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { connectServer, serverStatus, startServer, stopServer, type ServerClient } from "./connect-server.js";
import { readServerHolder, serverAlive } from "./server-lock.js";
import { serverPaths, shortSocketPath } from "./server-paths.js";

function project(prefix = "flow-server-"): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  writeFileSync(join(root, "Flowfile"), "all:\n\ttrue\n");
  return root;
}

async function withServer(root: string, body: (c: ServerClient) => Promise<void>): Promise<void> {
  let client: ServerClient | undefined;
  try {
    client = await connectServer(root, { start: true });
    assert.ok(client !== undefined, `no server started; log:\n${logOf(root)}`);
    await body(client);
  } finally {
    client?.close();
    await stopServer(root);
    rmSync(root, { recursive: true, force: true });
  }
}

function logOf(root: string): string {
  try {
    return readFileSync(serverPaths(root).log, "utf8");
  } catch {
    return "(no log)";
  }
}

function pidOf(root: string): number {
  const h = readServerHolder(serverPaths(root).pidFile);
  assert.ok(typeof h === "object", "the pid file names the server");
  return h.pid;
}

async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function serversOf(root: string): string[] {
  return execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" })
    .split("\n")
    .filter((l) => l.includes("server-main") && l.includes(`${root} `));
}

/** changed, as a list, or a failure saying the answer was "unknown". */
function list(a: { changed: readonly string[] | "unknown" }): readonly string[] {
  assert.notEqual(a.changed, "unknown", "the answer is a list");
  return a.changed as readonly string[];
}

test("sync: a change made on disk just before the call is always in the answer (300 rounds)", async () => {
  const root = project();
  await withServer(root, async (c) => {
    let a = await c.changesSince(undefined);
    assert.equal(a.changed, "unknown", "no token: unknown");
    a = await c.changesSince(a.token);
    assert.deepEqual(list(a), [], "nothing changed since the token");
    for (let i = 0; i < 300; i++) {
      const p = join(root, `f${i % 5}.txt`);
      const op = i % 3;
      if (op === 0) writeFileSync(p, `round ${i}\n`);
      else if (op === 1 && existsSync(p)) unlinkSync(p);
      else if (op === 1) writeFileSync(p, "x");
      else {
        writeFileSync(`${p}.tmp`, `round ${i}\n`);
        renameSync(`${p}.tmp`, p); // an editor's atomic save
      }
      a = await c.changesSince(a.token);
      assert.ok(list(a).includes(p), `round ${i}: ${p} is in ${JSON.stringify(a.changed)}`);
    }
  });
});

test("new directories made at once (mkdir -p) or moved in with subdirectories: a later change inside is seen, or the answer is unknown", async () => {
  const root = project();
  await withServer(root, async (c) => {
    let a = await c.changesSince(undefined);
    let unknowns = 0;
    const ask = async (mustHave: string, what: string) => {
      a = await c.changesSince(a.token);
      if (a.changed === "unknown") unknowns++;
      else assert.ok(a.changed.includes(mustHave), `${what}: ${mustHave} is in ${JSON.stringify(a.changed)}`);
    };
    for (let i = 0; i < 20; i++) {
      const deep = join(root, `made${i}`, "a", "b", "c");
      mkdirSync(deep, { recursive: true });
      writeFileSync(join(deep, "f"), "1");
      await ask(join(deep, "f"), `round ${i}, made`);
      writeFileSync(join(deep, "f"), "2");
      await ask(join(deep, "f"), `round ${i}, changed inside`);
      // Moved within the tree: its subdirectories' watches do not follow the new name.
      const moved = join(root, `moved${i}`);
      renameSync(join(root, `made${i}`), moved);
      await ask(moved, `round ${i}, moved`);
      writeFileSync(join(moved, "a", "b", "c", "f"), "3");
      await ask(join(moved, "a", "b", "c", "f"), `round ${i}, changed inside the moved tree`);
    }
    // Each "unknown" came with a fresh subscription (counted in the status).
    const s = await serverStatus(root);
    assert.ok(typeof s === "object" && "status" in s);
    assert.ok(s.status.subscriptions >= 1 + (unknowns > 0 ? 1 : 0));
  });
});

test("a server killed with SIGKILL: the client gets unknown, a new client none; a new server replaces the stale pid file and socket", async () => {
  const root = project();
  await withServer(root, async (c) => {
    const first = await c.changesSince(undefined);
    const pid = pidOf(root);
    process.kill(pid, "SIGKILL");
    await until(() => !serverAlive(pid), "the server to die");
    writeFileSync(join(root, "after-death.txt"), "x");
    const a = await c.changesSince(first.token);
    assert.equal(a.changed, "unknown");
    assert.ok(existsSync(serverPaths(root).socket), "the dead server's socket is still there (stale)");
    assert.equal(await connectServer(root), undefined, "no server: undefined");
    const c2 = await connectServer(root, { start: true });
    assert.ok(c2 !== undefined, `a new server started over the stale files; log:\n${logOf(root)}`);
    try {
      assert.notEqual(pidOf(root), pid);
      assert.equal((await c2.changesSince(first.token)).changed, "unknown", "the dead server's token means nothing to the new one");
    } finally {
      c2.close();
    }
  });
});

test("a server stopped (SIGSTOP) while more files than max_queued_events are written: the next answer is unknown, then lists again", async () => {
  const root = project();
  const queue = Number(readFileSync("/proc/sys/fs/inotify/max_queued_events", "utf8"));
  await withServer(root, async (c) => {
    let a = await c.changesSince(undefined);
    a = await c.changesSince(a.token);
    const pid = pidOf(root);
    const dir = join(root, "many");
    mkdirSync(dir);
    a = await c.changesSince(a.token);
    process.kill(pid, "SIGSTOP");
    try {
      // Two events each (create, modify): the queue overflows well before the end.
      for (let i = 0; i < queue + 1000; i++) writeFileSync(join(dir, `f${i}`), "x");
    } finally {
      process.kill(pid, "SIGCONT");
    }
    const after = await c.changesSince(a.token);
    assert.equal(after.changed, "unknown", "events were lost while it was stopped");
    writeFileSync(join(root, "later.txt"), "x");
    assert.deepEqual(list(await c.changesSince(after.token)), [join(root, "later.txt")]);
    const s = await serverStatus(root);
    assert.ok(typeof s === "object" && "status" in s && (s.status.losses["stopped"] ?? 0) >= 1, JSON.stringify(s));
  });
});

test("a server of another flow version on the socket is never used", async () => {
  const root = project();
  const paths = serverPaths(root);
  mkdirSync(paths.stateDir, { recursive: true });
  const accepted: Socket[] = [];
  const fake = createServer((sock) => {
    accepted.push(sock);
    sock.on("data", (d) => {
      const req = JSON.parse(d.toString().split("\n")[0] as string) as { id: number };
      sock.write(`${JSON.stringify({ id: req.id, ok: true, value: { version: "0.0.9/p0/old", pid: 1, root, instance: "x" } })}\n`);
    });
  });
  try {
    await new Promise<void>((r) => fake.listen(paths.socket, r));
    assert.equal(await connectServer(root), undefined);
    const s = await serverStatus(root);
    assert.ok(typeof s === "object" && "otherVersion" in s && s.otherVersion.version === "0.0.9/p0/old");
  } finally {
    for (const s of accepted) s.destroy();
    fake.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test("a root too deep for a socket path: the socket goes to /tmp/flow-<uid>/, found from the root alone", async () => {
  let root = project();
  const top = root;
  for (let i = 0; Buffer.byteLength(join(root, ".flow", "server.sock")) <= 107; i++) root = join(root, `deeper-directory-${i}`);
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, "Flowfile"), "all:\n\ttrue\n");
  try {
    assert.equal(serverPaths(root).socket, shortSocketPath(root));
    await withServer(root, async (c) => {
      writeFileSync(join(root, "x.txt"), "x");
      const t = (await c.changesSince(undefined)).token;
      writeFileSync(join(root, "y.txt"), "y");
      assert.deepEqual(list(await c.changesSince(t)), [join(root, "y.txt")]);
      assert.ok(existsSync(shortSocketPath(root)));
    });
  } finally {
    rmSync(top, { recursive: true, force: true });
  }
});

test("three clients starting a server at once: one server serves them all", async () => {
  const root = project();
  const clients: (ServerClient | undefined)[] = [];
  try {
    clients.push(...(await Promise.all([0, 1, 2].map(() => connectServer(root, { start: true })))));
    assert.ok(clients.every((c) => c !== undefined), logOf(root));
    // The two that lost the pid file exit once they see it held.
    await until(() => serversOf(root).length === 1, `one server process for the root:\n${serversOf(root).join("\n")}`);
    assert.equal(new Set(await Promise.all(clients.map(async (c) => (await c?.changesSince(undefined))?.token.split(":")[0]))).size, 1, "all three talk to one instance");
  } finally {
    for (const c of clients) c?.close();
    // A loser still starting could take the root over once the winner stops: stop until none is left.
    for (let i = 0; i < 100 && serversOf(root).length > 0; i++) {
      await stopServer(root);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(serversOf(root), [], "every server of the root stopped");
    rmSync(root, { recursive: true, force: true });
  }
});

test("the server stops by itself after its idle timeout, and removes its socket and pid file", async () => {
  const root = project();
  let pid: number | undefined;
  try {
    const c = await startServer(root, 1000);
    assert.ok(c !== undefined);
    c.close();
    pid = pidOf(root);
    await until(() => !serverAlive(pid as number), "the idle server to exit");
    assert.ok(!existsSync(serverPaths(root).socket));
    assert.ok(!existsSync(serverPaths(root).pidFile));
    assert.match(logOf(root), /stopping: idle for 1 s/);
  } finally {
    await stopServer(root);
    rmSync(root, { recursive: true, force: true });
  }
});

/** inotify watches held now by all processes (the limit, max_user_watches, counts them per user; tests run as one user). */
function watchesInUse(): number {
  let n = 0;
  for (const pid of readdirSync("/proc").filter((d) => /^[0-9]+$/.test(d))) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== "anon_inode:inotify") continue;
        n += (readFileSync(`/proc/${pid}/fdinfo/${fd}`, "utf8").match(/^inotify wd:/gm) ?? []).length;
      } catch {
        // gone meanwhile
      }
    }
  }
  return n;
}

const LIMIT = "/proc/sys/fs/inotify/max_user_watches";
const canSetLimit = (() => {
  try {
    accessSync(LIMIT, constants.W_OK);
    return process.getuid?.() === 0;
  } catch {
    return false;
  }
})();

test("a directory the watcher cannot watch (max_user_watches exhausted): the answer is unknown, never short", { skip: canSetLimit ? false : "needs root to lower max_user_watches" }, async () => {
  const root = project();
  const before = readFileSync(LIMIT, "utf8");
  await withServer(root, async (c) => {
    let a = await c.changesSince(undefined);
    a = await c.changesSince(a.token);
    try {
      // No watch can be added from here on: @parcel/watcher drops the failure of the new directory's watch silently.
      writeFileSync(LIMIT, `${watchesInUse()}\n`);
      mkdirSync(join(root, "new"));
      writeFileSync(join(root, "new", "f"), "x");
      const after = await c.changesSince(a.token);
      assert.equal(after.changed, "unknown", JSON.stringify(after));
    } finally {
      writeFileSync(LIMIT, before);
    }
    assert.match(logOf(root), /unwatched directory: .*new is not watched/);
  });
  assert.equal(readFileSync(LIMIT, "utf8"), before, "the limit is restored");
});
