import { createHash, timingSafeEqual } from "node:crypto";
import type { Logger } from "@aws-lambda-powertools/logger";
import type middy from "@middy/core";
import type { APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import { AppError, badRequest, tooLarge } from "../../layers/core/errors.js";
import { StoreUnavailableError } from "../../layers/core/store/redis-port.js";
import type { ApiEvent } from "./http.js";

type Middleware = middy.MiddlewareObj<ApiEvent, APIGatewayProxyStructuredResultV2>;

const reply = (statusCode: number, body: Record<string, unknown>) => ({
  statusCode,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
});

/** Every error becomes `{"detail": …}`: 4xx as raised, Redis trouble 503, anything else a logged 500. */
export function errorReplies(logger: Logger): Middleware {
  return {
    onError: async (request) => {
      const err = request.error;
      if (err instanceof AppError) {
        request.response = reply(err.status, err.errors ? { detail: err.message, errors: err.errors } : { detail: err.message });
      } else if (err instanceof StoreUnavailableError) {
        request.response = reply(503, { detail: `Service unavailable: ${err.message}` });
      } else {
        logger.error("unhandled error", { error: err as Error, path: request.event.rawPath });
        request.response = reply(500, { detail: "Internal server error" });
      }
    },
  };
}

/** Reads the JSON body: over the limit → 413, not JSON → 400 (API Gateway may hand it over base64-encoded). */
export function jsonBody(maxBytes: number): Middleware {
  return {
    before: async (request) => {
      const { event } = request;
      const raw = event.body ?? "";
      const text = event.isBase64Encoded ? Buffer.from(raw, "base64").toString("utf8") : raw;
      const size = Buffer.byteLength(text);
      if (size > maxBytes) throw tooLarge(`Request body is ${size} bytes; the limit is ${maxBytes} bytes`);
      if (text.trim() === "") throw badRequest("Request body is empty; expected JSON");
      try {
        event.json = JSON.parse(text);
      } catch (err) {
        throw badRequest(`Request body is not valid JSON: ${(err as Error).message}`);
      }
    },
  };
}

/** When API_KEY is set, the request must carry it as a bearer token: 401 without, 403 wrong. */
export function requireApiKey(apiKey: string | undefined): Middleware {
  return {
    before: async ({ event }) => {
      if (!apiKey) return;
      const header = event.headers?.authorization ?? event.headers?.Authorization;
      if (!header) throw new AppError(401, "Missing Authorization: Bearer <API_KEY>");
      const token = /^Bearer\s+(.+)$/i.exec(header)?.[1]?.trim();
      if (!token || !timingSafeEqualString(token, apiKey)) throw new AppError(403, "Invalid API key");
    },
  };
}

// Hash first so the comparison takes the same time whatever the lengths.
const digest = (s: string) => createHash("sha256").update(s).digest();
const timingSafeEqualString = (a: string, b: string) => timingSafeEqual(digest(a), digest(b));
