// `flow ui` for the tests: started as the user starts it, the URL read from
// its first line of output, and requests made with node:http (which, unlike
// fetch, sends the Host and Origin headers it is given, and the path bytes
// as written: `%2e%2e` stays encoded).
import { request as httpRequest } from "node:http";
import { flowAsync } from "./support.js";

export interface RunningUi {
  readonly url: string;
  readonly port: number;
  readonly token: string;
  readonly child: ReturnType<typeof flowAsync>["child"];
  readonly done: ReturnType<typeof flowAsync>["done"];
  /** SIGTERM, then the exit. */
  stop(): Promise<{ code: number | null; stdout: string; stderr: string }>;
}

export async function startUi(cwd: string, args: readonly string[] = [], env?: NodeJS.ProcessEnv): Promise<RunningUi> {
  const { child, done } = flowAsync(["ui", ...args], { cwd, ...(env ? { env } : {}) });
  const url = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /flow ui: (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64})\n/.exec(out);
      if (m) resolve(m[1] as string);
    });
    void done.then((r) => reject(new Error(`flow ui ended (${r.code}) before printing its URL: ${r.stdout}${r.stderr}`)));
  });
  const u = new URL(url);
  return {
    url,
    port: Number(u.port),
    token: u.searchParams.get("token") as string,
    child,
    done,
    stop: async () => {
      child.kill("SIGTERM");
      return done;
    },
  };
}

export interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

export function request(port: number, path: string, o: { method?: string; headers?: Record<string, string>; body?: string; host?: string } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, method: o.method ?? "GET", headers: { Host: o.host ?? `127.0.0.1:${port}`, ...o.headers } }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => {
        body += d.toString("latin1");
        // An event stream does not end by itself: its first bytes are enough.
        if ((res.headers["content-type"] ?? "").startsWith("text/event-stream")) res.destroy();
      });
      res.on("close", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    if (o.body !== undefined) req.write(o.body);
    req.end();
  });
}
