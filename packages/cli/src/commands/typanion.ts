import { createRequire } from "node:module";

/**
 * typanion, loaded through require(): importing its CommonJS build as ESM
 * makes Node's CJS export lexer scan it, ~200 ms on every start of flow
 * (measured with --cpu-prof). require() skips the lexer.
 */
export const t = createRequire(import.meta.url)("typanion") as typeof import("typanion");
