import type { Diagnostic, SourceLocation } from "../diagnostic.js";

/** What expansion needs from the outside world: globbing and `$(shell)`. */
export interface ExpandHost {
  /** Sorted project-relative matches of one glob pattern (relative to the project root). */
  glob(pattern: string, at: SourceLocation | undefined): string[];
  /** Run a command at parse time; stdout with newlines folded to spaces, as Make does. */
  shell(command: string, at: SourceLocation | undefined): string;
  warn(d: Diagnostic): void;
}
