// `npm run test:fuzz [-- --seconds N] [--seed S] [--case I]`: the long fuzz run.
// Prints each failing case with the command that reproduces it; exit 1 if any.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runFuzz } from "./fuzz-driver.js";

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const seed = Number(opt("seed") ?? Math.floor(Math.random() * 2 ** 31));
const only = opt("case");
const seconds = Number(opt("seconds") ?? 300);
const repoRoot = join(fileURLToPath(import.meta.url), "..", "..", "..", "..", "..");
process.stdout.write(`fuzz: seed ${seed}, ${only !== undefined ? `case ${only}` : `${seconds}s`}\n`);
const report = await runFuzz({
  seed,
  first: only !== undefined ? Number(only) : 0,
  maxCases: only !== undefined ? 1 : Number.MAX_SAFE_INTEGER,
  budgetMs: only !== undefined ? 60_000 : seconds * 1000,
  caseTimeoutMs: 10_000,
  repoRoot,
  onProgress: (n) => {
    if (n % 5000 === 0) process.stdout.write(`fuzz: ${n} cases\n`);
  },
});
for (const f of report.failures) {
  process.stdout.write(`\nFAIL case ${f.index} (npm run test:fuzz -- --seed ${f.seed} --case ${f.index}): ${f.problem}\n--- Flowfile ---\n${f.flowfile}\n---\n`);
}
process.stdout.write(`fuzz: ${report.cases} cases, ${report.failures.length} failure(s)\n`);
process.exitCode = report.failures.length > 0 ? 1 : 0;
