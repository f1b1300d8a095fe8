// Recipes as tokens, so that one description gives both the Flowfile text
// (render) and the exact shell text after expansion (expand), which is what
// the oracle puts in its abstract key.
import { OPS, type Family, type Recipe, type Rule, type VarName } from "./project.js";

export type Tok =
  | { t: "lit"; s: string } // shell text; `$` is doubled when rendered
  | { t: "auto"; a: "@" | "<" | "*" | "@D" }
  | { t: "in" } // the file prerequisites: $^ (rules) or $< (pattern rules)
  | { t: "var"; name: VarName }
  | { t: "nl" }; // a continuation line

export interface ExpandCtx {
  target: string;
  first: string;
  stem: string;
  inputs: string[];
  vars: Record<VarName, string>;
}

const lit = (s: string): Tok => ({ t: "lit", s });

function header(recipe: Recipe): Tok[] | null {
  const h = recipe.header;
  switch (h.k) {
    case "none":
      return null;
    case "stem":
      return [lit("printf '%s\\n' '"), { t: "auto", a: "*" }, lit("'")];
    case "var":
      return [lit("printf '%s\\n' '"), { t: "var", name: h.name }, lit(h.cut ? "' | cut -c1-2" : "'")];
    case "env":
      return [lit(h.cut ? `printf '%s\\n' "\${${h.name}%%.*}"` : `printf '%s\\n' "$${h.name}"`)];
  }
}

/** Segments joined by ` && `; `split` puts a continuation after the first. */
function join(segments: Tok[][], split: boolean): Tok[] {
  const out: Tok[] = [];
  segments.forEach((seg, i) => {
    if (i > 0) {
      out.push(lit(" &&"));
      if (split && i === 1) out.push({ t: "nl" });
      out.push(lit(" "));
    }
    out.push(...seg);
  });
  return out;
}

const pfx = (r: Recipe): Tok[][] => (r.pfx > 0 ? [[lit(`: v${r.pfx}`)]] : []);

/** Writes header + filtered inputs to `out` (tokens), reading `input`. */
function body(r: Recipe, input: Tok[], out: Tok[]): Tok[][] {
  const h = header(r);
  const filter = OPS[r.op];
  if (h === null) return [[lit("cat "), ...input, lit(` | ${filter} > `), ...out]];
  return [
    [...h, lit(" > "), ...out],
    [lit("cat "), ...input, lit(` | ${filter} >> `), ...out],
  ];
}

export function familyRecipe(_f: Family, r: Recipe): Tok[] {
  const at: Tok[] = [{ t: "auto", a: "@" }];
  const h = header(r);
  const segs: Tok[][] = [[lit("mkdir -p "), { t: "auto", a: "@D" }], ...pfx(r)];
  if (h === null) segs.push([lit(`${OPS[r.op]} < `), { t: "auto", a: "<" }, lit(" > "), ...at]);
  else segs.push([...h, lit(" > "), ...at], [lit(`${OPS[r.op]} < `), { t: "auto", a: "<" }, lit(" >> "), ...at]);
  if (r.mode !== null) segs.push([lit(`chmod ${r.mode} `), ...at]);
  if (r.guard === true) segs.push([lit("if grep -q FAIL "), { t: "auto", a: "<" }, lit("; then exit 3; fi")]);
  return join(segs, false);
}

export function ruleRecipe(rule: Rule, r: Recipe): Tok[] {
  const IN: Tok[] = [{ t: "in" }];
  const segs: Tok[][] = [];
  switch (rule.kind) {
    case "file": {
      const at: Tok[] = [{ t: "auto", a: "@" }];
      segs.push([lit("mkdir -p "), { t: "auto", a: "@D" }], ...pfx(r), ...body(r, IN, at));
      if (r.mode !== null) segs.push([lit(`chmod ${r.mode} `), ...at]);
      break;
    }
    case "multi": {
      const [a, b] = rule.targets;
      if (a === undefined || b === undefined) throw new Error(`multi rule ${rule.id} needs two targets`);
      segs.push([lit(`mkdir -p out/${rule.id}`)], ...pfx(r), ...body(r, IN, [lit(a)]));
      segs.push([lit("cat "), ...IN, lit(` | ${OPS[rule.op2]} > ${b}`)]);
      if (r.mode !== null) segs.push([lit(`chmod ${r.mode} ${a} ${b}`)]);
      if (rule.dirOut !== null) {
        const d = rule.dirOut;
        segs.push([lit(`mkdir -p ${d}`)]);
        segs.push([lit("cat "), ...IN, lit(` | cksum > ${d}/sum`)]);
        segs.push([lit("cat "), ...IN, lit(` | wc -l > ${d}/lines`)]);
        segs.push([lit(`mkdir -p ${d}/deep/er`)]);
        segs.push([lit("cat "), ...IN, lit(` | wc -c > ${d}/deep/er/bytes`)]);
      }
      break;
    }
    case "phonyOut": {
      segs.push(...pfx(r));
      const h = header(r);
      if (rule.dirOut !== null) {
        const d = rule.dirOut;
        segs.push([lit(`mkdir -p ${d}`)]);
        segs.push([
          lit("for f in "),
          ...IN,
          lit(`; do ${OPS[r.op]} < "$f" > ${d}/$(echo "$f" | tr / _); done`),
        ]);
        if (rule.link === true) segs.push([lit(`ln -s $(echo "$f" | tr / _) ${d}/latest`)]);
        if (h !== null && rule.fileOuts.length === 0) segs.push([...h, lit(` > ${d}/_head`)]);
        if (r.mode !== null) segs.push([lit(`chmod ${r.mode} ${d}/*`)]);
      }
      for (const f of rule.fileOuts) {
        segs.push([lit("mkdir -p out")], ...body(r, IN, [lit(f)]));
        if (r.mode !== null) segs.push([lit(`chmod ${r.mode} ${f}`)]);
      }
      break;
    }
    case "phonyCheck": {
      segs.push(...pfx(r), [lit(`echo ${rule.id} > /dev/null`)]);
      const h = header(r);
      if (h !== null) segs.push([...h, lit(" > /dev/null")]);
      segs.push([lit("cat "), ...IN, lit(` | ${OPS[r.op]} > /dev/null`)]);
      break;
    }
  }
  if (r.guard === true) segs.push([lit("if grep -q FAIL "), ...IN, lit("; then exit 3; fi")]);
  return join(segs, rule.split);
}

/** Flowfile/Makefile text of a recipe; `inText` is how {t:"in"} is written. */
export function renderTokens(toks: Tok[], inText: string): string {
  let s = "";
  for (const t of toks) {
    switch (t.t) {
      case "lit":
        s += t.s.replace(/\$/g, "$$$$");
        break;
      case "auto":
        s += t.a === "@D" ? "$(@D)" : `$${t.a}`;
        break;
      case "in":
        s += inText;
        break;
      case "var":
        s += `$(${t.name})`;
        break;
      case "nl":
        s += " \\\n\t";
        break;
    }
  }
  return s;
}

/** The shell text the recipe expands to (what `sh -c` receives). */
export function expandTokens(toks: Tok[], ctx: ExpandCtx): string {
  let s = "";
  for (const t of toks) {
    switch (t.t) {
      case "lit":
        s += t.s;
        break;
      case "auto":
        switch (t.a) {
          case "@":
            s += ctx.target;
            break;
          case "<":
            s += ctx.first;
            break;
          case "*":
            s += ctx.stem;
            break;
          case "@D": {
            const i = ctx.target.lastIndexOf("/");
            s += i < 0 ? "." : ctx.target.slice(0, i);
            break;
          }
        }
        break;
      case "in":
        s += ctx.inputs.length > 0 ? ctx.inputs.join(" ") : "/dev/null";
        break;
      case "var":
        s += ctx.vars[t.name];
        break;
      case "nl":
        s += " \\\n";
        break;
    }
  }
  return s;
}
