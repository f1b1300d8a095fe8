// Sizes as users write them: `500M`, `2G`, `1.5GiB`, `123456` (bytes).
//
// Units are binary (K = 1024), as `du -h` and `ls -h` print them; a trailing
// `B` or `iB` is accepted and means the same. Decimal units (1 G = 10^9) were
// rejected: a cap a few percent larger than asked is the wrong surprise for
// a disk budget.

const UNITS: Record<string, number> = { "": 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3, T: 1024 ** 4 };

/** Bytes, or undefined when `text` is not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*$/i.exec(text);
  if (m === null) return undefined;
  const unit = UNITS[(m[2] as string).toUpperCase()];
  if (unit === undefined) return undefined;
  const bytes = Math.floor(Number(m[1]) * unit);
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** `1536` -> `1.5 KiB`; exact bytes below 1 KiB. */
export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? v.toFixed(0) : v.toFixed(1)} ${units[i]}`;
}
