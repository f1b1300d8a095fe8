/**
 * Make's dependency files (`.d`), as `gcc -MMD -MP` and clang write them:
 *
 *   build/a.o: src/a.c include/a.h \
 *    include/my\ header.h
 *   include/a.h:
 *   include/my\ header.h:
 *
 * A rule per line (a `\` at the end of a line continues it), targets before
 * the `:`, prerequisites after; the `-MP` lines name a header with nothing
 * after the colon. Escapes, as the compilers write them and as Ninja's
 * depfile_parser reads them: `\ ` is a space and `\#` a `#` (2N+1
 * backslashes before a space or `#` are N backslashes and the character; 2N
 * are N backslashes and the end of the word), `$$` is `$`, and any other
 * backslash is itself. Windows drive letters (`c:\x`) are not read: flow
 * runs recipes with /bin/sh.
 *
 * The parse is strict on purpose: the reader asks it whether an included
 * file *is* a depfile (only then can a task claim it, see build-task-graph),
 * so anything a depfile never holds (a recipe line, an assignment, a
 * variable, a pattern, an order-only `|`, an inline `;` recipe, a special
 * target like `.PHONY`) makes the text "not a depfile", and it is read as a
 * Makefile, as before.
 */

export interface DepfileRule {
  readonly targets: readonly string[];
  readonly prereqs: readonly string[];
}

/** The rules of a depfile; undefined when the text is not one (see above). An empty text has no rules. */
export function parseDepfile(text: string): DepfileRule[] | undefined {
  const rules: DepfileRule[] = [];
  for (const line of logicalLines(text)) {
    if (line.startsWith("\t")) return undefined; // a recipe line
    const words = lineWords(line);
    if (words === undefined) return undefined;
    if (words.length === 0) continue;
    const colon = words.indexOf(COLON);
    if (colon <= 0 || words.indexOf(COLON, colon + 1) !== -1) return undefined;
    const targets = words.slice(0, colon) as string[];
    if (targets.some((t) => SPECIAL_TARGET.test(t))) return undefined;
    rules.push({ targets, prereqs: words.slice(colon + 1) as string[] });
  }
  return rules;
}

/** Every prerequisite a depfile names, in order of first mention, duplicates dropped; undefined when it is not a depfile. */
export function depfileInputs(text: string): string[] | undefined {
  const rules = parseDepfile(text);
  if (rules === undefined) return undefined;
  const seen = new Set<string>();
  for (const r of rules) for (const p of r.prereqs) seen.add(p);
  return [...seen];
}

/** The separator between targets and prerequisites, as a word of its own (no path is this object). */
const COLON: string = new String(":") as unknown as string;

/** GNU Make's special targets (`.PHONY`, `.SUFFIXES` ...): never in a compiler's depfile. */
const SPECIAL_TARGET = /^\.[A-Z_]+$/;

/** Lines with `\`-newline continuations joined (the backslash and newline become a space); comments kept for lineWords. */
function logicalLines(text: string): string[] {
  const out: string[] = [];
  let cur = "";
  for (const raw of text.split("\n")) {
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (endsWithContinuation(line)) {
      cur += line.slice(0, -1) + " ";
      continue;
    }
    out.push(cur + line);
    cur = "";
  }
  if (cur !== "") out.push(cur);
  return out;
}

/** An odd number of backslashes at the end: the last one escapes the newline. */
function endsWithContinuation(line: string): boolean {
  let n = 0;
  for (let i = line.length - 1; i >= 0 && line.charCodeAt(i) === BACKSLASH; i--) n++;
  return n % 2 === 1;
}

const BACKSLASH = 0x5c;

/**
 * The words of one logical line, with COLON where the rule's colon is; an
 * unescaped `#` ends the line. Undefined when the line holds something a
 * depfile never does.
 */
function lineWords(line: string): (string | typeof COLON)[] | undefined {
  const words: (string | typeof COLON)[] = [];
  let word = "";
  let inWord = false;
  const end = () => {
    if (inWord) words.push(word);
    word = "";
    inWord = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === " " || c === "\t") {
      end();
      continue;
    }
    if (c === "#") break;
    if (c === "\\") {
      let n = 0;
      while (line[i + n] === "\\") n++;
      const next = line[i + n];
      if (next === " " || next === "#") {
        word += "\\".repeat(n >> 1);
        inWord = true;
        i += n - 1;
        if (n % 2 === 1) {
          word += next;
          i++;
        }
        continue;
      }
      word += "\\".repeat(n);
      inWord = true;
      i += n - 1;
      continue;
    }
    if (c === "$") {
      if (line[i + 1] !== "$") return undefined; // a variable: a Makefile, not a depfile
      word += "$";
      inWord = true;
      i++;
      continue;
    }
    if (c === "=" || c === ";" || c === "|" || c === "%") return undefined;
    if (c === ":") {
      // The rule's colon ends the targets; `::` (double-colon) or `:=` never appear in a depfile.
      if (line[i + 1] === ":" || line[i + 1] === "=") return undefined;
      end();
      words.push(COLON);
      continue;
    }
    word += c;
    inWord = true;
  }
  end();
  return words;
}
