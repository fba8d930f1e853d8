import { AppError } from "../errors.js";

/**
 * List cursors: an opaque token (base64url of JSON) naming a position in a stable order — a sorted set's
 * (score, member), a stream entry id, or the last id of an id-sorted list — never an offset. A token that
 * does not decode to the shape its list expects is a 422 on `query.cursor`.
 */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), "utf8").toString("base64url");
}

export function decodeCursor<T>(token: string | undefined, check: (v: unknown) => v is T): T | undefined {
  if (token === undefined || token === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
  } catch {
    value = undefined;
  }
  if (!check(value)) {
    const message = "not a cursor this list handed out";
    throw new AppError(422, `Invalid query: cursor: ${message}`, [{ field: "query.cursor", message }]);
  }
  return value;
}

/** A page of a list: its items and, when more may follow, the cursor of the next page. */
export interface Page<T> {
  items: T[];
  next: string | null;
}

export const isString = (v: unknown): v is string => typeof v === "string";
export const isPair = (v: unknown): v is [string, string] =>
  Array.isArray(v) && v.length === 2 && typeof v[0] === "string" && typeof v[1] === "string";
