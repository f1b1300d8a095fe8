// The options every command that reads a Flowfile shares (-C, -f,
// --cache-dir), declared once, and the cache-directory rule they imply.
// `flow cache ...` has its own base (cache-command.ts): it finds the root
// without reading the Flowfile.
import { Command, Option } from "./clipanion.js";
import { resolveCacheDir } from "../run/cache-dir.js";

export abstract class ProjectCommand extends Command {
  dir = Option.String("-C,--directory", { description: "Run as if started in DIR" });
  file = Option.String("-f,--file", { description: "Read FILE instead of ./Flowfile" });
  cacheDir = Option.String("--cache-dir", { description: "Cache directory (default: $FLOW_CACHE_DIR or .flow/ at the project root)" });

  /** The cache of the project at `root`: --cache-dir, else $FLOW_CACHE_DIR, else `.flow/` at the root. */
  protected cacheDirFor(root: string): string {
    return resolveCacheDir(process.cwd(), this.cacheDir, process.env, root);
  }
}
