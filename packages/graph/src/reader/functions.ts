import type { Arg, CallContext } from "./call-context.js";
import { DiagnosticError, errorAt, warningAt } from "../diagnostic.js";
import { splitArgs, type RawArg } from "./split-args.js";
import { VariableTable } from "./variables.js";
import { matchPattern, patsubst, splitWords } from "./words.js";

type Impl = (args: Arg[], ctx: CallContext) => string;

interface FunctionDef {
  /** Number of arguments; the last one keeps any further commas. */
  readonly arity: number;
  /** Minimum number of arguments. */
  readonly min: number;
  /** Lazy functions receive their arguments unexpanded. */
  readonly lazy: boolean;
  readonly impl: Impl;
}

const words = splitWords;

function dirOf(w: string): string {
  const i = w.lastIndexOf("/");
  return i < 0 ? "./" : w.slice(0, i + 1);
}
function notdirOf(w: string): string {
  const i = w.lastIndexOf("/");
  return i < 0 ? w : w.slice(i + 1);
}
function suffixIndex(w: string): number {
  const dot = w.lastIndexOf(".");
  return dot > w.lastIndexOf("/") ? dot : -1;
}

function filterWords(patterns: string, text: string, keep: boolean): string {
  const ps = words(patterns);
  return words(text)
    .filter((w) => ps.some((p) => matchPattern(p, w) !== undefined) === keep)
    .join(" ");
}

function number(arg: Arg, fn: string, which: string, min: number, ctx: CallContext): number {
  const t = arg.text.trim();
  if (!/^[0-9]+$/.test(t) || Number(t) < min) {
    throw new DiagnosticError(
      errorAt(
        "FLOW001",
        `'${fn}' needs a ${min >= 1 ? "positive" : "non-negative"} whole number${which === "first" ? "" : ` as its ${which} argument`}, got '${t}'`,
        arg.origin.loc ?? ctx.at,
        `write e.g. $(${fn} 1,...): words are counted from 1`,
      ),
    );
  }
  return Number(t);
}

/** Expand a lazy argument as Make does for conditions: blanks around the raw text are dropped first. */
function expandStripped(arg: Arg | undefined, ctx: CallContext, probe: boolean): string {
  if (!arg) return "";
  const lead = arg.text.length - arg.text.trimStart().length;
  const text = arg.text.trim();
  if (text === "") return "";
  const origin = ctx.expander.sub(arg.origin, lead);
  return probe ? ctx.expander.expandProbe(text, ctx.scope, origin) : ctx.expander.expand(text, ctx.scope, origin);
}

function expandArg(arg: Arg | undefined, ctx: CallContext): string {
  return arg ? ctx.expander.expand(arg.text, ctx.scope, arg.origin) : "";
}

/** `$(subst)`: an empty `from` appends `to` at the end, as GNU Make does. */
function subst(from: string, to: string, text: string): string {
  return from === "" ? text + to : text.split(from).join(to);
}

/** `$(shell)` and `$(error)` report at the call; the text is the argument. */
const t = (a: Arg | undefined): string => a?.text ?? "";

const DEFS: Record<string, FunctionDef> = {
  subst: { arity: 3, min: 3, lazy: false, impl: ([a, b, c]) => subst(t(a), t(b), t(c)) },
  // Make keeps blanks inside the pattern and replacement: `$(patsubst %.c ,...)` matches nothing.
  patsubst: { arity: 3, min: 3, lazy: false, impl: ([p, r, x]) => patsubst(t(p), t(r), t(x)) },
  strip: { arity: 1, min: 1, lazy: false, impl: ([x]) => words(t(x)).join(" ") },
  findstring: { arity: 2, min: 2, lazy: false, impl: ([f, x]) => (t(x).includes(t(f)) ? t(f) : "") },
  filter: { arity: 2, min: 2, lazy: false, impl: ([p, x]) => filterWords(t(p), t(x), true) },
  "filter-out": { arity: 2, min: 2, lazy: false, impl: ([p, x]) => filterWords(t(p), t(x), false) },
  sort: {
    arity: 1,
    min: 1,
    lazy: false,
    // Byte order, not locale order, so results are the same on every machine.
    impl: ([x]) => [...new Set(words(t(x)))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(" "),
  },
  word: {
    arity: 2,
    min: 2,
    lazy: false,
    impl: ([n, x], ctx) => words(t(x))[number(n as Arg, "word", "first", 1, ctx) - 1] ?? "",
  },
  wordlist: {
    arity: 3,
    min: 3,
    lazy: false,
    impl: ([s, e, x], ctx) => {
      const from = number(s as Arg, "wordlist", "first", 1, ctx);
      const to = number(e as Arg, "wordlist", "second", 0, ctx);
      // Make returns the text from the first word's start to the last word's end, blanks inside kept.
      if (to < from) return "";
      const spans = [...t(x).matchAll(/[^ \t\n\r]+/g)];
      const first = spans[from - 1];
      if (!first) return "";
      const last = spans[Math.min(to, spans.length) - 1] as RegExpMatchArray;
      return t(x).slice(first.index, (last.index as number) + last[0].length);
    },
  },
  words: { arity: 1, min: 1, lazy: false, impl: ([x]) => String(words(t(x)).length) },
  firstword: { arity: 1, min: 1, lazy: false, impl: ([x]) => words(t(x))[0] ?? "" },
  lastword: { arity: 1, min: 1, lazy: false, impl: ([x]) => words(t(x)).at(-1) ?? "" },
  dir: { arity: 1, min: 1, lazy: false, impl: ([x]) => words(t(x)).map(dirOf).join(" ") },
  notdir: { arity: 1, min: 1, lazy: false, impl: ([x]) => words(t(x)).map(notdirOf).join(" ") },
  suffix: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([x]) =>
      words(t(x))
        .map((w) => (suffixIndex(w) < 0 ? "" : w.slice(suffixIndex(w))))
        .filter((s) => s !== "")
        .join(" "),
  },
  basename: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([x]) =>
      words(t(x))
        .map((w) => (suffixIndex(w) < 0 ? w : w.slice(0, suffixIndex(w))))
        .join(" "),
  },
  addsuffix: { arity: 2, min: 2, lazy: false, impl: ([s, x]) => words(t(x)).map((w) => w + t(s)).join(" ") },
  addprefix: { arity: 2, min: 2, lazy: false, impl: ([p, x]) => words(t(x)).map((w) => t(p) + w).join(" ") },
  join: {
    arity: 2,
    min: 2,
    lazy: false,
    impl: ([a, b]) => {
      const x = words(t(a));
      const y = words(t(b));
      const n = Math.max(x.length, y.length);
      const out: string[] = [];
      for (let i = 0; i < n; i++) out.push((x[i] ?? "") + (y[i] ?? ""));
      return out.join(" ");
    },
  },
  wildcard: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([x], ctx) => {
      const out = new Set<string>();
      for (const p of words(t(x))) for (const m of ctx.expander.host.glob(p, ctx.at)) out.add(m);
      return [...out].join(" ");
    },
  },
  shell: { arity: 1, min: 1, lazy: false, impl: ([cmd], ctx) => ctx.expander.host.shell(t(cmd), ctx.at) },
  error: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([msg], ctx) => {
      throw new DiagnosticError(errorAt("FLOW013", t(msg).trim(), ctx.at));
    },
  },
  warning: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([msg], ctx) => {
      ctx.expander.warn(warningAt("FLOW013", t(msg).trim(), ctx.at));
      return "";
    },
  },
  info: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([msg], ctx) => {
      ctx.expander.warn({ code: "FLOW013", severity: "info", message: t(msg), ...(ctx.at ? { loc: ctx.at } : {}) });
      return "";
    },
  },
  // if, or, and: each condition's blanks are stripped before it is expanded, and
  // a condition is true when its expansion is not empty (GNU Make's func_if).
  if: {
    arity: 3,
    min: 2,
    lazy: true,
    impl: ([cond, then, otherwise], ctx) => (expandStripped(cond, ctx, true) !== "" ? expandArg(then, ctx) : expandArg(otherwise, ctx)),
  },
  or: {
    arity: Number.MAX_SAFE_INTEGER,
    min: 1,
    lazy: true,
    impl: (args, ctx) => {
      for (const a of args) {
        const v = expandStripped(a, ctx, true);
        if (v !== "") return v;
      }
      return "";
    },
  },
  and: {
    arity: Number.MAX_SAFE_INTEGER,
    min: 1,
    lazy: true,
    impl: (args, ctx) => {
      let v = "";
      for (const a of args) {
        v = expandStripped(a, ctx, false);
        if (v === "") return "";
      }
      return v;
    },
  },
  foreach: {
    arity: 3,
    min: 3,
    lazy: true,
    impl: ([v, list, body], ctx) => {
      const name = expandArg(v, ctx).trim();
      const out: string[] = [];
      const inner = new VariableTable(ctx.scope);
      for (const w of words(expandArg(list, ctx))) {
        inner.set(name, { value: w, flavor: "simple", origin: "automatic" });
        out.push(body ? ctx.expander.expand(body.text, inner, body.origin) : "");
      }
      return out.join(" ");
    },
  },
  call: {
    arity: Number.MAX_SAFE_INTEGER,
    min: 1,
    lazy: false,
    impl: ([fn, ...params], ctx) => {
      const name = t(fn).trim();
      if (name === "") return "";
      // `$(call patsubst,...)`: calling a built-in function by name.
      const builtin = DEFS[name];
      if (builtin) return invoke(name, builtin, params.map((p) => p), ctx, true);
      const v = ctx.scope.lookup(name);
      if (!v) {
        ctx.expander.variable(name, ctx.scope, ctx.origin, 0); // records the unset name
        return "";
      }
      if (v.value === "") return "";
      // $(0) is the name, $(1)... the arguments; in a nested call the outer
      // call's further arguments are hidden (set empty), as in Make.
      const inner = new VariableTable(ctx.scope);
      const all = [name, ...params.map((p) => p.text)];
      const outer = ctx.expander.callArgs;
      for (let i = 0; i < Math.max(all.length, outer); i++) {
        inner.set(String(i), { value: all[i] ?? "", flavor: "simple", origin: "automatic" });
      }
      ctx.expander.callArgs = all.length;
      try {
        if (v.flavor === "simple") return v.value;
        return ctx.expander.expandBody(name, v, inner, ctx.origin, 0, true);
      } finally {
        ctx.expander.callArgs = outer;
      }
    },
  },
  eval: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([text], ctx) => {
      if (!ctx.expander.evaluate) {
        throw new DiagnosticError(
          errorAt("FLOW001", "$(eval) works while the Flowfile is read, not in a recipe", ctx.at, "move the $(eval ...) out of the recipe, to the top level of the Flowfile"),
        );
      }
      ctx.expander.evaluate(t(text), ctx.at);
      return "";
    },
  },
  value: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([n], ctx) => {
      ctx.expander.probe(t(n).trim());
      return ctx.scope.lookup(t(n).trim())?.value ?? "";
    },
  },
  origin: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([n], ctx) => {
      ctx.expander.probe(t(n).trim());
      return ctx.scope.lookup(t(n).trim())?.origin ?? "undefined";
    },
  },
  flavor: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([n], ctx) => {
      ctx.expander.probe(t(n).trim());
      return ctx.scope.lookup(t(n).trim())?.flavor ?? "undefined";
    },
  },
};

export const FUNCTION_NAMES: ReadonlySet<string> = new Set(Object.keys(DEFS));

/**
 * `$(name rawArgs)`. `opener` is the call's bracket (`(` or `{`): only that
 * kind nests when the arguments are split, as in Make.
 */
export function callFunction(name: string, rawArgs: string, opener: string, ctx: CallContext): string {
  const def = DEFS[name];
  if (!def) throw new Error(`not a function: ${name}`);
  const raw: Arg[] = splitArgs(rawArgs, def.arity, opener).map((a: RawArg) => ({ text: a.text, origin: ctx.expander.sub(ctx.origin, a.offset) }));
  return invoke(name, def, raw, ctx, false);
}

function invoke(name: string, def: FunctionDef, raw: Arg[], ctx: CallContext, expanded: boolean): string {
  if (raw.length < def.min) {
    throw new DiagnosticError(
      errorAt(
        "FLOW001",
        `function '${name}' takes ${def.min === def.arity ? def.min : `at least ${def.min}`} argument${def.min === 1 ? "" : "s"}, got ${raw.length}`,
        ctx.at,
        `separate arguments with commas: $(${name} ${Array.from({ length: def.min }, (_, i) => `arg${i + 1}`).join(",")})`,
      ),
    );
  }
  if (raw.length > def.arity) {
    // Only through $(call builtin,...): the extra arguments join the last one, as if written with commas.
    const last = raw.slice(def.arity - 1);
    raw = [...raw.slice(0, def.arity - 1), { text: last.map((a) => a.text).join(","), origin: (last[0] as Arg).origin }];
  }
  if (expanded && def.lazy) {
    // Arguments of $(call) were expanded already; a lazy builtin must not expand them twice.
    raw = raw.map((a) => ({ text: a.text.replace(/\$/g, "$$$$"), origin: a.origin }));
  }
  const args = def.lazy || expanded ? raw : raw.map((a) => ({ text: expandArg(a, ctx), origin: a.origin }));
  return def.impl(args, ctx);
}

/** The closest known function name, for "did you mean" hints. */
export function suggestFunction(name: string): string | undefined {
  return closest(name, FUNCTION_NAMES);
}

/** The closest of `candidates` to `name` by edit distance, when close enough to be a typo. */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const f of candidates) {
    const d = editDistance(name, f);
    if (d < bestDist) {
      best = f;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 8) return Math.abs(a.length - b.length);
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0] as number;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j] as number;
      prev[j] = Math.min((prev[j] as number) + 1, (prev[j - 1] as number) + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length] as number;
}
