/**
 * Everything that shaped one reading of the Flowfile and its graph, as the
 * reader and the graph builder asked the disk and the environment for it
 * (NodeProjectHost and the reader's onEnvLookup record here): the persistent
 * build state (run/build-state.ts) keeps the graph only while each answer
 * is still the same. Recorded as asked, so nothing that shaped the graph can
 * be left out by a list kept somewhere else.
 */
export class ShapeRecord {
  /** Files read (the Flowfile, includes), by the path asked: their text, or null when missing. */
  readonly texts = new Map<string, string | null>();
  /** Glob patterns (`$(wildcard)`, globbed prerequisites) and their sorted matches. */
  readonly globs = new Map<string, readonly string[]>();
  /** `$(shell)` commands and their output: run again and compared before the state is trusted. */
  readonly shells = new Map<string, string>();
  /** Directory listings asked for whole (null: could not be listed). */
  readonly listings = new Map<string, readonly string[] | null>();
  /** Listings used only to ask whether a name ends in one of the suffixes: the suffixes and that answer. */
  readonly sourceListings = new Map<string, { readonly suffixes: readonly string[]; readonly answer: boolean }>();
  /** Project paths the graph asked the kind of. */
  readonly kinds = new Map<string, "file" | "dir" | "missing">();
  /** Environment names looked up below the Flowfile's variables, found or not. */
  readonly envNames = new Set<string>();
  /** The reader enumerated the whole environment (`-e`): any change to it counts. */
  wholeEnv = false;
  /** Set when something was read that this record cannot check again: no state is kept. */
  unsupported: string | undefined;
}
