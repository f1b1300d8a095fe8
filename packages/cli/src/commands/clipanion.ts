import { createRequire } from "node:module";

/**
 * clipanion, loaded through require() for the reason typanion.ts gives:
 * importing a CommonJS package as ESM makes Node's CJS export lexer scan it
 * on every start (clipanion: ~50 ms imported, ~30 ms required, measured on
 * the 2-core machine). Every command file takes Command and Option from here.
 */
const clipanion = createRequire(import.meta.url)("clipanion") as typeof import("clipanion");

export const { Builtins, Cli, Command, Option } = clipanion;
export type Command<Context extends import("clipanion").BaseContext = import("clipanion").BaseContext> = import("clipanion").Command<Context>;
export type CommandClass = import("clipanion").CommandClass;
