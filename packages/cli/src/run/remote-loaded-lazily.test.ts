// A build without a remote cache must not load the remote tier: its modules
// pull in node:http and node:https, which cost every build ~80M instructions
// at start-up (callgrind, a 1-task no-op: 1.074G with them, 0.990G without).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";

// dist-test/run/ -> the package's dist/, which the flow binary runs.
const dist = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "dist");

test("flow build's modules load the remote tier only when a remote cache is set", () => {
  for (const mod of ["commands/build-command.js", "commands/status-command.js", "run/remote-settings.js"]) {
    const url = pathToFileURL(join(dist, mod)).href;
    const script = `import(${JSON.stringify(url)}).then(() => process.stdout.write(process.moduleLoadList.filter((m) => /^NativeModule (https?|_http_\\w+)$/.test(m)).join(",")))`;
    const r = spawnSync(process.execPath, ["--no-concurrent-recompilation", "-e", script], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "", `importing ${mod} loaded ${r.stdout}`);
  }
});
// That the tier still loads when a remote cache is set: test/e2e/remote-cache.test.ts.
