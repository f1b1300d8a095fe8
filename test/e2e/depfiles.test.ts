// Discovered inputs with a real compiler: the C idiom `CFLAGS += -MMD -MP`
// with `-include $(OBJS:.o=.d)`, unchanged, built by flow. gcc writes each
// object's depfile; flow records the headers it lists with the object's
// result and checks them on the next build, without letting the included
// depfiles change any key (docs/flowfile.md, "Depfiles").
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { buildJson, cleanup, didWork, flow, read, tempDir, writeProject } from "./support.js";

const hasGcc = spawnSync("gcc", ["--version"]).status === 0;

const MAKEFILE = `CC = gcc
CFLAGS = -O2 -Iinclude
CFLAGS += -MMD -MP
SRCS = src/main.c src/parse.c src/emit.c
OBJS = $(SRCS:src/%.c=build/%.o)

build/tool: $(OBJS)
\t$(CC) -o $@ $^

build/%.o: src/%.c
\t@mkdir -p $(@D)
\t$(CC) $(CFLAGS) -c $< -o $@

-include $(OBJS:.o=.d)
`;

const FILES: Record<string, string> = {
  Makefile: MAKEFILE,
  "include/common.h": "#define VERSION 1\n",
  "include/parse.h": '#include "common.h"\nint parse(const char *s);\n',
  "include/emit.h": '#include "common.h"\nvoid emit(int v);\n',
  "include/extra.h": "#define EXTRA 0\n",
  "src/main.c": '#include "parse.h"\n#include "emit.h"\nint main(void) { emit(parse("42")); return 0; }\n',
  "src/parse.c": '#include <stdlib.h>\n#include "parse.h"\n#include "extra.h"\nint parse(const char *s) { return atoi(s) + EXTRA; }\n',
  "src/emit.c": '#include <stdio.h>\n#include "emit.h"\nvoid emit(int v) { printf("%d v%d\\n", v, VERSION); }\n',
};

let dir: string;
before(() => {
  if (!hasGcc) return;
  dir = writeProject(FILES, tempDir("flow-depfiles-"));
});
after(() => {
  if (dir) cleanup(dir);
});

const ran = (args: string[] = []) => {
  const r = buildJson(args, { cwd: dir });
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return didWork(r.summary);
};

test("the -MMD -MP idiom: each object runs once, then nothing; a header edit reruns exactly its includers; a deleted header is no error", { skip: hasGcc ? false : "gcc is not installed" }, () => {
  assert.deepEqual(ran(), ["build/emit.o", "build/main.o", "build/parse.o", "build/tool"]);
  assert.ok(existsSync(join(dir, "build/parse.d")), "gcc wrote the depfile");
  assert.match(read(dir, "build/parse.d"), /include\/extra\.h/);

  // The depfiles are now read by -include: before discovered inputs, they made every object rerun here.
  assert.deepEqual(ran(), []);
  const status = flow(["status"], { cwd: dir });
  assert.equal(status.code, 0, status.stdout + status.stderr);

  // Included by parse.c alone. A comment: the object's bytes stay, so the link is spared (early cutoff).
  writeFileSync(join(dir, "include/extra.h"), "#define EXTRA 0 /* edited */\n");
  const plan = flow(["status"], { cwd: dir });
  assert.match(plan.stdout, /build\/parse\.o\s+discovered input changed: include\/extra\.h/);
  assert.deepEqual(ran(), ["build/parse.o"]);
  assert.deepEqual(ran(), []);

  // Included by emit.h, hence by main.c and emit.c, through another header.
  writeFileSync(join(dir, "include/emit.h"), '#include "common.h"\nvoid emit(int value);\n');
  assert.deepEqual(ran(), ["build/emit.o", "build/main.o"]);

  // A real change in a header every object includes: all three, and the link.
  writeFileSync(join(dir, "include/common.h"), "#define VERSION 2\n");
  assert.deepEqual(ran(), ["build/emit.o", "build/main.o", "build/parse.o", "build/tool"]);
  assert.equal(spawnSync(join(dir, "build/tool"), { encoding: "utf8" }).stdout, "42 v2\n");

  // extra.h deleted and its #include removed: parse.d still names it; nothing fails.
  rmSync(join(dir, "include/extra.h"));
  writeFileSync(join(dir, "src/parse.c"), '#include <stdlib.h>\n#include "parse.h"\nint parse(const char *s) { return atoi(s); }\n');
  assert.deepEqual(ran(), ["build/parse.o"]);
  assert.deepEqual(ran(), []);
});

test("restored from the cache, an object is still fresh on the next build, and still sees a header edit", { skip: hasGcc ? false : "gcc is not installed" }, () => {
  ran();
  rmSync(join(dir, "build"), { recursive: true, force: true });
  const r = buildJson([], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(
    r.summary.tasks.filter((t) => t.status === "restored").map((t) => t.name).sort(),
    ["build/emit.o", "build/main.o", "build/parse.o", "build/tool"],
  );
  // No depfile on disk now (flow keeps what it needs in the record): still nothing to do.
  assert.deepEqual(ran(), []);
  writeFileSync(join(dir, "include/parse.h"), '#include "common.h"\nint parse(const char *text);\n');
  assert.deepEqual(ran(), ["build/main.o", "build/parse.o"]);
});
