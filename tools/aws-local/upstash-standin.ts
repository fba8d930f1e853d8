import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Redis } from "ioredis";

/**
 * A local stand-in for Upstash's REST API, backed by a real Redis, so UpstashAdapter runs the same
 * contract tests as the TCP adapter. It speaks what @upstash/redis sends (the documented POST forms):
 *   POST /            body ["CMD", arg, …]        → {"result": …} | 400 {"error": "…"}
 *   POST /pipeline    body [[…], […]]             → [{"result"} | {"error"}, …] (not atomic, as on Upstash)
 *   POST /multi-exec  body [[…], […]]             → the same, in one MULTI/EXEC
 *   Authorization: Bearer <token> is required (401 otherwise).
 *   Upstash-Encoding: base64 → every string in the result, nested ones too, is base64 of its bytes,
 *   except a top-level "OK" (Upstash documents the exception; @upstash/redis undoes it only at the top
 *   level, so a nested "OK" is encoded like any string). Integers stay numbers, nil is null.
 * Not served: the GET /cmd/arg/… path form, SSE subscriptions, the sync-token handshake.
 */
export interface UpstashStandin {
  url: string;
  token: string;
  close(): Promise<void>;
}

type Json = string | number | null | Json[];
type Entry = { result: Json } | { error: string };
type Command = [string, ...string[]];

/** Redis's reply as Upstash's JSON: callBuffer gives bulk and status strings as Buffers, so both are exact bytes. */
function toJson(reply: unknown, base64: boolean, top = true): Json {
  if (Buffer.isBuffer(reply)) {
    const text = reply.toString("utf8");
    return base64 && !(top && text === "OK") ? reply.toString("base64") : text;
  }
  if (Array.isArray(reply)) return reply.map((r) => toJson(r, base64, false));
  if (typeof reply === "number") return reply;
  if (reply === null || reply === undefined) return null;
  throw new Error(`stand-in: unexpected reply ${String(reply)}`);
}

function parseCommand(raw: unknown): Command {
  if (!Array.isArray(raw) || raw.length === 0 || !raw.every((a) => ["string", "number", "boolean"].includes(typeof a))) {
    throw new Error("ERR a command is a non-empty JSON array of strings and numbers");
  }
  const [name, ...args] = raw.map(String);
  // Upper case: ioredis rewrites the reply of a command named "hgetall" (lower case, as @upstash/redis
  // sends it) into an object; Upstash answers Redis's flat array. Redis itself ignores the case.
  return [name!.toUpperCase(), ...args];
}

const isReplyError = (err: unknown): err is Error => err instanceof Error && err.name === "ReplyError";

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

export async function startUpstashStandin(redisUrl: string): Promise<UpstashStandin> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  redis.on("error", () => {}); // Redis away: each command fails and is answered 500; nothing to log per retry
  const token = randomUUID();

  const single = async ([name, ...args]: Command, base64: boolean): Promise<Entry> => {
    try {
      return { result: toJson(await redis.callBuffer(name, ...args), base64) };
    } catch (err) {
      if (isReplyError(err)) return { error: err.message };
      throw err; // Redis itself unreachable: the server answers 500
    }
  };

  const batch = async (commands: Command[], base64: boolean, atomic: boolean): Promise<Entry[]> => {
    const pipe = atomic ? redis.multi() : redis.pipeline();
    for (const [name, ...args] of commands) pipe.callBuffer(name, ...args);
    const replies = (await pipe.exec()) ?? []; // MULTI: exec rejects (EXECABORT) if a command could not be queued
    return replies.map(([err, value]) => (err ? { error: err.message } : { result: toJson(value, base64) }));
  };

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const send = (status: number, body: Entry | Entry[]) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method !== "POST") return send(405, { error: "ERR only POST is served by this stand-in" });
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: "Unauthorized" });
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    const path = new URL(req.url ?? "/", "http://standin").pathname;
    try {
      const body: unknown = JSON.parse(await readBody(req));
      if (path === "/") {
        const entry = await single(parseCommand(body), base64);
        return send("error" in entry ? 400 : 200, entry);
      }
      if (path === "/pipeline" || path === "/multi-exec") {
        if (!Array.isArray(body) || body.length === 0) return send(400, { error: "ERR a pipeline is a non-empty array of commands" });
        return send(200, await batch(body.map(parseCommand), base64, path === "/multi-exec"));
      }
      return send(404, { error: `ERR no such endpoint ${path}` });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // Bad JSON, a malformed command, an aborted transaction: the client's fault (400). Redis away: 500.
      const clientFault = err instanceof SyntaxError || message.startsWith("ERR ") || isReplyError(err);
      send(clientFault ? 400 : 500, { error: message });
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await redis.quit();
    },
  };
}
