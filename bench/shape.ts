/**
 * The shape of a generated benchmark project: one description, from which
 * `generate` writes the Flowfile, the identical Makefile and the equivalent
 * build.ninja.
 *
 * The graph, for `tasks` = N and `joins` = J (R = N - J regular tasks):
 *
 * - Every task reads `inputsPerTask` source files of its own: task i reads
 *   sources (i * K + j) mod `files`, j < K. With `files` = N * K (the default)
 *   every source is read by exactly one task.
 * - Regular tasks come in groups of `group`. In group g, the task at position p:
 *   - p = 0 heads a chain: `cat $^ > $@` of its sources;
 *   - 0 < p < `chain` continues it: also reads the previous task's output
 *     (chains of `chain` tasks, each output growing);
 *   - p >= `chain` is a fan-out consumer: also reads the last output of group
 *     g-1's chain (each chain end feeds `group - chain` tasks); the first
 *     `copies` of them `cp $< $@` that output, the rest `touch $@`.
 * - J wide joins each `cat $^ > $@` `joinWidth` outputs spread evenly across
 *   the regular tasks.
 * - `all` (phony, the first rule) depends on every task's output.
 *
 * The recipes are cheap on purpose: the benchmark measures the build tool,
 * not the work.
 */
export interface Shape {
  /** Tasks in all, the joins included. */
  tasks: number;
  /** Source files written under src/. */
  files: number;
  /** Source files each task reads. */
  inputsPerTask: number;
  /** Regular tasks per group. */
  group: number;
  /** Tasks at the head of each group that form a chain (at least 1). */
  chain: number;
  /** Fan-out consumers per group that copy the hub (the rest touch). */
  copies: number;
  /** Wide join tasks. */
  joins: number;
  /** Task outputs each join reads. */
  joinWidth: number;
}

/** The default shape for a size: N tasks over 10 N files, each task reading 10. */
export function shapeForSize(tasks: number): Shape {
  if (!Number.isInteger(tasks) || tasks < 20) {
    throw new Error(`a benchmark size must be an integer of at least 20 tasks, not ${tasks}`);
  }
  const joins = 4;
  return {
    tasks,
    files: tasks * 10,
    inputsPerTask: 10,
    group: 10,
    chain: 5,
    copies: 3,
    joins,
    // A join's command line must stay far below Linux's 128 KiB limit on one
    // argument (`sh -c` receives the recipe as one): 1,000 paths of ~12 bytes.
    joinWidth: Math.min(1000, Math.floor((tasks - joins) / 10)),
  };
}
