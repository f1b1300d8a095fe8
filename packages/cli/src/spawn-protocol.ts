// The wire format between flow and its spawn helper (spawn-helper.ts): one
// JSON object per line, requests on the helper's stdin, replies on its stdout.
//
// Ids are flow's; the helper echoes them. Every `run` gets exactly one final
// reply, `exit` or `error`, and at most one `started` before it. `kill` for an
// id that has already exited (or failed to start) is ignored, which is what
// makes it safe for flow to send kills without knowing where the child is.

/** flow -> helper. */
export type HelperRequest =
  | {
      readonly t: "run";
      readonly id: number;
      readonly script: string;
      readonly cwd: string;
      readonly env: Readonly<Record<string, string>>;
      /** The recipe's stdout and stderr, truncated or created by the helper. */
      readonly log: string;
    }
  | {
      readonly t: "kill";
      readonly id: number;
      readonly sig: NodeJS.Signals;
    };

/** helper -> flow. */
export type HelperReply =
  /** Sent once, before the helper reads any request. */
  | { readonly t: "ready"; readonly pid: number }
  /** The shell runs, leader of its own process group `pid`. */
  | { readonly t: "started"; readonly id: number; readonly pid: number }
  | { readonly t: "exit"; readonly id: number; readonly code: number | null; readonly signal: NodeJS.Signals | null }
  /** Nothing runs: the log could not be opened or the shell could not be started. */
  | { readonly t: "error"; readonly id: number; readonly message: string };

/** Splits a byte stream into lines; keeps the unfinished tail between chunks. */
export class LineSplitter {
  private tail = "";

  push(chunk: string, onLine: (line: string) => void): void {
    const text = this.tail + chunk;
    let start = 0;
    for (let nl = text.indexOf("\n"); nl >= 0; nl = text.indexOf("\n", start)) {
      if (nl > start) onLine(text.slice(start, nl));
      start = nl + 1;
    }
    this.tail = text.slice(start);
  }
}
