import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { flowBin } from "./tools.js";

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Wall time of the profiled run, ms (profiling slows it somewhat). */
  wallMs: number;
  /** Sampled time, ms, over every thread's profile. */
  sampledMs: number;
  /** Self time by source file (a package's file, a dependency, or node internals), ms, largest first. */
  byFile: { where: string; ms: number }[];
  /** Self time by function, ms, largest first. */
  byFunction: { fn: string; ms: number }[];
}

/** A short, stable name for where code lives. */
function where(url: string, fn: string): string {
  if (url === "") return fn.startsWith("(") ? fn : "(native)";
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `node_modules/${pkg[1]}`;
  const ours = /\/(packages\/[^?#]+)/.exec(url);
  if (ours) return ours[1]!;
  if (url.startsWith("node:")) return url;
  return url.replace(/^file:\/\//, "");
}

/**
 * Runs `flow argv` once in `cwd` under `node --cpu-prof` and sums self time
 * by file and by function, across the profiles of every thread.
 */
export function profileFlow(cwd: string, args: readonly string[], profDir: string, top = 15): ProfileSummary {
  rmSync(profDir, { recursive: true, force: true });
  mkdirSync(profDir, { recursive: true });
  const start = process.hrtime.bigint();
  const r = spawnSync(
    process.execPath,
    ["--no-concurrent-recompilation", "--cpu-prof", "--cpu-prof-dir", profDir, flowBin(), ...args],
    { cwd, stdio: "ignore" },
  );
  const wallMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`profiled flow ${args.join(" ")} exited ${r.status} in ${cwd}`);
  const files = new Map<string, number>();
  const fns = new Map<string, number>();
  let sampled = 0;
  for (const name of readdirSync(profDir).filter((f) => f.endsWith(".cpuprofile"))) {
    const p = JSON.parse(readFileSync(join(profDir, name), "utf8")) as CpuProfile;
    const byId = new Map(p.nodes.map((n) => [n.id, n]));
    p.samples.forEach((id, i) => {
      const us = p.timeDeltas[i] ?? 0;
      const node = byId.get(id);
      if (!node) return;
      const { functionName, url, lineNumber } = node.callFrame;
      const w = where(url, functionName);
      const ms = us / 1000;
      sampled += ms;
      files.set(w, (files.get(w) ?? 0) + ms);
      const fn = `${functionName || "(anonymous)"} ${w}${url ? `:${lineNumber + 1}` : ""}`;
      fns.set(fn, (fns.get(fn) ?? 0) + ms);
    });
  }
  const sorted = <K extends string>(m: Map<string, number>, key: K): ({ ms: number } & Record<K, string>)[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => ({ [key]: k, ms: Math.round(ms * 10) / 10 }) as { ms: number } & Record<K, string>);
  return { wallMs, sampledMs: sampled, byFile: sorted(files, "where"), byFunction: sorted(fns, "fn") };
}
