import { DiagnosticError, errorAt, warningAt, type SourceLocation } from "./diagnostic.js";
import { splitArgsWithOffsets, type Expander, type TextOrigin } from "./expander.js";
import { VariableTable, type Scope } from "./variables.js";
import { matchPattern, patsubst, splitWords } from "./words.js";

export interface CallContext {
  readonly expander: Expander;
  readonly scope: Scope;
  /** Origin of the argument text. */
  readonly origin: TextOrigin;
  /** Location of the `$(` of the call. */
  readonly at: SourceLocation | undefined;
  /** Origin of argument i (its own column), for lazy functions that expand arguments themselves. */
  readonly argOrigin?: (i: number) => TextOrigin;
}

type Impl = (args: string[], ctx: CallContext) => string;

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

function wordIndex(arg: string, fn: string, ctx: CallContext): number {
  const t = arg.trim();
  if (!/^[0-9]+$/.test(t) || Number(t) < 1) {
    throw new DiagnosticError(
      errorAt("FLOW001", `'${fn}' needs a positive whole number, got '${t}'`, ctx.at, `write e.g. $(${fn} 1,...)`),
    );
  }
  return Number(t);
}

function expandArg(text: string | undefined, ctx: CallContext, index?: number): string {
  const origin = index !== undefined && ctx.argOrigin ? ctx.argOrigin(index) : ctx.origin;
  return ctx.expander.expand(text ?? "", ctx.scope, origin);
}

const DEFS: Record<string, FunctionDef> = {
  subst: { arity: 3, min: 3, lazy: false, impl: ([from = "", to = "", text = ""]) => (from === "" ? text : text.split(from).join(to)) },
  patsubst: { arity: 3, min: 3, lazy: false, impl: ([p = "", r = "", t = ""]) => patsubst(p.trim(), r.trim(), t) },
  strip: { arity: 1, min: 1, lazy: false, impl: ([t = ""]) => words(t).join(" ") },
  findstring: { arity: 2, min: 2, lazy: false, impl: ([f = "", t = ""]) => (t.includes(f) ? f : "") },
  filter: { arity: 2, min: 2, lazy: false, impl: ([p = "", t = ""]) => filterWords(p, t, true) },
  "filter-out": { arity: 2, min: 2, lazy: false, impl: ([p = "", t = ""]) => filterWords(p, t, false) },
  sort: {
    arity: 1,
    min: 1,
    lazy: false,
    // Byte order, not locale order, so results are the same on every machine.
    impl: ([t = ""]) => [...new Set(words(t))].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).join(" "),
  },
  word: {
    arity: 2,
    min: 2,
    lazy: false,
    impl: ([n = "", t = ""], ctx) => words(t)[wordIndex(n, "word", ctx) - 1] ?? "",
  },
  wordlist: {
    arity: 3,
    min: 3,
    lazy: false,
    impl: ([s = "", e = "", t = ""], ctx) => words(t).slice(wordIndex(s, "wordlist", ctx) - 1, Number(e.trim()) || 0).join(" "),
  },
  words: { arity: 1, min: 1, lazy: false, impl: ([t = ""]) => String(words(t).length) },
  firstword: { arity: 1, min: 1, lazy: false, impl: ([t = ""]) => words(t)[0] ?? "" },
  lastword: { arity: 1, min: 1, lazy: false, impl: ([t = ""]) => words(t).at(-1) ?? "" },
  dir: { arity: 1, min: 1, lazy: false, impl: ([t = ""]) => words(t).map(dirOf).join(" ") },
  notdir: { arity: 1, min: 1, lazy: false, impl: ([t = ""]) => words(t).map(notdirOf).join(" ") },
  suffix: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([t = ""]) =>
      words(t)
        .map((w) => (suffixIndex(w) < 0 ? "" : w.slice(suffixIndex(w))))
        .filter((s) => s !== "")
        .join(" "),
  },
  basename: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([t = ""]) =>
      words(t)
        .map((w) => (suffixIndex(w) < 0 ? w : w.slice(0, suffixIndex(w))))
        .join(" "),
  },
  addsuffix: { arity: 2, min: 2, lazy: false, impl: ([s = "", t = ""]) => words(t).map((w) => w + s).join(" ") },
  addprefix: { arity: 2, min: 2, lazy: false, impl: ([p = "", t = ""]) => words(t).map((w) => p + w).join(" ") },
  join: {
    arity: 2,
    min: 2,
    lazy: false,
    impl: ([a = "", b = ""]) => {
      const x = words(a);
      const y = words(b);
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
    impl: ([t = ""], ctx) => {
      const out = new Set<string>();
      for (const p of words(t)) for (const m of ctx.expander.host.glob(p, ctx.at)) out.add(m);
      return [...out].join(" ");
    },
  },
  shell: { arity: 1, min: 1, lazy: false, impl: ([cmd = ""], ctx) => ctx.expander.host.shell(cmd, ctx.at) },
  error: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([msg = ""], ctx) => {
      throw new DiagnosticError(errorAt("FLOW013", msg.trim(), ctx.at));
    },
  },
  warning: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([msg = ""], ctx) => {
      ctx.expander.warn(warningAt("FLOW013", msg.trim(), ctx.at));
      return "";
    },
  },
  info: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([msg = ""], ctx) => {
      ctx.expander.warn({ code: "FLOW013", severity: "warning", message: msg.trim(), ...(ctx.at ? { loc: ctx.at } : {}) });
      return "";
    },
  },
  if: {
    arity: 3,
    min: 2,
    lazy: true,
    impl: ([cond, then, otherwise], ctx) =>
      expandArg(cond, ctx, 0).trim() !== "" ? expandArg(then, ctx, 1) : expandArg(otherwise, ctx, 2),
  },
  or: {
    arity: Number.MAX_SAFE_INTEGER,
    min: 1,
    lazy: true,
    impl: (args, ctx) => {
      for (const [i, a] of args.entries()) {
        const v = expandArg(a, ctx, i).trim();
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
      for (const [i, a] of args.entries()) {
        v = expandArg(a, ctx, i).trim();
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
      for (const w of words(expandArg(list, ctx))) {
        const inner = new VariableTable(ctx.scope);
        inner.set(name, { value: w, flavor: "simple", origin: "automatic" });
        out.push(ctx.expander.expand(body ?? "", inner, ctx.origin));
      }
      return out.join(" ");
    },
  },
  call: {
    arity: Number.MAX_SAFE_INTEGER,
    min: 1,
    lazy: false,
    impl: ([name = "", ...params], ctx) => {
      const inner = new VariableTable(ctx.scope);
      inner.set("0", { value: name.trim(), flavor: "simple", origin: "automatic" });
      params.forEach((p, i) => inner.set(String(i + 1), { value: p, flavor: "simple", origin: "automatic" }));
      // Like GNU Make's func_call, no self-reference check: a function may call
      // itself; the expander's depth limit stops one that never ends.
      const v = ctx.scope.lookup(name.trim());
      if (!v) return "";
      return v.flavor === "simple" ? v.value : ctx.expander.expand(v.value, inner, { loc: v.loc ?? ctx.origin.loc, exact: false });
    },
  },
  value: { arity: 1, min: 1, lazy: false, impl: ([n = ""], ctx) => ctx.scope.lookup(n.trim())?.value ?? "" },
  origin: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([n = ""], ctx) => ctx.scope.lookup(n.trim())?.origin ?? "undefined",
  },
  flavor: {
    arity: 1,
    min: 1,
    lazy: false,
    impl: ([n = ""], ctx) => ctx.scope.lookup(n.trim())?.flavor ?? "undefined",
  },
};

export const FUNCTION_NAMES: ReadonlySet<string> = new Set(Object.keys(DEFS));

export function callFunction(name: string, rawArgs: string, ctx: CallContext): string {
  const def = DEFS[name];
  if (!def) throw new Error(`not a function: ${name}`);
  const pieces = splitArgsWithOffsets(rawArgs, def.arity);
  const raw = pieces.map((p) => p.text);
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
  // Each argument keeps its own column, so an error inside the second argument points there.
  const argCtx = (i: number): CallContext => {
    const off = pieces[i]?.offset ?? 0;
    const loc = ctx.origin.exact && ctx.origin.loc ? { ...ctx.origin.loc, col: ctx.origin.loc.col + off } : ctx.origin.loc;
    return { ...ctx, origin: { loc, exact: ctx.origin.exact } };
  };
  const args = def.lazy ? raw : raw.map((a, i) => expandArg(a, argCtx(i)));
  return def.impl(args, { ...ctx, argOrigin: (i) => argCtx(i).origin });
}

/** The closest known function name, for "did you mean" hints. */
export function suggestFunction(name: string): string | undefined {
  let best: string | undefined;
  let bestDist = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const f of FUNCTION_NAMES) {
    const d = editDistance(name, f);
    if (d < bestDist) {
      best = f;
      bestDist = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
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
