// Who may talk to `flow ui`: the browser that was given the token, through
// the server's own address. As Jupyter does it: the URL printed at start
// carries a random token; the first page load with `?token=` trades it for
// an HttpOnly SameSite=Strict cookie and redirects to the URL without it
// (so it leaves the address bar and the history). Every other request needs
// the cookie or an `X-Flow-Token` header. On top of the token:
//   - Host must be 127.0.0.1:PORT or localhost:PORT: a page of another site
//     whose name was re-pointed at 127.0.0.1 (DNS rebinding) sends its own
//     name as Host, and is refused before anything is read;
//   - a POST must come with an Origin equal to the server's: a form on
//     another site cannot make the browser delete anything.
// A refused request gets 403 and a one-line reason; no handler runs.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";

export const TOKEN_COOKIE = "flow_ui_token";
export const TOKEN_HEADER = "X-Flow-Token";

/** 32 random bytes, hex: what the URL carries. */
export function newToken(): string {
  return randomBytes(32).toString("hex");
}

/** Constant-time comparison: both sides are hashed first, so lengths never differ and nothing leaks through timing. */
export function tokenMatches(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(token).digest();
  return timingSafeEqual(a, b);
}

/** The Host values the server answers to, for the port it listens on. */
export function allowedHosts(port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
}

/** The middleware that guards every route; `port()` is read per request (the port is known only once listening). */
export function uiAuth(token: string, port: () => number): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header("host") ?? "";
    if (!allowedHosts(port()).has(host)) return c.text("flow ui: refused: the Host header is not this server's address (127.0.0.1 or localhost with its port)\n", 403);
    if (c.req.method === "POST" && c.req.header("origin") !== `http://${host}`) {
      return c.text("flow ui: refused: a change must come from the page this server serves (its Origin)\n", 403);
    }
    const url = new URL(c.req.url);
    const fromQuery = url.searchParams.get("token") ?? undefined;
    if (fromQuery !== undefined && c.req.method === "GET" && !url.pathname.startsWith("/api/")) {
      if (!tokenMatches(fromQuery, token)) return c.text("flow ui: refused: wrong token (open the URL flow ui printed)\n", 403);
      // Trade the token for a cookie, and take it out of the address bar.
      setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: "Strict", path: "/" });
      url.searchParams.delete("token");
      return c.redirect(`${url.pathname}${url.search}`, 303);
    }
    const given = c.req.header(TOKEN_HEADER) ?? getCookie(c, TOKEN_COOKIE);
    if (!tokenMatches(given, token)) return c.text("flow ui: refused: no valid token (open the URL flow ui printed, with its ?token=)\n", 403);
    await next();
    return undefined;
  };
}
