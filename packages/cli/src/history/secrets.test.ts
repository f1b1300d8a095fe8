import assert from "node:assert/strict";
import { test } from "node:test";
import { isSecretName, MASK, SecretMask } from "./secrets.js";

test("names that look like credentials are secrets, whatever their case", () => {
  for (const n of ["GITHUB_TOKEN", "api_key", "DB_PASSWORD", "MYSQL_PASSWD", "AWS_SECRET_ACCESS_KEY", "NPM_AUTH", "GOOGLE_CREDENTIALS", "SSH_PRIVATE_KEY_FILE"]) assert.ok(isSecretName(n), n);
  for (const n of ["CFLAGS", "HOME", "PATH", "MODE", "CC"]) assert.ok(!isSecretName(n), n);
});

test("a value is masked by its name, and a secret environment value is masked wherever it appears", () => {
  const mask = new SecretMask({ GH_TOKEN: "ghp_abcdef123", SHORT_KEY: "x1", HOME: "/root" });
  assert.equal(mask.value("DB_PASSWORD", "hunter2"), MASK);
  assert.equal(mask.value("DB_PASSWORD", ""), "", "an empty secret hides nothing");
  assert.equal(mask.value("CURL_FLAGS", "-H 'Authorization: ghp_abcdef123'"), `-H 'Authorization: ${MASK}'`);
  // A short secret value is not searched for (it would mask every "x1").
  assert.equal(mask.value("NAME", "x1x1"), "x1x1");
  assert.equal(mask.word("DEPLOY_SECRET=abc"), `DEPLOY_SECRET=${MASK}`);
  assert.equal(mask.word("MODE=ghp_abcdef123"), `MODE=${MASK}`);
  assert.equal(mask.word("--tag"), "--tag");
  assert.equal(mask.word("CFLAGS=-O2"), "CFLAGS=-O2");
});
