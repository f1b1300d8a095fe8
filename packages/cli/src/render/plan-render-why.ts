// `flow build --explain`: a `why` line for each task whose recipe runs,
// printed as it starts:
//
//     why       build/words.o: input changed: src/words.c
//     ran       build/words.o (0.21s)
//
// The reason is the one the build's own decision carries on the `task-start`
// event (decide-task.ts in @flow/graph): nothing is decided again here.
import type { BuildEvent } from "@flow/graph";
import { reasonText } from "./plan-render-reason.js";
import type { Output } from "./render.js";

export class WhyLines {
  /** The text printed for each task that ran, by task id. */
  readonly texts = new Map<number, string>();

  constructor(private readonly out: Output) {}

  /** Call with every build event, before the renderer sees it. */
  observe(e: BuildEvent): void {
    if (e.type !== "task-start" || e.decision.reason === undefined) return;
    const text = reasonText(e.decision.reason);
    this.texts.set(e.task.id, text);
    this.out.write(`  why       ${e.task.name}: ${text}\n`);
  }
}
