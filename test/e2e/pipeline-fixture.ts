// The small pipeline the build-state and server tests share: a wildcard over
// src/, one task per source, and a join.
import { setTimeout as sleep } from "node:timers/promises";

export const PIPELINE = {
  Flowfile: `SRC := $(wildcard src/*.txt)
OUT := $(patsubst src/%.txt,out/%.up,$(SRC))

all: out/all.txt

out/%.up: src/%.txt
\t@mkdir -p out
\ttr a-z A-Z < $< > $@

out/all.txt: $(OUT)
\tcat $^ > $@
`,
  "src/a.txt": "alpha\n",
  "src/b.txt": "beta\n",
};

/** Past the stat memo's racy window (2 s): a file hashed now is vouched for by its stat from then on. */
export const RACY = (): Promise<void> => sleep(2100);
