/** Make's word list: split on runs of blanks, empty words dropped. */
export function splitWords(text: string): string[] {
  // Hot (every rule line, every expansion): a split by one regex, without a filter pass.
  if (!BLANK.test(text)) return text === "" ? [] : [text];
  const parts = text.split(BLANKS);
  if (parts[0] === "") parts.shift();
  if (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  return parts;
}

const BLANK = /[ \t\n\r]/;
const BLANKS = /[ \t\n\r]+/;

/**
 * Match `word` against a `%` pattern; returns the stem or undefined.
 * A pattern without `%` matches only itself (stem "").
 */
export function matchPattern(pattern: string, word: string): string | undefined {
  const i = pattern.indexOf("%");
  if (i < 0) return pattern === word ? "" : undefined;
  const prefix = pattern.slice(0, i);
  const suffix = pattern.slice(i + 1);
  if (word.length < prefix.length + suffix.length) return undefined;
  if (!word.startsWith(prefix) || !word.endsWith(suffix)) return undefined;
  return word.slice(prefix.length, word.length - suffix.length);
}

/** Replace the first `%` of `pattern` with `stem` (a pattern without `%` is returned as is). */
export function substitutePattern(pattern: string, stem: string): string {
  const i = pattern.indexOf("%");
  return i < 0 ? pattern : pattern.slice(0, i) + stem + pattern.slice(i + 1);
}

/** `$(patsubst pattern,replacement,text)` */
export function patsubst(pattern: string, replacement: string, text: string): string {
  const hasPct = pattern.includes("%");
  return splitWords(text)
    .map((w) => {
      const stem = matchPattern(pattern, w);
      if (stem === undefined) return w;
      return hasPct ? substitutePattern(replacement, stem) : replacement;
    })
    .join(" ");
}
