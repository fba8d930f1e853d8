import { describe, expect, it } from "vitest";
import { BatchIn, TicketIn } from "../../layers/core/domain/schemas.js";
import { AppError, parseOr422 } from "../../layers/core/errors.js";

const fail = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    return e as AppError;
  }
  throw new Error("expected a failure");
};

describe("422 messages", () => {
  it("names the missing field", () => {
    const err = fail(() => parseOr422(TicketIn, { subject: "x" }, "body"));
    expect(err.status).toBe(422);
    expect(err.errors).toEqual([{ field: "body.body", message: "body must be a string" }]);
  });
  it("names the batch item by index", () => {
    const err = fail(() => parseOr422(BatchIn, [{ subject: "a", body: "b" }, { subject: "", body: "b" }], "body"));
    expect(err.message).toContain("body[1].subject");
  });
  it("refuses whitespace-only fields", () => {
    const err = fail(() => parseOr422(TicketIn, { subject: "   ", body: "\n" }, "body"));
    expect(err.errors?.map((e) => e.field)).toEqual(["body.subject", "body.body"]);
  });
});
