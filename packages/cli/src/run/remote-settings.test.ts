import assert from "node:assert/strict";
import { test } from "node:test";
import type { ActionRecord } from "@flow/cache";
import { canonicalIngredients, KEY_SCHEMA } from "@flow/graph";
import { outputsWithinDeclared, remoteSetup } from "./remote-settings.js";

const off = { url: undefined, team: undefined, readOnly: false, off: false };

test("remoteSetup: nothing set is no remote; flags win over the environment; --no-remote ignores both", () => {
  assert.deepEqual(remoteSetup(off, {}), { ok: true, settings: undefined });
  const env = { FLOW_REMOTE_URL: "http://127.0.0.1:1", FLOW_REMOTE_TOKEN: "tok", FLOW_REMOTE_TEAM: "env-team" };
  const s = remoteSetup({ ...off, url: "https://cache.example:8443/api", team: "team_123", readOnly: true }, env);
  assert.ok(s.ok && s.settings);
  assert.deepEqual(s.settings.config, { url: "https://cache.example:8443/api", token: "tok", team: "team_123", readOnly: true });
  assert.equal(s.settings.flushTimeoutMs, 30_000);
  assert.deepEqual(remoteSetup({ ...off, off: true }, env), { ok: true, settings: undefined });
  const fromEnv = remoteSetup(off, { ...env, FLOW_REMOTE_READ_ONLY: "true", FLOW_REMOTE_SIGNING_KEY: "k", FLOW_REMOTE_TIMEOUT_MS: "250", FLOW_REMOTE_FLUSH_TIMEOUT_MS: "1000" });
  assert.ok(fromEnv.ok && fromEnv.settings);
  assert.deepEqual(fromEnv.settings, { config: { url: "http://127.0.0.1:1", token: "tok", team: "env-team", readOnly: true, signingKey: "k", timeoutMs: 250 }, flushTimeoutMs: 1000 });
  const defaultTeam = remoteSetup(off, { FLOW_REMOTE_URL: "http://h", FLOW_REMOTE_TOKEN: "t" });
  assert.equal(defaultTeam.ok && defaultTeam.settings?.config.team, "flow");
});

test("remoteSetup: no token is a warning and a local build (a fork's pull request has no secrets); a bad URL or number is a usage error that names no token", () => {
  const noToken = remoteSetup(off, { FLOW_REMOTE_URL: "http://u:secret-in-url@cache:3000/" });
  assert.ok(noToken.ok);
  assert.equal(noToken.settings, undefined);
  assert.equal(noToken.warning?.code, "REMOTE_UNAVAILABLE");
  assert.match(noToken.warning?.message ?? "", /http:\/\/cache:3000\) but FLOW_REMOTE_TOKEN is not/);
  assert.ok(!noToken.warning?.message.includes("secret-in-url"));
  const bad = remoteSetup({ ...off, url: "not a url" }, { FLOW_REMOTE_TOKEN: "t" });
  assert.deepEqual(bad, { ok: false, message: 'the remote cache URL is not a URL: "the remote cache URL"; give http(s)://host:port' });
  assert.equal(remoteSetup({ ...off, url: "ftp://x" }, { FLOW_REMOTE_TOKEN: "t" }).ok, false);
  const n = remoteSetup({ ...off, url: "http://x" }, { FLOW_REMOTE_TOKEN: "t", FLOW_REMOTE_TIMEOUT_MS: "5s" });
  assert.deepEqual(n, { ok: false, message: 'FLOW_REMOTE_TIMEOUT_MS needs a whole number of milliseconds, got "5s"' });
});

test("outputsWithinDeclared: a record's paths must be its ingredients' declared outputs or below a declared directory", () => {
  const canonical = canonicalIngredients({ schema: KEY_SCHEMA, recipe: "r", outputs: ["dist/", "out.txt"], inputs: [], deps: [], env: [], exported: [] });
  const record = (paths: string[]): ActionRecord => ({
    key: "k",
    outputs: paths.map((path) => ({ path, kind: "file", hash: "0".repeat(32), size: 0, mode: 0o644 }) as ActionRecord["outputs"][number]),
    exitCode: 0,
    durationMs: 1,
    ingredients: canonical,
    createdAt: 1,
  });
  assert.equal(outputsWithinDeclared(record(["out.txt", "dist", "dist/a/b.js"])), undefined);
  assert.equal(outputsWithinDeclared(record(["src/main.c"])), "src/main.c is not one of the task's declared outputs");
  assert.equal(outputsWithinDeclared(record(["out.txt/x"])), "out.txt/x is not one of the task's declared outputs");
  assert.equal(outputsWithinDeclared(record(["distx/a"])), "distx/a is not one of the task's declared outputs");
  assert.equal(outputsWithinDeclared({ ...record([]), ingredients: "garbage" }), "its ingredients are not a flow key's");
});
