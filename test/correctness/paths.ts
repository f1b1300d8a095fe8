// Where things are, from test/dist/correctness/*.js.
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));

/** The repository root (test/dist/correctness -> ../../..). */
export const repoRoot = resolve(here, "..", "..", "..");

export const flowBin = process.env["FLOW_BIN"] ?? join(repoRoot, "packages", "cli", "bin", "flow.js");

/** The fixtures live in the source tree, not in dist/. */
export const regressionsDir = join(repoRoot, "test", "correctness", "regressions");

export const defaultTmpRoot = join(tmpdir(), "flow-correctness");
