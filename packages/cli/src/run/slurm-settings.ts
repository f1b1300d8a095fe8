// `--executor`, `--slurm-args`, `--slurm-retries` and their FLOW_SLURM_*
// environment variables, checked once (docs/cluster.md lists them).

export interface SlurmSettings {
  /** `--executor`: beats every task's `.EXECUTOR`; undefined: each task's own, local by default. */
  readonly executor: "slurm" | "local" | undefined;
  readonly defaultArgs: readonly string[];
  readonly retries: number;
  readonly pollMs: number;
  readonly arraySize: number;
  readonly outputWaitMs: number;
}

export interface SlurmFlags {
  readonly executor: string | undefined;
  readonly slurmArgs: string | undefined;
  readonly slurmRetries: string | undefined;
}

/** Jobs flow keeps queued or running under `--executor slurm` when -j is not given. */
export const SLURM_DEFAULT_JOBS = 1000;

export function slurmSettings(f: SlurmFlags, env: NodeJS.ProcessEnv): { ok: true; settings: SlurmSettings } | { ok: false; message: string } {
  const executor = f.executor ?? env["FLOW_EXECUTOR"];
  if (executor !== undefined && executor !== "slurm" && executor !== "local") return { ok: false, message: `--executor takes slurm or local, got ${executor}` };
  const number = (text: string | undefined, name: string, dflt: number, min: number): number | string => {
    if (text === undefined || text === "") return dflt;
    const n = Number(text);
    return Number.isFinite(n) && n >= min ? n : `${name} needs a number of at least ${min}, got ${text}`;
  };
  const retries = number(f.slurmRetries ?? env["FLOW_SLURM_RETRIES"], "--slurm-retries", 1, 0);
  const poll = number(env["FLOW_SLURM_POLL_INTERVAL"], "FLOW_SLURM_POLL_INTERVAL (seconds)", 1, 0.05);
  const maxArray = number(env["FLOW_SLURM_MAX_ARRAY_SIZE"], "FLOW_SLURM_MAX_ARRAY_SIZE", 1001, 2);
  const wait = number(env["FLOW_SLURM_OUTPUT_WAIT"], "FLOW_SLURM_OUTPUT_WAIT (seconds)", 10, 0);
  for (const v of [retries, poll, maxArray, wait]) if (typeof v === "string") return { ok: false, message: v };
  const args = (f.slurmArgs ?? env["FLOW_SLURM_ARGS"] ?? "").split(/\s+/).filter((w) => w !== "");
  return {
    ok: true,
    settings: {
      executor,
      defaultArgs: args,
      retries: Math.floor(retries as number),
      pollMs: Math.round((poll as number) * 1000),
      // MaxArraySize N allows indices 0..N-1; flow submits N-1 per array (1001, Slurm's default: 1000), a round number of tasks per sbatch.
      arraySize: Math.floor(maxArray as number) - 1,
      outputWaitMs: Math.round((wait as number) * 1000),
    },
  };
}
