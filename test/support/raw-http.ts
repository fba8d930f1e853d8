import { request } from "node:http";

/**
 * One request whose path is sent as written — node:http, not fetch, which would resolve "/tickets/.." or
 * "/models/../activate" before sending — answered with its status and parsed JSON body. A body (an object as
 * JSON, a string as is) goes with `content-type: application/json`.
 */
export function rawJson(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; json: any }> {
  return new Promise((resolve, reject) => {
    const url = new URL(base);
    const all = { ...(body === undefined ? {} : { "content-type": "application/json" }), ...headers };
    const req = request({ host: url.hostname, port: url.port, method, path, headers: all }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
        } catch {
          reject(new Error(`${method} ${path.slice(0, 80)} → ${res.statusCode} ${text.slice(0, 80)}`));
        }
      });
    });
    req.on("error", reject);
    req.end(body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body));
  });
}
