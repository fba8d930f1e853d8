import { askForKey, forgetKey, storedKey } from "./auth.js";

/** An API error, carrying the server's `detail` (and per-field `errors` on 422) for the user to read. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly errors: { field: string; message: string }[] = [],
  ) {
    super(detail);
  }
}

type Method = "GET" | "POST" | "PATCH" | "DELETE";

async function send(method: Method, path: string, body: unknown, key: string | null): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers.Authorization = `Bearer ${key}`;
  try {
    return await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  } catch (err) {
    throw new ApiError(0, `API unreachable (${err instanceof Error ? err.message : String(err)})`);
  }
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    /* not JSON: reported below */
  }
  if (res.ok) return json as T;
  const err = (json ?? {}) as { detail?: unknown; errors?: { field: string; message: string }[] };
  const detail = typeof err.detail === "string" ? err.detail : `${res.status} ${res.statusText || "error"}`;
  throw new ApiError(res.status, detail, Array.isArray(err.errors) ? err.errors : []);
}

/**
 * Calls one of the API's own routes (same origin, relative path). A call answered 401/403 (the writes, and
 * `GET /tickets/next`, which removes a ticket) asks for the API key once, keeps it for the session and
 * retries with `Authorization: Bearer <key>`.
 */
export async function api<T>(method: Method, path: string, body?: unknown): Promise<T> {
  let res = await send(method, path, body, storedKey());
  if (res.status === 401 || res.status === 403) {
    const detail = await res
      .clone()
      .json()
      .then((j: { detail?: string }) => j.detail ?? "")
      .catch(() => "");
    const key = await askForKey(
      `${method} ${path} answered ${res.status}${detail ? `: ${detail}` : ""}. Enter the API key to continue.`,
    );
    if (!key) throw new ApiError(res.status, `${detail || "Not authorised"} (no API key given)`);
    res = await send(method, path, body, key);
    if (res.status === 401 || res.status === 403) forgetKey();
  }
  return parse<T>(res);
}

/** The `rel="next"` URL of an RFC 8288 `Link` header (the API's lists page that way), or null. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(",")) {
    const m = /<([^>]*)>\s*;\s*rel="?next"?/i.exec(part);
    if (m) return m[1] ?? null;
  }
  return null;
}

/** A read of one page of a list: its body and the next page's path (from the Link header), if any. */
export async function apiPage<T>(path: string): Promise<{ body: T; next: string | null }> {
  const res = await send("GET", path, undefined, storedKey());
  const next = nextLink(res.headers.get("link"));
  return { body: await parse<T>(res), next };
}

let chain: Promise<unknown> = Promise.resolve();
let queued = 0;

/**
 * Runs `fn` after every earlier `serial` call has finished. The Agent view's reads (its tickets, then its
 * next) and the page's answers to offers and resolves go through it, so a poll never reads the ticket list
 * before a resolve and `next` after it (a needless 404). A poll that finds a write under way (perhaps waiting
 * for the API key) skips its read rather than wait: see `serialIdle`.
 */
export function serial<T>(fn: () => Promise<T>): Promise<T> {
  queued++;
  const run = chain.then(fn, fn).finally(() => queued--);
  chain = run.catch(() => undefined);
  return run;
}

/** True when no `serial` call is running or waiting. */
export const serialIdle = (): boolean => queued === 0;

/** What the user reads: the server's `detail`, with the status code. */
export const describe = (err: unknown): string =>
  err instanceof ApiError
    ? err.status
      ? `${err.detail} (HTTP ${err.status})`
      : err.detail
    : err instanceof Error
      ? err.message
      : String(err);
