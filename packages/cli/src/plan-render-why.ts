// `flow build --explain`: a `why` line for each task whose recipe runs,
// printed as soon as its reason is known (right after the task starts):
//
//     why       build/words.o: input changed: src/words.c
//     ran       build/words.o (0.21s)
//
// The reasons come from RunExplainer (@flow/graph), which listens to the
// same events as the renderer.
import type { BuildEvent, RunExplainer } from "@flow/graph";
import { reasonText } from "./plan-render-reason.js";
import type { Output } from "./render.js";

export class WhyLines {
  private readonly texts = new Map<number, string>();
  private readonly pending: Promise<void>[] = [];

  constructor(
    private readonly explainer: RunExplainer,
    private readonly out: Output,
  ) {}

  /** Call with every build event, before the renderer sees it. */
  observe(e: BuildEvent): void {
    const reason = this.explainer.observe(e);
    if (reason === undefined || e.type !== "task-start") return;
    const task = e.task;
    this.pending.push(
      reason
        .then(reasonText, (err: unknown) => `(could not be explained: ${err instanceof Error ? err.message : String(err)})`)
        .then((text) => {
          this.texts.set(task.id, text);
          this.out.write(`  why       ${task.name}: ${text}\n`);
        }),
    );
  }

  /** Every reason asked for, by task id, once all are known. */
  async settled(): Promise<ReadonlyMap<number, string>> {
    await Promise.all(this.pending);
    return this.texts;
  }
}
