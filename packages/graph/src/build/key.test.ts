import assert from "node:assert/strict";
import { test } from "node:test";
import { createHasher } from "@flow/cache";
import { canonicalIngredients, computeKey, KEY_SCHEMA, sortIngredients, type Ingredients } from "./key.js";

// Pinned: a change here changes every cache key in every user's cache, so it
// must come with a KEY_SCHEMA bump and a deliberate update of these literals.
const BASE: Ingredients = {
  schema: KEY_SCHEMA,
  recipe: "cc -c src/a.c -o build/a.o",
  outputs: ["build/a.o"],
  inputs: [
    ["include/a.h", "00112233445566778899aabbccddeeff"],
    ["src/a.c", "ffeeddccbbaa99887766554433221100"],
  ],
  deps: [
    ["gen", [["gen/config.h", "0123456789abcdef0123456789abcdef", 0o644]]],
    ["tools", "fedcba9876543210fedcba9876543210"],
  ],
  env: [
    ["CC", "gcc"],
    ["SEED", null],
  ],
  exported: [["LANG", "C"]],
};
const BASE_CANONICAL =
  '["flow-key",1,"cc -c src/a.c -o build/a.o",["build/a.o"],[["include/a.h","00112233445566778899aabbccddeeff"],["src/a.c","ffeeddccbbaa99887766554433221100"]],' +
  '[["gen",[["gen/config.h","0123456789abcdef0123456789abcdef",420]]],["tools","fedcba9876543210fedcba9876543210"]],[["CC","gcc"],["SEED",null]],[["LANG","C"]]]';
const BASE_KEY = "278e533e1ed744f8712e8b16ab297ad7";
const EMPTY_KEY = "2537083278a84470b5747824a326f558";

const key = async (i: Ingredients) => {
  const h = await createHasher();
  return computeKey(i, (s) => h.hashBytes(s));
};

test("KEY_SCHEMA is 1", () => {
  assert.equal(KEY_SCHEMA, 1);
});

test("canonical bytes are pinned: JSON arrays only, in a fixed order", () => {
  assert.equal(canonicalIngredients(BASE), BASE_CANONICAL);
});

test("exact key values are pinned", async () => {
  assert.equal(await key(BASE), BASE_KEY);
  assert.equal(await key({ schema: KEY_SCHEMA, recipe: "", outputs: [], inputs: [], deps: [], env: [], exported: [] }), EMPTY_KEY);
});

test("computeKey hashes exactly the canonical bytes", () => {
  let seen = "";
  const k = computeKey(BASE, (s) => {
    seen = s;
    return "k";
  });
  assert.equal(k, "k");
  assert.equal(seen, BASE_CANONICAL);
});

test("each ingredient changes the key", async () => {
  const variants: [string, Ingredients][] = [
    ["schema", { ...BASE, schema: 2 }],
    ["recipe", { ...BASE, recipe: "cc -O2 -c src/a.c -o build/a.o" }],
    ["recipe whitespace", { ...BASE, recipe: "cc -c src/a.c -o build/a.o " }],
    ["an input's hash", { ...BASE, inputs: [["include/a.h", "00112233445566778899aabbccddeeff"], ["src/a.c", "ffeeddccbbaa99887766554433221101"]] }],
    ["an input's path", { ...BASE, inputs: [["include/b.h", "00112233445566778899aabbccddeeff"], ["src/a.c", "ffeeddccbbaa99887766554433221100"]] }],
    ["an input removed", { ...BASE, inputs: [["src/a.c", "ffeeddccbbaa99887766554433221100"]] }],
    ["an env value", { ...BASE, env: [["CC", "clang"], ["SEED", null]] }],
    ["an env var set vs unset", { ...BASE, env: [["CC", "gcc"], ["SEED", ""]] }],
    ["an env name", { ...BASE, env: [["CXX", "gcc"], ["SEED", null]] }],
    ["a dep's output hash", { ...BASE, deps: [["gen", [["gen/config.h", "0123456789abcdef0123456789abcdee", 0o644]]], ["tools", "fedcba9876543210fedcba9876543210"]] }],
    ["a dep's output mode", { ...BASE, deps: [["gen", [["gen/config.h", "0123456789abcdef0123456789abcdef", 0o755]]], ["tools", "fedcba9876543210fedcba9876543210"]] }],
    ["a dep's output path", { ...BASE, deps: [["gen", [["gen/config2.h", "0123456789abcdef0123456789abcdef", 0o644]]], ["tools", "fedcba9876543210fedcba9876543210"]] }],
    ["a phony dep's key", { ...BASE, deps: [["gen", [["gen/config.h", "0123456789abcdef0123456789abcdef", 0o644]]], ["tools", "fedcba9876543210fedcba9876543211"]] }],
    ["an output path", { ...BASE, outputs: ["build/b.o"] }],
    ["an output becoming a directory", { ...BASE, outputs: ["build/a.o/"] }],
    ["an exported value", { ...BASE, exported: [["LANG", "C.UTF-8"]] }],
  ];
  const seen = new Map<string, string>([[BASE_KEY, "base"]]);
  for (const [what, i] of variants) {
    const k = await key(i);
    assert.match(k, /^[0-9a-f]{32}$/);
    assert.ok(!seen.has(k), `${what}: same key as ${seen.get(k)}`);
    seen.set(k, what);
  }
});

test("moving a string between fields changes the key (no ambiguous concatenation)", async () => {
  const a: Ingredients = { ...BASE, recipe: "x", outputs: ["y"] };
  const b: Ingredients = { ...BASE, recipe: "xy", outputs: [""] };
  const c: Ingredients = { ...BASE, recipe: 'x","y', outputs: [] };
  const keys = new Set([await key(a), await key(b), await key(c)]);
  assert.equal(keys.size, 3);
});

test("sortIngredients makes declaration order irrelevant", async () => {
  const shuffled: Ingredients = {
    ...BASE,
    outputs: ["build/z.o", "build/a.o", "build/B.o"],
    inputs: [
      ["src/a.c", "ffeeddccbbaa99887766554433221100"],
      ["include/a.h", "00112233445566778899aabbccddeeff"],
    ],
    deps: [
      ["tools", "fedcba9876543210fedcba9876543210"],
      [
        "gen",
        [
          ["gen/z.h", "0123456789abcdef0123456789abcdef", 0o644],
          ["gen/config.h", "0123456789abcdef0123456789abcdef", 0o644],
        ],
      ],
    ],
    env: [
      ["SEED", null],
      ["CC", "gcc"],
    ],
    exported: [
      ["ZED", "z"],
      ["LANG", "C"],
    ],
  };
  const ordered: Ingredients = {
    ...BASE,
    outputs: ["build/B.o", "build/a.o", "build/z.o"],
    inputs: [
      ["include/a.h", "00112233445566778899aabbccddeeff"],
      ["src/a.c", "ffeeddccbbaa99887766554433221100"],
    ],
    deps: [
      [
        "gen",
        [
          ["gen/config.h", "0123456789abcdef0123456789abcdef", 0o644],
          ["gen/z.h", "0123456789abcdef0123456789abcdef", 0o644],
        ],
      ],
      ["tools", "fedcba9876543210fedcba9876543210"],
    ],
    env: [
      ["CC", "gcc"],
      ["SEED", null],
    ],
    exported: [
      ["LANG", "C"],
      ["ZED", "z"],
    ],
  };
  // Unsorted, the two differ (so the test can fail)...
  assert.notEqual(await key(shuffled), await key(ordered));
  // ...sorted, they are one key, and sorting is byte order (B before a), idempotent, and does not mutate.
  assert.deepEqual(sortIngredients(shuffled), ordered);
  assert.equal(await key(sortIngredients(shuffled)), await key(ordered));
  assert.deepEqual(sortIngredients(ordered), ordered);
  assert.equal(shuffled.outputs[0], "build/z.o");
  assert.equal(await key(sortIngredients(BASE)), BASE_KEY);
});
