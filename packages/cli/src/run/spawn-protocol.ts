// The wire format between flow and its spawn helper (spawn-helper.ts): one
// message per line. Requests (helper's stdin) are JSON, since a script can
// hold anything; replies (its stdout) are short space-separated words, which
// flow reads for every recipe twice:
//   r PID              ready, sent once before any request is read
//   s ID PID           the shell runs, leader of its own process group PID
//   x ID CODE SIGNAL L it exited; CODE or SIGNAL is "-"; L is 1 when its
//                      output is at the log path, 0 when it printed nothing
//                      and left no log (log-slots.ts)
//   e ID MESSAGE       nothing runs (the log could not be opened, the shell
//                      could not be started); MESSAGE is a JSON string
//
// Ids are flow's; the helper echoes them. Every `run` gets exactly one final
// reply, x or e, and at most one s before it. A `kill` for an id that has
// already exited (or failed to start) is ignored, which is what makes it
// safe for flow to send kills without knowing where the child is.
//
// `watch` and `unwatch` (no reply) name the process group of a recipe flow
// started itself (before the helper was up): if flow dies, the helper stops
// those groups along with its own recipes' (see spawn-helper.ts). They may be
// written before "ready": the pipe keeps them until the helper reads.

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
    }
  | { readonly t: "watch" | "unwatch"; readonly pgid: number };

/** helper -> flow, decoded. */
export type HelperReply =
  | { readonly t: "ready"; readonly pid: number }
  | { readonly t: "started"; readonly id: number; readonly pid: number }
  | { readonly t: "exit"; readonly id: number; readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly logged: boolean }
  | { readonly t: "error"; readonly id: number; readonly message: string };

export function encodeReply(r: HelperReply): string {
  switch (r.t) {
    case "ready":
      return `r ${r.pid}\n`;
    case "started":
      return `s ${r.id} ${r.pid}\n`;
    case "exit":
      return `x ${r.id} ${r.code ?? "-"} ${r.signal ?? "-"} ${r.logged ? 1 : 0}\n`;
    case "error":
      return `e ${r.id} ${JSON.stringify(r.message)}\n`;
  }
}

/** Throws on a line the helper cannot have written (a bug on one side or the other). */
export function decodeReply(line: string): HelperReply {
  const [t, a = "", b = "", c = "", d = ""] = line.split(" ", 5);
  switch (t) {
    case "r":
      return { t: "ready", pid: Number(a) };
    case "s":
      return { t: "started", id: Number(a), pid: Number(b) };
    case "x":
      return { t: "exit", id: Number(a), code: b === "-" ? null : Number(b), signal: c === "-" ? null : (c as NodeJS.Signals), logged: d === "1" };
    case "e":
      return { t: "error", id: Number(a), message: JSON.parse(line.slice(line.indexOf(" ", 2) + 1)) as string };
    default:
      throw new Error(`spawn helper: unexpected reply ${JSON.stringify(line)}`);
  }
}

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
