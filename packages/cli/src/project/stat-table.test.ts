import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { StatTable } from "./stat-table.js";

test("a packed stat reads back as the stat it was, once; missing paths are recorded as missing", (t) => {
  const dir = mkdtempSync(join(tmpdir(), "flow-stat-table-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, "f.txt");
  writeFileSync(file, "12345");
  mkdirSync(join(dir, "d"));
  const table = new StatTable();
  // Enough paths to grow the table past its first allocation.
  for (let i = 0; i < 3000; i++) assert.equal(table.put(join(dir, `none-${i}`), undefined), "missing");
  const st = statSync(file);
  assert.equal(table.put(file, st), "file");
  assert.equal(table.put(join(dir, "d"), statSync(join(dir, "d"))), "dir");

  const back = table.take(file);
  assert.ok(back);
  assert.deepEqual(
    [back.size, back.mtimeMs, back.ctimeMs, back.ino, back.mode, back.isFile(), back.isDirectory()],
    [st.size, st.mtimeMs, st.ctimeMs, st.ino, st.mode, true, false],
  );
  assert.equal(table.take(file), undefined, "handed over once: the file may have changed since");
  assert.equal(table.take(join(dir, "d"))?.isDirectory(), true);
  assert.equal(table.take(join(dir, "none-2999")), null);
  assert.equal(table.take(join(dir, "never-asked")), undefined);
});
