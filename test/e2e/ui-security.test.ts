// flow ui's security model (docs/ui.md), tested over HTTP without a browser:
// every route needs the token; the Host must be the server's own; a POST
// needs the server's Origin; no URL reads a file outside the project or one
// the Flowfile does not name (`..`, encoded `%2e%2e` and `%2f`, absolute
// paths, a symlink inside the project pointing out); the clean route
// deletes nothing unless asked by the page itself; only 127.0.0.1 listens.
// A secret file sits beside the project: its bytes must never come back.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { networkInterfaces } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { cleanup, flow, tempDir, writeProject } from "./support.js";
import { request, startUi, type RunningUi } from "./ui-support.js";

const SECRET = `SECRET-${randomBytes(12).toString("hex")}`;

describe("flow ui: security", { concurrency: true }, () => {
  let outside: string;
  let dir: string;
  let ui: RunningUi;
  let auth: Record<string, string>;

  before(async () => {
    outside = tempDir("flow-ui-outside-");
    writeFileSync(join(outside, "secret.txt"), `${SECRET}\n`);
    mkdirSync(join(outside, "d"));
    writeFileSync(join(outside, "d", "secret.txt"), `${SECRET}\n`);
    dir = writeProject({
      Flowfile: [
        "all: out/a.txt out/b.txt",
        "out/a.txt: in/a.txt",
        "\t@mkdir -p out",
        "\tcp in/a.txt out/a.txt",
        "out/a.txt: .TAGS := t",
        // Inputs that are links out of the project: named by the Flowfile, so only the walk can refuse them.
        "out/b.txt: link.txt linkdir/secret.txt",
        "\tcat link.txt linkdir/secret.txt > out/b.txt",
        "",
      ].join("\n"),
      "in/a.txt": "hello\n",
    });
    symlinkSync(join(outside, "secret.txt"), join(dir, "link.txt"));
    symlinkSync(join(outside, "d"), join(dir, "linkdir"));
    const built = flow(["build", "out/a.txt"], { cwd: dir });
    assert.equal(built.code, 0, built.stderr);
    ui = await startUi(dir);
    auth = { "X-Flow-Token": ui.token };
  });
  after(async () => {
    // SIGTERM: a clean exit, and the port is free again.
    const r = await ui.stop();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await refused("127.0.0.1", ui.port), true);
    cleanup(dir);
    cleanup(outside);
  });

  const ROUTES = [
    "/",
    "/static/app.js",
    "/api/plan",
    "/api/graph.svg",
    "/api/runs",
    "/api/runs/1",
    "/api/runs/1/timeline.svg",
    "/api/log/out/a.txt",
    "/api/file?path=out/a.txt",
    "/api/file?path=link.txt",
    "/api/versions?path=out/a.txt",
    "/api/version?path=out/a.txt&hash=0",
    "/api/events",
    "/no/such/route",
  ];

  test("no token, a wrong token or a wrong cookie: 403 on every route, nothing read", async () => {
    const wrong = "0".repeat(64);
    for (const path of ROUTES) {
      for (const headers of [{}, { "X-Flow-Token": wrong }, { Cookie: `flow_ui_token=${wrong}` }, { "X-Flow-Token": ui.token.slice(0, 63) }] as Record<string, string>[]) {
        const r = await request(ui.port, path, { headers });
        assert.equal(r.status, 403, `${path} ${JSON.stringify(headers)}: ${r.status} ${r.body}`);
        assert.ok(!r.body.includes(SECRET) && !r.body.includes("hello"), path);
      }
    }
    const wrongInUrl = await request(ui.port, `/?token=${wrong}`);
    assert.equal(wrongInUrl.status, 403);
    assert.equal(wrongInUrl.headers["set-cookie"], undefined);
  });

  test("the token in the URL becomes an HttpOnly SameSite=Strict cookie, and leaves the URL", async () => {
    const r = await request(ui.port, `/?token=${ui.token}`);
    assert.equal(r.status, 303);
    assert.equal(r.headers["location"], "/");
    const cookie = String(r.headers["set-cookie"]);
    assert.match(cookie, /flow_ui_token=[0-9a-f]{64}/);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const page = await request(ui.port, "/", { headers: { Cookie: cookie.split(";")[0] as string } });
    assert.equal(page.status, 200);
    assert.match(page.body, /<title>flow ui<\/title>/);
    // A token in an API URL is not a credential (it would end up in logs and history).
    assert.equal((await request(ui.port, `/api/plan?token=${ui.token}`)).status, 403);
  });

  test("paths that leave the project or are no task's file: 403/404, and the secret never read", async () => {
    const escapes = [
      "../secret.txt",
      "%2e%2e/secret.txt",
      "%2e%2e%2fsecret.txt",
      "out%2f..%2f..%2fsecret.txt",
      "in/../../secret.txt",
      encodeURIComponent(join(outside, "secret.txt")),
      join(outside, "secret.txt"),
      "/etc/passwd",
      "link.txt",
      "linkdir/secret.txt",
      "linkdir%2fsecret.txt",
      "Flowfile",
      ".flow/lock",
      "in",
      "in/a.txt/..",
      "./in/a.txt",
      "in//a.txt",
      "",
    ];
    for (const p of escapes) {
      for (const route of ["/api/file?path=", "/api/versions?path=", `/api/version?hash=${"0".repeat(32)}&path=`]) {
        const r = await request(ui.port, `${route}${p}`, { headers: auth });
        assert.ok(r.status === 403 || r.status === 404, `${route}${p}: ${r.status} ${r.body}`);
        assert.ok(!r.body.includes(SECRET), `${route}${p} leaked the secret`);
      }
    }
    for (const p of ["/api/log/..%2f..%2fsecret.txt", "/api/log/../../secret.txt", `/api/log/${encodeURIComponent(join(outside, "secret.txt"))}`, "/static/..%2f..%2fpackage.json", "/static/%2e%2e%2fsrc"]) {
      const r = await request(ui.port, p, { headers: auth });
      assert.ok(r.status === 403 || r.status === 404, `${p}: ${r.status}`);
      assert.ok(!r.body.includes(SECRET) && !r.body.includes('"name"'), p);
    }
    // The same route serves a task's file that stays inside.
    const ok = await request(ui.port, "/api/file?path=in/a.txt", { headers: auth });
    assert.equal(ok.status, 200);
    assert.equal(ok.body, "hello\n");
  });

  test("a Host that is not the server's: 403, even with the token", async () => {
    for (const host of [`evil.example:${ui.port}`, "evil.example", `127.0.0.1:${ui.port + 1}`, `localhost.evil.example:${ui.port}`]) {
      const r = await request(ui.port, "/api/plan", { headers: auth, host });
      assert.equal(r.status, 403, host);
    }
    assert.equal((await request(ui.port, "/api/plan", { headers: auth, host: `localhost:${ui.port}` })).status, 200);
  });

  test("clean: a foreign Origin, no Origin or no token deletes nothing (403); GET is refused", async () => {
    const body = JSON.stringify({ tag: "t", confirm: true });
    const own = `http://127.0.0.1:${ui.port}`;
    const tries: Record<string, string>[] = [
      { ...auth, "Content-Type": "application/json", Origin: "http://evil.example" },
      { ...auth, "Content-Type": "application/json", Origin: `http://127.0.0.1:${ui.port + 1}` },
      { ...auth, "Content-Type": "application/json", Origin: "null" },
      { ...auth, "Content-Type": "application/json" },
      { "Content-Type": "application/json", Origin: own },
    ];
    for (const headers of tries) {
      const r = await request(ui.port, "/api/clean", { method: "POST", headers, body });
      assert.equal(r.status, 403, JSON.stringify(headers));
      assert.ok(existsSync(join(dir, "out", "a.txt")), `deleted with ${JSON.stringify(headers)}`);
    }
    for (const method of ["GET", "PUT", "DELETE"]) {
      const r = await request(ui.port, "/api/clean?tag=t&confirm=true", { method, headers: { ...auth, Origin: own } });
      assert.ok(r.status === 405 || r.status === 404 || r.status === 403, `${method}: ${r.status}`);
    }
    assert.ok(existsSync(join(dir, "out", "a.txt")));
    // Without confirm, even the page itself only gets the list.
    const dry = await request(ui.port, "/api/clean", { method: "POST", headers: { ...auth, "Content-Type": "application/json", Origin: own }, body: JSON.stringify({ tag: "t" }) });
    assert.equal(dry.status, 200, dry.body);
    assert.ok((JSON.parse(dry.body) as { removed: { path: string }[] }).removed.some((r) => r.path === "out/a.txt"), dry.body);
    assert.ok(existsSync(join(dir, "out", "a.txt")));
  });

  test("bound to 127.0.0.1 only", async () => {
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a !== undefined && !a.internal)
      .map((a) => (a as { address: string }).address);
    for (const address of ["::1", ...others]) assert.ok(await refused(address, ui.port), `${address}:${ui.port} accepted a connection`);
  });

  test("flow ui --help", () => {
    const r = flow(["ui", "--help"], { cwd: dir });
    assert.equal(r.code, 0);
    assert.match(r.stdout, /flow ui \[TARGET\.\.\.\]/);
    assert.match(r.stdout, /--port N/);
    assert.match(r.stdout, /docs\/ui\.md/);
  });

  test("--port already in use: a clear error, exit 2", async () => {
    const r = flow(["ui", "--port", String(ui.port)], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`flow: error UI_PORT_IN_USE: port ${ui.port} on 127\\.0\\.0\\.1 is in use; pick another with --port N`));
  });

  test("--open gives the browser opener a 0600 file, never the token on its command line; the file goes when the server stops", async () => {
    const bin = tempDir("flow-ui-bin-");
    const argsFile = join(bin, "args");
    // Written aside and renamed: the test polls for the file, and a shell's `>` creates it
    // empty before printf writes (CI once read it in between).
    writeFileSync(join(bin, "xdg-open"), `#!/bin/sh\nprintf '%s\\n' "$@" > '${argsFile}.part' && mv '${argsFile}.part' '${argsFile}'\n`, { mode: 0o755 });
    const proj = writeProject({ Flowfile: "all:\n\ttrue\n" });
    const opened = await startUi(proj, ["--open"], { PATH: `${bin}:${process.env["PATH"] ?? ""}` });
    try {
      await waitFor(() => existsSync(argsFile));
      const args = readFileSync(argsFile, "utf8").trim();
      assert.ok(!args.includes(opened.token), "the token is on the opener's command line");
      assert.equal(args, join(proj, ".flow", `ui-${opened.port}-open.html`));
      assert.equal(statSync(args).mode & 0o777, 0o600);
      assert.ok(readFileSync(args, "utf8").includes(opened.url.replace(/&/g, "&amp;")));
    } finally {
      assert.equal((await opened.stop()).code, 0);
    }
    assert.ok(!existsSync(join(proj, ".flow", `ui-${opened.port}-open.html`)));
    cleanup(bin);
    cleanup(proj);
  });

  test("a missing or broken Flowfile: the plan carries the CLI's error text, and the server stays up", async () => {
    const empty = tempDir("flow-ui-empty-");
    const other = await startUi(empty);
    try {
      const h = { "X-Flow-Token": other.token };
      const plan = async () => JSON.parse((await request(other.port, "/api/plan", { headers: h })).body) as { ok: boolean; error?: string };
      const missing = await plan();
      assert.equal(missing.ok, false);
      assert.equal(`${missing.error}\n`, flow(["status"], { cwd: empty }).stderr);
      writeFileSync(join(empty, "Flowfile"), "all: out.txt\n\nout.txt:\n\techo hi > $@\n$(error the parameters are wrong)\n");
      const broken = await plan();
      assert.equal(broken.ok, false);
      assert.equal(`${broken.error}\n`, flow(["status"], { cwd: empty }).stderr);
      assert.match(broken.error ?? "", /FLOW\d{3}|Flowfile:5:/);
      writeFileSync(join(empty, "Flowfile"), "all: out.txt\n\nout.txt:\n\techo hi > $@\n");
      assert.equal((await plan()).ok, true);
    } finally {
      assert.equal((await other.stop()).code, 0);
      cleanup(empty);
    }
  });
});

/** Polls `cond` (a file another process writes) every 20 ms, for at most 10 s. */
async function waitFor(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(cond(), "timed out");
}

/** Whether a TCP connection to address:port is refused. */
function refused(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: address, port });
    s.once("connect", () => {
      s.destroy();
      resolve(false);
    });
    s.once("error", () => resolve(true));
  });
}
